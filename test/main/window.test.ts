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
  return { BrowserWindow, shell: { openExternal: vi.fn(() => Promise.resolve()) } };
});

import { BrowserWindow, shell, type Session } from 'electron';
import { createMainWindow, hardenSession } from '../../src/main/window.js';
import { appOrigin } from '../../src/main/policy/app-origin.js';
import { CSP_HEADER_VALUE } from '../../src/main/policy/csp.js';

type FakeWindow = {
  options: { webPreferences: Record<string, unknown> } & Record<string, unknown>;
  loaded: { file?: string; url?: string };
  webContents: { listeners: Map<string, (...args: unknown[]) => void>; openHandler: (d: { url: string }) => { action: string } };
};

const rendererFile = '/opt/pbx/out/renderer/index.html';
const origin = appOrigin(rendererFile);
const openExternal = shell.openExternal as unknown as ReturnType<typeof vi.fn>;

function makeWindow(dev?: string): FakeWindow {
  return createMainWindow({ preloadPath: '/opt/pbx/out/preload/index.cjs', rendererFile, origin: appOrigin(rendererFile, dev) }) as unknown as FakeWindow;
}

describe('the dashboard window', () => {
  beforeEach(() => openExternal.mockClear());

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

  it('loads the built renderer, or the dev server when electron-vite runs one', () => {
    expect(makeWindow().loaded).toEqual({ file: rendererFile });
    expect(makeWindow('http://localhost:5173').loaded).toEqual({ url: 'http://localhost:5173' });
  });

  it('denies every new window and hands only checked http(s) links to the system browser', () => {
    const open = makeWindow().webContents.openHandler;
    expect(open({ url: 'https://docs.example.com/failover' })).toEqual({ action: 'deny' });
    expect(open({ url: 'http://192.0.2.10/status' })).toEqual({ action: 'deny' });
    expect(openExternal.mock.calls).toEqual([['https://docs.example.com/failover'], ['http://192.0.2.10/status']]);
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'https://user:pw@example.com/', 'ms-settings:']) {
      expect(open({ url })).toEqual({ action: 'deny' });
    }
    expect(openExternal).toHaveBeenCalledTimes(2);
  });

  it('blocks navigation away from the app but allows its own page', () => {
    const nav = makeWindow().webContents.listeners.get('will-navigate')!;
    const away = { url: 'https://attacker.example.com/', preventDefault: vi.fn() };
    nav(away);
    expect(away.preventDefault).toHaveBeenCalled();
    const own = { url: `${origin.rendererFileUrl}#/audit`, preventDefault: vi.fn() };
    nav(own);
    expect(own.preventDefault).not.toHaveBeenCalled();
    const redirect = { url: 'http://198.18.0.1/phish', preventDefault: vi.fn() };
    makeWindow().webContents.listeners.get('will-redirect')!(redirect);
    expect(redirect.preventDefault).toHaveBeenCalled();
    const webview = { preventDefault: vi.fn() };
    makeWindow().webContents.listeners.get('will-attach-webview')!(webview);
    expect(webview.preventDefault).toHaveBeenCalled();
  });
});

describe('the session', () => {
  type RequestHandler = (wc: unknown, permission: string, cb: (ok: boolean) => void) => void;
  type CheckHandler = (...args: unknown[]) => boolean;
  type HeadersHandler = (details: { url: string; responseHeaders?: Record<string, string[]> }, cb: (r: unknown) => void) => void;
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
      expect(s.check!({}, permission, 'file://', {})).toBe(false);
    }
  });

  it('puts the strict CSP on the app’s own page, replacing any other, and leaves other responses alone', () => {
    const s = fakeSession();
    hardenSession(s as unknown as Session, appOrigin(rendererFile, 'http://localhost:5173'));
    const own = vi.fn();
    s.headers!({ url: 'http://localhost:5173/', responseHeaders: { 'content-security-policy': ['default-src *'], 'X-A': ['1'] } }, own);
    expect(own).toHaveBeenCalledWith({ responseHeaders: { 'X-A': ['1'], 'Content-Security-Policy': [CSP_HEADER_VALUE] } });
    expect(CSP_HEADER_VALUE).toContain("script-src 'self'");
    expect(CSP_HEADER_VALUE).toContain("object-src 'none'");
    const other = vi.fn();
    s.headers!({ url: 'https://example.com/' }, other);
    expect(other).toHaveBeenCalledWith({});
  });
});
