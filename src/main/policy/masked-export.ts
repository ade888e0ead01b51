// The window is treated as untrusted: whatever it asks, the XML it gets through
// the bridge is masked. A file with the secrets is written only by main's own
// "Export with secrets" flow (save dialog, file written by main), so an
// injected script in the page can never read a password or a token.

import { MonitorError } from '../../shared/api.js';

/** exportXml's arguments as the window may have them: masked always; asking for unmasked is refused. */
export function maskedExportArgs(args: readonly unknown[]): [{ masked: true }] {
  const opts = args[0];
  if (typeof opts === 'object' && opts !== null && (opts as { masked?: unknown }).masked === false) {
    throw new MonitorError(
      'unauthorized',
      'The window can only export with secrets masked; use "Export with secrets", which saves the file itself.',
      [{ field: 'masked', message: 'must be true through the desktop bridge' }],
    );
  }
  return [{ masked: true }];
}
