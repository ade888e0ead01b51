import { describe, expect, it } from 'vitest';
import { PairsStore } from '../../src/renderer/src/lib/stores/pairs.svelte';
import type { ActionStatus, EngineEvent } from '$shared/model';
import { MemoryBackend, status } from './memory-backend';

const at = (s: number) => new Date(Date.UTC(2026, 10, 27, 9, 0, s)).toISOString();

async function storeWith(...pairs: ReturnType<typeof status>[]) {
  const backend = new MemoryBackend();
  backend.pairs = pairs;
  const store = new PairsStore(backend);
  await store.load();
  return { backend, store };
}

describe('PairsStore', () => {
  it('sorts worst first: failed action, failover, verifying, standby down, failing, starting, paused, healthy', async () => {
    const { store } = await storeWith(
      status({ id: 'healthy', name: 'A healthy' }),
      status({ id: 'paused', state: 'paused' }),
      status({ id: 'starting', state: 'starting' }),
      status({ id: 'failing', consecutiveFailures: 2 }),
      status({ id: 'standby', standbyDown: true }),
      status({ id: 'verifying', state: 'verifying' }),
      status({ id: 'failover', state: 'failover' }),
      status({
        id: 'action-failed',
        state: 'failover',
        action: { kind: 'failover', phase: 'failed', manual: false, reason: '', startedAt: at(0), attempts: [] },
      }),
    );
    expect(store.order).toEqual([
      'action-failed',
      'failover',
      'verifying',
      'standby',
      'failing',
      'starting',
      'paused',
      'healthy',
    ]);
  });

  it('breaks ties by name so equal pairs keep a stable order', async () => {
    const { store } = await storeWith(
      status({ id: 'b', name: 'Bravo' }),
      status({ id: 'a', name: 'Alpha' }),
      status({ id: 'c', name: 'Charlie' }),
    );
    expect(store.order).toEqual(['a', 'b', 'c']);
  });

  it('filters by state and by text in name or id', async () => {
    const { store } = await storeWith(
      status({ id: 'acme', name: 'ACME Corp' }),
      status({ id: 'globex', name: 'Globex', state: 'failover' }),
      status({ id: 'initech', name: 'Initech', state: 'paused' }),
    );
    store.filter.states = ['failover', 'paused'];
    expect(store.visible).toEqual(['globex', 'initech']);
    store.filter.text = 'INI';
    expect(store.visible).toEqual(['initech']);
    store.filter.states = [];
    store.filter.text = 'acme';
    expect(store.visible).toEqual(['acme']);
    expect(store.counts).toEqual({ starting: 0, waiting: 1, verifying: 0, failover: 1, paused: 1 });
  });

  it('applies check events to one pair without reordering, and a state change moves it to the top', async () => {
    const { store } = await storeWith(status({ id: 'a', name: 'Alpha' }), status({ id: 'b', name: 'Bravo' }));
    const orderBefore = store.order;
    const check: EngineEvent = {
      type: 'check',
      pair: 'b',
      at: at(1),
      consecutiveFailures: 1,
      result: {
        target: 'primary',
        url: 'http://127.0.0.1:9/',
        ok: false,
        latencyMs: 12,
        error: 'connection refused',
        at: at(1),
      },
    };
    store.apply([check]);
    const b = store.get('b')!;
    expect(b.status.consecutiveFailures).toBe(1);
    expect(b.status.lastPrimary?.error).toBe('connection refused');
    expect(b.strip.at(-1)).toMatchObject({ checks: 1, failures: 1 });
    // A first failure makes b worse than a healthy pair, so it moves up.
    expect(store.order).toEqual(['b', 'a']);
    expect(store.order).not.toBe(orderBefore);

    // A success resets the count: b is healthy again and goes back behind Alpha.
    store.apply([
      {
        ...check,
        consecutiveFailures: 0,
        at: at(2),
        result: { target: 'primary', url: check.result.url, ok: true, latencyMs: 4, at: at(2) },
      },
    ]);
    expect(store.order).toEqual(['a', 'b']);

    const failover = status({ id: 'b', name: 'Bravo', state: 'failover', since: at(5), reason: 'primary down' });
    store.apply([
      {
        type: 'state',
        pair: 'b',
        at: at(5),
        from: 'waiting',
        to: 'failover',
        reason: 'primary down',
        manual: false,
        status: failover,
      },
    ]);
    expect(store.get('b')!.state).toBe('failover');
    expect(store.get('b')!.status.since).toBe(at(5));
    expect(store.order[0]).toBe('b');
  });

  it('keeps the order array untouched when only latencies change', async () => {
    const { store } = await storeWith(status({ id: 'a' }), status({ id: 'b' }));
    const before = store.order;
    for (let i = 0; i < 10; i++) {
      store.apply([
        {
          type: 'check',
          pair: 'a',
          at: at(i),
          consecutiveFailures: 0,
          result: { target: 'primary', url: 'http://127.0.0.1:9/', ok: true, latencyMs: 5 + i, at: at(i) },
        },
      ]);
    }
    expect(store.order).toBe(before);
    expect(store.get('a')!.status.lastPrimary?.latencyMs).toBe(14);
  });

  it('takes the status an action event brings, attempts and all, without asking the backend', async () => {
    const { backend, store } = await storeWith(status({ id: 'a', state: 'failover' }));
    const first = { attempt: 1, at: at(2), ok: false, status: 500, latencyMs: 30 };
    const running: ActionStatus = {
      kind: 'failover',
      phase: 'running',
      manual: true,
      reason: 'test',
      startedAt: at(1),
      attempts: [first],
    };
    store.apply([
      {
        type: 'action',
        pair: 'a',
        at: at(2),
        kind: 'failover',
        phase: 'running',
        attempt: first,
        status: status({ id: 'a', state: 'failover', action: running }),
      },
    ]);
    expect(store.get('a')!.status.action).toMatchObject({ phase: 'running', attempts: [{ attempt: 1, status: 500 }] });
    const second = { attempt: 2, at: at(3), ok: true, status: 200, latencyMs: 20 };
    const succeeded: ActionStatus = { ...running, phase: 'succeeded', finishedAt: at(3), attempts: [first, second] };
    store.apply([
      {
        type: 'action',
        pair: 'a',
        at: at(3),
        kind: 'failover',
        phase: 'succeeded',
        attempt: second,
        status: status({ id: 'a', state: 'failover', action: succeeded }),
      },
    ]);
    expect(store.get('a')!.status.action).toMatchObject({
      phase: 'succeeded',
      manual: true,
      attempts: [{ attempt: 1 }, { attempt: 2 }],
    });
    await Promise.resolve();
    expect(backend.calls.filter((c) => c.method === 'getPair')).toHaveLength(0);
  });

  it('derives nothing from an event itself: a check without a status changes only the check shown', async () => {
    const { store } = await storeWith(status({ id: 'a', state: 'failover', primaryAnswering: true }));
    const answered = {
      target: 'primary' as const,
      url: 'http://127.0.0.1:9/',
      ok: false,
      latencyMs: 3,
      error: 'connection refused',
      at: at(1),
    };
    store.apply([{ type: 'check', pair: 'a', at: at(1), consecutiveFailures: 0, result: answered }]);
    expect(store.get('a')!.status).toMatchObject({ primaryAnswering: true, lastPrimary: answered });
    // What the engine decided comes with the event: the primary stopped answering, the standby went down.
    const down = {
      target: 'standby' as const,
      url: 'http://127.0.0.2:9/',
      ok: false,
      latencyMs: 3,
      error: 'connection refused',
      at: at(2),
    };
    store.apply([
      {
        type: 'check',
        pair: 'a',
        at: at(2),
        consecutiveFailures: 0,
        result: down,
        status: status({ id: 'a', state: 'failover', standbyDown: true, lastPrimary: answered, lastStandby: down }),
      },
    ]);
    expect(store.get('a')!.status).toMatchObject({ primaryAnswering: false, standbyDown: true, lastStandby: down });
  });

  it('asks for the pair when a state or action event comes without a status (an older service)', async () => {
    const { backend, store } = await storeWith(status({ id: 'a' }));
    backend.pairs[0] = status({ id: 'a', state: 'verifying', since: at(4) });
    store.apply([
      { type: 'state', pair: 'a', at: at(4), from: 'waiting', to: 'verifying', reason: 'primary down', manual: false },
    ]);
    await expect.poll(() => store.get('a')!.state).toBe('verifying');
    expect(backend.calls.filter((c) => c.method === 'getPair')).toHaveLength(1);
  });

  it('adds a pair on a config event and removes one', async () => {
    const { backend, store } = await storeWith(status({ id: 'a' }));
    backend.pairs.push(status({ id: 'new', state: 'starting' }));
    store.apply([{ type: 'config', pair: 'new', at: at(1), change: 'added' }]);
    await expect.poll(() => store.order.includes('new')).toBe(true);
    store.apply([{ type: 'config', pair: 'a', at: at(2), change: 'removed' }]);
    expect(store.order).toEqual(['new']);
  });

  it('seeds availability and the last-hour strip from minute aggregates', async () => {
    const { store } = await storeWith(status({ id: 'a' }));
    const now = Date.UTC(2026, 10, 27, 9, 30);
    const minute = (m: number) => new Date(now - m * 60_000).toISOString();
    store.get('a')!.seedHistory(
      [
        { minute: minute(120), target: 'primary', checks: 60, failures: 0, p50Ms: 3, maxMs: 5 },
        { minute: minute(2), target: 'primary', checks: 60, failures: 30, p50Ms: 3, maxMs: 5 },
        { minute: minute(2), target: 'standby', checks: 60, failures: 60, p50Ms: 3, maxMs: 5 },
      ],
      now,
    );
    const e = store.get('a')!;
    expect(e.availability).toBeCloseTo(0.75);
    expect(e.strip).toHaveLength(1);
    expect(e.strip[0]).toMatchObject({ checks: 60, failures: 30 });
  });

  it('says when the service refuses the token', async () => {
    const backend = new MemoryBackend();
    const { MonitorError } = await import('$shared/api');
    backend.failNext.set('listPairs', new MonitorError('unauthorized', 'a valid token is required'));
    const store = new PairsStore(backend);
    await store.load();
    expect(store.unauthorized).toBe(true);
    expect(store.error).toContain('token');
  });
});
