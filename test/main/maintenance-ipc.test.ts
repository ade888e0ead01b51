import type { RemoteSettings } from '../../src/shared/remote.js';
import { describe, expect, it, vi } from 'vitest';

// Only the Electron runtime is replaced: ipcMain records what main registers.
vi.mock('electron', () => {
  const handlers = new Map<string, (...args: unknown[]) => unknown>();
  return {
    ipcMain: {
      handlers,
      handle: vi.fn((channel: string, fn: (...args: unknown[]) => unknown) => void handlers.set(channel, fn)),
      removeHandler: vi.fn((channel: string) => handlers.delete(channel)),
    },
  };
});

import { ipcMain } from 'electron';
import type { MonitorApi } from '../../src/shared/api.js';
import { API_METHODS, type IpcResult } from '../../src/shared/ipc.js';
import { registerIpcHandlers } from '../../src/main/ipc.js';
import { appOrigin } from '../../src/main/policy/app-origin.js';

const handlers = (ipcMain as unknown as { handlers: Map<string, (...args: unknown[]) => Promise<IpcResult<unknown>>> })
  .handlers;
const origin = appOrigin('/opt/pbx/resources/app.asar/out/renderer/index.html');
const own = { senderFrame: { url: `${origin.appUrl}#/maintenance`, parent: null } };

describe('maintenance over the desktop bridge', () => {
  it('has a channel per maintenance method, and main records the desktop operator on each change', async () => {
    const calls: Array<{ method: string; args: unknown[] }> = [];
    const remote: RemoteSettings = {
      mode: 'local',
      urls: [],
      tokenStored: false,
      canStoreToken: false,
      fromCommandLine: false,
      connection: 'local',
    };
    const api = Object.fromEntries(
      API_METHODS.map((m) => [m, async (...args: unknown[]) => void calls.push({ method: m, args })]),
    ) as unknown as MonitorApi;
    registerIpcHandlers({
      api,
      desktop: {
        'pbx:desktop:getPreferences': async () => ({ openAtLogin: false, closeToTray: true, operator: 'alice' }),
        'pbx:desktop:setPreferences': async () => ({ openAtLogin: false, closeToTray: true, operator: 'alice' }),
        'pbx:desktop:exportWithSecrets': async () => ({ outcome: 'cancelled' }),
        'pbx:desktop:whoami': async () => ({ name: 'alice', role: 'admin' }),
        'pbx:desktop:getRemote': async () => remote,
        'pbx:desktop:attach': async () => remote,
        'pbx:desktop:detach': async () => remote,
      },
      origin,
      operator: () => 'alice',
      warn: () => {},
    });
    const w = { id: 'w', reason: 'r', pairs: ['acme'], every: { cron: '0 3 * * 0', duration: 60 } };
    expect(await handlers.get('pbx:listMaintenance')!(own)).toMatchObject({ ok: true });
    await handlers.get('pbx:addMaintenance')!(own, w);
    await handlers.get('pbx:updateMaintenance')!(own, 'w', w, { reason: 'later', operator: 'bob' });
    await handlers.get('pbx:removeMaintenance')!(own, 'w');
    expect(calls).toEqual([
      { method: 'listMaintenance', args: [] },
      { method: 'addMaintenance', args: [w, { reason: '', operator: 'alice' }] },
      { method: 'updateMaintenance', args: ['w', w, { reason: 'later', operator: 'bob' }] },
      { method: 'removeMaintenance', args: ['w', { reason: '', operator: 'alice' }] },
    ]);
  });
});
