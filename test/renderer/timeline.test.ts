import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkColumns, firstKnown, markers, stateBands } from '../../src/renderer/src/lib/charts/timeline-data';
import { latencyColumns } from '../../src/renderer/src/lib/charts/latency-data';
import { columnsOfMinutes } from '../../src/renderer/src/lib/charts/minute-columns';
import { PairDetailStore } from '../../src/renderer/src/lib/stores/pair-detail.svelte';
import type { HistoryEvent, MinuteAggregate, MinuteColumns } from '$shared/model';
import { MemoryBackend, status } from './memory-backend';

const T0 = Date.UTC(2026, 10, 27, 0, 0);
const MIN = 60_000;
const iso = (t: number) => new Date(t).toISOString();

const events: HistoryEvent[] = [
  { type: 'state', pair: 'a', at: iso(T0 + 10 * MIN), from: 'waiting', to: 'verifying', reason: '', manual: false },
  { type: 'state', pair: 'a', at: iso(T0 + 11 * MIN), from: 'verifying', to: 'failover', reason: '', manual: false },
  {
    type: 'alert',
    pair: 'a',
    at: iso(T0 + 11 * MIN),
    alert: 'failover',
    severity: 'critical',
    message: 'failing over',
  },
  {
    type: 'operator',
    pair: 'a',
    at: iso(T0 + 40 * MIN),
    action: 'rearm',
    operator: 'tom',
    reason: 'back',
    outcome: 'ok',
  },
  { type: 'state', pair: 'a', at: iso(T0 + 40 * MIN), from: 'failover', to: 'starting', reason: 'back', manual: true },
];

describe('timeline data', () => {
  it('turns state events into bands over the window, starting with the state before the first change', () => {
    const bands = stateBands(events, { from: T0, to: T0 + 60 * MIN }, 'starting');
    expect(bands.map((b) => [b.state, (b.from - T0) / MIN, (b.to - T0) / MIN])).toEqual([
      ['waiting', 0, 10],
      ['verifying', 10, 11],
      ['failover', 11, 40],
      ['starting', 40, 60],
    ]);
  });

  it('draws nothing before the history knows the pair, and clips to a zoomed window', () => {
    expect(stateBands(events, { from: T0, to: T0 + 20 * MIN }, 'starting', T0 + 5 * MIN)[0]).toMatchObject({
      from: T0 + 5 * MIN,
      state: 'waiting',
    });
    const zoomed = stateBands(events, { from: T0 + 20 * MIN, to: T0 + 30 * MIN }, 'starting');
    expect(zoomed).toEqual([{ from: T0 + 20 * MIN, to: T0 + 30 * MIN, state: 'failover' }]);
    expect(
      firstKnown(
        events,
        columnsOfMinutes([
          { minute: iso(T0 + 2 * MIN), target: 'primary', checks: 1, failures: 0, p50Ms: 1, maxMs: 1 },
        ]),
      ),
    ).toBe(T0 + 2 * MIN);
  });

  it('downsamples 30 days of minutes (130,000 checks) into pixel columns without losing a check or a failure', () => {
    const minutes: MinuteAggregate[] = [];
    for (let m = 0; m < 30 * 1440; m++) {
      minutes.push({
        minute: iso(T0 + m * MIN),
        target: 'primary',
        checks: 3,
        failures: m === 12_345 ? 2 : 0,
        p50Ms: 4,
        maxMs: 9,
      });
    }
    const { primary } = columnsOfMinutes(minutes);
    const cols = checkColumns(primary, MIN, { from: T0, to: T0 + 30 * 1440 * MIN }, 1200);
    expect(cols.checks.reduce((a, b) => a + b, 0)).toBe(30 * 1440 * 3);
    const failed = [...cols.failures.entries()].filter(([, f]) => f > 0);
    expect(failed).toEqual([[Math.floor((12_345 / (30 * 1440)) * 1200), 2]]);
  });

  it('draws coarse buckets (15 minutes for 30 days) with every check and failure, and a zoomed window from them', () => {
    const bucket = 15 * MIN;
    const t = Array.from({ length: 30 * 96 }, (_, i) => T0 + i * bucket);
    const primary = {
      t,
      checks: t.map(() => 900),
      failures: t.map((_, i) => (i === 100 ? 3 : 0)),
      p50Ms: t.map(() => 4),
      maxMs: t.map(() => 9),
    };
    const whole = checkColumns(primary, bucket, { from: T0, to: T0 + 30 * 1440 * MIN }, 1920);
    // A pixel is 22.5 minutes: no pixel without checks, and the failed bucket marks the pixels it touches.
    expect(whole.checks.every((c) => c >= 900)).toBe(true);
    expect([...whole.failures.entries()].filter(([, f]) => f > 0).map(([x]) => x)).toEqual([66, 67]);
    // Zoomed to two hours: eight buckets, each spread over the pixels it covers, no gaps.
    const zoomed = checkColumns(primary, bucket, { from: T0 + 99 * bucket, to: T0 + 107 * bucket }, 800);
    expect(zoomed.checks.every((c) => c === 900)).toBe(true);
    expect(zoomed.failures.filter((f) => f > 0)).toHaveLength(100);
  });

  it('spreads a minute over the columns it covers when a pixel is shorter than a minute', () => {
    const cols = checkColumns(
      columnsOfMinutes([{ minute: iso(T0), target: 'primary', checks: 60, failures: 0, p50Ms: 1, maxMs: 1 }]).primary,
      MIN,
      { from: T0, to: T0 + 10 * MIN },
      100,
    );
    expect([...cols.checks.slice(0, 11)].map((c) => c > 0)).toEqual([...Array(10).fill(true), false]);
  });

  it('puts alerts and operator actions on the timeline', () => {
    expect(markers(events, { from: T0, to: T0 + 60 * MIN }).map((m) => [m.kind, m.label])).toEqual([
      ['alert', 'failing over'],
      ['operator', 'Re-arm by tom: back'],
    ]);
  });

  it('aligns primary and standby latency per minute for the chart', () => {
    const cols = latencyColumns(
      columnsOfMinutes([
        { minute: iso(T0), target: 'primary', checks: 60, failures: 0, p50Ms: 3, maxMs: 8 },
        { minute: iso(T0 + MIN), target: 'standby', checks: 60, failures: 0, p50Ms: 5, maxMs: 9 },
      ]),
      T0,
      T0 + 10 * MIN,
    );
    expect(cols).toEqual([
      [T0 / 1000, T0 / 1000 + 60],
      [3, null],
      [8, null],
      [null, 5],
    ]);
  });
});

describe('PairDetailStore', () => {
  afterEach(() => vi.useRealTimers());

  async function loaded() {
    const backend = new MemoryBackend();
    backend.pairs = [status({ id: 'a' })];
    backend.historyOf.set('a', { pair: 'a', from: iso(T0), to: iso(T0 + 60 * MIN), events: [], minutes: [] });
    const store = new PairDetailStore(backend, 'a');
    await store.load(T0 + 60 * MIN);
    return { backend, store };
  }

  it('asks for columns in buckets the service picks for the range', async () => {
    const backend = new MemoryBackend();
    backend.pairs = [status({ id: 'a' })];
    const asked: unknown[] = [];
    const history = backend.history.bind(backend);
    backend.history = (id, range) => {
      asked.push(range);
      return history(id, range);
    };
    const store = new PairDetailStore(backend, 'a');
    await store.load(T0 + 60 * MIN);
    expect(asked).toEqual([{ from: iso(T0), to: iso(T0 + 60 * MIN), shape: 'columns', bucket: 'auto' }]);
  });

  it('folds live checks into the bucket of their time, also when buckets are coarser than a minute', async () => {
    const backend = new MemoryBackend();
    backend.pairs = [status({ id: 'a' })];
    const columns: MinuteColumns = {
      bucketMs: 15 * MIN,
      primary: { t: [T0 + 30 * MIN], checks: [900], failures: [0], p50Ms: [4], maxMs: [9] },
      standby: { t: [], checks: [], failures: [], p50Ms: [], maxMs: [] },
    };
    backend.historyOf.set('a', { pair: 'a', from: iso(T0), to: iso(T0 + 60 * MIN), events: [], minutes: [], columns });
    const store = new PairDetailStore(backend, 'a');
    await store.load(T0 + 60 * MIN);
    const at = (ms: number) => iso(T0 + ms);
    const check = (ms: number, target: 'primary' | 'standby', ok: boolean) => ({
      type: 'check' as const,
      pair: 'a',
      at: at(ms),
      consecutiveFailures: 0,
      result: { target, url: 'u', ok, latencyMs: 20, at: at(ms), ...(ok ? {} : { error: 'timed out' }) },
    });
    store.applyNow([
      check(44 * MIN, 'primary', false),
      check(46 * MIN, 'primary', true),
      check(46 * MIN, 'standby', true),
    ]);
    expect(store.columns!.primary).toEqual({
      t: [T0 + 30 * MIN, T0 + 45 * MIN],
      checks: [901, 1],
      failures: [1, 0],
      p50Ms: [4 + 16 / 901, 20],
      maxMs: [20, 20],
    });
    expect(store.columns!.standby.t).toEqual([T0 + 45 * MIN]);
    // The loaded history itself is not changed under the page.
    expect(columns.primary.checks).toEqual([900]);
  });

  it('folds live checks into minute aggregates and keeps failed checks as events', async () => {
    const { store } = await loaded();
    const check = (s: number, ok: boolean) => ({
      type: 'check' as const,
      pair: 'a',
      at: iso(T0 + 59 * MIN + s * 1000),
      consecutiveFailures: ok ? 0 : 1,
      result: {
        target: 'primary' as const,
        url: 'http://127.0.0.1:9/',
        ok,
        latencyMs: 10,
        at: iso(T0 + 59 * MIN + s * 1000),
        ...(ok ? {} : { error: 'timed out' }),
      },
    });
    store.apply([check(1, true), check(2, true), check(3, false), { ...check(4, true), pair: 'other' }]);
    expect(store.columns).toEqual({
      bucketMs: MIN,
      primary: { t: [T0 + 59 * MIN], checks: [3], failures: [1], p50Ms: [10], maxMs: [10] },
      standby: { t: [], checks: [], failures: [], p50Ms: [], maxMs: [] },
    });
    expect(store.history!.events.map((e) => e.type)).toEqual(['check']);
    expect(store.log).toHaveLength(1);
  });

  it('folds live events into a 30-day view every few seconds, not per check', async () => {
    const { store } = await loaded();
    store.range = '30d';
    vi.useFakeTimers();
    const alert: HistoryEvent = {
      type: 'alert',
      pair: 'a',
      at: iso(T0 + 59 * MIN),
      alert: 'standby-down',
      severity: 'warning',
      message: 'standby down',
    };
    store.apply([alert]);
    store.apply([{ ...alert, at: iso(T0 + 59 * MIN + 1) }]);
    expect(store.history!.events).toHaveLength(0);
    vi.advanceTimersByTime(5000);
    expect(store.history!.events).toHaveLength(2);
  });

  it('zooms within the loaded span and pans a zoomed window', async () => {
    const { store } = await loaded();
    store.zoomTo(T0 + 10 * MIN, T0 + 20 * MIN);
    expect(store.zoom).toEqual({ from: T0 + 10 * MIN, to: T0 + 20 * MIN });
    store.pan(0.5);
    expect(store.zoom).toEqual({ from: T0 + 15 * MIN, to: T0 + 25 * MIN });
    store.zoomTo(T0 - 10 * MIN, T0 + 5 * MIN);
    expect(store.zoom!.from).toBe(store.span.from);
    // Narrower than a minute is refused.
    const before = store.zoom;
    store.zoomTo(T0 + 1000, T0 + 2000);
    expect(store.zoom).toBe(before);
  });
});

describe('PairDetailStore zoomed into a long range', () => {
  it('asks for finer buckets around the zoomed window and draws them while the zoom stays inside', async () => {
    const backend = new MemoryBackend();
    backend.pairs = [status({ id: 'a' })];
    const now = T0 + 30 * 1440 * MIN;
    const coarse: MinuteColumns = {
      bucketMs: 15 * MIN,
      primary: { t: [now - 60 * MIN], checks: [900], failures: [2], p50Ms: [4], maxMs: [9] },
      standby: { t: [], checks: [], failures: [], p50Ms: [], maxMs: [] },
    };
    const fine: MinuteColumns = {
      bucketMs: MIN,
      primary: { t: [now - 50 * MIN], checks: [60], failures: [2], p50Ms: [4], maxMs: [9] },
      standby: { t: [], checks: [], failures: [], p50Ms: [], maxMs: [] },
    };
    const asked: Array<{ from?: string; to?: string; bucket?: string }> = [];
    backend.history = async (id, range) => {
      asked.push(range ?? {});
      return { pair: id, from: '', to: '', events: [], minutes: [], columns: asked.length === 1 ? coarse : fine };
    };
    const store = new PairDetailStore(backend, 'a');
    store.range = '30d';
    await store.load(now);
    expect(store.shownColumns).toBe(coarse);

    vi.useFakeTimers();
    store.zoomTo(now - 2 * 60 * MIN, now - 60 * MIN);
    store.zoomTo(now - 3 * 60 * MIN, now - 2 * 60 * MIN);
    vi.advanceTimersByTime(200);
    vi.useRealTimers();
    await vi.waitFor(() => expect(store.shownColumns).toBe(fine));
    // One request for the settled window, twice its width around it.
    expect(asked.slice(1)).toEqual([
      { from: iso(now - 3.5 * 60 * MIN), to: iso(now - 1.5 * 60 * MIN), shape: 'columns', bucket: 'auto' },
    ]);
    // Back to the whole range: the range's own buckets.
    store.showWholeRange();
    expect(store.shownColumns).toBe(coarse);
    store.dispose();
  });
});
