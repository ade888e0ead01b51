// Main's "Export with secrets" on real files: where the dialog says, 0600 even
// over a wider file, one dialog at a time, and a failed write is an error.

import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SaveDialogOptions } from 'electron';
import { createSecretExporter } from '../../src/main/export-secrets.js';
import { MonitorError } from '../../src/shared/api.js';

const dirs: string[] = [];
afterEach(async () => {
  while (dirs.length) await rm(dirs.pop()!, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'pbx-export-secrets-'));
  dirs.push(d);
  return d;
}

const XML =
  '<pbxctrl-failover version="1"><pair id="a"><action><pass>hunter2</pass></action></pair></pbxctrl-failover>\n';

describe('export with secrets', () => {
  it('replaces an existing, world-readable file atomically with a 0600 one and leaves no temporary file', async () => {
    const dir = await tempDir();
    const target = join(dir, 'pbxctrl-failover.xml');
    await writeFile(target, 'old');
    await chmod(target, 0o644);
    const asked: SaveDialogOptions[] = [];
    const run = createSecretExporter({
      showSaveDialog: async (o) => (asked.push(o), { canceled: false, filePath: target }),
      exportXml: async () => XML,
      defaultPath: join(dir, 'default.xml'),
    });
    expect(await run()).toEqual({ outcome: 'saved', path: target });
    expect(await readFile(target, 'utf8')).toBe(XML);
    if (process.platform !== 'win32') expect((await stat(target)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['pbxctrl-failover.xml']);
    expect(asked[0]).toMatchObject({ defaultPath: join(dir, 'default.xml'), title: 'Export with secrets' });
  });

  it('reads nothing from the engine when the dialog is cancelled', async () => {
    let exported = 0;
    const run = createSecretExporter({
      showSaveDialog: async () => ({ canceled: true, filePath: '' }),
      exportXml: async () => (exported++, XML),
      defaultPath: '/nowhere/x.xml',
    });
    expect(await run()).toEqual({ outcome: 'cancelled' });
    expect(exported).toBe(0);
  });

  it('opens one dialog at a time', async () => {
    let answer!: (v: { canceled: boolean; filePath: string }) => void;
    const run = createSecretExporter({
      showSaveDialog: () => new Promise((r) => (answer = r)),
      exportXml: async () => XML,
      defaultPath: '/nowhere/x.xml',
    });
    const first = run();
    await expect(run()).rejects.toMatchObject({ code: 'conflict' });
    answer({ canceled: true, filePath: '' });
    expect(await first).toEqual({ outcome: 'cancelled' });
    const again = run();
    answer({ canceled: true, filePath: '' });
    expect(await again).toEqual({ outcome: 'cancelled' });
  });

  it('reports a failed write as an error naming the path, never as saved', async () => {
    const dir = await tempDir();
    const blocker = join(dir, 'file');
    await writeFile(blocker, 'x');
    const target = join(blocker, 'pbxctrl-failover.xml'); // a "folder" that is a file
    const run = createSecretExporter({
      showSaveDialog: async () => ({ canceled: false, filePath: target }),
      exportXml: async () => XML,
      defaultPath: target,
    });
    const err = await run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MonitorError);
    expect((err as MonitorError).message).toContain(target);
    expect((err as MonitorError).message).not.toContain('hunter2');
  });
});
