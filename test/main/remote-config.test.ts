// Remote mode's settings on disk and the settings view's Attach / Back to local mode, against a real
// service on loopback and real files: the token is stored only encrypted (the cipher stands in for
// Electron safeStorage), never without OS encryption, and never before the service accepted it.

import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MonitorError } from '../../src/shared/api.js';
import {
  NO_ENCRYPTION,
  REMOTE_FILE,
  RemoteConfigStore,
  readTokenFile,
  type TokenCipher,
} from '../../src/main/remote/remote-config.js';
import { remoteSettingsHandlers } from '../../src/main/remote/remote-settings.js';
import { startTestService, waitFor } from '../helpers/service-harness.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

/** A reversible stand-in for the OS keychain: the stored bytes must not hold the token in clear. */
function cipher(available = true): TokenCipher & { calls: number } {
  return {
    calls: 0,
    isEncryptionAvailable: () => available,
    encryptString(plain) {
      this.calls++;
      return Buffer.from([...Buffer.from(plain, 'utf8')].map((b) => b ^ 0x5a));
    },
    decryptString: (b) => Buffer.from([...b].map((x) => x ^ 0x5a)).toString('utf8'),
  };
}

async function dir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'pfm-userdata-'));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

async function rejection(p: Promise<unknown>): Promise<MonitorError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MonitorError);
  return err as MonitorError;
}

describe('RemoteConfigStore', () => {
  it('keeps the token encrypted (mode 0600) and reads it back', async () => {
    const d = await dir();
    const store = new RemoteConfigStore(d, cipher());
    const token = 'a'.repeat(20) + 'B-_'.repeat(10);
    await store.save({ urls: ['https://a.example:8480/', 'https://b.example:8480'], token });
    const text = await readFile(join(d, REMOTE_FILE), 'utf8');
    expect(text).not.toContain(token);
    if (process.platform !== 'win32') expect((await stat(join(d, REMOTE_FILE))).mode & 0o777).toBe(0o600);
    expect(await store.load()).toEqual({ urls: ['https://a.example:8480', 'https://b.example:8480'], token });
    await store.clear();
    expect(await store.load()).toBeUndefined();
  });

  it('refuses to store anything without OS encryption, and says so', async () => {
    const d = await dir();
    const store = new RemoteConfigStore(d, cipher(false));
    const err = await rejection(store.save({ urls: ['https://a:1'], token: 'x'.repeat(40) }));
    expect(err.message).toBe(NO_ENCRYPTION);
    await expect(stat(join(d, REMOTE_FILE))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('checks the addresses and the token, naming the field', async () => {
    const store = new RemoteConfigStore(await dir(), cipher());
    expect((await rejection(store.save({ urls: ['nope'], token: 'x'.repeat(40) }))).problems).toMatchObject([
      { field: 'urls' },
    ]);
    expect((await rejection(store.save({ urls: ['https://a:1'], token: 'short' }))).problems).toMatchObject([
      { field: 'token' },
    ]);
  });

  it('reads --token-file: the first line, checked', async () => {
    const d = await dir();
    await writeFile(join(d, 'token'), `${'f'.repeat(64)}\n`);
    expect(await readTokenFile(join(d, 'token'))).toBe('f'.repeat(64));
    await writeFile(join(d, 'bad'), 'not a token\n');
    await expect(readTokenFile(join(d, 'bad'))).rejects.toThrow(/does not hold a token/);
    await expect(readTokenFile(join(d, 'missing'))).rejects.toThrow(/cannot be read \(ENOENT\)/);
  });
});

describe('Attach and Back to local mode', () => {
  it('checks the service with the token before storing it, then restarts; a wrong token is told and nothing stored', async () => {
    const svc = await startTestService();
    cleanups.push(() => svc.dispose());
    const d = await dir();
    const store = new RemoteConfigStore(d, cipher());
    let restarts = 0;
    const handlers = remoteSettingsHandlers({
      store,
      mode: 'local',
      urls: [],
      fromCommandLine: false,
      connection: () => 'local',
      restart: () => restarts++,
    });
    const wrong = await rejection(handlers.attach({ urls: [svc.url], token: 'w'.repeat(64) }));
    expect(wrong.code).toBe('unauthorized');
    expect(wrong.message).toBe(`Token rejected by ${svc.url}: wrong API token`);
    expect(await store.load()).toBeUndefined();

    const settings = await handlers.attach({ urls: [svc.url], token: svc.token });
    expect(settings).toMatchObject({ mode: 'local', urls: [svc.url], tokenStored: true, canStoreToken: true });
    expect(JSON.stringify(settings)).not.toContain(svc.token);
    await waitFor('restart', () => restarts === 1);
    expect(await store.load()).toEqual({ urls: [svc.url], token: svc.token });

    const remote = remoteSettingsHandlers({
      store,
      mode: 'remote',
      urls: [svc.url],
      fromCommandLine: false,
      connection: () => ({ url: svc.url, live: true }),
      restart: () => restarts++,
    });
    expect(await remote.get()).toMatchObject({ mode: 'remote', connection: { url: svc.url, live: true } });
    expect(await remote.detach()).toMatchObject({ tokenStored: false });
    await waitFor('restart', () => restarts === 2);
    expect(await store.load()).toBeUndefined();
  });

  it('refuses without OS encryption before asking the service, and leaves a --remote start alone', async () => {
    const d = await dir();
    const handlers = remoteSettingsHandlers({
      store: new RemoteConfigStore(d, cipher(false)),
      mode: 'local',
      urls: [],
      fromCommandLine: false,
      connection: () => 'local',
      restart: () => {},
    });
    // Port 9 (discard) answers nothing on loopback: the refusal comes first.
    expect((await rejection(handlers.attach({ urls: ['http://127.0.0.1:9'], token: 'x'.repeat(40) }))).message).toBe(
      NO_ENCRYPTION,
    );
    const pinned = remoteSettingsHandlers({
      store: new RemoteConfigStore(d, cipher()),
      mode: 'remote',
      urls: ['http://127.0.0.1:9'],
      fromCommandLine: true,
      connection: () => ({ url: 'http://127.0.0.1:9', live: false }),
      restart: () => {},
    });
    expect((await rejection(pinned.detach())).code).toBe('conflict');
  });
});
