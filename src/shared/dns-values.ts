// How record values of `<dns-verify>` are written and compared: one canonical text per value, so
// that the expected set of the settings and what a server answers compare as plain strings.

import type { DnsRecordType } from './pbx-health.js';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const LABEL = /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$/;

export function isIpv4(value: string): boolean {
  return IPV4.test(value);
}

/** The canonical (compressed, lower-case) form of an IPv6 address, or undefined when it is not one. */
export function canonicalIpv6(value: string): string | undefined {
  if (!value.includes(':') || value.includes('[') || value.includes('%')) return undefined;
  try {
    const host = new URL(`http://[${value}]/`).hostname;
    return host.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** A host name of labels, with or without the final dot. */
export function isDnsName(value: string): boolean {
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => LABEL.test(label));
}

/** Lower case with the final dot: "PBX.Example.com" → "pbx.example.com.". */
export function fqdn(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** The value as compared, or undefined when it is not a value of `type`. */
export function normaliseDnsValue(type: DnsRecordType, value: string): string | undefined {
  if (type === 'A') return isIpv4(value) ? value : undefined;
  if (type === 'AAAA') return canonicalIpv6(value);
  return isDnsName(value) ? fqdn(value) : undefined;
}

/** Whether two record sets hold the same values, order and duplicates aside. */
export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  if (left.size !== right.size) return false;
  for (const v of left) if (!right.has(v)) return false;
  return true;
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`; port 53 by default. Undefined when malformed. */
export function parseDnsServer(server: string): { host: string; port: number } | undefined {
  const text = server.trim();
  let host: string;
  let port = '53';
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) {
    host = bracket[1]!;
    if (canonicalIpv6(host) === undefined) return undefined;
    if (bracket[2] !== undefined) port = bracket[2];
  } else if ((text.match(/:/g) ?? []).length > 1) {
    // A bare IPv6 address without a port.
    if (canonicalIpv6(text) === undefined) return undefined;
    host = text;
  } else {
    const [h, p] = text.split(':');
    host = h ?? '';
    if (p !== undefined) port = p;
    if (!isIpv4(host) && !isDnsName(host)) return undefined;
  }
  if (!/^\d{1,5}$/.test(port)) return undefined;
  const n = Number(port);
  if (n < 1 || n > 65535) return undefined;
  return { host, port: n };
}
