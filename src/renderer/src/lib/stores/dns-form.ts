// The pair editor's `<dns-verify>` section: the form as typed (sets as text separated by spaces,
// servers one per line of inputs) and the settings it stands for, judged by the engine's validator.

import type { DnsRecordType, DnsVerifySettings } from '$shared/pbx-health';
import { DNS_VERIFY_DEFAULTS } from '$shared/validate-dns';

export interface DnsVerifyForm {
  enabled: boolean;
  name: string;
  type: DnsRecordType;
  /** Values separated by spaces, as in the XML attribute. */
  failover: string;
  failback: string;
  within: number | null;
  maxTtl: number | null;
  servers: string[];
}

export function emptyDnsForm(): DnsVerifyForm {
  return {
    enabled: false,
    name: '',
    type: DNS_VERIFY_DEFAULTS.type,
    failover: '',
    failback: '',
    within: DNS_VERIFY_DEFAULTS.within,
    maxTtl: DNS_VERIFY_DEFAULTS.maxTtl,
    servers: [''],
  };
}

export function dnsFormFromSettings(d: DnsVerifySettings | undefined): DnsVerifyForm {
  if (!d) return emptyDnsForm();
  return {
    enabled: true,
    name: d.name,
    type: d.type,
    failover: d.failover.join(' '),
    failback: d.failback.join(' '),
    within: d.within,
    maxTtl: d.maxTtl,
    servers: d.servers.length > 0 ? [...d.servers] : [''],
  };
}

const words = (text: string): string[] => text.split(/\s+/).filter((w) => w !== '');

/** The settings of an enabled section (possibly invalid: the validator names what is wrong); else none. */
export function dnsFromForm(f: DnsVerifyForm): DnsVerifySettings | undefined {
  if (!f.enabled) return undefined;
  return {
    name: f.name.trim(),
    type: f.type,
    failover: words(f.failover),
    failback: words(f.failback),
    // Left empty: the default, as in the XML.
    within: (f.within ?? undefined) as number,
    maxTtl: (f.maxTtl ?? undefined) as number,
    servers: f.servers.map((s) => s.trim()).filter((s) => s !== ''),
  };
}

/** Problem fields the section has an input for. */
export function dnsFieldsWithInput(f: DnsVerifyForm): string[] {
  if (!f.enabled) return [];
  return [
    'dnsVerify',
    'dnsVerify.name',
    'dnsVerify.type',
    'dnsVerify.failover',
    'dnsVerify.failback',
    'dnsVerify.within',
    'dnsVerify.maxTtl',
    'dnsVerify.servers',
    ...f.servers.map((_, i) => `dnsVerify.servers[${i}]`),
  ];
}
