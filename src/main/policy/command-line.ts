// The desktop app takes the PBX's own option name for its data directory, and in remote mode the
// service's address(es) and a file holding the token.

import { isAbsolute, resolve } from 'node:path';
import { checkServiceUrls } from '../../shared/remote.js';

export type ShellArgs =
  { ok: true; serverdir?: string; remote?: { urls: string[]; tokenFile: string } } | { ok: false; message: string };

const NEEDS: Record<string, string> = {
  '--serverdir': '--serverdir needs a directory: --serverdir <dir>',
  '--remote': '--remote needs the service address: --remote https://noc-watch.example:8480 --token-file <file>',
  '--token-file': '--token-file needs a file: --token-file <file>',
};

/**
 * Finds `--serverdir <dir>`, `--remote <url>` (repeated, or comma-separated, for the nodes of a
 * cluster) and `--token-file <file>`, each also as `--name=value`, anywhere in argv (Electron and
 * Chromium add their own arguments around ours). A relative path is taken from `cwd`.
 */
export function parseShellArgs(argv: readonly string[], cwd: string): ShellArgs {
  const found: Record<string, string[]> = { '--serverdir': [], '--remote': [], '--token-file': [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const name = Object.keys(found).find((n) => arg === n || arg.startsWith(`${n}=`));
    if (!name) continue;
    let value: string | undefined;
    if (arg === name) {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) return { ok: false, message: NEEDS[name]! };
      i++;
    } else value = arg.slice(name.length + 1);
    if (value.trim() === '') return { ok: false, message: NEEDS[name]! };
    found[name]!.push(value);
  }
  const path = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  const serverdir = found['--serverdir']!.at(-1);
  const tokenFile = found['--token-file']!.at(-1);
  if (found['--remote']!.length === 0) {
    if (tokenFile !== undefined) return { ok: false, message: '--token-file is for remote mode: add --remote <url>' };
    return serverdir === undefined ? { ok: true } : { ok: true, serverdir: path(serverdir) };
  }
  if (serverdir !== undefined)
    return { ok: false, message: '--remote runs no watchers of its own: leave out --serverdir (the service has one)' };
  if (tokenFile === undefined) return { ok: false, message: '--remote needs the token too: --token-file <file>' };
  const urls = checkServiceUrls(found['--remote']!);
  if (!urls.ok) return { ok: false, message: `--remote: ${urls.message}` };
  return { ok: true, remote: { urls: urls.urls, tokenFile: path(tokenFile) } };
}
