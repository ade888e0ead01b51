// The dashboard window, locked down along Electron's security checklist: the
// renderer is treated as untrusted and only reaches main through the preload's
// typed bridge.

import { BrowserWindow, shell, type Session, type WebContents, type WebPreferences } from 'electron';
import { isAppUrl, isSafeExternalUrl, type AppOrigin } from './policy/app-origin.js';
import { withCsp } from './policy/csp.js';

export const SECURE_WEB_PREFERENCES = {
  sandbox: true,
  contextIsolation: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  webviewTag: false,
  navigateOnDragDrop: false,
  spellcheck: false,
} as const satisfies WebPreferences;

export interface MainWindowOptions {
  preloadPath: string;
  /** out/renderer/index.html */
  rendererFile: string;
  origin: AppOrigin;
  icon?: string;
  /** Started at login: stay in the tray until the operator opens the dashboard. */
  startHidden?: boolean;
}

/** Links go to the system browser (after the URL is checked); the app never opens windows. */
export function openExternalSafely(url: unknown): boolean {
  if (!isSafeExternalUrl(url)) return false;
  void shell.openExternal(url);
  return true;
}

/** Navigation stays on the app's own page; new windows and webviews are refused. */
export function guardWebContents(contents: WebContents, origin: AppOrigin): void {
  contents.on('will-navigate', (event) => {
    if (!isAppUrl(event.url, origin)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isAppUrl(event.url, origin)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openExternalSafely(url);
    return { action: 'deny' };
  });
}

/** No permission (camera, geolocation, notifications from the page, …) is ever granted; the CSP header is set on our pages. */
export function hardenSession(ses: Session, origin: AppOrigin): void {
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    if (isAppUrl(details.url, origin)) callback({ responseHeaders: withCsp(details.responseHeaders) });
    else callback({});
  });
}

export function createMainWindow(opts: MainWindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'PBX Failover Monitor',
    ...(opts.icon ? { icon: opts.icon } : {}),
    autoHideMenuBar: true,
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload: opts.preloadPath },
  });
  guardWebContents(win.webContents, opts.origin);
  if (!opts.startHidden) win.once('ready-to-show', () => win.show());
  if (opts.origin.devServerUrl) void win.loadURL(opts.origin.devServerUrl);
  else void win.loadFile(opts.rendererFile);
  return win;
}

/** Bring the window to the front (a tray click, a second launch, a notification click). */
export function revealWindow(win: BrowserWindow): void {
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}
