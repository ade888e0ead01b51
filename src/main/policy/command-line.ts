// The desktop app takes the PBX's own option name for its data directory.

import { isAbsolute, resolve } from 'node:path';

export type ShellArgs = { ok: true; serverdir?: string } | { ok: false; message: string };

/**
 * Finds `--serverdir <dir>` or `--serverdir=<dir>` anywhere in argv (Electron and Chromium add
 * their own arguments around ours). A relative directory is taken from `cwd`.
 */
export function parseShellArgs(argv: readonly string[], cwd: string): ShellArgs {
  let serverdir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let value: string | undefined;
    if (arg === '--serverdir') {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--'))
        return { ok: false, message: '--serverdir needs a directory: --serverdir <dir>' };
      i++;
    } else if (arg.startsWith('--serverdir=')) {
      value = arg.slice('--serverdir='.length);
    } else {
      continue;
    }
    if (value.trim() === '') return { ok: false, message: '--serverdir needs a directory: --serverdir <dir>' };
    serverdir = isAbsolute(value) ? value : resolve(cwd, value);
  }
  return serverdir === undefined ? { ok: true } : { ok: true, serverdir };
}
