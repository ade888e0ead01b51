import { beforeEach, describe, expect, it, vi } from 'vitest';

// Only the Electron runtime is replaced: ipcMain records what main registers.
vi.mock('electron', () => {
  const handlers = new Map<string, (...args: unknown[]) => unknown>();
  return {
    ipcMain: {
      handlers,
      handle: vi.fn((channel: string, fn: (...args: unknown[]) => unknown) => {
        if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
        handlers.set(channel, fn);
      }),
      removeHandler: vi.fn((channel: string) => handlers.delete(channel)),
    },
  };
});

import { ipcMain } from 'electron';
import { MonitorError, type MonitorApi } from '../../src/shared/api.js';
import { API_METHODS, type IpcResult } from '../../src/shared/ipc.js';
import { registerIpcHandlers, type DesktopHandlers } from '../../src/main/ipc.js';
import { appOrigin } from '../../src/main/policy/app-origin.js';
import { pair } from './fixtures.js';
import type { RemoteSettings } from '../../src/shared/remote.js';

const handlers = (ipcMain as unknown as { handlers: Map<string, (...args: unknown[]) => Promise<IpcResult<unknown>>> })
  .handlers;
const origin = appOrigin('/opt/pbx/resources/app.asar/out/renderer/index.html');
const OWN_URL = `${origin.appUrl}#/pairs/acme`;

function frame(url: string, parent: unknown = null) {
  return { senderFrame: { url, parent } };
}

function fakeApi() {
  const calls: Array<{ method: string; args: unknown[] }> = [];
  const api = Object.fromEntries(
    API_METHODS.map((m) => [
      m,
      async (...args: unknown[]) => {
        calls.push({ method: m, args });
        if (m === 'getPair' && args[0] === 'nope')
          throw new MonitorError('not-found', 'No pair nope', [{ field: 'id', message: 'unknown pair' }]);
        if (m === 'listPairs') return [pair('acme', 'waiting')];
        if (m === 'audit') throw new TypeError('disk on fire');
        if (m === 'exportXml')
          return (args[0] as { masked?: boolean } | undefined)?.masked === true ? '<masked/>' : '<pass>hunter2</pass>';
        return { method: m };
      },
    ]),
  ) as unknown as MonitorApi;
  return { api, calls };
}

const remoteSettings: RemoteSettings = {
  mode: 'local',
  urls: [],
  tokenStored: false,
  canStoreToken: true,
  fromCommandLine: false,
  connection: 'local',
};

const desktop: DesktopHandlers = {
  'pbx:desktop:getPreferences': async () => ({ openAtLogin: false, closeToTray: true, operator: 'alice' }),
  'pbx:desktop:setPreferences': async (p) => ({
    openAtLogin: p.openAtLogin ?? false,
    closeToTray: true,
    operator: 'alice',
  }),
  'pbx:desktop:exportWithSecrets': async () => ({ outcome: 'cancelled' }),
  'pbx:desktop:whoami': async () => ({ name: 'alice', role: 'admin' }),
  'pbx:desktop:getRemote': async () => remoteSettings,
  'pbx:desktop:attach': async () => remoteSettings,
  'pbx:desktop:detach': async () => remoteSettings,
};

describe('IPC handlers', () => {
  let calls: Array<{ method: string; args: unknown[] }>;
  let warnings: string[];
  let unregister: () => void;

  beforeEach(() => {
    unregister?.();
    const fake = fakeApi();
    calls = fake.calls;
    warnings = [];
    unregister = registerIpcHandlers({
      api: fake.api,
      desktop,
      origin,
      operator: () => 'alice',
      warn: (m) => warnings.push(m),
    });
  });

  it('registers one channel per API method plus the desktop channels, all under pbx:', () => {
    const channels = [...handlers.keys()].sort();
    expect(channels).toEqual(
      [
        ...API_METHODS.map((m) => `pbx:${m}`),
        'pbx:desktop:getPreferences',
        'pbx:desktop:setPreferences',
        'pbx:desktop:exportWithSecrets',
        'pbx:desktop:whoami',
        'pbx:desktop:getRemote',
        'pbx:desktop:attach',
        'pbx:desktop:detach',
      ].sort(),
    );
  });

  it('answers the app’s own page', async () => {
    const result = await handlers.get('pbx:listPairs')!(frame(OWN_URL));
    expect(result).toEqual({ ok: true, value: [pair('acme', 'waiting')] });
    expect(calls).toEqual([{ method: 'listPairs', args: [] }]);
  });

  it.each([
    ['a foreign web page', 'https://attacker.example.com/index.html'],
    ['another local file', 'file:///tmp/evil.html'],
    ['the renderer served from file:// as it used to be', 'file:///opt/pbx/resources/app.asar/out/renderer/index.html'],
    ['another file of app://', 'app://renderer/other.html'],
    ['another app:// host', 'app://evil/index.html'],
    ['a data URL', 'data:text/html,<script>1</script>'],
    ['a garbled URL', 'not a url'],
  ])('refuses %s and never reaches the engine', async (_what, url) => {
    const result = await handlers.get('pbx:failover')!(frame(url), 'acme', { reason: 'evil' });
    expect(result).toMatchObject({ ok: false, error: { error: 'unauthorized' } });
    expect(calls).toEqual([]);
    expect(warnings[0]).toContain('pbx:failover refused');
  });

  it('refuses the app’s own URL inside a subframe, and a destroyed frame', async () => {
    expect(await handlers.get('pbx:listPairs')!(frame(OWN_URL, { url: OWN_URL }))).toMatchObject({ ok: false });
    expect(await handlers.get('pbx:listPairs')!({ senderFrame: null })).toMatchObject({ ok: false });
    expect(calls).toEqual([]);
  });

  it('accepts the dev server only when the app runs from it', async () => {
    const dev = appOrigin('/x/out/renderer/index.html', 'http://localhost:5173');
    unregister();
    const fake = fakeApi();
    unregister = registerIpcHandlers({ api: fake.api, desktop, origin: dev, operator: () => 'bob' });
    expect(await handlers.get('pbx:health')!(frame('http://localhost:5173/#/'))).toMatchObject({ ok: true });
    expect(await handlers.get('pbx:health')!(frame('http://localhost:5174/'))).toMatchObject({ ok: false });
    expect(await handlers.get('pbx:health')!(frame(OWN_URL))).toMatchObject({ ok: false });
  });

  it('records the operator on changes that name none, and keeps one that is named', async () => {
    await handlers.get('pbx:failover')!(frame(OWN_URL), 'acme', { reason: 'DC1 maintenance' });
    await handlers.get('pbx:pause')!(frame(OWN_URL), 'acme', { reason: 'update', operator: 'carol' });
    await handlers.get('pbx:removePair')!(frame(OWN_URL), 'acme');
    expect(calls).toEqual([
      { method: 'failover', args: ['acme', { reason: 'DC1 maintenance', operator: 'alice' }] },
      { method: 'pause', args: ['acme', { reason: 'update', operator: 'carol' }] },
      { method: 'removePair', args: ['acme', { reason: '', operator: 'alice' }] },
    ]);
  });

  it('carries an engine error with its problems as a value, and hides internals of other errors', async () => {
    expect(await handlers.get('pbx:getPair')!(frame(OWN_URL), 'nope')).toEqual({
      ok: false,
      error: { error: 'not-found', message: 'No pair nope', problems: [{ field: 'id', message: 'unknown pair' }] },
    });
    const internal = await handlers.get('pbx:audit')!(frame(OWN_URL));
    expect(internal).toEqual({ ok: false, error: { error: 'internal', message: 'Internal error: disk on fire' } });
  });

  it('answers desktop channels behind the same sender check', async () => {
    expect(await handlers.get('pbx:desktop:getPreferences')!(frame(OWN_URL))).toEqual({
      ok: true,
      value: { openAtLogin: false, closeToTray: true, operator: 'alice' },
    });
    expect(
      await handlers.get('pbx:desktop:setPreferences')!(frame('https://evil.example.com/'), { openAtLogin: true }),
    ).toMatchObject({ ok: false });
  });

  it('never hands the window an unmasked export: masked:false is refused, anything else is masked', async () => {
    const refused = await handlers.get('pbx:exportXml')!(frame(OWN_URL), { masked: false });
    expect(refused).toMatchObject({ ok: false, error: { error: 'unauthorized', problems: [{ field: 'masked' }] } });
    expect(JSON.stringify(refused)).not.toContain('hunter2');
    for (const args of [[], [{}], [{ masked: true }], [{ masked: 'false' }], [null]]) {
      expect(await handlers.get('pbx:exportXml')!(frame(OWN_URL), ...args), JSON.stringify(args)).toEqual({
        ok: true,
        value: '<masked/>',
      });
    }
    expect(calls.filter((c) => c.method === 'exportXml').map((c) => c.args)).toEqual(
      Array.from({ length: 5 }, () => [{ masked: true }]),
    );
  });

  it('removes every handler again', () => {
    unregister();
    expect(handlers.size).toBe(0);
    unregister = () => {};
  });
});
