// What counts as the app's own page: the built renderer file, or in
// development the electron-vite dev server. IPC from anything else, and
// navigation to anything else, is refused.

import { pathToFileURL } from 'node:url';

export interface AppOrigin {
  /** file:// URL of out/renderer/index.html. */
  rendererFileUrl: string;
  /** ELECTRON_RENDERER_URL in development, when the renderer is served by Vite. */
  devServerUrl?: string;
}

export function appOrigin(rendererFile: string, devServerUrl?: string): AppOrigin {
  const origin: AppOrigin = { rendererFileUrl: pathToFileURL(rendererFile).href };
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

export function isAppUrl(url: string, origin: AppOrigin): boolean {
  const u = parse(url);
  if (!u) return false;
  if (u.protocol === 'file:') {
    const own = parse(origin.rendererFileUrl);
    return own !== undefined && documentOf(u) === documentOf(own);
  }
  if (origin.devServerUrl && (u.protocol === 'http:' || u.protocol === 'https:')) {
    const dev = parse(origin.devServerUrl);
    return dev !== undefined && u.origin === dev.origin;
  }
  return false;
}

/** Links the dashboard may hand to the system browser: http(s) with a host and no credentials. */
export function isSafeExternalUrl(url: unknown): url is string {
  if (typeof url !== 'string' || url.length > 2048) return false;
  const u = parse(url);
  if (!u) return false;
  return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && u.username === '' && u.password === '';
}
