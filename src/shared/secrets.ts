// Secrets in settings and records: which headers and query parameters carry one, masking them
// with SECRET_MASK for every answer, export and log, and the same-origin rule that decides whether
// a secret sent back as the mask may keep the stored one.

import {
  SECRET_MASK,
  type ActionHeader,
  type ActionSettings,
  type AuthKind,
  type MaskedRequest,
  type PairSettings,
} from './model.js';
import { renderTemplate, TEMPLATE_STAND_INS } from './template.js';

const SECRET_PARAM = /auth|token|secret|passw|api[-_]?key|cookie|session|credential|signature|consumer/i;

/**
 * Header names known to carry no secret. Every other header is treated as a secret (masked in every
 * answer and export, never logged): an API key under a name no pattern foresaw (`X-Ovh-Consumer`)
 * must not leak. Listed in the README.
 */
export const HARMLESS_HEADERS: readonly string[] = [
  'accept',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'content-language',
  'content-type',
  'if-match',
  'if-none-match',
  'pragma',
  'prefer',
  'user-agent',
  'x-requested-with',
];

/** Headers whose value is a secret by their name alone: every header not on HARMLESS_HEADERS. */
export function isSecretHeader(name: string): boolean {
  return !HARMLESS_HEADERS.includes(name.trim().toLowerCase());
}

/** A configured header is a secret by its name, or because it is marked `secret="true"`. */
export function isSecretHeaderOf(h: ActionHeader): boolean {
  return h.secret === true || isSecretHeader(h.name);
}

function isSecretParam(name: string): boolean {
  return SECRET_PARAM.test(name) || /^(key|pass|pwd|sig)$/i.test(name);
}

// ---------------------------------------------------------------------------------------------
// Masking

/** Replace the password in `scheme://user:pass@host` and values of secret query parameters with SECRET_MASK. */
export function maskUrl(url: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/s.exec(url);
  if (!m) return url;
  let authority = m[2]!;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(':');
    if (colon >= 0 && colon < userinfo.length - 1)
      authority = `${userinfo.slice(0, colon + 1)}${SECRET_MASK}${authority.slice(at)}`;
  }
  return m[1]! + authority + maskQuery(m[3]!);
}

function maskQuery(rest: string): string {
  const q = rest.indexOf('?');
  if (q < 0) return rest;
  const hash = rest.indexOf('#', q);
  const end = hash < 0 ? rest.length : hash;
  const params = rest
    .slice(q + 1, end)
    .split('&')
    .map((p) => {
      const eq = p.indexOf('=');
      if (eq < 0) return p;
      const value = p.slice(eq + 1);
      const onlyVariable = /^\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(value);
      return value && !onlyVariable && isSecretParam(safeDecode(p.slice(0, eq)))
        ? `${p.slice(0, eq)}=${SECRET_MASK}`
        : p;
    });
  return rest.slice(0, q + 1) + params.join('&') + rest.slice(end);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function maskAction(a: ActionSettings): ActionSettings {
  const out: ActionSettings = {
    ...a,
    url: maskUrl(a.url),
    headers: a.headers.map((h) => (isSecretHeaderOf(h) && h.value !== '' ? { ...h, value: SECRET_MASK } : { ...h })),
  };
  if (a.pass !== undefined && a.pass !== '') out.pass = SECRET_MASK;
  if (a.bodySecret && a.body !== undefined && a.body !== '') out.body = SECRET_MASK;
  return out;
}

/**
 * A recorded request masked again: a record written before every header counted as a secret, or
 * copied from elsewhere, must not leak through an answer or a masked export either.
 */
export function maskRecordedRequest(r: MaskedRequest): MaskedRequest {
  const out: MaskedRequest = {
    ...r,
    url: maskUrl(r.url),
    headers: r.headers.map((h) =>
      isSecretHeader(h.name) && h.value !== '' ? { name: h.name, value: SECRET_MASK } : { ...h },
    ),
  };
  return out;
}

/** A copy of the settings with every secret replaced by SECRET_MASK (for the API, the UI and logs). */
export function maskSettings(s: PairSettings): PairSettings {
  const out: PairSettings = {
    ...s,
    primaryUrl: maskUrl(s.primaryUrl),
    validation: { quorum: s.validation.quorum, urls: s.validation.urls.map(maskUrl) },
    action: maskAction(s.action),
  };
  if (s.standbyUrl !== undefined) out.standbyUrl = maskUrl(s.standbyUrl);
  if (s.failbackAction) out.failbackAction = maskAction(s.failbackAction);
  return out;
}

/** Every URL of the settings, to find the stored one a masked URL stands for. */
export function allUrls(s: PairSettings): string[] {
  const urls = [s.primaryUrl, ...s.validation.urls, s.action.url];
  if (s.standbyUrl !== undefined) urls.push(s.standbyUrl);
  if (s.failbackAction) urls.push(s.failbackAction.url);
  return urls;
}

// ---------------------------------------------------------------------------------------------
// Keeping a stored secret

/**
 * May a secret sent back as the mask keep the stored one? Only when the action still goes to the same
 * origin (scheme, host, port) with the same authentication: otherwise the stored secret would be sent
 * to a host it was never meant for. When not, `why` says so in words.
 */
export type KeptSecrets = { keep: true } | { keep: false; why: string };

export function keptSecrets(
  existingAction: ActionSettings | undefined,
  url: string | undefined,
  auth: AuthKind | undefined,
): KeptSecrets {
  if (!existingAction) return { keep: false, why: 'no secret is stored to keep' };
  if (url === undefined || auth === undefined)
    return { keep: false, why: 'the action URL or authentication is invalid' };
  const before = originOf(existingAction.url);
  const after = originOf(url);
  if (before !== after) {
    return {
      keep: false,
      why: `the action URL's origin changed (from ${before} to ${after}), and the stored secret must not follow it to a new host`,
    };
  }
  if (existingAction.auth !== auth)
    return { keep: false, why: `the authentication changed (from ${existingAction.auth} to ${auth})` };
  return { keep: true };
}

/** Scheme, host and port of an action URL template (variables filled with stand-ins). */
export function originOf(templateUrl: string): string {
  try {
    return new URL(renderTemplate(templateUrl, TEMPLATE_STAND_INS, 'url')).origin;
  } catch {
    return templateUrl;
  }
}
