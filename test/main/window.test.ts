import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => {
  class FakeContents {
    listeners = new Map<string, (...args: unknown[]) => void>();
    openHandler: ((d: { url: string }) => { action: string }) | undefined;
    on(event: string, fn: (...args: unknown[]) => void) {
      this.listeners.set(event, fn);
      return this;
    }
    setWindowOpenHandler(fn: (d: { url: string }) => { action: string }) {
      this.openHandler = fn;
    }
  }
  class BrowserWindow {
    static created: BrowserWindow[] = [];
    webContents = new FakeContents();
    loaded: { file?: string; url?: string } = {};
    constructor(public options: Record<string, unknown>) {
      BrowserWindow.created.push(this);
    }
    once() {}
    loadFile(file: string) {
      this.loaded.file = file;
      return Promise.resolve();
    }
    loadURL(url: string) {
      this.loaded.url = url;
      return Promise.resolve();
    }
  }
  // The operator's answer to "Open this link?": 0 opens, 1 cancels.
  const dialog = { answer: 0, asked: [] as Array<Record<string, unknown>>, showMessageBox: vi.fn() };
  dialog.showMessageBox.mockImplementation(async (opts: Record<string, unknown>) => {
    dialog.asked.push(opts);
    return { response: dialog.answer };
  });
  return { BrowserWindow, dialog, shell: { openExternal: vi.fn(() => Promise.resolve()) } };
});

import { EventEmitter } from 'node:events';
import { BrowserWindow, dialog, shell, type App, type Session, type WebContents } from 'electron';
import { createMainWindow, guardAllWebContents, hardenSession, openExternalSafely } from '../../src/main/window.js';
import { appOrigin } from '../../src/main/policy/app-origin.js';
import { CSP_HEADER_VALUE } from '../../src/main/policy/csp.js';

type FakeWindow = {
  options: { webPreferences: Record<string, unknown> } & Record<string, unknown>;
  loaded: { file?: string; url?: string };
  webContents: {
    listeners: Map<string, (...args: unknown[]) => void>;
    openHandler: (d: { url: string }) => { action: string };
  };
};

const rendererFile = '/opt/pbx/out/renderer/index.html';
const origin = appOrigin(rendererFile);
const openExternal = shell.openExternal as unknown as ReturnType<typeof vi.fn>;
const asking = dialog as unknown as { answer: number; asked: Array<Record<string, unknown>> };

function makeWindow(dev?: string, devTools?: boolean): FakeWindow {
  return createMainWindow({
    preloadPath: '/opt/pbx/out/preload/index.cjs',
    origin: appOrigin(rendererFile, dev),
    ...(devTools !== undefined ? { devTools } : {}),
  }) as unknown as FakeWindow;
}

/** Lets the dialog's promise and the openExternal after it settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the dashboard window', () => {
  beforeEach(() => {
    openExternal.mockClear();
    asking.asked.length = 0;
    asking.answer = 0;
  });

  it('is built with the secure webPreferences and the sandboxed preload', () => {
    const win = makeWindow();
    expect(win).toBeInstanceOf(BrowserWindow);
    expect(win.options.webPreferences).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      preload: '/opt/pbx/out/preload/index.cjs',
    });
    expect(win.options.show).toBe(false);
  });

  it('has DevTools only when asked (the shell passes !app.isPackaged), off by default', () => {
    expect(makeWindow().options.webPreferences.devTools).toBe(false);
    expect(makeWindow(undefined, false).options.webPreferences.devTools).toBe(false);
    expect(makeWindow(undefined, true).options.webPreferences.devTools).toBe(true);
  });

  it('loads the built renderer from app://, never file://, or the dev server when electron-vite runs one', () => {
    expect(makeWindow().loaded).toEqual({ url: 'app://renderer/index.html' });
    expect(makeWindow('http://localhost:5173').loaded).toEqual({ url: 'http://localhost:5173' });
  });

  it('denies every new window and hands only checked http(s) links to the system browser, after asking', async () => {
    const open = makeWindow().webContents.openHandler;
    expect(open({ url: 'https://docs.example.com/failover' })).toEqual({ action: 'deny' });
    await settle();
    expect(open({ url: 'http://192.0.2.10/status' })).toEqual({ action: 'deny' });
    await settle();
    expect(openExternal.mock.calls).toEqual([['https://docs.example.com/failover'], ['http://192.0.2.10/status']]);
    expect(asking.asked.map((a) => a.detail)).toEqual([
      'https://docs.example.com/failover\n\nHost: docs.example.com',
      'http://192.0.2.10/status\n\nHost: 192.0.2.10',
    ]);
    for (const url of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://host/share',
      'https://user:pw@example.com/',
      'ms-settings:',
      'app://renderer/index.html',
    ]) {
      expect(open({ url })).toEqual({ action: 'deny' });
    }
    await settle();
    expect(openExternal).toHaveBeenCalledTimes(2);
    expect(asking.asked).toHaveLength(2);
  });

  it('opens nothing when the operator cancels, and shows one question at a time', async () => {
    asking.answer = 1;
    await expect(openExternalSafely('https://docs.example.com/')).resolves.toBe(false);
    expect(openExternal).not.toHaveBeenCalled();
    asking.answer = 0;
    const [first, second] = await Promise.all([
      openExternalSafely('https://a.example.com/'),
      openExternalSafely('https://b.example.com/'),
    ]);
    expect([first, second]).toEqual([true, false]);
    expect(openExternal.mock.calls).toEqual([['https://a.example.com/']]);
    // A look-alike host is named in its punycode form.
    await openExternalSafely('https://exаmple.com/');
    expect(String(asking.asked.at(-1)!.detail)).toContain('Host: xn--exmple-4nf.com');
  });

  it('blocks navigation away from the app but allows its own page', () => {
    const nav = makeWindow().webContents.listeners.get('will-navigate')!;
    const away = { url: 'https://attacker.example.com/', preventDefault: vi.fn() };
    nav(away);
    expect(away.preventDefault).toHaveBeenCalled();
    const own = { url: `${origin.appUrl}#/audit`, preventDefault: vi.fn() };
    nav(own);
    expect(own.preventDefault).not.toHaveBeenCalled();
    const file = { url: 'file:///opt/pbx/out/renderer/index.html', preventDefault: vi.fn() };
    nav(file);
    expect(file.preventDefault).toHaveBeenCalled();
    const redirect = { url: 'http://198.18.0.1/phish', preventDefault: vi.fn() };
    makeWindow().webContents.listeners.get('will-redirect')!(redirect);
    expect(redirect.preventDefault).toHaveBeenCalled();
    const webview = { preventDefault: vi.fn() };
    makeWindow().webContents.listeners.get('will-attach-webview')!(webview);
    expect(webview.preventDefault).toHaveBeenCalled();
  });
});

describe('every web contents of the app', () => {
  it('is guarded when created, not only the main window: navigation, new windows and webviews are refused', async () => {
    openExternal.mockClear();
    const app = new EventEmitter();
    guardAllWebContents(app as unknown as App, origin);
    // What a page might get created besides the window: a devtools host, a popup that slipped through.
    class Contents extends EventEmitter {
      openHandler: ((d: { url: string }) => { action: string }) | undefined;
      setWindowOpenHandler(fn: (d: { url: string }) => { action: string }) {
        this.openHandler = fn;
      }
    }
    const other = new Contents();
    app.emit('web-contents-created', {}, other as unknown as WebContents);
    const nav = { url: 'https://attacker.example.com/', preventDefault: vi.fn() };
    other.emit('will-navigate', nav);
    expect(nav.preventDefault).toHaveBeenCalled();
    const webview = { preventDefault: vi.fn() };
    other.emit('will-attach-webview', webview);
    expect(webview.preventDefault).toHaveBeenCalled();
    expect(other.openHandler!({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    // Guarded once however often it is handed over (the window guards its own too): one question per link.
    app.emit('web-contents-created', {}, other as unknown as WebContents);
    expect(other.listenerCount('will-navigate')).toBe(1);
  });
});

describe('the session', () => {
  type RequestHandler = (wc: unknown, permission: string, cb: (ok: boolean) => void) => void;
  type CheckHandler = (...args: unknown[]) => boolean;
  type HeadersHandler = (
    details: { url: string; responseHeaders?: Record<string, string[]> },
    cb: (r: unknown) => void,
  ) => void;
  interface FakeSession {
    request?: RequestHandler;
    check?: CheckHandler;
    headers?: HeadersHandler;
    setPermissionRequestHandler(fn: RequestHandler): void;
    setPermissionCheckHandler(fn: CheckHandler): void;
    webRequest: { onHeadersReceived(fn: HeadersHandler): void };
  }
  function fakeSession(): FakeSession {
    const s: FakeSession = {
      setPermissionRequestHandler: (fn) => void (s.request = fn),
      setPermissionCheckHandler: (fn) => void (s.check = fn),
      webRequest: { onHeadersReceived: (fn) => void (s.headers = fn) },
    };
    return s;
  }

  it('denies every permission request and check', () => {
    const s = fakeSession();
    hardenSession(s as unknown as Session, origin);
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read']) {
      const cb = vi.fn();
      s.request!({}, permission, cb);
      expect(cb).toHaveBeenCalledWith(false);
      expect(s.check!({}, permission, 'app://renderer', {})).toBe(false);
    }
  });

  it('puts the strict CSP on the app’s own page, replacing any other, and leaves other responses alone', () => {
    const s = fakeSession();
    hardenSession(s as unknown as Session, appOrigin(rendererFile, 'http://localhost:5173'));
    const own = vi.fn();
    s.headers!(
      {
        url: 'http://localhost:5173/',
        responseHeaders: { 'content-security-policy': ['default-src *'], 'X-A': ['1'] },
      },
      own,
    );
    expect(own).toHaveBeenCalledWith({
      responseHeaders: { 'X-A': ['1'], 'Content-Security-Policy': [CSP_HEADER_VALUE] },
    });
    expect(CSP_HEADER_VALUE).toContain("script-src 'self'");
    expect(CSP_HEADER_VALUE).toContain("object-src 'none'");
    const other = vi.fn();
    s.headers!({ url: 'https://example.com/' }, other);
    expect(other).toHaveBeenCalledWith({});
  });
});
