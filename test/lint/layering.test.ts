// The layering rules of eslint.config.js fire: each snippet is linted as if it were the named file of the
// project, with the project's own config, and must be refused (or, for the allowed imports, pass).

import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

/** The messages of no-restricted-imports for `code` linted as the project file `file`. */
async function refusals(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layering lint rules', () => {
  it.each(['src/core/watcher.ts', 'src/shared/model.ts', 'src/server/routes.ts', 'src/node/atomic-file.ts'])(
    '%s may not import Electron',
    async (file) => {
      expect(await refusals(file, "import { app } from 'electron';\nexport const a = app;\n")).toEqual([
        expect.stringContaining('Only src/main and src/preload may use Electron'),
      ]);
    },
  );

  it('keeps the renderer to $shared and its own files', async () => {
    const file = 'src/renderer/src/lib/stores/pairs.svelte.ts';
    expect(
      await refusals(
        file,
        "import { openMonitor } from '../../../../core/monitor.js';\nexport const o = openMonitor;\n",
      ),
    ).toEqual([expect.stringContaining('Backend interface only')]);
    expect(
      await refusals(file, "import { LIMITS } from '../../../../shared/validate';\nexport const l = LIMITS;\n"),
    ).toEqual([expect.stringContaining('$shared/')]);
    expect(await refusals(file, "import { readFile } from 'node:fs';\nexport const r = readFile;\n")).toEqual([
      expect.stringContaining('browser sandbox'),
    ]);
    expect(
      await refusals(
        file,
        "import { LIMITS } from '$shared/validate';\nimport { x } from './other.svelte';\nexport const l = [LIMITS, x];\n",
      ),
    ).toEqual([]);
  });

  it('allows raw ipcMain only in src/main/ipc.ts and raw ipcRenderer only in the preload wrappers', async () => {
    const ipcMain = "import { ipcMain } from 'electron';\nexport const i = ipcMain;\n";
    expect(await refusals('src/main/shell.ts', ipcMain)).toEqual([expect.stringContaining('typed wrappers')]);
    expect(await refusals('src/main/ipc.ts', ipcMain)).toEqual([]);
    const ipcRenderer = "import { ipcRenderer } from 'electron';\nexport const i = ipcRenderer;\n";
    expect(await refusals('src/preload/other.ts', ipcRenderer)).toEqual([expect.stringContaining('typed wrappers')]);
    expect(await refusals('src/preload/bridge.ts', ipcRenderer)).toEqual([]);
    // The rest of Electron is the shell's to use.
    expect(await refusals('src/main/shell.ts', "import { Tray } from 'electron';\nexport const t = Tray;\n")).toEqual(
      [],
    );
  });

  it('keeps the policy modules free of Electron, types included', async () => {
    expect(
      await refusals('src/main/policy/muting.ts', "import type { App } from 'electron';\nexport type A = App;\n"),
    ).toEqual([expect.stringContaining('Policy modules decide')]);
  });

  it('lets the shell reach the engine only through core/monitor and core/ports', async () => {
    for (const file of ['src/main/shell.ts', 'src/main/ipc.ts', 'src/main/policy/trust.ts', 'src/preload/bridge.ts']) {
      expect(
        await refusals(file, "import { Watcher } from '../core/watcher.js';\nexport const w = Watcher;\n"),
        file,
      ).toEqual([expect.stringContaining('only through core/monitor')]);
    }
    const allowed =
      "import { openMonitor } from '../core/monitor.js';\nimport type { Monitor } from '../core/ports.js';\nexport const o: [typeof openMonitor, Monitor?] = [openMonitor];\n";
    expect(await refusals('src/main/index.ts', allowed)).toEqual([]);
  });

  it('keeps src/node free of the project', async () => {
    expect(
      await refusals(
        'src/node/serial-queue.ts',
        "import { MonitorError } from '../shared/api.js';\nexport const m = MonitorError;\n",
      ),
    ).toEqual([expect.stringContaining('imports nothing else of the project')]);
    expect(
      await refusals(
        'src/core/lock.ts',
        "import { writeFileAtomic } from '../node/atomic-file.js';\nexport const w = writeFileAtomic;\n",
      ),
    ).toEqual([]);
    expect(
      await refusals(
        'src/shared/model.ts',
        "import { writeFileAtomic } from '../node/atomic-file.js';\nexport const w = writeFileAtomic;\n",
      ),
    ).toEqual([expect.stringContaining('contracts only')]);
  });
});
