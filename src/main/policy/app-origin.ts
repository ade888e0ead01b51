// What counts as the app's own page: the built renderer served as
// app://renderer/index.html (see ../app-protocol.ts), or in development the
// electron-vite dev server. IPC from anything else, and navigation to anything
// else, is refused; file:// pages are never the app.

import { basename, dirname } from 'node:path';

/** The renderer's own scheme, registered as standard and secure before the app is ready. */
export const APP_SCHEME = 'app';
/** The one host of that scheme: the built renderer folder. */
export const APP_HOST = 'renderer';

export interface AppOrigin {
  /** The page the window loads: app://renderer/index.html. */
  appUrl: string;
  /** The folder app:// serves (out/renderer); nothing outside it is ever answered. */
  rendererDir: string;
  /** ELECTRON_RENDERER_URL in development, when the renderer is served by Vite. */
  devServerUrl?: string;
}

export function appOrigin(rendererFile: string, devServerUrl?: string): AppOrigin {
  const origin: AppOrigin = {
    appUrl: `${APP_SCHEME}://${APP_HOST}/${encodeURIComponent(basename(rendererFile))}`,
    rendererDir: dirname(rendererFile),
  };
  if (devServerUrl) origin.devServerUrl = devServerUrl;
  return origin;
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** The document itself, ignoring the fragment and query the dashboard uses for its routes. */
function documentOf(u: URL): string {
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/** True for the app's own document (any route), never for another file or scheme. */
export function isAppUrl(url: string, origin: AppOrigin): boolean {
  const u = parse(url);
  if (!u) return false;
  // The window loads one of the two, so only that one is the app.
  if (origin.devServerUrl) {
    const dev = parse(origin.devServerUrl);
    return (u.protocol === 'http:' || u.protocol === 'https:') && dev !== undefined && u.origin === dev.origin;
  }
  const own = parse(origin.appUrl);
  return u.protocol === `${APP_SCHEME}:` && own !== undefined && documentOf(u) === documentOf(own);
}

/** Any resource of the app (its page, scripts, styles): what gets the CSP header. */
export function isAppResource(url: string, origin: AppOrigin): boolean {
  const u = parse(url);
  if (!u) return false;
  if (u.protocol === `${APP_SCHEME}:`) return !origin.devServerUrl && u.host === APP_HOST;
  return isAppUrl(url, origin);
}

/** Links the dashboard may hand to the system browser: http(s) with a host and no credentials. */
export function isSafeExternalUrl(url: unknown): url is string {
  if (typeof url !== 'string' || url.length > 2048) return false;
  const u = parse(url);
  if (!u) return false;
  return (
    (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && u.username === '' && u.password === ''
  );
}
