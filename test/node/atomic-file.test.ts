// The one atomic-write helper, with the options its callers differ in: the desktop files create their
// folder, the lock skips the folder fsync, the settings file keeps a backup.

import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/node/atomic-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pfm-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('creates the missing folder when asked to, and refuses without leaving anything when not', async () => {
    const target = join(dir, 'a', 'b', 'prefs.json');
    await expect(writeFileAtomic(target, 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(dir)).toEqual([]);
    await writeFileAtomic(target, '{"ok":true}\n', { createDirectory: true });
    expect(await readFile(target, 'utf8')).toBe('{"ok":true}\n');
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['prefs.json']);
  });

  it('replaces the content with mode 0600 whatever the old file had, without the folder fsync too', async () => {
    const target = join(dir, 'lock');
    await writeFile(target, 'old', { mode: 0o644 });
    await writeFileAtomic(target, 'new', { syncDirectory: false });
    expect(await readFile(target, 'utf8')).toBe('new');
    if (process.platform !== 'win32') expect((await stat(target)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['lock']);
  });

  it('keeps what the target held as the backup', async () => {
    const target = join(dir, 'pbxctrl-failover.xml');
    await writeFile(target, 'v1');
    await writeFileAtomic(target, 'v2', { backup: `${target}.bak` });
    expect(await readFile(target, 'utf8')).toBe('v2');
    expect(await readFile(`${target}.bak`, 'utf8')).toBe('v1');
  });

  it('does the same on the disk thread: content, mode, the backup as a hard link, and the cancel before the rename', async () => {
    const target = join(dir, 'settings.xml');
    const backup = `${target}.bak`;
    await expect(writeFileAtomic(join(dir, 'missing', 'x'), 'x', { diskThread: true })).rejects.toMatchObject({
      code: 'ENOENT',
    });
    const first = await writeFileAtomic(target, 'one', { diskThread: true, backup, backupByLink: true });
    expect(first.size).toBe(3n);
    expect(await readFile(target, 'utf8')).toBe('one');
    const before = await stat(target, { bigint: true });
    expect(first.ino).toBe(before.ino);
    await writeFileAtomic(target, Buffer.from('two'), { diskThread: true, backup, backupByLink: true });
    expect(await readFile(target, 'utf8')).toBe('two');
    // The backup is the old file itself, under a second name.
    expect((await stat(backup, { bigint: true })).ino).toBe(before.ino);
    expect(await readFile(backup, 'utf8')).toBe('one');
    expect((await stat(backup)).mode & 0o777).toBe(0o600);
    const refused = new Error('edited meanwhile');
    await expect(
      writeFileAtomic(target, 'three', {
        diskThread: true,
        backup,
        backupByLink: true,
        beforeRename: () => Promise.reject(refused),
      }),
    ).rejects.toBe(refused);
    expect(await readFile(target, 'utf8')).toBe('two');
    expect(await readFile(backup, 'utf8')).toBe('one');
    expect((await readdir(dir)).sort()).toEqual(['settings.xml', 'settings.xml.bak']);
  });

  it('on the disk thread, renames only once the new file is settleMs old (past the clock tick an edit could share)', async () => {
    const target = join(dir, 'settings.xml');
    for (let i = 0; i < 5; i++) {
      const seen: bigint[] = [];
      const stamp = await writeFileAtomic(target, `v${i}`, {
        diskThread: true,
        settleMs: 30,
        beforeRename: async () => {
          seen.push(BigInt(Date.now()) * 1_000_000n);
        },
      });
      // File systems with whole-second times are not waited for.
      if (stamp.mtimeNs % 1_000_000n === 0n) continue;
      expect(seen[0]! - stamp.mtimeNs).toBeGreaterThanOrEqual(30_000_000n);
    }
  });
});
