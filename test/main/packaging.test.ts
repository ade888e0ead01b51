// The packaged binary's fuses, read from electron-builder.yml as electron-builder reads it.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The `key: value` lines of one top-level block of the YAML file. */
function block(yaml: string, name: string): Record<string, string> {
  const lines = yaml.split('\n');
  const start = lines.findIndex((l) => l === `${name}:`);
  if (start < 0) return {};
  const out: Record<string, string> = {};
  for (const line of lines.slice(start + 1)) {
    if (!/^\s/.test(line) && line.trim() !== '') break;
    const m = /^\s+([A-Za-z]+):\s*(\S+)\s*$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

describe('electron-builder packaging', () => {
  it('flips the fuses: no run-as-node, NODE_OPTIONS or --inspect; only the integrity-checked app.asar; no file:// privileges', async () => {
    const yaml = await readFile(join(import.meta.dirname, '../../electron-builder.yml'), 'utf8');
    expect(block(yaml, 'electronFuses')).toEqual({
      runAsNode: 'false',
      enableNodeOptionsEnvironmentVariable: 'false',
      enableNodeCliInspectArguments: 'false',
      onlyLoadAppFromAsar: 'true',
      enableEmbeddedAsarIntegrityValidation: 'true',
      grantFileProtocolExtraPrivileges: 'false',
    });
    expect(yaml).toMatch(/^asar: true$/m);
  });
});
