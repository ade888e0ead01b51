// Maintenance windows at run time: at each occurrence's start the pairs it covers are paused by
// "schedule" (no check counts, nothing fires; the standby is still checked for display), at its end
// they go to starting. A pair in failover is left alone, a pause an operator set is never ended by
// a window, and each occurrence is applied to a pair once (an operator who resumes a pair during a
// window keeps it running). After the end, a primary that has not answered within
// interval x (tolerated + 1) raises one alert `maintenance-primary-down`.
// Times are wall-clock (ctx.clock.now()); waits go through ctx.timers, at most a minute each, so
// that a clock change or a suspended machine is caught up with within a minute.

import {
  activeAt,
  coversPair,
  currentOrNext,
  maintenanceReason,
  type MaintenanceWindow,
} from '../shared/maintenance.js';
import type { EngineEvent } from '../shared/model.js';
import { pairLabel } from '../shared/pair-label.js';
import type { EngineContext, MaintenanceSchedule, SchedulablePair } from './ports.js';

/** The longest single wait; boundaries further off are reached in steps. */
const MAX_WAIT_MS = 60_000;

export interface MaintenanceDeps {
  ctx: EngineContext;
  /** The pairs now watched. */
  pairs: () => SchedulablePair[];
  emit: (event: EngineEvent) => void;
}

export class MaintenanceScheduler implements MaintenanceSchedule {
  private windows: MaintenanceWindow[];
  private timer: unknown;
  private running = false;
  /** `pair \0 window \0 start` of the occurrences already applied to a pair (pruned when they end). */
  private applied = new Set<string>();
  /** The window that paused a pair (for the reason of the end). */
  private readonly pausedWith = new Map<string, string>();
  /** Per pair, the check after a window whether the primary came back. */
  private readonly afterChecks = new Map<string, unknown>();

  constructor(
    private readonly deps: MaintenanceDeps,
    windows: MaintenanceWindow[] = [],
  ) {
    this.windows = windows.slice();
  }

  list(): MaintenanceWindow[] {
    return this.windows.slice();
  }

  set(windows: MaintenanceWindow[]): void {
    this.replace(windows);
    this.apply();
  }

  /** The windows from now on, not applied yet (the caller writes them first, then calls apply). */
  replace(windows: MaintenanceWindow[]): void {
    this.windows = windows.slice();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.apply();
  }

  stop(): void {
    this.running = false;
    const { timers } = this.deps.ctx;
    if (this.timer !== undefined) timers.clearTimeout(this.timer);
    this.timer = undefined;
    for (const handle of this.afterChecks.values()) timers.clearTimeout(handle);
    this.afterChecks.clear();
  }

  apply(): void {
    if (!this.running) return;
    const now = this.deps.ctx.clock.now();
    const actives = this.windows.flatMap((w) => {
      const o = activeAt(w, now);
      return o ? [{ w, o }] : [];
    });
    const stillActive = new Set<string>();
    for (const pair of this.deps.pairs()) {
      const covering = actives.filter((a) => coversPair(a.w, pair.id));
      if (covering.length > 0) {
        for (const { w, o } of covering) stillActive.add(key(pair.id, w.id, o.start));
        const fresh = covering.find(({ w, o }) => !this.applied.has(key(pair.id, w.id, o.start)));
        if (!fresh) continue;
        for (const { w, o } of covering) this.applied.add(key(pair.id, w.id, o.start));
        if (pair.schedulePause(maintenanceReason(fresh.w))) {
          this.pausedWith.set(pair.id, fresh.w.id);
          this.cancelAfterCheck(pair.id);
        }
        continue;
      }
      if (pair.status().pausedBy !== 'schedule') continue;
      const windowId = this.pausedWith.get(pair.id);
      this.pausedWith.delete(pair.id);
      const ended = windowId === undefined ? 'maintenance window over' : `maintenance ${windowId} over`;
      if (pair.scheduleResume(ended)) this.armAfterCheck(pair);
    }
    this.applied = new Set([...this.applied].filter((k) => stillActive.has(k)));
    this.scheduleNext(now);
  }

  private scheduleNext(now: number): void {
    const { timers } = this.deps.ctx;
    if (this.timer !== undefined) timers.clearTimeout(this.timer);
    this.timer = undefined;
    let next = Infinity;
    for (const w of this.windows) {
      const o = currentOrNext(w, now);
      if (!o) continue;
      next = Math.min(next, o.start > now ? o.start : o.end);
    }
    if (next === Infinity) return;
    const wait = Math.max(0, Math.min(next - now, MAX_WAIT_MS));
    this.timer = timers.setTimeout(() => {
      this.timer = undefined;
      this.apply();
    }, wait);
  }

  /** After interval x (tolerated + 1), a pair still starting since the window's end has a primary down. */
  private armAfterCheck(pair: SchedulablePair): void {
    this.cancelAfterCheck(pair.id);
    const since = pair.status().since;
    const { interval, toleratedFailures } = pair.settings;
    const waitMs = interval * 1000 * (toleratedFailures + 1);
    const handle = this.deps.ctx.timers.setTimeout(() => {
      this.afterChecks.delete(pair.id);
      if (!this.running) return;
      const status = pair.status();
      if (status.state !== 'starting' || status.since !== since) return;
      const why = status.lastPrimary && !status.lastPrimary.ok ? ` (${status.lastPrimary.error})` : '';
      this.deps.emit({
        type: 'alert',
        pair: pair.id,
        at: new Date(this.deps.ctx.clock.now()).toISOString(),
        alert: 'maintenance-primary-down',
        severity: 'critical',
        message: `${pairLabel(pair.settings)}: maintenance over, primary not answering${why}; a pair in starting does not fail over until the primary has answered once`,
      });
    }, waitMs);
    this.afterChecks.set(pair.id, handle);
  }

  private cancelAfterCheck(pair: string): void {
    const handle = this.afterChecks.get(pair);
    if (handle === undefined) return;
    this.deps.ctx.timers.clearTimeout(handle);
    this.afterChecks.delete(pair);
  }
}

function key(pair: string, window: string, start: number): string {
  return `${pair}\0${window}\0${start}`;
}

/** The windows without `pair` (removed): a window left with no pair is dropped. */
export function withoutPair(windows: readonly MaintenanceWindow[], pair: string): MaintenanceWindow[] {
  return windows.flatMap((w) => {
    if (w.pairs === 'all' || !w.pairs.includes(pair)) return [w];
    const pairs = w.pairs.filter((p) => p !== pair);
    return pairs.length > 0 ? [{ ...w, pairs }] : [];
  });
}
