// `<dns-verify>` in pbxctrl-failover.xml: read into PairSettings.dnsVerify, written back with what
// others added kept, and every bad attribute or server a problem naming the element.

import { describe, expect, it } from 'vitest';
import { parseConfigXml, serializeConfigXml } from '../../src/core/config-xml.js';
import type { Problem } from '../../src/shared/model.js';
import { xmlPathOf } from '../../src/shared/xml-names.js';
import { configWith, minimalPair } from '../helpers/xml-samples.js';

const CONTRACT = `
    <dns-verify name="pbx.example.com." type="A" failover="198.51.100.20" failback="192.0.2.10" within="120" max-ttl="300">
      <server>198.18.4.2:53</server>
      <server>198.18.5.2:53</server>
    </dns-verify>`;

function parse(extra: string) {
  return parseConfigXml(configWith(minimalPair('p1', extra)));
}

function problems(extra: string): Problem[] {
  const r = parse(extra);
  if (r.ok) throw new Error('expected problems');
  return r.problems;
}

describe('<dns-verify>', () => {
  it("reads the contract's example", () => {
    const r = parse(CONTRACT);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.pairs[0]!.settings.dnsVerify).toEqual({
      name: 'pbx.example.com.',
      type: 'A',
      failover: ['198.51.100.20'],
      failback: ['192.0.2.10'],
      within: 120,
      maxTtl: 300,
      servers: ['198.18.4.2:53', '198.18.5.2:53'],
    });
  });

  it('fills the defaults and splits a set written with spaces; AAAA values in canonical form', () => {
    const r = parse(
      `<dns-verify name="PBX.example.com" type="aaaa" failover="2001:DB8::20  2001:db8:0:0::21"><server>ns1.example.com</server></dns-verify>`,
    );
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.pairs[0]!.settings.dnsVerify).toEqual({
      name: 'pbx.example.com.',
      type: 'AAAA',
      failover: ['2001:db8::20', '2001:db8::21'],
      failback: [],
      within: 120,
      maxTtl: 300,
      servers: ['ns1.example.com'],
    });
  });

  it('writes it back, keeping unknown attributes and children, and reads the same again', () => {
    const text = configWith(
      minimalPair(
        'p1',
        `<dns-verify name="pbx.example.com." failover="198.51.100.20" x-note="kept"><!-- ours --><server>198.18.4.2</server><extra/></dns-verify>`,
      ),
    );
    const first = parseConfigXml(text);
    if (!first.ok) throw new Error(JSON.stringify(first.problems));
    const written = serializeConfigXml(first.config, { base: first.document });
    expect(written).toContain('x-note="kept"');
    expect(written).toContain('<!-- ours -->');
    expect(written).toContain('<extra/>');
    // Attributes the file had stay in its order; the defaults are written after them.
    expect(written).toContain(
      '<dns-verify name="pbx.example.com." failover="198.51.100.20" x-note="kept" type="A" within="120" max-ttl="300">',
    );
    expect(written).not.toContain('failback=');
    const again = parseConfigXml(written);
    if (!again.ok) throw new Error(JSON.stringify(again.problems));
    expect(again.config.pairs[0]!.settings.dnsVerify).toEqual(first.config.pairs[0]!.settings.dnsVerify);
    // Written into a fresh file too, after the failback action and before the state.
    const fresh = serializeConfigXml(first.config);
    expect(fresh.indexOf('<dns-verify')).toBeGreaterThan(fresh.indexOf('</action>'));
  });

  it.each([
    [`<dns-verify failover="198.51.100.20"><server>198.18.4.2</server></dns-verify>`, 'dnsVerify.name', /required/],
    [
      `<dns-verify name="pbx." type="MX" failover="x"><server>198.18.4.2</server></dns-verify>`,
      'dnsVerify.type',
      /A, AAAA, CNAME/,
    ],
    [
      `<dns-verify name="pbx." failover="2001:db8::1"><server>198.18.4.2</server></dns-verify>`,
      'dnsVerify.failover',
      /not an IPv4 address/,
    ],
    [
      `<dns-verify name="pbx." type="AAAA" failover="198.51.100.20"><server>a</server></dns-verify>`,
      'dnsVerify.failover',
      /not an IPv6/,
    ],
    [
      `<dns-verify name="pbx." type="CNAME" failover="a.example. b.example."><server>a</server></dns-verify>`,
      'dnsVerify.failover',
      /only one CNAME/,
    ],
    [`<dns-verify name="pbx."><server>198.18.4.2</server></dns-verify>`, 'dnsVerify.failover', /required/],
    [
      `<dns-verify name="pbx." failover="192.0.2.1" failback="999.1.1.1"><server>a</server></dns-verify>`,
      'dnsVerify.failback',
      /999/,
    ],
    [
      `<dns-verify name="pbx." failover="192.0.2.1" within="0"><server>a</server></dns-verify>`,
      'dnsVerify.within',
      /more than 0/,
    ],
    [
      `<dns-verify name="pbx." failover="192.0.2.1" within="soon"><server>a</server></dns-verify>`,
      'dnsVerify.within',
      /number/,
    ],
    [
      `<dns-verify name="pbx." failover="192.0.2.1" max-ttl="-5"><server>a</server></dns-verify>`,
      'dnsVerify.maxTtl',
      /more than 0/,
    ],
    [`<dns-verify name="pbx." failover="192.0.2.1"></dns-verify>`, 'dnsVerify.servers', /at least one <server>/],
    [
      `<dns-verify name="pbx." failover="192.0.2.1"><server>198.18.4.2:99999</server></dns-verify>`,
      'dnsVerify.servers[0]',
      /host:port/,
    ],
    [
      `<dns-verify name="pbx." failover="192.0.2.1"><server>a</server><server>a</server></dns-verify>`,
      'dnsVerify.servers[1]',
      /twice/,
    ],
    [
      `<dns-verify name="bad name" failover="192.0.2.1"><server>a</server></dns-verify>`,
      'dnsVerify.name',
      /not a DNS name/,
    ],
  ])('refuses %s naming %s', (extra, field, message) => {
    const found = problems(extra);
    const p = found.find((x) => x.field === field);
    expect(p, JSON.stringify(found)).toBeDefined();
    expect(p!.pair).toBe('p1');
    expect(p!.message).toMatch(message);
  });

  it('a second <dns-verify> is a problem (it would be lost on rewrite)', () => {
    const found = problems(CONTRACT + CONTRACT);
    expect(found.some((p) => p.field === 'dnsVerify' && /more than once/.test(p.message))).toBe(true);
  });

  it('problems point people at the XML: element, attribute and server', () => {
    expect(xmlPathOf('dnsVerify.maxTtl')).toBe('dns-verify/@max-ttl');
    expect(xmlPathOf('dnsVerify.failover')).toBe('dns-verify/@failover');
    expect(xmlPathOf('dnsVerify.servers[1]')).toBe('dns-verify/server[2]');
  });
});
