// The renderer's desktop backend over the preload's real bridge code, with an
// in-memory stand-in for Electron's ipcRenderer (the only thing mocked).
import { describe, expect, it } from 'vitest';
import { chooseBackend } from '../../src/renderer/src/lib/backend';
import { createDesktopBackend, exportConfigFile } from '../../src/renderer/src/lib/backend/desktop';
import type { Backend } from '$shared/api';
import { MonitorError } from '$shared/api';
import { EVENTS_CHANNEL, type DesktopBridge, type IpcResult } from '$shared/ipc';
import type { EngineEvent } from '$shared/model';

// The preload belongs to the node-side TypeScript project, so it is loaded by path, not imported.
const preloadBridge = '../../src/preload/bridge';
const { createDesktopBridge } = (await import(/* @vite-ignore */ preloadBridge)) as {
  createDesktopBridge: (ipc: never) => DesktopBridge;
};

function fakeIpc(answer: (channel: string, args: unknown[]) => IpcResult<unknown>) {
  const invoked: Array<{ channel: string; args: unknown[] }> = [];
  const listeners = new Map<string, Set<(event: unknown, payload: unknown) => void>>();
  return {
    invoked,
    send(channel: string, payload: unknown) {
      for (const l of listeners.get(channel) ?? []) l({ sender: 'main' }, payload);
    },
    ipc: {
      invoke: async (channel: string, ...args: unknown[]) => {
        invoked.push({ channel, args });
        return answer(channel, args);
      },
      on(channel: string, l: (event: unknown, payload: unknown) => void) {
        if (!listeners.has(channel)) listeners.set(channel, new Set());
        listeners.get(channel)!.add(l);
        return this;
      },
      removeListener(channel: string, l: (event: unknown, payload: unknown) => void) {
        listeners.get(channel)?.delete(l);
        return this;
      },
    },
  };
}

describe('desktop backend', () => {
  it('calls one channel per method and unwraps the result', async () => {
    const f = fakeIpc(() => ({ ok: true, value: [] }));
    const backend = createDesktopBackend(createDesktopBridge(f.ipc as never));
    await expect(backend.listPairs()).resolves.toEqual([]);
    await backend.failover('acme', { reason: 'drill' });
    expect(f.invoked).toEqual([
      { channel: 'pbx:listPairs', args: [] },
      { channel: 'pbx:failover', args: ['acme', { reason: 'drill' }] },
    ]);
  });

  it('throws the same MonitorError as the HTTP backend, with problems by field', async () => {
    const f = fakeIpc(() => ({
      ok: false,
      error: {
        error: 'invalid',
        message: '1 problem',
        problems: [{ field: 'interval', message: 'must be at least 0.1' }],
      },
    }));
    const backend = createDesktopBackend(createDesktopBridge(f.ipc as never));
    const err = await backend.addPair({} as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MonitorError);
    expect(err).toMatchObject({ code: 'invalid', problems: [{ field: 'interval', message: 'must be at least 0.1' }] });
  });

  it('passes engine events through and is always live', () => {
    const f = fakeIpc(() => ({ ok: true, value: undefined }));
    const backend = createDesktopBackend(createDesktopBridge(f.ipc as never));
    const got: EngineEvent[][] = [];
    const states: string[] = [];
    backend.onConnection((s) => states.push(s));
    const off = backend.subscribe((e) => got.push(e));
    const batch: EngineEvent[] = [{ type: 'config', pair: 'a', at: '2026-11-27T09:00:00.000Z', change: 'added' }];
    f.send(EVENTS_CHANNEL, batch);
    off();
    f.send(EVENTS_CHANNEL, batch);
    expect(got).toEqual([batch]);
    expect(states).toEqual(['live']);
  });

  it('is chosen when the preload exposed window.pbxMonitor, HTTP otherwise', () => {
    const f = fakeIpc(() => ({ ok: true, value: undefined }));
    window.pbxMonitor = createDesktopBridge(f.ipc as never);
    expect(chooseBackend(window).kind).toBe('desktop');
    delete window.pbxMonitor;
    expect(chooseBackend(window).kind).toBe('http');
  });

  it('exports with secrets through main’s own dialog: the page gets the path, never the XML', async () => {
    const f = fakeIpc((channel, args) => {
      if (channel === 'pbx:desktop:exportWithSecrets')
        return { ok: true, value: { outcome: 'saved', path: '/home/noc/pbxctrl-failover.xml' } };
      if (channel === 'pbx:exportXml')
        return { ok: true, value: (args[0] as { masked?: boolean })?.masked ? '<masked/>' : '<pass>hunter2</pass>' };
      return { ok: false, error: { error: 'internal', message: 'unexpected' } };
    });
    const backend = createDesktopBackend(createDesktopBridge(f.ipc as never));
    const downloads: string[] = [];
    const download = (xml: string) => void downloads.push(xml);
    await expect(exportConfigFile(backend, { masked: false }, download)).resolves.toEqual({
      outcome: 'saved',
      path: '/home/noc/pbxctrl-failover.xml',
    });
    expect(downloads).toEqual([]);
    await expect(exportConfigFile(backend, { masked: true }, download)).resolves.toEqual({ outcome: 'downloaded' });
    expect(downloads).toEqual(['<masked/>']);
    expect(f.invoked.map((i) => i.channel)).toEqual(['pbx:desktop:exportWithSecrets', 'pbx:exportXml']);
  });

  it('downloads in a browser either way (the HTTP service answers its own masking)', async () => {
    const asked: unknown[] = [];
    const http = { kind: 'http', exportXml: async (o: unknown) => (asked.push(o), '<xml/>') } as unknown as Backend;
    const downloads: string[] = [];
    await exportConfigFile(http, { masked: false }, (xml) => void downloads.push(xml));
    expect(downloads).toEqual(['<xml/>']);
    expect(asked).toEqual([{ masked: false }]);
  });
});
