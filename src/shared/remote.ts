// The desktop app attached to a headless service (remote mode): who the token is, which service it is
// attached to and whether the event stream is live, and the checks of the service addresses.

import { ROLES, type Role, type WhoAmI } from './api.js';

export { ROLES };
export type { Role, WhoAmI };

/** Whether `role` may do what needs `needed`. */
export function roleAllows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** The desktop app's connection: its own watchers (`local`), or the service it is attached to. */
export type RemoteConnection =
  | 'local'
  | {
      /** The node in use (or, while none answers, the one tried last). */
      url: string;
      /** The event stream is open. */
      live: boolean;
      /** The service refused the token (401): the stream stopped reconnecting; a new token is needed. */
      rejected?: boolean;
    };

/** The remote-mode settings as the settings view sees them (never the token). */
export interface RemoteSettings {
  /** What the app runs now. */
  mode: 'local' | 'remote';
  /** The service's node addresses, tried in order. */
  urls: string[];
  /** A token is stored (encrypted with the OS keychain) for these addresses. */
  tokenStored: boolean;
  /** The OS can encrypt a token (Electron safeStorage); without it nothing is stored. */
  canStoreToken: boolean;
  /** Started with --remote: the command line decides, the settings view cannot change it. */
  fromCommandLine: boolean;
  connection: RemoteConnection;
}

/** "Attach": the service's node addresses and the token. */
export interface AttachRequest {
  urls: string[];
  token: string;
}

export type UrlCheck = { ok: true; urls: string[] } | { ok: false; message: string };

/** At most this many node addresses. */
export const MAX_SERVICE_URLS = 16;

/**
 * Checks the service's node addresses: http or https, no user or password, no query or fragment,
 * no path (the API is at /api/ of the root). Answers them without a trailing slash, duplicates removed.
 */
export function checkServiceUrls(input: readonly string[]): UrlCheck {
  const urls: string[] = [];
  for (const raw of input.flatMap((s) => s.split(/[\s,]+/)).filter((s) => s !== '')) {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      return { ok: false, message: `"${raw}" is not an address such as https://noc-watch.example:8480` };
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      return { ok: false, message: `"${raw}" must start with http:// or https://` };
    if (u.username || u.password) return { ok: false, message: `"${raw}" must not hold a user or password` };
    if (u.search || u.hash || (u.pathname !== '/' && u.pathname !== ''))
      return { ok: false, message: `"${raw}" must be the service's address only, without a path or query` };
    const url = `${u.protocol}//${u.host}`;
    if (!urls.includes(url)) urls.push(url);
  }
  if (urls.length === 0) return { ok: false, message: 'give the service address, e.g. https://noc-watch.example:8480' };
  if (urls.length > MAX_SERVICE_URLS) return { ok: false, message: `at most ${MAX_SERVICE_URLS} node addresses` };
  return { ok: true, urls };
}

/** Tokens as the service accepts them (see src/server/auth.ts). */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32,512}$/;
