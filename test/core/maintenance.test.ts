// The maintenance scheduler driving real watchers (real loopback primaries and action receivers):
// the schedule's own clock and timers are fake, so the test says exactly when a window begins and
// ends, while the watchers check in real time.

import { describe, expect, it } from 'vitest';
import { engineContext } from '../../src/core/engine-context.js';
import { MaintenanceScheduler } from '../../src/core/maintenance.js';
import type { Clock, PersistedState, Timers } from '../../src/core/ports.js';
import type { MaintenanceWindow } from '../../src/shared/maintenance.js';
import type { EngineEvent } from '../../src/shared/model.js';
import { pairSettings, startWatcher, type WatcherHarness } from '../helpers/engine-fixtures.js';
import { waitFor } from '../helpers/http-fixtures.js';
import { perTestScope } from '../helpers/test-scope.js';

const scope = perTestScope();

/** A wall clock and timers that move only when the test says. */
class FakeTime implements Clock, Timers {
  private t: number;
  private seq = 0;
  private readonly pending = new Map<number, { due: number; fn: () => void }>();
  constructor(startIso: string) {
    this.t = Date.parse(startIso);
  }
  now = (): number => this.t;
  monotonic = (): number => this.t;
  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = ++this.seq;
    this.pending.set(id, { due: this.t + Math.max(0, ms), fn });
    return id;
  };
  clearTimeout = (handle: unknown): void => {
    this.pending.delete(handle as number);
  };
  /** Runs every timer due up to now + ms, in order (timers they set included). */
  advance(ms: number): void {
    const target = this.t + ms;
    for (;;) {
      let next: [number, { due: number; fn: () => void }] | undefined;
      for (const entry of this.pending)
        if (entry[1].due <= target && (!next || entry[1].due < next[1].due)) next = entry;
      if (!next) break;
      this.pending.delete(next[0]);
      this.t = next[1].due;
      next[1].fn();
    }
    this.t = target;
  }
  to(iso: string): void {
    this.advance(Date.parse(iso) - this.t);
  }
}

interface Rig {
  h: WatcherHarness;
  time: FakeTime;
  schedule: MaintenanceScheduler;
  alerts: EngineEvent[];
}

async function rig(
  windows: MaintenanceWindow[],
  opts: { start?: string; persisted?: PersistedState; primaryStatus?: number } = {},
): Promise<
  Rig & { primary: Awaited<ReturnType<typeof scope.fixture>>; action: Awaited<ReturnType<typeof scope.fixture>> }
> {
  const primary = await scope.fixture(opts.primaryStatus ?? 200);
  const action = await scope.fixture(200);
  const h = startWatcher(pairSettings({ primaryUrl: primary.url(), actionUrl: action.url() }), opts.persisted);
  scope.cleanups.push(() => h.stop());
  const time = new FakeTime(opts.start ?? '2026-12-06T21:59:00Z');
  const alerts: EngineEvent[] = [];
  const schedule = new MaintenanceScheduler(
    {
      ctx: engineContext({ client: h.client, clock: time, timers: time }),
      pairs: () => [h.watcher],
      emit: (e) => {
        alerts.push(e);
        h.log.push(e);
      },
    },
    windows,
  );
  scope.cleanups.push(async () => schedule.stop());
  return { h, time, schedule, alerts, primary, action };
}

const once = (pairs: string[] | 'all' = ['acme']): MaintenanceWindow => ({
  id: 'dc1-network',
  reason: 'DC-1 router replacement',
  pairs,
  once: { start: '2026-12-06T22:00:00Z', end: '2026-12-06T23:30:00Z' },
});

/** Waits until the primary got `n` more requests (checks of the watcher). */
async function moreChecks(fixture: { hits: number }, n: number): Promise<void> {
  const target = fixture.hits + n;
  await waitFor(() => fixture.hits >= target, `${n} more checks`);
}

describe('maintenance windows drive the pairs', () => {
  it('pauses by schedule at the start (no check counts, nothing fires) and ends to starting', async () => {
    const { h, time, schedule, primary, action } = await rig([once()]);
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    schedule.start();
    expect(h.watcher.currentState).toBe('waiting');
    time.to('2026-12-06T22:00:00Z');
    const status = h.watcher.status();
    expect(status).toMatchObject({
      state: 'paused',
      reason: 'maintenance dc1-network: DC-1 router replacement',
      pausedBy: 'schedule',
    });
    expect(h.watcher.persisted()).toMatchObject({ state: 'paused', pausedBy: 'schedule' });
    const pauseEvent = h.log.events.find((e) => e.type === 'state' && e.to === 'paused');
    expect(pauseEvent).toMatchObject({ operator: 'schedule', manual: false });

    // The outage during the window: many failed checks, none counted, no action.
    primary.setStatus(503);
    await moreChecks(primary, 6);
    expect(h.watcher.status()).toMatchObject({ state: 'paused', consecutiveFailures: 0 });
    expect(action.hits).toBe(0);
    expect(h.log.alerts()).toEqual([]);

    primary.setStatus(200);
    time.to('2026-12-06T23:29:59Z');
    expect(h.watcher.currentState).toBe('paused');
    time.to('2026-12-06T23:30:00Z');
    expect(h.watcher.status()).toMatchObject({ state: 'starting', reason: 'maintenance dc1-network over' });
    expect(h.watcher.status().pausedBy).toBeUndefined();
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting after the window');
    time.advance(10_000);
    expect(h.log.alerts('maintenance-primary-down')).toEqual([]);
    expect(action.hits).toBe(0);
  });

  it('raises maintenance-primary-down once when the primary has not answered within interval x (tolerated + 1)', async () => {
    const { h, time, schedule, primary } = await rig([once()]);
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    schedule.start();
    time.to('2026-12-06T22:00:00Z');
    primary.setStatus(500);
    time.to('2026-12-06T23:30:00Z');
    expect(h.watcher.currentState).toBe('starting');
    // interval 0.1 s x (2 + 1) = 300 ms after the end.
    time.advance(299);
    expect(h.log.alerts('maintenance-primary-down')).toEqual([]);
    time.advance(1);
    const alerts = h.log.alerts('maintenance-primary-down');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ pair: 'acme', severity: 'critical' });
    expect((alerts[0] as { message: string }).message).toContain('maintenance over, primary not answering');
    time.advance(3_600_000);
    expect(h.log.alerts('maintenance-primary-down')).toHaveLength(1);
  });

  it('leaves a pair in failover alone, before, during and after the window', async () => {
    const { h, time, schedule, action } = await rig([once('all')]);
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    h.watcher.failover('planned move', 'alice');
    await waitFor(() => action.hits === 1, 'the failover action');
    schedule.start();
    const states = h.log.states().length;
    time.to('2026-12-06T22:00:00Z');
    time.to('2026-12-06T23:30:00Z');
    time.advance(60_000);
    expect(h.watcher.currentState).toBe('failover');
    expect(h.log.states().length).toBe(states);
    expect(h.log.alerts('maintenance-primary-down')).toEqual([]);
  });

  it('never ends a pause an operator set, whether before the window or during it', async () => {
    const { h, time, schedule } = await rig([once()]);
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    h.watcher.pause('replacing the PBX disk', 'alice');
    schedule.start();
    time.to('2026-12-06T22:00:00Z');
    expect(h.watcher.status()).toMatchObject({ state: 'paused', reason: 'replacing the PBX disk' });
    time.to('2026-12-06T23:30:00Z');
    expect(h.watcher.status()).toMatchObject({ state: 'paused', reason: 'replacing the PBX disk' });
    expect(h.watcher.status().pausedBy).toBeUndefined();
  });

  it('an operator who resumes during the window keeps the pair running; a hand pause then outlives the window', async () => {
    const { h, time, schedule } = await rig([once()]);
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    schedule.start();
    time.to('2026-12-06T22:00:00Z');
    expect(h.watcher.status().pausedBy).toBe('schedule');
    h.watcher.resume('needed now', 'bob');
    // The same occurrence is not applied again (a change of the windows applies them again).
    schedule.set([once()]);
    time.advance(120_000);
    expect(h.watcher.currentState).not.toBe('paused');
    h.watcher.pause('by hand', 'bob');
    time.to('2026-12-06T23:30:00Z');
    expect(h.watcher.status()).toMatchObject({ state: 'paused', reason: 'by hand' });
  });

  it('after a restart: a pause the schedule set ends when its window is over, and holds while it goes on', async () => {
    const persisted: PersistedState = {
      state: 'paused',
      since: '2026-12-06T22:00:00Z',
      reason: 'maintenance dc1-network: DC-1 router replacement',
      pausedBy: 'schedule',
    };
    const during = await rig([once()], { start: '2026-12-06T23:00:00Z', persisted });
    during.schedule.start();
    expect(during.h.watcher.status().pausedBy).toBe('schedule');
    during.time.to('2026-12-06T23:30:00Z');
    expect(during.h.watcher.currentState).toBe('starting');

    const after = await rig([once()], { start: '2026-12-07T08:00:00Z', persisted });
    expect(after.h.watcher.currentState).toBe('paused');
    after.schedule.start();
    expect(after.h.watcher.status()).toMatchObject({ state: 'starting', reason: 'maintenance window over' });
  });

  it('a recurring window across the spring DST change in Europe/Berlin pauses and ends at the right instants', async () => {
    const night: MaintenanceWindow = {
      id: 'night',
      reason: 'night work',
      pairs: ['acme'],
      every: { cron: '30 1 * * 0', duration: 7200, tz: 'Europe/Berlin' },
    };
    const { h, time, schedule } = await rig([night], { start: '2026-03-28T12:00:00Z' });
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    schedule.start();
    time.to('2026-03-29T00:29:59Z');
    expect(h.watcher.currentState).toBe('waiting');
    time.to('2026-03-29T00:30:00Z'); // 01:30 CET
    expect(h.watcher.status()).toMatchObject({ state: 'paused', reason: 'maintenance night: night work' });
    time.to('2026-03-29T02:29:59Z'); // 04:29:59 CEST: two hours have elapsed, less a second
    expect(h.watcher.currentState).toBe('paused');
    time.to('2026-03-29T02:30:00Z');
    expect(h.watcher.currentState).toBe('starting');
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting after the window');
    // A week later in summer time: 01:30 CEST is 23:30 UTC on Saturday.
    time.to('2026-04-04T23:29:59Z');
    expect(h.watcher.currentState).toBe('waiting');
    time.to('2026-04-04T23:30:00Z');
    expect(h.watcher.currentState).toBe('paused');
  });
});
