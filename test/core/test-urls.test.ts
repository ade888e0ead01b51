// "Test URLs" checks the draft's probing fields with the shared validator (the rules of saving the
// pair), probes nothing when they are wrong, and still tests a draft whose action is unfinished.

import { describe, expect, it } from 'vitest';
import type { PairSettings } from '../../src/shared/model.js';
import { pairSettings } from '../helpers/engine-fixtures.js';
import { open, tempServerdir } from '../helpers/serverdir.js';
import { perTestScope, rejection } from '../helpers/test-scope.js';

const { cleanups, fixture } = perTestScope();

describe('controller: test URLs use the shared validator', () => {
  it('refuses wrong probing fields with a 400 naming each field, and probes nothing', async () => {
    const primary = await fixture();
    const { monitor } = await open(await tempServerdir(cleanups), cleanups);
    const draft = {
      id: 'draft',
      primaryUrl: primary.url('/p'),
      standbyUrl: 'ftp://127.0.0.1/',
      interval: -1,
      acceptStatus: '99',
      validation: { quorum: 1, urls: ['not a url'] },
    } as unknown as PairSettings;
    const error = await rejection(monitor.testUrls(draft));
    expect(error.code).toBe('invalid');
    expect(error.problems!.map((p) => p.field).sort()).toEqual([
      'acceptStatus',
      'interval',
      'standbyUrl',
      'validation.urls[0]',
    ]);
    expect(error.problems!.every((p) => p.pair === undefined)).toBe(true);
    expect(error.message).toMatch(/^the URLs cannot be tested: /);
    expect(primary.hits).toBe(0);
  });

  it('says a primary URL is needed when the draft has none', async () => {
    const { monitor } = await open(await tempServerdir(cleanups), cleanups);
    const error = await rejection(monitor.testUrls({} as PairSettings));
    expect(error.message).toBe('test-urls needs pair settings with at least a primary URL');
    expect(error.problems).toEqual([{ field: 'primaryUrl', message: 'is required' }]);
  });

  it('tests a draft whose action is unfinished, and a masked URL stands for the stored one', async () => {
    const primary = await fixture();
    const receiver = await fixture();
    const { monitor } = await open(await tempServerdir(cleanups), cleanups);
    const stored = await monitor.addPair(
      pairSettings({
        id: 'a',
        name: 'A',
        primaryUrl: primary.url('/a?token=s3cret'),
        actionUrl: receiver.url('/dns/a'),
      }),
    );
    expect(stored.settings.primaryUrl).not.toContain('s3cret');
    const before = primary.hits;
    const draft = {
      id: 'a',
      primaryUrl: stored.settings.primaryUrl,
      acceptStatus: '200-299',
      validation: { quorum: 1, urls: [primary.url('/v')] },
    } as unknown as PairSettings;
    const results = await monitor.testUrls(draft);
    expect(results.map((r) => [r.target, r.ok, r.url])).toEqual([
      ['primary', true, stored.settings.primaryUrl],
      ['validation', true, primary.url('/v')],
    ]);
    expect(primary.requests.slice(before).map((r) => r.url)).toContain('/a?token=s3cret');
  });
});
