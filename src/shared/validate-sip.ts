// `<primary-sip>` and `<standby-sip>`: the URI `sip:host[:port]` (or `sips:`, which implies tls), the
// transport, the accepted final codes (`<accept-status>` syntax) and the verify flag. The same rules
// for the XML file, the API and the editor; the engine parses the URI with `parseSipUri` too.

import { parseAcceptStatus } from './accept-status.js';
import { SIP_TRANSPORTS, type SipSettings, type SipTransport } from './pbx-health.js';

export const SIP_DEFAULT_ACCEPT = '200-299';
export const SIP_DEFAULT_PORT = 5060;
export const SIP_DEFAULT_TLS_PORT = 5061;

export interface SipUri {
  scheme: 'sip' | 'sips';
  /** Host name or address; an IPv6 address without its brackets. */
  host: string;
  /** Explicit port or the transport's default. */
  port: number;
}

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;

/** `sip:host[:port]` or `sips:host[:port]`; the port defaults to 5060 (5061 for tls). A message when it is not. */
export function parseSipUri(uri: string, transport: SipTransport): SipUri | { error: string } {
  const m = /^(sips?):(.*)$/i.exec(uri.trim());
  if (!m) return { error: `must be a SIP URI like sip:198.18.1.2:5060 or sips:pbx.example.com, got "${clip(uri)}"` };
  const scheme = m[1]!.toLowerCase() as 'sip' | 'sips';
  const rest = m[2]!;
  if (rest.includes('@') || rest.includes(';') || rest.includes('?') || rest.includes('/'))
    return { error: `must be sip:host[:port] only (no user part, parameters or headers), got "${clip(uri)}"` };
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  if (v6) {
    host = v6[1]!;
    portText = v6[2];
    if (!IPV6.test(host) || !host.includes(':')) return { error: `"${clip(host)}" is not an IPv6 address` };
  } else {
    const parts = rest.split(':');
    if (parts.length > 2) return { error: `an IPv6 address must be written in brackets, like sip:[2001:db8::1]:5060` };
    host = parts[0]!;
    portText = parts[1];
    if (!HOST_NAME.test(host)) return { error: `"${clip(host)}" is not a host name or IPv4 address` };
  }
  let port = transport === 'tls' || scheme === 'sips' ? SIP_DEFAULT_TLS_PORT : SIP_DEFAULT_PORT;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535)
      return { error: `port "${clip(portText)}" must be a number from 1 to 65535` };
    port = Number(portText);
  }
  return { scheme, host, port };
}

/**
 * Reads `primarySip` / `standbySip` as they arrive from the API or the XML mapping (`field` is the
 * field's name); undefined when left out, problems added to `add`.
 */
export function readSipSettings(
  field: string,
  v: unknown,
  add: (field: string, message: string) => void,
): SipSettings | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    return void add(field, 'must be an object with uri, transport, accept and verify');
  const input = v as Record<string, unknown>;
  const before = problemsCounter(add);
  let transport: SipTransport | undefined;
  const rawTransport = input['transport'];
  if (rawTransport === undefined || rawTransport === null || rawTransport === '') transport = undefined;
  else if (
    typeof rawTransport === 'string' &&
    (SIP_TRANSPORTS as readonly string[]).includes(rawTransport.trim().toLowerCase())
  )
    transport = rawTransport.trim().toLowerCase() as SipTransport;
  else before.add(`${field}.transport`, `must be one of ${SIP_TRANSPORTS.join(', ')}, got ${describe(rawTransport)}`);

  const rawUri = input['uri'];
  let uri: string | undefined;
  if (typeof rawUri !== 'string' || rawUri.trim() === '') before.add(`${field}.uri`, 'is required (sip:host[:port])');
  else if (rawUri.length > 300) before.add(`${field}.uri`, 'is too long (at most 300 characters)');
  else {
    uri = rawUri.trim();
    const scheme = /^sips:/i.test(uri) ? 'sips' : 'sip';
    if (scheme === 'sips' && transport !== undefined && transport !== 'tls')
      before.add(`${field}.transport`, `must be tls (or left out) for a sips: URI, got ${transport}`);
    transport ??= scheme === 'sips' ? 'tls' : 'udp';
    const parsed = parseSipUri(uri, transport);
    if ('error' in parsed) before.add(`${field}.uri`, parsed.error);
  }

  let accept = SIP_DEFAULT_ACCEPT;
  const rawAccept = input['accept'];
  if (rawAccept !== undefined && rawAccept !== null && rawAccept !== '') {
    if (typeof rawAccept !== 'string')
      before.add(`${field}.accept`, `must be text like "200-299", got ${describe(rawAccept)}`);
    else {
      const parsed = parseAcceptStatus(rawAccept.trim());
      if ('error' in parsed) before.add(`${field}.accept`, parsed.error);
      else accept = rawAccept.trim();
    }
  }

  const rawVerify = input['verify'];
  let verify: boolean | undefined;
  if (rawVerify === true || rawVerify === 'true') verify = true;
  else if (rawVerify === undefined || rawVerify === null || rawVerify === false || rawVerify === 'false')
    verify = undefined;
  else before.add(`${field}.verify`, `must be true or false, got ${describe(rawVerify)}`);
  if (verify && transport !== 'tls') before.add(`${field}.verify`, 'applies to tls only (transport="tls" or sips:)');

  if (before.count > 0 || uri === undefined || transport === undefined) return undefined;
  return { uri, transport, accept, ...(verify ? { verify } : {}) };
}

function problemsCounter(add: (field: string, message: string) => void) {
  const counter = {
    count: 0,
    add(field: string, message: string) {
      counter.count++;
      add(field, message);
    },
  };
  return counter;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `"${clip(v)}"`;
  return typeof v === 'object' ? 'an object' : String(v);
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}
