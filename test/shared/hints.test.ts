import { describe, expect, it } from 'vitest';
import type { PairSettings } from '../../src/shared/model.js';
import { settingsHints } from '../../src/shared/hints.js';

describe('settingsHints', () => {
  const fields = (s: Partial<PairSettings>) => settingsHints(s).map((h) => h.field);

  it('says how long detection takes', () => {
    const hint = settingsHints({ interval: 2, toleratedFailures: 3 }).find((h) => h.field === 'toleratedFailures');
    expect(hint?.message).toMatch(/about 8 s/);
    expect(
      settingsHints({ interval: 60, toleratedFailures: 4 }).find((h) => h.field === 'toleratedFailures')?.message,
    ).toMatch(/about 5 min/);
  });

  it('warns about https and host names in the primary URL', () => {
    const hints = settingsHints({
      primaryUrl: 'https://pbx.example.com/',
      validation: { quorum: 1, urls: ['http://203.0.113.1/'] },
    });
    expect(
      hints
        .filter((h) => h.field === 'primaryUrl')
        .map((h) => h.message)
        .join(' '),
    ).toMatch(/TLS.*DNS/s);
    expect(
      fields({ primaryUrl: 'http://192.0.2.10/', validation: { quorum: 1, urls: ['http://203.0.113.1/'] } }),
    ).toEqual([]);
    expect(
      fields({ primaryUrl: 'http://[2001:db8::1]/', validation: { quorum: 1, urls: ['http://203.0.113.1/'] } }),
    ).toEqual([]);
  });

  it('warns when no validation URL is given or one sits on the primary host', () => {
    expect(fields({ primaryUrl: 'http://192.0.2.10/' })).toEqual(['validation.urls']);
    expect(
      fields({
        primaryUrl: 'http://192.0.2.10/',
        validation: { quorum: 1, urls: ['http://203.0.113.1/', 'http://192.0.2.10:8080/x'] },
      }),
    ).toEqual(['validation.urls[1]']);
  });

  it('copes with half-typed settings', () => {
    expect(() =>
      settingsHints({ primaryUrl: 'http://', interval: NaN, validation: { quorum: 1, urls: [''] } }),
    ).not.toThrow();
  });
});
