// `dnsVerify` as the API and the editor send it (JSON lists), through the one validator of a pair.

import { describe, expect, it } from 'vitest';
import { validatePairSettings } from '../../src/shared/validate.js';
import { parseDnsServer } from '../../src/shared/dns-values.js';

const base = {
  id: 'p1',
  primaryUrl: 'http://192.0.2.10/',
  interval: 1,
  toleratedFailures: 2,
  validation: { urls: ['http://203.0.113.1/'] },
  action: { url: 'http://192.0.2.99/hook' },
};

describe('dnsVerify validation', () => {
  it('takes lists and fills the defaults', () => {
    const r = validatePairSettings({
      ...base,
      dnsVerify: { name: 'pbx.example.com', type: 'CNAME', failover: ['Standby.Example.com'], servers: ['[::1]:5300'] },
    });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.settings.dnsVerify).toEqual({
      name: 'pbx.example.com.',
      type: 'CNAME',
      failover: ['standby.example.com.'],
      failback: [],
      within: 120,
      maxTtl: 300,
      servers: ['[::1]:5300'],
    });
  });

  it('names every problem at once, each under dnsVerify', () => {
    const r = validatePairSettings({
      ...base,
      dnsVerify: { name: 42, failover: 'x', within: -1, maxTtl: 1.5, servers: [] },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.field).sort()).toEqual([
      'dnsVerify.failover',
      'dnsVerify.maxTtl',
      'dnsVerify.name',
      'dnsVerify.servers',
      'dnsVerify.within',
    ]);
    expect(r.problems.every((p) => p.pair === 'p1')).toBe(true);
  });

  it('refuses something that is not an object', () => {
    const r = validatePairSettings({ ...base, dnsVerify: 'pbx.example.com' });
    expect(r.ok ? [] : r.problems).toEqual([
      { pair: 'p1', field: 'dnsVerify', message: expect.stringMatching(/must be an object/) },
    ]);
  });

  it('reads servers as host, host:port, [v6] and [v6]:port', () => {
    expect(parseDnsServer('198.18.4.2')).toEqual({ host: '198.18.4.2', port: 53 });
    expect(parseDnsServer('ns1.example.com:5353')).toEqual({ host: 'ns1.example.com', port: 5353 });
    expect(parseDnsServer('[2001:db8::1]:53')).toEqual({ host: '2001:db8::1', port: 53 });
    expect(parseDnsServer('2001:db8::1')).toEqual({ host: '2001:db8::1', port: 53 });
    expect(parseDnsServer('198.18.4.2:0')).toBeUndefined();
    expect(parseDnsServer('a b')).toBeUndefined();
  });
});
