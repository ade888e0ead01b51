import { afterEach, describe, expect, it } from 'vitest';
import { engineContext } from '../../src/core/engine-context.js';
import { createHttpClient } from '../../src/core/http-client.js';
import { silentLogger } from '../../src/core/ports.js';
import { Supervisor } from '../../src/core/supervisor.js';
import type { EngineEvent } from '../../src/shared/model.js';
import { pairSettings } from '../helpers/engine-fixtures.js';
import { HttpFixture, waitFor } from '../helpers/http-fixtures.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function fixture(): Promise<HttpFixture> {
  const f = await HttpFixture.start({ status: 200 });
  cleanups.push(() => f.close());
  return f;
}

function supervisor(): { sup: Supervisor; events: EngineEvent[] } {
  const client = createHttpClient();
  const errors: string[] = [];
  const sup = new Supervisor({
    ctx: engineContext({ client, log: { ...silentLogger, error: (m) => errors.push(m) }, backoff: () => 10 }),
    persistSoon: () => {},
    persistNow: async () => {},
  });
  const events: EngineEvent[] = [];
  sup.subscribe((e) => events.push(e));
  cleanups.push(async () => {
    await sup.stop(500);
    await client.close();
  });
  return { sup, events };
}

const firstArrival = (server: HttpFixture, path: string): number | undefined =>
  server.requests.find((r) => r.url === path)?.at;

describe('supervisor', () => {
  it('spreads the first checks of many pairs over the first interval', async () => {
    const primary = await fixture();
    const { sup } = supervisor();
    const n = 40;
    for (let i = 0; i < n; i++)
      sup.add(pairSettings({ id: `p${i}`, primaryUrl: primary.url(`/p${i}`), interval: 0.6 }));
    sup.start();
    await waitFor(
      () => Array.from({ length: n }, (_, i) => firstArrival(primary, `/p${i}`)).every((t) => t !== undefined),
      'every pair checked once',
    );
    const times = Array.from({ length: n }, (_, i) => firstArrival(primary, `/p${i}`)!);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(300);
    expect(new Set(times).size).toBeGreaterThan(n / 2);
  });

  it('changes, pauses and removes one pair at run time without disturbing the others', async () => {
    const primary = await fixture();
    const { sup, events } = supervisor();
    for (const id of ['a', 'b', 'c']) sup.add(pairSettings({ id, primaryUrl: primary.url(`/${id}`) }));
    sup.start();
    await waitFor(() => sup.statuses().every((s) => s.state === 'waiting'), 'all waiting');
    const checksOf = (id: string): number => events.filter((e) => e.type === 'check' && e.pair === id).length;
    const statesOf = (id: string): number => events.filter((e) => e.type === 'state' && e.pair === id).length;
    const before = { a: checksOf('a'), c: checksOf('c'), statesA: statesOf('a'), statesC: statesOf('c') };

    sup.update({ ...sup.get('b')!.settings, name: 'renamed' });
    expect(sup.get('b')!.currentState).toBe('waiting');
    sup.get('b')!.pause('maintenance', 'op');
    sup.update({ ...sup.get('b')!.settings, primaryUrl: primary.url('/b2') });
    expect(sup.get('b')!.currentState).toBe('paused');
    sup.add(pairSettings({ id: 'd', primaryUrl: primary.url('/d') }));
    await sup.remove('b');
    const bChecks = checksOf('b');
    const aChecks = checksOf('a');
    await waitFor(() => checksOf('a') >= aChecks + 3 && checksOf('c') >= before.c + 3, 'three more checks of a and c');
    expect(checksOf('b')).toBe(bChecks);
    expect(sup.list().map((w) => w.id)).toEqual(['a', 'c', 'd']);
    expect(checksOf('a') - before.a).toBeGreaterThanOrEqual(3);
    expect(checksOf('c') - before.c).toBeGreaterThanOrEqual(3);
    expect(statesOf('a')).toBe(before.statesA);
    expect(statesOf('c')).toBe(before.statesC);
    await waitFor(() => sup.get('d')!.currentState === 'waiting', 'd waiting');
  });

  it('never overlaps checks of one pair and skips missed slots instead of bursting', async () => {
    const primary = await HttpFixture.start({ status: 200, delayMs: 250 });
    cleanups.push(() => primary.close());
    const { sup } = supervisor();
    sup.add(pairSettings({ id: 'slow', primaryUrl: primary.url('/slow'), interval: 0.1, timeout: 1 }));
    sup.start();
    await waitFor(() => primary.hits >= 6, 'six checks', 10_000);
    expect(primary.maxInFlight).toBe(1);
    const arrivals = primary.requests.map((r) => r.at);
    const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(240);
  });

  it('fails over exactly the pairs whose primaries die together, each once, verifying against one shared site', async () => {
    const alive = await fixture();
    const dying = await fixture();
    const validation = await HttpFixture.start({ status: 200, delayMs: 20 });
    cleanups.push(() => validation.close());
    const receiver = await fixture();
    const { sup, events } = supervisor();
    const n = 30;
    for (let i = 0; i < n; i++) {
      const primary = i % 3 === 0 ? dying : alive;
      sup.add(
        pairSettings({
          id: `p${i}`,
          primaryUrl: primary.url(`/p${i}`),
          actionUrl: receiver.url(`/dns/p${i}`),
          interval: 0.2,
          toleratedFailures: 1,
          validation: { quorum: 1, urls: [validation.url('/always-up')] },
        }),
      );
    }
    sup.start();
    await waitFor(() => sup.statuses().every((s) => s.state === 'waiting'), 'all waiting');
    await dying.refuse();
    await waitFor(() => receiver.hits === n / 3, 'one action per dead primary', 20_000);
    const checks = (): number => events.filter((e) => e.type === 'check' && e.result.target === 'primary').length;
    const seen = checks();
    await waitFor(() => checks() >= seen + 2 * n, 'two more rounds of checks of every pair', 20_000);
    const failedOver = sup
      .statuses()
      .filter((s) => s.state === 'failover')
      .map((s) => s.id);
    expect(failedOver.sort()).toEqual(Array.from({ length: n / 3 }, (_, i) => `p${i * 3}`).sort());
    expect(receiver.requests.map((r) => r.url).sort()).toEqual(failedOver.map((id) => `/dns/${id}`).sort());
    expect(sup.statuses().some((s) => s.isolated)).toBe(false);
  });

  it('keeps delivering events when one subscriber throws', async () => {
    const primary = await fixture();
    const { sup, events } = supervisor();
    sup.subscribe(() => {
      throw new Error('broken subscriber');
    });
    sup.add(pairSettings({ id: 'a', primaryUrl: primary.url('/a') }));
    sup.start();
    await waitFor(() => events.filter((e) => e.type === 'check').length >= 5, 'five checks');
    expect(sup.get('a')!.currentState).toBe('waiting');
  });
});
