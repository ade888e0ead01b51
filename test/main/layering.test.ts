// Where code may run decides what it may import (the VS Code / Signal idea):
// the desktop's decisions stay testable in plain Node, and the shell holds no
// watcher logic of its own.

import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '../../src');

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(join(src, dir), { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

function imports(text: string): string[] {
  return [...text.matchAll(/^\s*import\s[^;]*?from\s+'([^']+)'/gms), ...text.matchAll(/^\s*import\s+'([^']+)'/gm)].map((m) => m[1]!);
}

describe('layering of the desktop shell', () => {
  it('keeps every policy module free of Electron', async () => {
    const files = await sources('main/policy');
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      expect(imports(await readFile(file, 'utf8')).filter((i) => i === 'electron'), file).toEqual([]);
    }
  });

  it('reaches the engine only through openMonitor and the ports', async () => {
    for (const file of [...(await sources('main')), ...(await sources('preload'))]) {
      const core = imports(await readFile(file, 'utf8')).filter((i) => i.includes('/core/'));
      for (const i of core) expect(['../core/monitor.js', '../core/ports.js'], `${file} imports ${i}`).toContain(i);
    }
  });

  it('keeps the shared health module platform-free', async () => {
    const deps = imports(await readFile(join(src, 'shared/health.ts'), 'utf8'));
    expect(deps.every((d) => d.startsWith('./')), deps.join(', ')).toBe(true);
  });
});
