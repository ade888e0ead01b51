// "Export with secrets" is main's own flow: main asks where to save, reads the
// unmasked XML from the engine and writes the file itself. The renderer only
// learns where the file went (or that the dialog was cancelled), never the XML,
// so a script in the page cannot read a password or a token.

import type { SaveDialogOptions, SaveDialogReturnValue } from 'electron';
import { MonitorError } from '../shared/api.js';
import type { ExportWithSecretsResult } from '../shared/ipc.js';
import { writeFileAtomic } from '../node/atomic-file.js';

export interface SecretExportDeps {
  showSaveDialog(options: SaveDialogOptions): Promise<SaveDialogReturnValue>;
  /** The engine's unmasked export. */
  exportXml(): Promise<string>;
  /** Where the dialog starts, e.g. ~/Documents/pbxctrl-failover.xml. */
  defaultPath: string;
}

/** One dialog at a time: a page calling in a loop gets an error, not a stack of dialogs. */
export function createSecretExporter(deps: SecretExportDeps): () => Promise<ExportWithSecretsResult> {
  let open = false;
  return async () => {
    if (open) throw new MonitorError('conflict', 'An "Export with secrets" dialog is already open.');
    open = true;
    try {
      const choice = await deps.showSaveDialog({
        title: 'Export with secrets',
        buttonLabel: 'Export',
        message: 'The file holds passwords and tokens in clear text. Keep it where only you can read it.',
        defaultPath: deps.defaultPath,
        filters: [{ name: 'pbxctrl-failover.xml', extensions: ['xml'] }],
        properties: ['showOverwriteConfirmation', 'createDirectory'],
      });
      if (choice.canceled || !choice.filePath) return { outcome: 'cancelled' };
      const xml = await deps.exportXml();
      try {
        // Temporary file with mode 0600, fsync, rename: the file never exists half written or readable by others.
        await writeFileAtomic(choice.filePath, xml, { createDirectory: true });
      } catch (err) {
        throw new MonitorError(
          'internal',
          `The export could not be written to ${choice.filePath}: ${(err as Error).message}`,
        );
      }
      return { outcome: 'saved', path: choice.filePath };
    } finally {
      open = false;
    }
  };
}
