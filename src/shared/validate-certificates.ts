// Validation of `<certificates warn-days critical-days><check name address/></certificates>` (the
// `certificates` field of a pair), the same rules for the XML, the API and the editor.

import { CERTIFICATE_DEFAULTS, type CertificateSettings } from './pbx-health.js';

/** At most this many days ahead (ten years): a threshold beyond any certificate's life is a typo. */
export const CERTIFICATE_DAYS_MAX = 3650;
export const CERTIFICATE_CHECKS_MAX = 20;

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const DNS_NAME = new RegExp(`^(?=.{1,253}\\.?$)${LABEL}(?:\\.${LABEL})*\\.?$`);
const IPV4ISH = /^[\d.]+$/;

/** "host:port" or "[v6]:port" split, the port 1 to 65535; undefined when it is not that. */
export function splitAddress(address: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(address);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (m[1] ?? m[2])!, port };
}

/** A DNS name that can be sent with SNI (not an IP address, no wildcard). */
export function isDnsName(name: string): boolean {
  return DNS_NAME.test(name) && !IPV4ISH.test(name);
}

/** The settings of `<certificates>` filled with defaults; problems go to `add` under `certificates.…`. */
export function readCertificates(
  add: (field: string, message: string) => void,
  v: unknown,
): CertificateSettings | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return void add('certificates', 'must be an object with warnDays, criticalDays and checks');
  const input = v as Record<string, unknown>;
  const before = { n: 0 };
  const note = (field: string, message: string): void => {
    before.n++;
    add(field, message);
  };
  const warnDays = readDays(note, 'certificates.warnDays', input['warnDays'], CERTIFICATE_DEFAULTS.warnDays);
  const criticalDays = readDays(
    note,
    'certificates.criticalDays',
    input['criticalDays'],
    CERTIFICATE_DEFAULTS.criticalDays,
  );
  if (warnDays !== undefined && criticalDays !== undefined && criticalDays >= warnDays)
    note(
      'certificates.criticalDays',
      `must be fewer days than warn-days (${warnDays}), got ${criticalDays}: critical comes after the warning`,
    );
  const checks = readChecks(note, input['checks']);
  if (before.n > 0) return undefined;
  return { warnDays: warnDays!, criticalDays: criticalDays!, checks: checks! };
}

function readDays(
  add: (field: string, message: string) => void,
  field: string,
  v: unknown,
  fallback: number,
): number | undefined {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    return void add(field, `must be a whole number of days, at least 1, got ${describeValue(v)}`);
  if (v > CERTIFICATE_DAYS_MAX) return void add(field, `must be at most ${CERTIFICATE_DAYS_MAX} days, got ${v}`);
  return v;
}

function readChecks(
  add: (field: string, message: string) => void,
  v: unknown,
): CertificateSettings['checks'] | undefined {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return void add('certificates.checks', 'must be a list of { name, address }');
  if (v.length > CERTIFICATE_CHECKS_MAX)
    return void add('certificates.checks', `at most ${CERTIFICATE_CHECKS_MAX} checks, got ${v.length}`);
  const out: CertificateSettings['checks'] = [];
  const seen = new Set<string>();
  v.forEach((raw, i) => {
    const at = `certificates.checks[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      return add(at, 'must be an object with name and address');
    const { name, address } = raw as Record<string, unknown>;
    let ok = true;
    if (typeof name !== 'string' || name.trim() === '') {
      add(`${at}.name`, 'is required: the DNS name sent with SNI and matched against the certificate');
      ok = false;
    } else if (!isDnsName(name.trim())) {
      add(
        `${at}.name`,
        `${describeValue(name)} is not a DNS name such as pbx.example.com (IP addresses go in address)`,
      );
      ok = false;
    }
    if (typeof address !== 'string' || address.trim() === '') {
      add(`${at}.address`, 'is required: host:port to connect to, e.g. 198.18.2.2:443');
      ok = false;
    } else if (!splitAddress(address.trim())) {
      add(`${at}.address`, `${describeValue(address)} is not host:port (e.g. 198.18.2.2:5061 or [2001:db8::2]:443)`);
      ok = false;
    }
    if (!ok) return;
    const check = { name: (name as string).trim(), address: (address as string).trim() };
    const key = `${check.name.toLowerCase()} ${check.address.toLowerCase()}`;
    if (seen.has(key)) return add(at, `checks ${check.name} at ${check.address} a second time`);
    seen.add(key);
    out.push(check);
  });
  return out;
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return `"${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : String(v);
}
