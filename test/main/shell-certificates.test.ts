// The desktop shell on the real engine with a pair whose certificate (made by openssl, served by a
// real TLS server on loopback) has 3 days left: the tray counts it like the other alerts and one
// critical notification says so. Only the Electron runtime is replaced (the same fakes as shell.test.ts).

import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
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
import { pairSettings } from '../helpers/engine-fixtures.js';
import { HttpFixture, waitFor } from '../helpers/http-fixtures.js';
import { fastTuning, writeConfig } from '../helpers/serverdir.js';
import { CertFactory, TlsFixture } from '../helpers/tls-fixtures.js';

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

describe('desktop shell: certificates', () => {
  it('a certificate with 3 days left turns the tray to warning, is counted and notified once as critical', async () => {
    const certs = new CertFactory();
    cleanups.push(async () => certs.cleanup());
    const tls = await TlsFixture.start(certs.selfSigned('pbx.example.com', 3));
    const primary = await HttpFixture.start({ status: 200 });
    cleanups.push(
      () => tls.close(),
      () => primary.close(),
    );
    const serverdir = await mkdtemp(join(tmpdir(), 'pbx-shell-certs-'));
    const userData = await mkdtemp(join(tmpdir(), 'pbx-userdata-'));
    cleanups.push(
      () => rm(serverdir, { recursive: true, force: true }),
      () => rm(userData, { recursive: true, force: true }),
    );
    await writeConfig(serverdir, [
      pairSettings({
        primaryUrl: primary.url(),
        interval: 1,
        certificates: { warnDays: 21, criticalDays: 7, checks: [{ name: 'pbx.example.com', address: tls.address }] },
      }),
    ]);
    const monitor = await openMonitor({ serverdir, version: 'test', defaultOperator: 'tester', ...fastTuning });
    cleanups.push(() => monitor.close());
    const app = fakeApp();
    await startShell({
      app: app as unknown as App,
      monitor,
      prefs: await PreferencesStore.open(userData, 'tester'),
      origin: appOrigin('/opt/pbx/out/renderer/index.html'),
      preloadPath: '/opt/pbx/out/preload/index.cjs',
      resourcesDir: '/opt/pbx/resources',
      appIcon: '/opt/pbx/resources/icon.png',
      startHidden: false,
    });
    cleanups.push(async () => void app.emit('before-quit', { preventDefault() {} }));
    const tray = electron.trays.at(-1)!;

    await waitFor(() => /tray-warning/.test(tray.images.at(-1)), 'the tray at warning', 15_000);
    expect(tray.tooltip).toBe('PBX Failover Monitor: Needs attention\n1 certificate expiring, 1 watched');
    const items = (tray.menu as { template: Array<{ id?: string; label?: string }> }).template;
    expect(items.find((i) => i.id === 'pair:acme')!.label).toBe('▲ ACME Corp — waiting (certificate: 2 days left)');
    const notes = () => electron.notifications.filter((n) => n.shown && /certificate/.test(n.options.title));
    await waitFor(() => notes().length === 1, 'one notification');
    expect(notes()[0]!.options).toMatchObject({
      title: 'ACME Corp: certificate',
      body: expect.stringMatching(
        /^the certificate for pbx\.example\.com at .* \(check\) expires on .* \(2 days left\)$/,
      ),
      urgency: 'critical',
    });
  });
});
