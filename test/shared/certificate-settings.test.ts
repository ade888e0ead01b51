// <certificates> settings: validation (named fields, defaults) and which targets a pair watches.

import { describe, expect, it } from 'vitest';
import { certificateTargets } from '../../src/shared/certificate-targets.js';
import type { PairSettings } from '../../src/shared/model.js';
import { validatePairSettings } from '../../src/shared/validate.js';
import { xmlPathOf } from '../../src/shared/xml-names.js';

const base = {
  id: 'acme',
  primaryUrl: 'https://pbx1.example.com/health',
  interval: 5,
  toleratedFailures: 2,
  validation: { quorum: 0, urls: [] },
  action: { url: 'http://127.0.0.1/' },
};

function problems(certificates: unknown): Array<[string, string]> {
  const r = validatePairSettings({ ...base, certificates });
  return r.ok ? [] : r.problems.map((p) => [p.field, p.message]);
}

describe('<certificates> validation', () => {
  it('fills the defaults (warn 21, critical 7, no checks)', () => {
    const r = validatePairSettings({ ...base, certificates: {} });
    expect(r.ok && r.settings.certificates).toEqual({ warnDays: 21, criticalDays: 7, checks: [] });
    const without = validatePairSettings(base);
    expect(without.ok && without.settings.certificates).toBeUndefined();
  });

  it('keeps valid checks', () => {
    const r = validatePairSettings({
      ...base,
      certificates: {
        warnDays: 30,
        criticalDays: 10,
        checks: [{ name: ' pbx.example.com ', address: '198.18.2.2:443' }],
      },
    });
    expect(r.ok && r.settings.certificates).toEqual({
      warnDays: 30,
      criticalDays: 10,
      checks: [{ name: 'pbx.example.com', address: '198.18.2.2:443' }],
    });
  });

  it('names each wrong field', () => {
    expect(problems({ warnDays: 7, criticalDays: 7 })).toEqual([
      ['certificates.criticalDays', 'must be fewer days than warn-days (7), got 7: critical comes after the warning'],
    ]);
    expect(problems({ warnDays: 0, criticalDays: 2.5 })).toEqual([
      ['certificates.warnDays', 'must be a whole number of days, at least 1, got 0'],
      ['certificates.criticalDays', 'must be a whole number of days, at least 1, got 2.5'],
    ]);
    expect(problems({ warnDays: '21x' })[0]).toEqual([
      'certificates.warnDays',
      'must be a whole number of days, at least 1, got "21x"',
    ]);
    expect(
      problems({
        checks: [
          { name: '198.18.2.2', address: '198.18.2.2' },
          { name: 'pbx..example.com', address: 'host:99999' },
          { address: '[2001:db8::2]:443' },
          { name: 'pbx.example.com', address: '[2001:db8::2]:443' },
          { name: 'pbx.example.com', address: '[2001:db8::2]:443' },
        ],
      }),
    ).toEqual([
      [
        'certificates.checks[0].name',
        '"198.18.2.2" is not a DNS name such as pbx.example.com (IP addresses go in address)',
      ],
      ['certificates.checks[0].address', '"198.18.2.2" is not host:port (e.g. 198.18.2.2:5061 or [2001:db8::2]:443)'],
      [
        'certificates.checks[1].name',
        '"pbx..example.com" is not a DNS name such as pbx.example.com (IP addresses go in address)',
      ],
      ['certificates.checks[1].address', '"host:99999" is not host:port (e.g. 198.18.2.2:5061 or [2001:db8::2]:443)'],
      ['certificates.checks[2].name', 'is required: the DNS name sent with SNI and matched against the certificate'],
      ['certificates.checks[4]', 'checks pbx.example.com at [2001:db8::2]:443 a second time'],
    ]);
  });

  it('problems point at the XML attributes', () => {
    expect(xmlPathOf('certificates.warnDays')).toBe('certificates/@warn-days');
    expect(xmlPathOf('certificates.criticalDays')).toBe('certificates/@critical-days');
    expect(xmlPathOf('certificates.checks[1].address')).toBe('certificates/check[2]/@address');
  });
});

describe('watched certificates of a pair', () => {
  const pair = (over: Partial<PairSettings>): PairSettings => ({
    ...(validatePairSettings(base) as { settings: PairSettings }).settings,
    ...over,
  });

  it('every https: URL and TLS SIP target, without <check>s', () => {
    expect(
      certificateTargets(
        pair({
          primaryUrl: 'https://pbx1.example.com/health',
          standbyUrl: 'https://[2001:db8::2]:8443/',
          primarySip: { uri: 'sips:pbx1.example.com', transport: 'tls', accept: '200-299' },
          standbySip: { uri: 'sip:198.18.2.2:5070;transport=tls', transport: 'tls', accept: '200-299' },
        }),
      ),
    ).toEqual([
      { target: 'primary', name: 'pbx1.example.com', address: 'pbx1.example.com:443' },
      { target: 'standby', name: '2001:db8::2', address: '[2001:db8::2]:8443' },
      { target: 'primary-sip', name: 'pbx1.example.com', address: 'pbx1.example.com:5061' },
      { target: 'standby-sip', name: '198.18.2.2', address: '198.18.2.2:5070' },
    ]);
  });

  it('leaves out http: URLs and UDP/TCP SIP; <check>s replace the rest', () => {
    const plain = pair({
      primaryUrl: 'http://198.18.1.2/',
      primarySip: { uri: 'sip:198.18.1.2:5060', transport: 'udp', accept: '200-299' },
      standbySip: { uri: 'sip:198.18.2.2', transport: 'tcp', accept: '200-299' },
    });
    expect(certificateTargets(plain)).toEqual([]);
    expect(
      certificateTargets({
        ...plain,
        certificates: {
          warnDays: 21,
          criticalDays: 7,
          checks: [{ name: 'pbx.example.com', address: '198.18.2.2:5061' }],
        },
      }),
    ).toEqual([{ target: 'check', name: 'pbx.example.com', address: '198.18.2.2:5061' }]);
  });
});
