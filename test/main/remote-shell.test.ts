// The desktop shell in remote mode, against a real headless service on loopback with real loopback
// primaries and action receiver: no watcher runs in the app; the tray, the notifications and the
// window follow the service's event stream; the window's calls go through main to the service; a
// lost stream shows in the tray and its return is announced; a refused token is told so.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fake, fakeApp, type Fake } from './electron-fake.js';

vi.mock('electron', async () => (await import('./electron-fake.js')).electronModule());

import type { App } from 'electron';
import { appOrigin } from '../../src/main/policy/app-origin.js';
import { PreferencesStore } from '../../src/main/preferences.js';
import { RemoteMonitor } from '../../src/main/remote/remote-monitor.js';
import { startShell } from '../../src/main/shell.js';
import { EVENTS_CHANNEL, REMOTE_CHANNEL } from '../../src/shared/ipc.js';
import type { EngineEvent, HistoryEvent } from '../../src/shared/model.js';
import { HttpFixture } from '../helpers/http-fixtures.js';
import { configXml, startTestService, tempServerdir, waitFor, type TestService } from '../helpers/service-harness.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
  fake.notifications.length = 0;
  fake.dialogs.length = 0;
});

const EVENTS = { batchMs: 20, checkBatchMs: 50, pingMs: 200 };

async function lab() {
  const primary = await HttpFixture.start({ status: 200 });
  const validation = await HttpFixture.start({ status: 200 });
  const receiver = await HttpFixture.start({ status: 200 });
  cleanups.push(
    () => primary.close(),
    () => validation.close(),
    () => receiver.close(),
  );
  const serverdir = await tempServerdir('pfm-remote-');
  cleanups.push(() => rm(serverdir, { recursive: true, force: true }));
  const xml = configXml([
    {
      id: 'acme',
      name: 'ACME Corp',
      primaryUrl: primary.url(),
      validationUrl: validation.url(),
      actionUrl: receiver.url('/dns'),
    },
  ]);
  const svc = await startTestService({ serverdir, xml, events: EVENTS });
  const box = { svc };
  cleanups.push(() => box.svc.close());
  return { primary, receiver, serverdir, box };
}

/** The shell attached to the service: the RemoteMonitor as its monitor, remote mode's hooks. */
async function attach(svc: TestService, opts: { token?: string } = {}) {
  const client = new RemoteMonitor({ urls: [svc.url], token: opts.token ?? svc.token, backoffMs: [100, 200, 400] });
  const userData = await mkdtemp(join(tmpdir(), 'pfm-remote-userdata-'));
  cleanups.push(() => rm(userData, { recursive: true, force: true }));
  const app = fakeApp();
  const origin = appOrigin('/opt/pbx/out/renderer/index.html');
  await startShell({
    app: app as unknown as App,
    monitor: client,
    remote: {
      get connection() {
        return client.connection;
      },
      onConnection: (l) => client.onConnection(l),
      whoami: () => client.whoami(),
      graceMs: 300,
    },
    prefs: await PreferencesStore.open(userData, 'desk-alice'),
    origin,
    preloadPath: '/opt/pbx/out/preload/index.cjs',
    resourcesDir: '/opt/pbx/resources',
    appIcon: '/opt/pbx/resources/icon.png',
    startHidden: false,
  });
  cleanups.push(async () => void app.emit('before-quit', { preventDefault() {} }));
  const win = fake.windows.at(-1)!;
  const tray = fake.trays.at(-1)!;
  const own = { senderFrame: { url: `${origin.appUrl}#/`, parent: null } };
  const call = (channel: string, ...args: unknown[]) =>
    fake.handlers.get(channel)!(own, ...args) as Promise<{ ok: boolean; value?: unknown; error?: Fake }>;
  const sent = (channel: string) =>
    (win.webContents.sent as Array<[string, unknown]>).filter(([c]) => c === channel).map(([, v]) => v);
  const notes = (title: string) => fake.notifications.filter((n: Fake) => n.shown && n.options.title === title);
  return { client, app, win, tray, call, sent, notes };
}

const lastIcon = (tray: Fake) => String(tray.images.at(-1));

describe('desktop shell attached to a real service', () => {
  it('follows a real failover of the service in the tray, the notifications and the window; the title names the service', async () => {
    const { primary, receiver, box } = await lab();
    const { tray, win, sent, notes, call } = await attach(box.svc);
    await waitFor('stream live', () => win.title === `PBX Failover Monitor — ${box.svc.url} (live)`);
    expect(sent(REMOTE_CHANNEL)).toContainEqual({ url: box.svc.url, live: true });
    expect(await call('pbx:desktop:getRemote')).toMatchObject({
      ok: true,
      value: { connection: { url: box.svc.url, live: true } },
    });
    await waitFor('tray ok', () => /tray-ok/.test(lastIcon(tray)));
    const template = () => (tray.menu as { template: Array<{ id?: string; label?: string }> }).template;
    expect(template().find((i) => i.id === 'remote')?.label).toBe(`Attached to ${box.svc.url}`);
    expect(template().find((i) => i.id === 'quit')?.label).toBe('Quit (the service keeps watching)…');

    await primary.refuse();
    await waitFor('tray critical', () => /tray-critical/.test(lastIcon(tray)), 20_000);
    await waitFor('failover notification', () => notes('ACME Corp: failover').length === 1, 20_000);
    expect(tray.tooltip).toContain('1 in failover');
    const events = (sent(EVENTS_CHANNEL) as EngineEvent[][]).flat();
    expect(events.some((e) => e.type === 'state' && e.to === 'failover')).toBe(true);
    // The service fired the action once; the app runs no watcher that could fire it again.
    await waitFor('action fired', () => receiver.hits === 1);
  });

  it('sends a manual failover from the window through the service once, audited with the reason and who', async () => {
    const { receiver, box } = await lab();
    const { call, notes } = await attach(box.svc);
    await waitFor('pair waiting', async () => (await box.svc.monitor.listPairs())[0]!.state === 'waiting');
    const answer = await call('pbx:failover', 'acme', { reason: 'PBX upgrade tonight' });
    expect(answer).toMatchObject({ ok: true, value: { id: 'acme', state: 'failover' } });
    await waitFor('the receiver got the action', () => receiver.hits === 1);
    const audit = await box.svc.json<HistoryEvent[]>('/api/audit');
    const manual = audit.filter((e) => e.type === 'operator' && e.action === 'failover');
    expect(manual).toHaveLength(1);
    // Today's service records the operator field; with named tokens it records the token's name.
    expect(manual[0]).toMatchObject({ reason: 'PBX upgrade tonight', operator: 'desk-alice' });
    await waitFor('failover notification', () => notes('ACME Corp: failover').length === 1);
    expect(receiver.hits).toBe(1);
    // Errors keep the service's code and problems across IPC.
    const missing = await call('pbx:getPair', 'nope');
    expect(missing).toMatchObject({ ok: false, error: { error: 'not-found' } });
    // Who the desktop acts as: today's service has one token, its admin.
    expect(await call('pbx:desktop:whoami')).toEqual({
      ok: true,
      value: { name: 'api', role: 'admin', twoPerson: [] },
    });
  });

  it('shows a lost stream in the tray with its own icon, and says when it is connected again', async () => {
    const { box, serverdir } = await lab();
    const { tray, win, notes } = await attach(box.svc);
    await waitFor('stream live', () => /\(live\)$/.test(win.title));
    await waitFor('tray ok', () => /tray-ok/.test(lastIcon(tray)));
    const { port } = box.svc;

    await box.svc.close();
    await waitFor('tray disconnected', () => /tray-disconnected/.test(lastIcon(tray)), 15_000);
    expect(tray.tooltip).toMatch(
      new RegExp(`^PBX Failover Monitor: no contact with http://127\\.0\\.0\\.1:${port}\\n`),
    );
    expect(win.title).toBe(`PBX Failover Monitor — ${box.svc.url} (no contact)`);
    expect(notes('PBX Failover Monitor: no contact with the service')).toHaveLength(1);
    expect(notes('PBX Failover Monitor: connected again')).toHaveLength(0);

    // The service comes back on the same serverdir and port (its token is kept in the serverdir).
    box.svc = await startTestService({ serverdir, port, events: EVENTS });
    await waitFor(
      'connected again notification',
      () => notes('PBX Failover Monitor: connected again').length === 1,
      20_000,
    );
    await waitFor('tray back', () => !/tray-disconnected/.test(lastIcon(tray)));
    expect(win.title).toBe(`PBX Failover Monitor — ${box.svc.url} (live)`);
    // A service stopped and started again, each wait bounded above: room for a loaded machine.
  }, 60_000);

  it('tells a refused token: "Token rejected" on calls, a notification, the tray, and no more reconnecting', async () => {
    const { box } = await lab();
    const { tray, win, call, notes, client } = await attach(box.svc, { token: 'revoked-'.repeat(8) });
    await waitFor('token rejected notification', () => notes('PBX Failover Monitor: token rejected').length === 1);
    expect(/tray-disconnected/.test(lastIcon(tray))).toBe(true);
    expect(tray.tooltip).toMatch(/^PBX Failover Monitor: token rejected by http:\/\/127\.0\.0\.1:\d+\n/);
    expect(win.title).toBe(`PBX Failover Monitor — ${box.svc.url} (token rejected)`);
    const listed = await call('pbx:listPairs');
    expect(listed).toMatchObject({ ok: false, error: { error: 'unauthorized' } });
    expect(listed.error!.message).toMatch(/^Token rejected by /);
    expect(client.connection).toEqual({ url: box.svc.url, live: false, rejected: true });
  });
});
