// Validation of `<dns-verify>` (PairSettings.dnsVerify), called from validate.ts: the same rules for
// the XML file, the API and the editor. Values are stored in their canonical form (dns-values.ts),
// so what the settings expect and what a server answers compare as plain text.

import { DNS_RECORD_TYPES, type DnsRecordType, type DnsVerifySettings } from './pbx-health.js';
import { fqdn, isDnsName, normaliseDnsValue, parseDnsServer } from './dns-values.js';

export const DNS_VERIFY_DEFAULTS = { type: 'A' as DnsRecordType, within: 120, maxTtl: 300 } as const;
export const DNS_VERIFY_LIMITS = { withinMax: 86400, maxTtlMax: 2147483647, maxServers: 20, maxValues: 50 } as const;

type Add = (field: string, message: string) => void;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `"${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `dnsVerify` of a pair's input: undefined/null means none; problems go to `add` under `dnsVerify.…`. */
export function readDnsVerify(v: unknown, add: Add): DnsVerifySettings | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v))
    return void add('dnsVerify', `must be an object with name, type, failover and servers, got ${describe(v)}`);
  const before = { count: 0 };
  const note: Add = (field, message) => {
    before.count++;
    add(field, message);
  };
  const name = readName(note, v['name']);
  const type = readType(note, v['type']);
  const failover = type && readSet(note, 'dnsVerify.failover', v['failover'], type, true);
  const failback = type && readSet(note, 'dnsVerify.failback', v['failback'], type, false);
  const within = readPositive(note, 'dnsVerify.within', v['within'], DNS_VERIFY_DEFAULTS.within, {
    max: DNS_VERIFY_LIMITS.withinMax,
    integer: false,
  });
  const maxTtl = readPositive(note, 'dnsVerify.maxTtl', v['maxTtl'], DNS_VERIFY_DEFAULTS.maxTtl, {
    max: DNS_VERIFY_LIMITS.maxTtlMax,
    integer: true,
  });
  const servers = readServers(note, v['servers']);
  if (before.count > 0) return undefined;
  return {
    name: name!,
    type: type!,
    failover: failover!,
    failback: failback!,
    within: within!,
    maxTtl: maxTtl!,
    servers: servers!,
  };
}

function readName(add: Add, v: unknown): string | undefined {
  if (v === undefined || v === null || v === '')
    return void add('dnsVerify.name', 'is required: the name to verify, like pbx.example.com.');
  if (typeof v !== 'string') return void add('dnsVerify.name', `must be text, got ${describe(v)}`);
  const name = v.trim();
  if (!isDnsName(name))
    return void add('dnsVerify.name', `${describe(v)} is not a DNS name (labels of letters, digits, - and _)`);
  return fqdn(name);
}

function readType(add: Add, v: unknown): DnsRecordType | undefined {
  if (v === undefined || v === null || v === '') return DNS_VERIFY_DEFAULTS.type;
  const t = typeof v === 'string' ? v.trim().toUpperCase() : undefined;
  if (t !== undefined && (DNS_RECORD_TYPES as readonly string[]).includes(t)) return t as DnsRecordType;
  return void add('dnsVerify.type', `must be one of ${DNS_RECORD_TYPES.join(', ')}, got ${describe(v)}`);
}

const WHAT: Record<DnsRecordType, string> = {
  A: 'an IPv4 address like 198.51.100.20',
  AAAA: 'an IPv6 address like 2001:db8::20',
  CNAME: 'a host name like standby.example.com.',
};

/** A record set: a list, or text with the values separated by spaces (as in the XML attribute). */
function readSet(add: Add, field: string, v: unknown, type: DnsRecordType, required: boolean): string[] | undefined {
  let values: unknown[];
  if (v === undefined || v === null) values = [];
  else if (typeof v === 'string') values = v.split(/\s+/).filter((s) => s !== '');
  else if (Array.isArray(v)) values = v;
  else return void add(field, `must be a list of values or text separated by spaces, got ${describe(v)}`);
  if (values.length === 0) {
    if (required) add(field, `is required: the record set expected after a failover (${WHAT[type]})`);
    return required ? undefined : [];
  }
  if (values.length > DNS_VERIFY_LIMITS.maxValues)
    return void add(field, `at most ${DNS_VERIFY_LIMITS.maxValues} values, got ${values.length}`);
  const out: string[] = [];
  for (const value of values) {
    const normal = typeof value === 'string' ? normaliseDnsValue(type, value.trim()) : undefined;
    if (normal === undefined) return void add(field, `${describe(value)} is not ${WHAT[type]} (type ${type})`);
    if (out.includes(normal)) return void add(field, `${describe(value)} appears twice`);
    out.push(normal);
  }
  if (type === 'CNAME' && out.length > 1) return void add(field, `a name has only one CNAME target, got ${out.length}`);
  return out;
}

function readPositive(
  add: Add,
  field: string,
  v: unknown,
  fallback: number,
  rule: { max: number; integer: boolean },
): number | undefined {
  if (v === undefined || v === null || v === '') return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) return void add(field, `must be a number, got ${describe(v)}`);
  if (rule.integer && !Number.isInteger(v)) return void add(field, `must be a whole number of seconds, got ${v}`);
  if (v <= 0) return void add(field, `must be more than 0 seconds, got ${v}`);
  if (v > rule.max) return void add(field, `must be at most ${rule.max} seconds, got ${v}`);
  return v;
}

function readServers(add: Add, v: unknown): string[] | undefined {
  const none = 'at least one <server> is required: an authoritative server to ask, host or host:port';
  if (v === undefined || v === null) return void add('dnsVerify.servers', none);
  if (!Array.isArray(v))
    return void add('dnsVerify.servers', `must be a list of host or host:port, got ${describe(v)}`);
  if (v.length === 0) return void add('dnsVerify.servers', none);
  if (v.length > DNS_VERIFY_LIMITS.maxServers)
    return void add('dnsVerify.servers', `at most ${DNS_VERIFY_LIMITS.maxServers} servers, got ${v.length}`);
  const out: string[] = [];
  let ok = true;
  v.forEach((s: unknown, i) => {
    const field = `dnsVerify.servers[${i}]`;
    const text = typeof s === 'string' ? s.trim() : undefined;
    if (text === undefined || parseDnsServer(text) === undefined) {
      ok = false;
      return add(field, `${describe(s)} is not host or host:port (like 198.18.4.2:53)`);
    }
    if (out.includes(text)) {
      ok = false;
      return add(field, `${describe(s)} is listed twice`);
    }
    out.push(text);
  });
  return ok ? out : undefined;
}
