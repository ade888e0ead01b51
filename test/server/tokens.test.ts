// The token store on real files: the hash only, 0600, and "last used" written only by flushUsed, to its
// own file, where a second store (the command line) reads it.

import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LAST_USED_FILE_NAME, TOKENS_FILE_NAME, TokenStore } from '../../src/server/tokens.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pfm-tokens-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('TokenStore', () => {
  it('verifies a token by its hash and writes "last used" only when flushed, to its own file', async () => {
    const service = new TokenStore(dir);
    const { token } = await service.add('noc-1', 'operator', Date.parse('2026-12-01T08:00:00Z'));
    const before = await readFile(join(dir, TOKENS_FILE_NAME), 'utf8');
    expect(service.verify(token)).toEqual({ name: 'noc-1', role: 'operator' });
    // One character changed (never to itself: a token may end in '0').
    const altered = `${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`;
    expect(service.verify(altered)).toBeUndefined();
    await expect(stat(join(dir, LAST_USED_FILE_NAME))).rejects.toThrow(/ENOENT/);

    const cli = new TokenStore(dir);
    expect((await cli.list())[0]!.lastUsed).toBeUndefined();
    await service.flushUsed();
    expect((await stat(join(dir, LAST_USED_FILE_NAME))).mode & 0o777).toBe(0o600);
    const listed = await cli.list();
    expect(listed).toEqual([
      { name: 'noc-1', role: 'operator', created: '2026-12-01T08:00:00.000Z', lastUsed: expect.any(String) },
    ]);
    expect(await readFile(join(dir, TOKENS_FILE_NAME), 'utf8')).toBe(before);
    expect(await readFile(join(dir, LAST_USED_FILE_NAME), 'utf8')).not.toContain(token);
  });

  it('refuses bad names and roles, and a duplicate, naming the field', async () => {
    const store = new TokenStore(dir);
    await expect(store.add('bad name', 'viewer')).rejects.toMatchObject({ problems: [{ field: 'name' }] });
    await expect(store.add('x', 'root' as 'viewer')).rejects.toMatchObject({ problems: [{ field: 'role' }] });
    await store.add('x', 'viewer');
    await expect(store.add('x', 'admin')).rejects.toMatchObject({ code: 'conflict' });
    await expect(store.revoke('y')).rejects.toMatchObject({ code: 'not-found' });
  });
});
