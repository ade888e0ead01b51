// `<dns-verify>` inside `<pair>` <-> PairSettings.dnsVerify, called from config-xml.ts:
//   <dns-verify name="pbx.example.com." type="A" failover="198.51.100.20" failback="192.0.2.10"
//               within="120" max-ttl="300"><server>198.18.4.2:53</server>…</dns-verify>
// Reading only maps the XML onto the settings' input (validate-dns.ts judges it); writing keeps
// unknown attributes and children of the element as it was read.

import type { DnsVerifySettings } from '../shared/pbx-health.js';
import { attr, childElements, textElement, textOf, type XmlElement } from './xml-tree.js';
import { merge } from './xml-merge.js';

export const DNS_VERIFY_ELEMENT = 'dns-verify';
const ATTRS = ['name', 'type', 'failover', 'failback', 'within', 'max-ttl'] as const;
const CHILDREN = ['server'] as const;

function optionalAttr(el: XmlElement, name: string): string | undefined {
  const v = attr(el, name)?.trim();
  return v === '' ? undefined : v;
}

/** "120" and "0.5" become numbers; anything else stays text so that validation can say what is wrong. */
function numberOrText(v: string | undefined): number | string | undefined {
  if (v === undefined) return undefined;
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v) ? Number(v) : v;
}

/** The settings' input of a `<dns-verify>` element; `add` takes problems of the element's own shape. */
export function readDnsVerifyInput(
  el: XmlElement,
  add: (field: string, message: string) => void,
): Record<string, unknown> {
  if (el.children.some((c) => (c.type === 'text' && c.text.trim() !== '') || c.type === 'cdata'))
    add('dnsVerify', 'text directly inside <dns-verify>; each server goes in its own <server> element');
  const servers = childElements(el).filter((c) => c.name === 'server');
  servers.forEach((s, i) => {
    if (childElements(s).length > 0) add(`dnsVerify.servers[${i}]`, '<server> must contain text only, not elements');
  });
  return {
    name: optionalAttr(el, 'name'),
    type: optionalAttr(el, 'type'),
    failover: attr(el, 'failover') ?? undefined,
    failback: attr(el, 'failback') ?? undefined,
    within: numberOrText(optionalAttr(el, 'within')),
    maxTtl: numberOrText(optionalAttr(el, 'max-ttl')),
    servers: servers.map((s) => textOf(s).trim()),
  };
}

/** The `<dns-verify>` element of these settings, merged into the element as it was read. */
export function dnsVerifyElement(d: DnsVerifySettings, base: XmlElement | undefined): XmlElement {
  const attrs: [string, string | undefined][] = [
    ['name', d.name],
    ['type', d.type],
    ['failover', d.failover.join(' ')],
    ['failback', d.failback.length > 0 ? d.failback.join(' ') : undefined],
    ['within', String(d.within)],
    ['max-ttl', String(d.maxTtl)],
  ];
  const servers = d.servers.map((s) => textElement('server', s));
  return merge(base, DNS_VERIFY_ELEMENT, attrs, ATTRS, servers, CHILDREN);
}
