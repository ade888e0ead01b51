// The dashboard window, locked down along Electron's security checklist: the
// renderer is treated as untrusted and only reaches main through the preload's
// typed bridge.

import { BrowserWindow, dialog, shell, type App, type Session, type WebContents, type WebPreferences } from 'electron';
import { isAppResource, isAppUrl, isSafeExternalUrl, type AppOrigin } from './policy/app-origin.js';
import { withCsp } from './policy/csp.js';

const SECURE_WEB_PREFERENCES = {
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
  origin: AppOrigin;
  icon?: string;
  /** Started at login: stay in the tray until the operator opens the dashboard. */
  startHidden?: boolean;
  /** DevTools only where the app is not packaged (`!app.isPackaged`). */
  devTools?: boolean;
}

/** One question at a time: a page that opens links in a loop gets no stack of dialogs. */
let asking = false;

/**
 * Links go to the system browser only after the operator said yes to a dialog naming the URL,
 * and only http(s) without credentials; the app never opens windows. True when it was opened.
 */
export async function openExternalSafely(url: unknown): Promise<boolean> {
  if (!isSafeExternalUrl(url) || asking) return false;
  asking = true;
  try {
    const shown = new URL(url);
    const { response } = await dialog.showMessageBox({
      type: 'question',
      buttons: ['Open in browser', 'Cancel'],
      defaultId: 1,
      cancelId: 1,
      title: 'Open a link',
      message: `Open this link in your web browser?`,
      // href shows an internationalized host in its punycode form, so a look-alike name cannot hide.
      detail: `${shown.href}\n\nHost: ${shown.host}`,
    });
    if (response !== 0) return false;
    await shell.openExternal(shown.href);
    return true;
  } finally {
    asking = false;
  }
}

const guarded = new WeakSet<WebContents>();

/** Navigation stays on the app's own page; new windows and webviews are refused. Idempotent. */
function guardWebContents(contents: WebContents, origin: AppOrigin): void {
  if (guarded.has(contents)) return;
  guarded.add(contents);
  contents.on('will-navigate', (event) => {
    if (!isAppUrl(event.url, origin)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isAppUrl(event.url, origin)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    void openExternalSafely(url);
    return { action: 'deny' };
  });
}

/**
 * Every web contents the app ever creates (windows, devtools, anything a page manages to open)
 * gets the same guard, not only the main window's: installed before the first window.
 */
export function guardAllWebContents(app: Pick<App, 'on'>, origin: AppOrigin): void {
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents, origin));
}

/** No permission (camera, geolocation, notifications from the page, …) is ever granted; the CSP header is set on our pages. */
export function hardenSession(ses: Session, origin: AppOrigin): void {
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    if (isAppResource(details.url, origin)) callback({ responseHeaders: withCsp(details.responseHeaders) });
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
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload: opts.preloadPath, devTools: opts.devTools ?? false },
  });
  guardWebContents(win.webContents, opts.origin);
  if (!opts.startHidden) win.once('ready-to-show', () => win.show());
  // The built renderer comes from app:// (./app-protocol.ts), never from file://.
  void win.loadURL(opts.origin.devServerUrl ?? opts.origin.appUrl);
  return win;
}

/** Bring the window to the front (a tray click, a second launch, a notification click). */
export function revealWindow(win: BrowserWindow): void {
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}
