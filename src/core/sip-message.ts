// The few SIP messages the checks need (RFC 3261): an OPTIONS request built by hand, the status line and
// matching headers of a response read back, and the framing of a stream (TCP, TLS) by Content-Length.

import { randomBytes } from 'node:crypto';
import type { SipSettings } from '../shared/pbx-health.js';
import { parseSipUri } from '../shared/validate-sip.js';
import type { SipTarget } from './ports.js';

/** The magic cookie of RFC 3261 branches (17.2.3). */
export const BRANCH_COOKIE = 'z9hG4bK';
export const USER_AGENT = 'pbx-failover-monitor';
/** Larger than any OPTIONS answer worth reading; a stream that grows past it without a message is dropped. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

export interface OptionsRequest {
  target: SipTarget;
  branch: string;
  callId: string;
  cseq: number;
  fromTag: string;
  /** The sent-by of Via and the Contact: our address and port as the target sees them (best known). */
  localHost: string;
  localPort: number;
}

export interface SipResponse {
  status: number;
  reason: string;
  /** Branch of the top Via. */
  branch: string | undefined;
  callId: string | undefined;
  cseq: number | undefined;
  cseqMethod: string | undefined;
}

/** The target of a pair's `<primary-sip>` / `<standby-sip>` (settings already validated). */
export function sipTarget(settings: SipSettings): SipTarget {
  const parsed = parseSipUri(settings.uri, settings.transport);
  if ('error' in parsed) throw new Error(`invalid SIP URI: ${parsed.error}`);
  return {
    uri: settings.uri,
    host: parsed.host,
    port: parsed.port,
    transport: parsed.scheme === 'sips' ? 'tls' : settings.transport,
    verify: settings.verify === true,
  };
}

export function newBranch(): string {
  return `${BRANCH_COOKIE}${randomBytes(8).toString('hex')}`;
}

export function newToken(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}

function hostText(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** An out-of-dialog OPTIONS (RFC 3261 11.1) with Content-Length 0. */
export function buildOptions(r: OptionsRequest): string {
  const t = r.target;
  const scheme = t.transport === 'tls' ? 'sips' : 'sip';
  const requestUri = `${scheme}:${hostText(t.host)}:${t.port}`;
  const via = t.transport.toUpperCase();
  const local = `${hostText(r.localHost)}:${r.localPort}`;
  const contactParams = t.transport === 'udp' ? '' : `;transport=${t.transport}`;
  return (
    `OPTIONS ${requestUri} SIP/2.0\r\n` +
    `Via: SIP/2.0/${via} ${local};branch=${r.branch};rport\r\n` +
    `Max-Forwards: 70\r\n` +
    `From: <sip:monitor@${hostText(r.localHost)}>;tag=${r.fromTag}\r\n` +
    `To: <${requestUri}>\r\n` +
    `Call-ID: ${r.callId}\r\n` +
    `CSeq: ${r.cseq} OPTIONS\r\n` +
    `Contact: <${scheme}:monitor@${local}${contactParams}>\r\n` +
    `Accept: application/sdp\r\n` +
    `User-Agent: ${USER_AGENT}\r\n` +
    `Content-Length: 0\r\n\r\n`
  );
}

// Compact forms of the headers read (RFC 3261 7.3.3).
const COMPACT: Record<string, string> = { v: 'via', i: 'call-id', l: 'content-length' };

/** The status line and the matching headers of a response; undefined for anything else (a request, garbage). */
export function parseResponse(text: string): SipResponse | undefined {
  const end = text.indexOf('\r\n\r\n');
  const head = end >= 0 ? text.slice(0, end) : text;
  const lines = head.split(/\r?\n/);
  const m = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/.exec(lines[0] ?? '');
  if (!m) return undefined;
  const out: SipResponse = {
    status: Number(m[1]),
    reason: m[2]!.trim(),
    branch: undefined,
    callId: undefined,
    cseq: undefined,
    cseqMethod: undefined,
  };
  let sawVia = false;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const raw = line.slice(0, colon).trim().toLowerCase();
    const name = COMPACT[raw] ?? raw;
    const value = line.slice(colon + 1).trim();
    if (name === 'via' && !sawVia) {
      sawVia = true;
      // The top Via only: the first value of the first Via header.
      const first = value.split(',')[0]!;
      out.branch = /;\s*branch=([^;\s,]+)/i.exec(first)?.[1];
    } else if (name === 'call-id' && out.callId === undefined) {
      out.callId = value;
    } else if (name === 'cseq' && out.cseq === undefined) {
      const c = /^(\d+)\s+([A-Za-z]+)/.exec(value);
      if (c) {
        out.cseq = Number(c[1]);
        out.cseqMethod = c[2]!.toUpperCase();
      }
    }
  }
  return out;
}

/**
 * Splits complete messages off the front of a stream buffer (RFC 3261 18.3: framed by Content-Length).
 * Returns the messages and the rest; `overflow` when the rest cannot become a message within the cap.
 */
export function frameMessages(buffer: Buffer): { messages: string[]; rest: Buffer; overflow: boolean } {
  const messages: string[] = [];
  let rest = buffer;
  for (;;) {
    // Keep-alive CRLFs between messages (RFC 5626 4.4.1) are skipped.
    let start = 0;
    while (start + 1 < rest.length && rest[start] === 0x0d && rest[start + 1] === 0x0a) start += 2;
    if (start > 0) rest = rest.subarray(start);
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const head = rest.subarray(0, end).toString('latin1');
    const lengthLine = /^(?:content-length|l)[ \t]*:[ \t]*(\d+)[ \t]*$/im.exec(head);
    const bodyLength = lengthLine ? Number(lengthLine[1]) : 0;
    if (bodyLength > MAX_MESSAGE_BYTES) return { messages, rest, overflow: true };
    const total = end + 4 + bodyLength;
    if (rest.length < total) break;
    messages.push(rest.subarray(0, total).toString('utf8'));
    rest = rest.subarray(total);
  }
  return { messages, rest, overflow: rest.length > MAX_MESSAGE_BYTES };
}
