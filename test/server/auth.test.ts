import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearerToken, loadOrCreateToken, tokensMatch } from '../../src/server/auth.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pfm-auth-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('api-token file', () => {
  it('is created with 256 random bits as hex, mode 0600, and reused afterwards', async () => {
    const file = join(dir, 'api-token');
    const first = await loadOrCreateToken(file);
    expect(first.created).toBe(true);
    expect(first.token).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const second = await loadOrCreateToken(file);
    expect(second).toEqual({ token: first.token, created: false });
  });

  it('refuses a token file in a directory that does not exist, and creates none', async () => {
    const file = join(dir, 'deeper', 'token');
    const err = await loadOrCreateToken(file).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toBe(
      `the token file's directory ${join(dir, 'deeper')} does not exist; create it or choose another --token-file`,
    );
    expect(existsSync(join(dir, 'deeper'))).toBe(false);
    await mkdir(join(dir, 'deeper'));
    const loaded = await loadOrCreateToken(file);
    expect((await readFile(file, 'utf8')).trim()).toBe(loaded.token);
  });

  it('accepts a hand-made base64url token and reports a file others can read', async () => {
    const file = join(dir, 'api-token');
    const token = Buffer.alloc(32, 7).toString('base64url');
    await writeFile(file, `${token}\n`);
    await chmod(file, 0o644);
    expect(await loadOrCreateToken(file)).toEqual({ token, created: false, looseMode: 0o644 });
  });

  it('refuses a file that holds no usable token', async () => {
    const file = join(dir, 'api-token');
    await writeFile(file, 'short\n', { mode: 0o600 });
    await expect(loadOrCreateToken(file)).rejects.toThrow(/does not hold a token/);
    await writeFile(file, '', { mode: 0o600 });
    await expect(loadOrCreateToken(file)).rejects.toThrow(/does not hold a token/);
  });

  it('two starts racing on a fresh serverdir end with one token', async () => {
    const file = join(dir, 'api-token');
    const [a, b] = await Promise.all([loadOrCreateToken(file), loadOrCreateToken(file)]);
    expect(a.token).toBe(b.token);
    expect([a.created, b.created].filter(Boolean)).toHaveLength(1);
  });
});

describe('token comparison', () => {
  it('matches only the exact token, whatever the lengths', () => {
    const token = 'a'.repeat(64);
    expect(tokensMatch(token, token)).toBe(true);
    expect(tokensMatch(token, 'a'.repeat(63))).toBe(false);
    expect(tokensMatch(token, `${token}a`)).toBe(false);
    expect(tokensMatch(token, '')).toBe(false);
    expect(tokensMatch(token, `b${'a'.repeat(63)}`)).toBe(false);
  });

  it('takes the token from a Bearer Authorization header only', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
