// Which certificates of a pair are watched: its `<check>`s, else every https: URL (primary, standby)
// and every TLS SIP target (`transport="tls"` or a `sips:` URI, default port 5061).

import type { PairSettings } from './model.js';
import type { SipSettings } from './pbx-health.js';

export interface WatchedCertificate {
  /** "primary", "standby", "primary-sip", "standby-sip" or "check". */
  target: string;
  /** Sent with SNI and matched against the certificate. */
  name: string;
  /** host:port ([v6]:port). */
  address: string;
}

export function certificateTargets(s: PairSettings): WatchedCertificate[] {
  const explicit = s.certificates?.checks ?? [];
  if (explicit.length > 0) return explicit.map((c) => ({ target: 'check', name: c.name, address: c.address }));
  const out: WatchedCertificate[] = [];
  const add = (t: WatchedCertificate | undefined): void => {
    if (t && !out.some((o) => o.name === t.name && o.address === t.address)) out.push(t);
  };
  add(httpsTarget('primary', s.primaryUrl));
  if (s.standbyUrl !== undefined) add(httpsTarget('standby', s.standbyUrl));
  if (s.primarySip) add(sipTarget('primary-sip', s.primarySip));
  if (s.standbySip) add(sipTarget('standby-sip', s.standbySip));
  return out;
}

function httpsTarget(target: string, url: string): WatchedCertificate | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' || u.hostname === '') return undefined;
  return { target, name: unbracket(u.hostname), address: `${u.hostname}:${u.port || '443'}` };
}

/** `sip:host[:port][;params]` with tls, or `sips:…`: the host and port connected to. */
function sipTarget(target: string, sip: SipSettings): WatchedCertificate | undefined {
  const m = /^(sips?):(?:[^@;?]*@)?(\[[0-9A-Fa-f:.]+\]|[^:;?[\]]+)(?::(\d{1,5}))?(?:[;?].*)?$/i.exec(sip.uri.trim());
  if (!m) return undefined;
  const secure = m[1]!.toLowerCase() === 'sips';
  if (!secure && sip.transport !== 'tls') return undefined;
  const host = m[2]!;
  return { target, name: unbracket(host), address: `${host}:${m[3] ?? '5061'}` };
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
