// The overview's state: one fine-grained entry per pair, so a check of one pair
// re-renders that pair's row and nothing else; the sorted order changes only
// when a pair's rank (how bad it is) changes.

import { MonitorError, type Backend } from '$shared/api';
import type { CheckResult, EngineEvent, MinuteAggregate, PairState, PairStatus } from '$shared/model';
import { errorMessage } from '../backend/errors';
import { mark } from '../perf';
import { rankOf, statusAfter } from '../status';

export const STRIP_MINUTES = 60;

/** "Customer 9" before "Customer 10". */
const NAMES = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Checks of the primary in one minute, for the overview's last-hour strip. */
export interface StripBucket {
  /** Minute number since the epoch. */
  minute: number;
  checks: number;
  failures: number;
}

export class PairEntry {
  readonly id: string;
  // Each signal starts at the pair's own value (no write after creation): a thousand entries are
  // made for the first screen, and a write records the old value in the reactive batch.
  status: PairStatus;
  state: PairState;
  name: string;
  rank: number;
  /** Failover readiness: true, false, or undefined until the first round. */
  ready: boolean | undefined;
  strip: StripBucket[];
  /** Share of successful primary checks over the last 24 h; undefined until history has been read. */
  availability: number | undefined;
  historyLoaded = false;
  private day = { checks: 0, failures: 0 };

  constructor(status: PairStatus) {
    this.id = status.id;
    this.status = $state.raw(status);
    this.state = $state(status.state);
    this.name = $state(status.name);
    this.rank = $state(rankOf(status));
    this.ready = $state(status.ready);
    this.strip = $state.raw([]);
    this.availability = $state(undefined);
  }

  set(status: PairStatus): void {
    this.status = status;
    this.state = status.state;
    this.name = status.name;
    this.rank = rankOf(status);
    this.ready = status.ready;
  }

  /** Seed the strip and the availability from the minute aggregates of the last 24 h. */
  seedHistory(minutes: MinuteAggregate[], nowMs: number): void {
    const primary = minutes.filter((m) => m.target === 'primary');
    this.day = primary.reduce((acc, m) => ({ checks: acc.checks + m.checks, failures: acc.failures + m.failures }), {
      checks: 0,
      failures: 0,
    });
    const first = Math.floor(nowMs / 60_000) - STRIP_MINUTES + 1;
    const buckets = new Map<number, StripBucket>();
    for (const m of primary) {
      const minute = Math.floor(Date.parse(m.minute) / 60_000);
      if (minute >= first) buckets.set(minute, { minute, checks: m.checks, failures: m.failures });
    }
    for (const b of this.strip) if (!buckets.has(b.minute) && b.minute >= first) buckets.set(b.minute, b);
    this.strip = [...buckets.values()].sort((a, b) => a.minute - b.minute);
    this.historyLoaded = true;
    this.updateAvailability();
  }

  recordCheck(result: CheckResult): void {
    if (result.target !== 'primary') return;
    const minute = Math.floor(Date.parse(result.at) / 60_000);
    const strip = this.strip;
    const last = strip[strip.length - 1];
    const failed = result.ok ? 0 : 1;
    let next: StripBucket[];
    if (last && last.minute === minute) {
      next = strip.slice();
      next[next.length - 1] = { minute, checks: last.checks + 1, failures: last.failures + failed };
    } else {
      next = strip.filter((b) => b.minute > minute - STRIP_MINUTES);
      next.push({ minute, checks: 1, failures: failed });
    }
    this.strip = next;
    this.day.checks++;
    this.day.failures += failed;
    if (this.historyLoaded) this.updateAvailability();
  }

  private updateAvailability(): void {
    this.availability = this.day.checks > 0 ? 1 - this.day.failures / this.day.checks : undefined;
  }
}

export interface PairFilter {
  text: string;
  states: PairState[];
  /** Only pairs whose last readiness round found them not ready. */
  notReady?: boolean;
}

/** The overview's order: worst first (the default), by readiness (not ready first) or by certificate days left (fewest first). */
export type PairSort = 'worst' | 'readiness' | 'certificate';

/** Not ready first, then not yet checked, then ready. */
function readinessOrder(ready: boolean | undefined): number {
  return ready === false ? 0 : ready === undefined ? 1 : 2;
}

export class PairsStore {
  readonly entries = new Map<string, PairEntry>();
  order = $state.raw<string[]>([]);
  loaded = $state(false);
  error = $state<string | undefined>(undefined);
  /** The service refused the token (HTTP only): the dashboard asks for one. */
  unauthorized = $state(false);
  filter = $state<PairFilter>({ text: '', states: [] });
  sort = $state<PairSort>('worst');

  visible = $derived.by(() => sortIds(filterIds(this.order, this.entries, this.filter), this.entries, this.sort));
  counts = $derived.by(() => countStates(this.order, this.entries));
  /** Pairs whose last readiness round found them not ready. */
  notReadyCount = $derived.by(() => this.order.filter((id) => this.entries.get(id)?.ready === false).length);

  private pendingRefresh = new Set<string>();
  private refreshing = false;

  constructor(private readonly backend: Backend) {}

  async load(): Promise<void> {
    try {
      const list = await this.backend.listPairs();
      mark('pairs-received');
      this.replaceAll(list);
      mark('pairs-stored');
      this.error = undefined;
      this.unauthorized = false;
    } catch (err) {
      this.error = errorMessage(err);
      this.unauthorized = err instanceof MonitorError && err.code === 'unauthorized';
    } finally {
      this.loaded = true;
    }
  }

  replaceAll(list: PairStatus[]): void {
    const seen = new Set<string>();
    for (const status of list) {
      seen.add(status.id);
      const entry = this.entries.get(status.id);
      if (entry) entry.set(status);
      else this.entries.set(status.id, new PairEntry(status));
    }
    for (const id of [...this.entries.keys()]) if (!seen.has(id)) this.entries.delete(id);
    this.resort();
  }

  upsert(status: PairStatus): void {
    const entry = this.entries.get(status.id);
    if (entry) {
      const before = entry.rank;
      entry.set(status);
      if (entry.rank !== before || entry.name !== status.name) this.resort();
    } else {
      this.entries.set(status.id, new PairEntry(status));
      this.resort();
    }
  }

  remove(id: string): void {
    if (this.entries.delete(id)) this.resort();
  }

  /** Reactive: a view that asked for a pair before it existed updates when it is added. */
  get(id: string): PairEntry | undefined {
    void this.order;
    return this.entries.get(id);
  }

  /** Apply one batch of live events (each state, action or telling check brings its pair's status); refetch pairs whose settings changed. */
  apply(events: EngineEvent[]): void {
    let resort = false;
    for (const e of events) {
      if (e.type === 'config') {
        if (e.change === 'removed') {
          resort = this.entries.delete(e.pair) || resort;
        } else this.pendingRefresh.add(e.pair);
        continue;
      }
      const entry = this.entries.get(e.pair);
      if (!entry) continue;
      const before = entry.rank;
      const next = statusAfter(entry.status, e);
      if (next !== entry.status) entry.set(next);
      if (e.type === 'check') entry.recordCheck(e.result);
      if (entry.rank !== before) resort = true;
      // A service older than the status on events: ask it.
      if ((e.type === 'state' || e.type === 'action') && !e.status) this.pendingRefresh.add(e.pair);
    }
    if (resort) this.resort();
    if (this.pendingRefresh.size > 0) void this.refreshPending();
  }

  /** Pairs whose 24 h history has not been read yet, among these (visible) ids. */
  async loadHistory(ids: string[], nowMs = Date.now()): Promise<void> {
    const from = new Date(nowMs - 24 * 3600_000).toISOString();
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (!entry || entry.historyLoaded) continue;
      entry.historyLoaded = true;
      try {
        const h = await this.backend.history(id, { from, to: new Date(nowMs).toISOString() });
        entry.seedHistory(h.minutes, nowMs);
      } catch {
        entry.historyLoaded = false;
      }
    }
  }

  private async refreshPending(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      while (this.pendingRefresh.size > 0) {
        const ids = [...this.pendingRefresh];
        this.pendingRefresh.clear();
        if (ids.length > 8) {
          this.replaceAll(await this.backend.listPairs());
          continue;
        }
        for (const id of ids) {
          try {
            const { settings: _settings, ...status } = await this.backend.getPair(id);
            this.upsert(status);
          } catch {
            // Removed meanwhile: the config event that follows deletes it.
          }
        }
      }
    } catch (err) {
      this.error = errorMessage(err);
    } finally {
      this.refreshing = false;
    }
  }

  private resort(): void {
    // Ranks are cached on the entries and names compared with one collator: a thousand pairs sort in about a millisecond.
    this.order = [...this.entries.values()]
      .sort((a, b) => a.rank - b.rank || NAMES.compare(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((e) => e.id);
  }
}

function filterIds(order: string[], entries: Map<string, PairEntry>, filter: PairFilter): string[] {
  const text = filter.text.trim().toLowerCase();
  const states = new Set(filter.states);
  if (!text && states.size === 0 && !filter.notReady) return order;
  return order.filter((id) => {
    const e = entries.get(id);
    if (!e) return false;
    if (states.size > 0 && !states.has(e.state)) return false;
    if (filter.notReady && e.ready !== false) return false;
    return !text || e.id.includes(text) || e.name.toLowerCase().includes(text);
  });
}

/** `ids` are worst first already; another sort keeps that order among equals. */
function sortIds(ids: string[], entries: Map<string, PairEntry>, sort: PairSort): string[] {
  if (sort === 'worst') return ids;
  const key = (id: string): number =>
    sort === 'certificate'
      ? (entries.get(id)?.status.certificateDaysLeft ?? Number.POSITIVE_INFINITY)
      : readinessOrder(entries.get(id)?.ready);
  return ids
    .map((id, i) => ({ id, i, k: key(id) }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((x) => x.id);
}

function countStates(order: string[], entries: Map<string, PairEntry>): Record<PairState, number> {
  const counts: Record<PairState, number> = { starting: 0, waiting: 0, verifying: 0, failover: 0, paused: 0 };
  for (const id of order) {
    const e = entries.get(id);
    if (e) counts[e.state]++;
  }
  return counts;
}
