// The desktop shell wired to the real engine on a real serverdir, with real
// loopback servers as primary, validation site and action receiver. Only the
// Electron runtime is replaced, so what the window, the tray and the
// notifications are told can be read back.

import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fakes of Electron objects, read back field by field
type Fake = Record<string, any>;

const electron = vi.hoisted(() => ({
  windows: [] as Array<Fake>,
  trays: [] as Array<Fake>,
  notifications: [] as Array<Fake>,
  handlers: new Map<string, (...args: unknown[]) => Promise<unknown>>(),
  dialogs: [] as unknown[],
  /** The button the operator presses in the next message box. */
  dialogAnswer: 0,
  saveDialogs: [] as unknown[],
  /** What the next save dialog answers: a path, or undefined for Cancel. */
  savePath: undefined as string | undefined,
  protocols: new Map<string, (request: Request) => Promise<Response>>(),
}));

vi.mock('electron', async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  class WebContents extends Emitter {
    sent: Array<[string, unknown]> = [];
    send(channel: string, payload: unknown) {
      this.sent.push([channel, payload]);
    }
    setWindowOpenHandler() {}
    isLoading() {
      return false;
    }
  }
  class BrowserWindow extends Emitter {
    webContents = new WebContents();
    visible = false;
    constructor(public options: Record<string, unknown>) {
      super();
      electron.windows.push(this as unknown as Fake);
    }
    loadFile() {
      return Promise.resolve();
    }
    loadURL() {
      return Promise.resolve();
    }
    show() {
      this.visible = true;
    }
    hide() {
      this.visible = false;
    }
    focus() {}
    restore() {}
    isMinimized() {
      return false;
    }
    isDestroyed() {
      return false;
    }
  }
  class Tray extends Emitter {
    images: string[] = [];
    tooltip = '';
    menu: unknown;
    destroyed = false;
    constructor(image: string) {
      super();
      this.images.push(image);
      electron.trays.push(this as unknown as Fake);
    }
    setImage(image: string) {
      this.images.push(image);
    }
    setToolTip(text: string) {
      this.tooltip = text;
    }
    setContextMenu(menu: unknown) {
      this.menu = menu;
    }
    destroy() {
      this.destroyed = true;
    }
    isDestroyed() {
      return this.destroyed;
    }
  }
  class Notification extends Emitter {
    shown = false;
    constructor(public options: { title: string; body: string }) {
      super();
      electron.notifications.push(this as unknown as Fake);
    }
    static isSupported() {
      return true;
    }
    show() {
      this.shown = true;
    }
    close() {}
  }
  return {
    BrowserWindow,
    Tray,
    Notification,
    Menu: { buildFromTemplate: (template: unknown) => ({ template }) },
    dialog: {
      // Called as (options) or (parentWindow, options): the options are the last argument.
      showMessageBox: async (...args: unknown[]) => {
        electron.dialogs.push(args.at(-1));
        return { response: electron.dialogAnswer };
      },
      showSaveDialog: async (...args: unknown[]) => {
        electron.saveDialogs.push(args.at(-1));
        return electron.savePath ? { canceled: false, filePath: electron.savePath } : { canceled: true };
      },
    },
    protocol: {
      handle: (scheme: string, fn: (request: Request) => Promise<Response>) => electron.protocols.set(scheme, fn),
    },
    ipcMain: {
      handle: (channel: string, fn: (...args: unknown[]) => Promise<unknown>) => electron.handlers.set(channel, fn),
      removeHandler: (channel: string) => electron.handlers.delete(channel),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler() {},
        setPermissionCheckHandler() {},
        webRequest: { onHeadersReceived() {} },
      },
    },
    shell: { openExternal: async () => {} },
  };
});

import type { App } from 'electron';
import { openMonitor } from '../../src/core/monitor.js';
import { appOrigin } from '../../src/main/policy/app-origin.js';
import { PreferencesStore } from '../../src/main/preferences.js';
import { startShell } from '../../src/main/shell.js';
import { EVENTS_CHANNEL, SHOW_PAIR_CHANNEL } from '../../src/shared/ipc.js';
import type { AlertEvent, EngineEvent } from '../../src/shared/model.js';
import type { Monitor } from '../../src/core/ports.js';
import type { HealthProblems } from '../../src/core/health-problems.js';
import { pairSettings } from '../helpers/engine-fixtures.js';
import { HttpFixture, waitFor } from '../helpers/http-fixtures.js';
import { fastTuning, writeConfig } from '../helpers/serverdir.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

function fakeApp() {
  const app = new EventEmitter() as EventEmitter & Fake;
  app.exitCodes = [] as number[];
  app.exit = (code: number) => app.exitCodes.push(code);
  app.quit = () => app.emit('before-quit', { preventDefault() {} });
  app.setLoginItemSettings = vi.fn();
  app.isPackaged = true;
  app.getPath = (name: string) => {
    throw new Error(`no ${name} folder in the test`);
  };
  return app;
}

describe('desktop shell on the real engine', () => {
  it('shows a real outage in the window, the tray and one notification, and quits cleanly', async () => {
    const primary = await HttpFixture.start({ status: 200 });
    const validation = await HttpFixture.start({ status: 200 });
    const receiver = await HttpFixture.start({ status: 200 });
    cleanups.push(
      () => primary.close(),
      () => validation.close(),
      () => receiver.close(),
    );
    const serverdir = await mkdtemp(join(tmpdir(), 'pbx-shell-'));
    const userData = await mkdtemp(join(tmpdir(), 'pbx-userdata-'));
    cleanups.push(
      () => rm(serverdir, { recursive: true, force: true }),
      () => rm(userData, { recursive: true, force: true }),
    );
    await writeConfig(serverdir, [
      pairSettings({
        primaryUrl: primary.url(),
        actionUrl: receiver.url('/dns'),
        validation: { quorum: 1, urls: [validation.url()] },
      }),
    ]);

    const monitor = await openMonitor({ serverdir, version: 'test', defaultOperator: 'tester', ...fastTuning });
    cleanups.push(() => monitor.close());
    const app = fakeApp();
    const rendererFile = '/opt/pbx/out/renderer/index.html';
    const origin = appOrigin(rendererFile);
    await startShell({
      app: app as unknown as App,
      monitor,
      prefs: await PreferencesStore.open(userData, 'tester'),
      origin,
      preloadPath: '/opt/pbx/out/preload/index.cjs',
      resourcesDir: '/opt/pbx/resources',
      appIcon: '/opt/pbx/resources/icon.png',
      startHidden: false,
    });

    const win = electron.windows.at(-1)!;
    const tray = electron.trays.at(-1)!;
    expect(win.options.webPreferences).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      devTools: false,
    });
    expect(electron.protocols.has('app')).toBe(true);
    expect(app.listenerCount('web-contents-created')).toBe(1);
    expect(tray.images[0]).toMatch(/resources\/tray-ok(-32)?\.png$/);

    // The renderer's page gets answers; another page does not.
    const own = { senderFrame: { url: `${origin.appUrl}#/`, parent: null } };
    const listed = (await electron.handlers.get('pbx:listPairs')!(own)) as {
      ok: boolean;
      value: Array<{ id: string }>;
    };
    expect(listed.ok).toBe(true);
    expect(listed.value.map((p) => p.id)).toEqual(['acme']);
    expect(
      await electron.handlers.get('pbx:listPairs')!({ senderFrame: { url: 'https://example.com/', parent: null } }),
    ).toMatchObject({ ok: false });
    expect(
      await electron.handlers.get('pbx:listPairs')!({
        senderFrame: { url: 'file:///opt/pbx/out/renderer/index.html', parent: null },
      }),
    ).toMatchObject({ ok: false });

    const sentEvents = () =>
      (win.webContents.sent as Array<[string, EngineEvent[]]>)
        .filter(([c]) => c === EVENTS_CHANNEL)
        .flatMap(([, batch]) => batch);
    await waitFor(() => sentEvents().some((e) => e.type === 'state' && e.to === 'waiting'), 'pair reaches waiting');

    await primary.refuse();
    await waitFor(
      () => sentEvents().some((e) => e.type === 'state' && e.to === 'failover'),
      'failover event reaches the window',
      15_000,
    );
    await waitFor(
      () => electron.notifications.some((n) => n.shown && n.options.title === 'ACME Corp: failover'),
      'failover notification',
      15_000,
    );
    await waitFor(() => tray.images.some((i: string) => /tray-critical/.test(i)), 'tray shows critical', 15_000);
    await waitFor(() => receiver.hits === 1, 'action URL fired once');
    expect(tray.tooltip).toContain('1 in failover');
    // Verifying and failover of one pair within the window make one notification, not two.
    const outage = electron.notifications.filter((n) => n.options.title.startsWith('ACME Corp'));
    expect(outage).toHaveLength(1);
    expect(outage[0]!.options.body).toContain('Also: verifying');
    // Batches keep the engine's order.
    const states = sentEvents().flatMap((e) => (e.type === 'state' ? [e.to] : []));
    expect(states.indexOf('verifying')).toBeLessThan(states.indexOf('failover'));

    // Clicking the notification opens that pair in the window.
    outage[0]!.emit('click');
    expect(win.visible).toBe(true);
    expect(win.webContents.sent).toContainEqual([SHOW_PAIR_CHANNEL, 'acme']);

    // Closing the window only hides it, with a one-time hint.
    const closeEvent = {
      prevented: false,
      preventDefault() {
        this.prevented = true;
      },
    };
    win.emit('close', closeEvent);
    win.emit('close', { preventDefault() {} });
    expect(closeEvent.prevented).toBe(true);
    expect(
      electron.notifications.filter((n) => n.options.title === 'PBX Failover Monitor keeps watching'),
    ).toHaveLength(1);

    // Quit from the tray asks first, then closes the engine and exits 0 with the lock released.
    const quitItem = (tray.menu as { template: Array<{ id?: string; click?: () => void }> }).template.find(
      (i) => i.id === 'quit',
    )!;
    quitItem.click!();
    await waitFor(() => app.exitCodes.length > 0, 'app exits after the engine closed');
    expect(electron.dialogs).toHaveLength(1);
    expect(JSON.stringify(electron.dialogs[0])).toContain('stops the watchers');
    electron.dialogs.length = 0;
    expect(app.exitCodes).toEqual([0]);
    const again = await openMonitor({ serverdir, version: 'test', ...fastTuning });
    await again.close();
    expect(receiver.hits).toBe(1);
  });

  it('shows a state that cannot be saved and a lost lock in the tray, notifies even while muted, and says the lock is lost in a message box', async () => {
    const { monitor, app, tray, win } = await startOnEngine();
    await waitFor(() => tray.images.at(-1).includes('tray-ok'), 'tray starts ok');
    // Notifications muted for an hour from the tray: pair news is held back, the watcher's own failure is not.
    const template = () =>
      (
        tray.menu as {
          template: Array<{
            id?: string;
            label?: string;
            click?: () => void;
            submenu?: Array<{ id?: string; click?: () => void }>;
          }>;
        }
      ).template;
    template()
      .find((i) => i.id === 'mute')!
      .submenu!.find((i) => i.id === 'mute:1h')!.click!();
    await waitFor(
      () =>
        template()
          .find((i) => i.id === 'mute')!
          .label!.startsWith('Notifications muted'),
      'muted',
    );
    const trust = engineTrust(monitor);
    const notes = (title: string) => electron.notifications.filter((n) => n.shown && n.options.title === title);

    trust.fail('state-write', 'pair states cannot be written to pbxctrl-failover.xml: ENOSPC', 'state-write-failed');
    await waitFor(() => /tray-critical/.test(tray.images.at(-1)), 'tray shows critical for the state write');
    expect(tray.tooltip).toMatch(/^PBX Failover Monitor: state cannot be saved\n/);
    expect(template()[0]!.label).toBe('✖ state cannot be saved');
    expect(template().some((i) => i.id === 'problem:state-write' && i.label!.includes('ENOSPC'))).toBe(true);
    await waitFor(
      () => notes('PBX Failover Monitor: state cannot be saved').length === 1,
      'notification despite the mute',
    );
    expect(notes('PBX Failover Monitor: state cannot be saved')[0]!.options).toMatchObject({
      body: expect.stringContaining('ENOSPC'),
      urgency: 'critical',
    });
    expect(electron.dialogs).toHaveLength(0);

    trust.recover('state-write', 'state-write-recovered');
    await waitFor(() => /tray-ok/.test(tray.images.at(-1)), 'tray ok again after the recovery');
    expect(tray.tooltip).not.toContain('cannot be saved');

    // Only health() says it (no alert reached the shell): the tray still shows it at its next refresh.
    trust.problems.set(
      'state-write',
      'the file on disk is an invalid hand edit; states are not written',
      new Date().toISOString(),
    );
    await waitFor(() => /cannot be saved/.test(tray.tooltip), 'tray reads health()', 15_000);
    expect(notes('PBX Failover Monitor: state cannot be saved')).toHaveLength(2);
    trust.problems.clear('state-write');
    await waitFor(() => !/cannot be saved/.test(tray.tooltip), 'tray clears with health()', 15_000);

    win.visible = false;
    electron.dialogAnswer = 1; // "Keep the window open"
    trust.fail(
      'lock',
      'another instance (pid 4242 on noc-2) holds the serverdir lock; this one stopped every watcher',
      'lock-lost',
    );
    await waitFor(() => electron.dialogs.length === 1, 'lock-lost message box');
    const box = electron.dialogs[0] as { type: string; message: string; detail: string; buttons: string[] };
    expect(box.type).toBe('error');
    expect(box.message).toBe('Another instance took over this serverdir. This one stopped watching.');
    expect(box.detail).toContain('pid 4242 on noc-2');
    expect(box.detail).toContain(monitor.serverdir);
    expect(win.visible).toBe(true);
    expect(notes('PBX Failover Monitor: stopped watching: another instance took over')).toHaveLength(1);
    expect(tray.tooltip).toMatch(/^PBX Failover Monitor: stopped watching: another instance took over/);
    expect(/tray-critical/.test(tray.images.at(-1))).toBe(true);
    // The same episode reported again (alert and health) is not a second box or notification.
    trust.fail('lock', 'still lost', 'lock-lost');
    await new Promise((r) => setImmediate(r));
    expect(electron.dialogs).toHaveLength(1);
    expect(app.exitCodes).toEqual([]);
  });

  it('exports with secrets through main’s save dialog only: the file is 0600, the window gets the path, never the XML', async () => {
    const { monitor, own } = await startOnEngine({ pass: 'hunter2-secret' });
    const exportDir = await mkdtemp(join(tmpdir(), 'pbx-export-'));
    cleanups.push(() => rm(exportDir, { recursive: true, force: true }));
    const call = (channel: string, ...args: unknown[]) =>
      electron.handlers.get(channel)!(own, ...args) as Promise<Fake>;

    // The window asking for the unmasked XML is refused; without asking it gets the masked one.
    const refused = await call('pbx:exportXml', { masked: false });
    expect(refused).toMatchObject({ ok: false, error: { error: 'unauthorized' } });
    const masked = await call('pbx:exportXml');
    expect(masked.ok).toBe(true);
    expect(masked.value).not.toContain('hunter2-secret');
    expect(await monitor.exportXml({ masked: false })).toContain('hunter2-secret');

    electron.savePath = undefined;
    expect(await call('pbx:desktop:exportWithSecrets')).toEqual({ ok: true, value: { outcome: 'cancelled' } });

    const target = join(exportDir, 'backup', 'pbxctrl-failover.xml');
    electron.savePath = target;
    const saved = await call('pbx:desktop:exportWithSecrets');
    expect(saved).toEqual({ ok: true, value: { outcome: 'saved', path: target } });
    expect(JSON.stringify(saved)).not.toContain('hunter2');
    expect(await readFile(target, 'utf8')).toContain('hunter2-secret');
    if (process.platform !== 'win32') expect((await stat(target)).mode & 0o777).toBe(0o600);
    expect(electron.saveDialogs.at(-1)).toMatchObject({
      title: 'Export with secrets',
      properties: expect.arrayContaining(['showOverwriteConfirmation']),
    });

    // Another page cannot trigger it.
    expect(
      await electron.handlers.get('pbx:desktop:exportWithSecrets')!({
        senderFrame: { url: 'https://example.com/', parent: null },
      }),
    ).toMatchObject({ ok: false });
  });
});

/** The real engine on a real serverdir with one pair, and the shell started on it. */
async function startOnEngine(opts: { pass?: string } = {}) {
  const primary = await HttpFixture.start({ status: 200 });
  const validation = await HttpFixture.start({ status: 200 });
  cleanups.push(
    () => primary.close(),
    () => validation.close(),
  );
  const serverdir = await mkdtemp(join(tmpdir(), 'pbx-shell-'));
  const userData = await mkdtemp(join(tmpdir(), 'pbx-userdata-'));
  cleanups.push(
    () => rm(serverdir, { recursive: true, force: true }),
    () => rm(userData, { recursive: true, force: true }),
  );
  const settings = pairSettings({
    primaryUrl: primary.url(),
    actionUrl: 'http://127.0.0.1:9/dns',
    validation: { quorum: 1, urls: [validation.url()] },
  });
  if (opts.pass) settings.action = { ...settings.action, auth: 'basic', user: 'dns', pass: opts.pass };
  await writeConfig(serverdir, [settings]);
  const monitor = await openMonitor({ serverdir, version: 'test', defaultOperator: 'tester', ...fastTuning });
  cleanups.push(() => monitor.close());
  const app = fakeApp();
  const origin = appOrigin('/opt/pbx/out/renderer/index.html');
  electron.dialogs.length = 0;
  electron.dialogAnswer = 0;
  await startShell({
    app: app as unknown as App,
    monitor,
    prefs: await PreferencesStore.open(userData, 'tester'),
    origin,
    preloadPath: '/opt/pbx/out/preload/index.cjs',
    resourcesDir: '/opt/pbx/resources',
    appIcon: '/opt/pbx/resources/icon.png',
    startHidden: false,
  });
  cleanups.push(async () => void app.emit('before-quit', { preventDefault() {} }));
  return {
    monitor,
    app,
    tray: electron.trays.at(-1)!,
    win: electron.windows.at(-1)!,
    own: { senderFrame: { url: `${origin.appUrl}#/`, parent: null } },
  };
}

/**
 * The engine's own trust signals: its HealthProblems registry (what health() answers) and an alert
 * on its own event bus, the two places the engine reports a failed state write or a lost lock.
 * This branch's engine does not raise them from a real disk or lock failure yet (that lands with
 * the engine's own work), so the test puts them where the engine does.
 */
function engineTrust(monitor: Monitor) {
  const engine = monitor as unknown as { problems: HealthProblems; supervisor: { emit(e: EngineEvent): void } };
  const alert = (kind: AlertEvent['alert'], message: string, severity: AlertEvent['severity']) =>
    engine.supervisor.emit({ type: 'alert', pair: '*', at: new Date().toISOString(), alert: kind, severity, message });
  return {
    problems: engine.problems,
    fail(kind: 'state-write' | 'lock', message: string, alertKind: AlertEvent['alert']) {
      engine.problems.set(kind, message, new Date().toISOString());
      alert(alertKind, message, 'critical');
    },
    recover(kind: 'state-write' | 'lock', alertKind: AlertEvent['alert']) {
      engine.problems.clear(kind);
      alert(alertKind, 'pair states are written again', 'info');
    },
  };
}
