import { beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: vi.fn() },
  ipcRenderer: {
    invoke: vi.fn(async (channel: string, ...args: unknown[]) => ({ ok: true, value: { channel, args } })),
    on: vi.fn(),
    removeListener: vi.fn(),
  },
}));

import { contextBridge, ipcRenderer } from 'electron';
import { API_METHODS, EVENTS_CHANNEL, SHOW_PAIR_CHANNEL, type DesktopBridge } from '../../src/shared/ipc.js';
import { checkedInvoke } from '../../src/preload/bridge.js';

const expose = contextBridge.exposeInMainWorld as unknown as ReturnType<typeof vi.fn>;
const invoke = ipcRenderer.invoke as unknown as ReturnType<typeof vi.fn>;
let bridge: DesktopBridge;

describe('preload', () => {
  beforeAll(async () => {
    await import('../../src/preload/index.js');
    expect(expose).toHaveBeenCalledTimes(1);
    expect(expose.mock.calls[0]![0]).toBe('pbxMonitor');
    bridge = expose.mock.calls[0]![1] as DesktopBridge;
  });

  it('exposes exactly the API methods and the desktop methods, never ipcRenderer itself', () => {
    expect(Object.keys(bridge.api).sort()).toEqual([...API_METHODS].sort());
    expect(Object.keys(bridge).sort()).toEqual([
      'api',
      'attach',
      'detach',
      'exportWithSecrets',
      'getPreferences',
      'getRemote',
      'onEvents',
      'onRemote',
      'onShowPair',
      'setPreferences',
      'whoami',
    ]);
    const values = [...Object.values(bridge), ...Object.values(bridge.api)];
    expect(values.every((v) => typeof v === 'function' || v === bridge.api)).toBe(true);
    expect(values).not.toContain(ipcRenderer);
  });

  it('calls invoke with pbx:<method> and the arguments for every API method', async () => {
    for (const method of API_METHODS) {
      invoke.mockClear();
      const call = bridge.api[method] as (...a: unknown[]) => Promise<unknown>;
      const result = await call('acme', { reason: 'test' });
      expect(invoke).toHaveBeenCalledWith(`pbx:${method}`, 'acme', { reason: 'test' });
      expect(result).toEqual({ ok: true, value: { channel: `pbx:${method}`, args: ['acme', { reason: 'test' }] } });
    }
  });

  it('maps the desktop methods to their channels', async () => {
    invoke.mockClear();
    await bridge.getPreferences();
    await bridge.setPreferences({ openAtLogin: true });
    await bridge.exportWithSecrets();
    await bridge.whoami();
    await bridge.getRemote();
    await bridge.attach({ urls: ['http://127.0.0.1:8480'], token: 't'.repeat(40) });
    await bridge.detach();
    expect(invoke.mock.calls).toEqual([
      ['pbx:desktop:getPreferences'],
      ['pbx:desktop:setPreferences', { openAtLogin: true }],
      ['pbx:desktop:exportWithSecrets'],
      ['pbx:desktop:whoami'],
      ['pbx:desktop:getRemote'],
      ['pbx:desktop:attach', { urls: ['http://127.0.0.1:8480'], token: 't'.repeat(40) }],
      ['pbx:desktop:detach'],
    ]);
  });

  it('hands listeners only the payload and can unsubscribe them', () => {
    const on = ipcRenderer.on as unknown as ReturnType<typeof vi.fn>;
    const got: unknown[] = [];
    const off = bridge.onEvents((events) => got.push(events));
    const stopShow = bridge.onShowPair((id) => got.push(id));
    const [[c1, h1], [c2, h2]] = on.mock.calls as Array<[string, (e: unknown, p: unknown) => void]>;
    expect([c1, c2]).toEqual([EVENTS_CHANNEL, SHOW_PAIR_CHANNEL]);
    h1!({ sender: 'secret' }, [{ type: 'config' }]);
    h2!({ sender: 'secret' }, 'acme');
    expect(got).toEqual([[{ type: 'config' }], 'acme']);
    off();
    stopShow();
    expect(ipcRenderer.removeListener).toHaveBeenCalledWith(EVENTS_CHANNEL, h1);
    expect(ipcRenderer.removeListener).toHaveBeenCalledWith(SHOW_PAIR_CHANNEL, h2);
  });

  it('refuses channels outside the pbx: prefix', async () => {
    invoke.mockClear();
    await expect(checkedInvoke(ipcRenderer, 'evil:readFile', ['/etc/passwd'])).rejects.toThrow(
      /not a PBX Failover Monitor channel/,
    );
    await expect(checkedInvoke(ipcRenderer, 'ELECTRON_BROWSER_REQUIRE', [])).rejects.toThrow();
    expect(invoke).not.toHaveBeenCalled();
  });
});
