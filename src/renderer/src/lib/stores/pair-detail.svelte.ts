// One pair's page: its settings, its history over the chosen range, the
// timeline's zoom window and the event log's filter, kept current by live events.

import type { Backend } from '$shared/api';
import type { EngineEvent, HistoryEvent, MinuteColumns, PairDetail, PairHistory } from '$shared/model';
import { addCheck, columnsOf, copyColumns } from '../charts/minute-columns';
import { autoBucketMs } from '$shared/history-buckets';
import { errorMessage } from '../backend/errors';
import { alertLabel, operatorActionLabel } from '../words';
import { describeDnsRound, dnsStatusAfter } from '../dns';

export const RANGES = { '1h': 3600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type RangeKey = keyof typeof RANGES;

export type LogType = HistoryEvent['type'];

/**
 * How often live events are folded into the shown history. A pixel of a 30-day timeline is half an
 * hour, so redrawing it (and 43,000 latency points) for every one-second check would be work nobody sees.
 */
const LIVE_REFRESH_MS: Record<RangeKey, number> = { '1h': 0, '24h': 1000, '7d': 5000, '30d': 5000 };

export class PairDetailStore {
  detail = $state.raw<PairDetail | undefined>(undefined);
  history = $state.raw<PairHistory | undefined>(undefined);
  /** The history's checks as columns (one-minute buckets, or coarser for ranges over a few days). */
  columns = $state.raw<MinuteColumns | undefined>(undefined);
  /** Finer columns around a zoomed window, when the range's buckets are coarser than the window needs. */
  zoomColumns = $state.raw<{ from: number; to: number; columns: MinuteColumns } | undefined>(undefined);
  /** What the timeline and the latency chart draw: the zoomed window's finer columns once loaded. */
  shownColumns = $derived.by(() => {
    const z = this.zoom;
    const finer = this.zoomColumns;
    return z && finer && finer.from <= z.from && finer.to >= z.to ? finer.columns : this.columns;
  });
  range = $state<RangeKey>('1h');
  /** The loaded span: the range ending at the time it was loaded, extended by live events. */
  span = $state({ from: 0, to: 0 });
  /** A zoomed-in part of the span, or undefined for all of it (following live). */
  zoom = $state<{ from: number; to: number } | undefined>(undefined);
  error = $state<string | undefined>(undefined);
  notFound = $state(false);
  loading = $state(false);
  logTypes = $state<LogType[]>([]);
  logText = $state('');

  /** Newest first, filtered by type and text. */
  log = $derived.by(() => filterLog(this.history?.events ?? [], this.logTypes, this.logText));

  constructor(
    private readonly backend: Backend,
    readonly id: string,
  ) {}

  async load(nowMs = Date.now()): Promise<void> {
    this.loading = true;
    try {
      const from = nowMs - RANGES[this.range];
      const [detail, history] = await Promise.all([
        this.backend.getPair(this.id),
        // Columns, in buckets about a pixel wide for the range: a 30-day timeline is 250 kB, not 4.5 MB.
        this.backend.history(this.id, {
          from: new Date(from).toISOString(),
          to: new Date(nowMs).toISOString(),
          shape: 'columns',
          bucket: 'auto',
        }),
      ]);
      this.detail = detail;
      this.columns = columnsOf(history);
      this.zoomColumns = undefined;
      this.history = history;
      this.span = { from, to: nowMs };
      this.zoom = undefined;
      this.error = undefined;
      this.notFound = false;
    } catch (err) {
      this.error = errorMessage(err);
      this.notFound = (err as { code?: string }).code === 'not-found';
    } finally {
      this.loading = false;
    }
  }

  async setRange(range: RangeKey): Promise<void> {
    this.range = range;
    await this.load();
  }

  async reloadDetail(): Promise<void> {
    try {
      this.detail = await this.backend.getPair(this.id);
    } catch (err) {
      this.error = errorMessage(err);
    }
  }

  private pendingLive: EngineEvent[] = [];
  private liveTimer: ReturnType<typeof setTimeout> | undefined;

  /** Live events of this pair, folded in at once for short ranges and every few seconds for long ones. */
  apply(events: EngineEvent[]): void {
    for (const e of events) {
      if (e.pair !== this.id) continue;
      // Readings are live only (the history keeps their alerts): they replace the detail's list at once.
      if (e.type === 'certificates') {
        if (this.detail) this.detail = { ...this.detail, certificates: e.certificates };
      } else this.pendingLive.push(e);
    }
    if (this.pendingLive.length === 0 || this.liveTimer) return;
    const delay = LIVE_REFRESH_MS[this.range];
    if (delay === 0) this.foldLive();
    else this.liveTimer = setTimeout(() => this.foldLive(), delay);
  }

  dispose(): void {
    clearTimeout(this.liveTimer);
    clearTimeout(this.refineTimer);
  }

  private foldLive(): void {
    this.liveTimer = undefined;
    const mine = this.pendingLive;
    this.pendingLive = [];
    this.applyNow(mine);
  }

  /** Successful checks go into the minute aggregates, everything else into the events. */
  applyNow(mine: EngineEvent[], nowMs = Date.now()): void {
    if (mine.length === 0 || !this.history || !this.columns) return;
    let columns: MinuteColumns | undefined;
    const added: HistoryEvent[] = [];
    for (const e of mine) {
      if (e.type === 'check' && e.result.target !== 'validation') {
        columns ??= copyColumns(this.columns);
        addCheck(columns, e.result.target, Date.parse(e.result.at), e.result.ok, e.result.latencyMs);
        if (e.result.ok) continue;
      }
      added.push(e);
      if (e.type === 'config' && e.change === 'updated') void this.reloadDetail();
      if (e.type === 'dns' && this.detail) this.detail = dnsStatusAfter(this.detail, e);
      if (e.type === 'readiness') {
        if (this.detail) this.detail = { ...this.detail, readiness: e.readiness, ready: e.readiness.ready };
        // Not a moment of the timeline: the round's outcome is in the readiness block.
        added.pop();
      }
    }
    if (columns) this.columns = columns;
    const finer = this.zoomColumns;
    if (finer && finer.to >= this.span.to) {
      const more = copyColumns(finer.columns);
      for (const e of mine) {
        if (e.type === 'check' && e.result.target !== 'validation')
          addCheck(more, e.result.target, Date.parse(e.result.at), e.result.ok, e.result.latencyMs);
      }
      this.zoomColumns = { ...finer, to: Math.max(finer.to, nowMs), columns: more };
    }
    if (added.length) this.history = { ...this.history, events: [...this.history.events, ...added] };
    this.span = { from: this.span.from, to: Math.max(this.span.to, nowMs) };
  }

  zoomTo(from: number, to: number): void {
    const min = 60_000;
    const a = Math.max(this.span.from, Math.min(from, to));
    const b = Math.min(this.span.to, Math.max(from, to));
    if (b - a < min) return;
    this.zoom = { from: a, to: b };
    this.refineLater();
  }

  private refineTimer: ReturnType<typeof setTimeout> | undefined;
  private refineSeq = 0;

  /** Zooming by wheel or buttons comes in bursts: the finer history is asked for once it settles. */
  private refineLater(): void {
    clearTimeout(this.refineTimer);
    this.refineTimer = setTimeout(() => void this.refine(), 150);
  }

  /**
   * Loads finer buckets around the zoomed window (twice its width, within the span) when the
   * range's are coarser than the window needs (a 30-day range in 15-minute buckets zoomed to an hour).
   */
  async refine(): Promise<void> {
    const z = this.zoom;
    const coarse = this.columns;
    if (!z || !coarse || autoBucketMs(z.to - z.from) >= coarse.bucketMs) return;
    const have = this.zoomColumns;
    if (
      have &&
      have.from <= z.from &&
      have.to >= z.to &&
      autoBucketMs(have.to - have.from) <= autoBucketMs(z.to - z.from)
    )
      return;
    const width = z.to - z.from;
    const from = Math.max(this.span.from, z.from - width / 2);
    const to = Math.min(this.span.to, z.to + width / 2);
    const seq = ++this.refineSeq;
    try {
      const history = await this.backend.history(this.id, {
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        shape: 'columns',
        bucket: 'auto',
      });
      if (seq === this.refineSeq) this.zoomColumns = { from, to, columns: columnsOf(history) };
    } catch (err) {
      // The coarse buckets still show the window; the page says why it is not finer.
      if (seq === this.refineSeq) this.error = errorMessage(err);
    }
  }

  /** Zoom around the time `at` by `factor` (< 1 in, > 1 out); zoomed out past the span, it follows live again. */
  zoomAround(at: number, factor: number): void {
    const w = this.zoom ?? this.span;
    this.zoomTo(at - (at - w.from) * factor, at + (w.to - at) * factor);
    if (factor > 1 && this.zoom && this.zoom.from <= this.span.from && this.zoom.to >= this.span.to)
      this.zoom = undefined;
  }

  showWholeRange(): void {
    this.zoom = undefined;
  }

  toggleLogType(type: LogType): void {
    this.logTypes = this.logTypes.includes(type) ? this.logTypes.filter((t) => t !== type) : [...this.logTypes, type];
  }

  /** Fire the failed action again; a refusal shows as the page's error. */
  async retryAction(operator: string | undefined): Promise<void> {
    try {
      await this.backend.retryAction(this.id, {
        reason: 'retry after the action failed',
        ...(operator ? { operator } : {}),
      });
    } catch (err) {
      this.error = errorMessage(err);
    }
  }

  /** Zoom around the middle by `factor` (< 1 in, > 1 out). */
  zoomBy(factor: number): void {
    const w = this.zoom ?? this.span;
    const mid = (w.from + w.to) / 2;
    const half = ((w.to - w.from) * factor) / 2;
    if (w.from - (mid - half) <= 0 && factor > 1 && this.span.from >= mid - half && this.span.to <= mid + half) {
      this.zoom = undefined;
      return;
    }
    this.zoomTo(mid - half, mid + half);
  }

  pan(fraction: number): void {
    const w = this.zoom;
    if (!w) return;
    const shift = (w.to - w.from) * fraction;
    const from = Math.max(this.span.from, Math.min(this.span.to - (w.to - w.from), w.from + shift));
    this.zoom = { from, to: from + (w.to - w.from) };
    this.refineLater();
  }
}

export function filterLog(events: HistoryEvent[], types: LogType[], text: string): HistoryEvent[] {
  const wanted = new Set(types);
  const needle = text.trim().toLowerCase();
  const out: HistoryEvent[] = [];
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (wanted.size > 0 && !wanted.has(e.type)) continue;
    if (needle && !describeEvent(e).toLowerCase().includes(needle)) continue;
    out.push(e);
  }
  return out;
}

/** One line per event, in words, as the log and the CSV show it. */
export function describeEvent(e: HistoryEvent): string {
  switch (e.type) {
    case 'state':
      return `${e.from} → ${e.to}${e.manual ? ' (manual)' : ''}${e.reason ? `: ${e.reason}` : ''}`;
    case 'check':
      return `${e.result.target} check ${e.result.ok ? 'ok' : 'failed'}${e.result.status ? ` (status ${e.result.status})` : ''}${e.result.error ? `: ${e.result.error}` : ''} in ${Math.round(e.result.latencyMs)} ms`;
    case 'action':
      return `${e.kind} action ${e.phase}${e.attempt ? `, attempt ${e.attempt.attempt}: ${e.attempt.ok ? 'ok' : (e.attempt.error ?? `status ${e.attempt.status}`)}${e.attempt.status ? ` (status ${e.attempt.status})` : ''} in ${Math.round(e.attempt.latencyMs)} ms` : ''}`;
    case 'alert':
      return `${alertLabel(e.alert)}: ${e.message}`;
    case 'operator':
      return `${operatorActionLabel(e.action)} by ${e.operator}: ${e.reason || '(no reason)'} — ${e.outcome}${e.detail ? ` (${e.detail})` : ''}`;
    case 'config':
      return `settings ${e.change}`;
    case 'certificates':
      return `certificates read: ${e.certificates.map((c) => `${c.name} ${c.error ?? `${c.daysLeft} days left`}`).join(', ')}`;
    case 'notify':
      return `${e.alert} ${e.action} through "${e.channel}": ${e.ok ? 'delivered' : (e.error ?? 'failed')}${e.status ? ` (status ${e.status})` : ''} in ${Math.round(e.latencyMs)} ms, attempt ${e.attempt}`;
    case 'dns':
      return describeDnsRound(e);
    case 'readiness':
      return e.readiness.ready
        ? 'ready to fail over'
        : `not ready: ${e.readiness.items
            .filter((i) => !i.ok)
            .map((i) => i.message)
            .join('; ')}`;
  }
}
