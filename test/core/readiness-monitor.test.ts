// Readiness in the running engine: the first round after its delay puts `readiness` in the detail
// and `ready` on the list; a receiver that stops taking connections turns the pair not ready with
// one alert, and "Test now" checks again at once; <readiness interval> reads and writes back.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AlertEvent, ReadinessEvent } from '../../src/shared/model.js';
import { pairSettings } from '../helpers/engine-fixtures.js';
import { waitFor } from '../helpers/http-fixtures.js';
import { fastTuning, open, tempServerdir, writeConfig } from '../helpers/serverdir.js';
import { perTestScope } from '../helpers/test-scope.js';

const { cleanups, fixture } = perTestScope();

describe('readiness in the engine', () => {
  it('reports readiness, turns not ready once when the receiver goes away, and checks again on Test now', async () => {
    const [primary, receiver, validation] = await Promise.all([fixture(), fixture(), fixture()]);
    const dir = await tempServerdir(cleanups);
    const settings = {
      ...pairSettings({ primaryUrl: primary.url('/'), actionUrl: receiver.url('/dns') }),
      validation: { quorum: 1, urls: [validation.url('/')] },
      readinessInterval: 3600,
    };
    await writeConfig(dir, [settings]);
    const xml = await readFile(join(dir, 'pbxctrl-failover.xml'), 'utf8');
    expect(xml).toContain('<readiness interval="3600"/>');
    const { monitor, events } = await open(dir, cleanups, { ...fastTuning, readinessFirstDelayMs: 50 });
    const rounds = () => events.filter((e): e is ReadinessEvent => e.type === 'readiness');
    await waitFor(() => rounds().length === 1, 'first readiness round');
    const detail = await monitor.getPair('acme');
    expect(detail.readiness?.ready).toBe(true);
    expect(detail.readiness?.items.map((i) => i.key)).toEqual(['action-receiver', 'validation']);
    expect(detail.ready).toBe(true);
    expect((await monitor.listPairs())[0]!.ready).toBe(true);
    expect(detail.settings.readinessInterval).toBe(3600);

    await receiver.refuse();
    // "Test now" of the stored pair: readiness is checked at once, not in an hour.
    await monitor.testUrls(detail.settings);
    await waitFor(() => rounds().length === 2, 'second readiness round');
    expect(rounds()[1]!.readiness.ready).toBe(false);
    expect(rounds()[1]!.status?.ready).toBe(false);
    const alerts = events.filter((e): e is AlertEvent => e.type === 'alert' && e.alert === 'not-ready');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.message).toContain('action-receiver');
    expect((await monitor.listPairs())[0]!.ready).toBe(false);
    // Nothing was ever sent to the receiver.
    expect(receiver.requests).toHaveLength(0);
  });

  it('refuses a readiness interval under 10 s, naming the element', async () => {
    const primary = await fixture();
    const dir = await tempServerdir(cleanups);
    const { monitor } = await open(dir, cleanups, fastTuning);
    const bad = { ...pairSettings({ primaryUrl: primary.url('/') }), readinessInterval: 5 };
    await expect(monitor.addPair(bad)).rejects.toMatchObject({
      code: 'invalid',
      problems: [
        expect.objectContaining({ field: 'readinessInterval', message: expect.stringContaining('at least 10') }),
      ],
    });
  });
});
