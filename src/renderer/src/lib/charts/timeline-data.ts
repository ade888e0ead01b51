// What a pair's timeline shows, computed once per redraw from the history:
// state bands from state events, and per pixel column the checks and failures
// of the minute columns (so 30 days of one-second checks cost one pass over
// 2,880 fifteen-minute buckets, never a pass over the checks themselves).

import type { AlertEvent, HistoryEvent, MinuteColumns, OperatorEvent, PairState, TargetColumns } from '$shared/model';
import { operatorActionLabel } from '../words';
import { firstAtOrAfter } from './minute-columns';

export interface Band {
  from: number;
  to: number;
  state: PairState;
}

export interface Window {
  from: number;
  to: number;
}

/**
 * State bands over [from, to]; `current` is the state now, used when no event says otherwise.
 * Nothing is drawn before `known`, the earliest time the history knows anything about the pair.
 */
export function stateBands(events: HistoryEvent[], win: Window, current: PairState, known = -Infinity): Band[] {
  const changes = events.filter((e) => e.type === 'state');
  const bands: Band[] = [];
  let state: PairState = changes[0]?.type === 'state' ? changes[0].from : current;
  let start = Math.max(win.from, known);
  for (const e of changes) {
    if (e.type !== 'state') continue;
    const at = Date.parse(e.at);
    if (at <= win.from) {
      state = e.to;
      continue;
    }
    if (at >= win.to) break;
    if (at < start) {
      state = e.to;
      continue;
    }
    if (at > start) bands.push({ from: start, to: at, state });
    state = e.to;
    start = at;
  }
  if (win.to > start) bands.push({ from: start, to: win.to, state });
  return bands;
}

export interface Columns {
  checks: Float64Array;
  failures: Float64Array;
}

/** Checks and failures of one target per pixel column; buckets of `bucketMs` are taken at their start. */
export function checkColumns(target: TargetColumns, bucketMs: number, win: Window, width: number): Columns {
  const checks = new Float64Array(width);
  const failures = new Float64Array(width);
  const span = win.to - win.from;
  if (span <= 0 || width <= 0) return { checks, failures };
  const perPx = span / width;
  const { t } = target;
  // Buckets are in time order: only those overlapping the (zoomed) window are visited.
  for (let i = firstAtOrAfter(t, win.from - bucketMs + 1); i < t.length; i++) {
    const start = t[i]!;
    if (start >= win.to) break;
    // A bucket wider than a pixel covers several columns; spread it so short ranges have no gaps.
    const x0 = Math.max(0, Math.floor((start - win.from) / perPx));
    const x1 = Math.min(width - 1, Math.floor((start + bucketMs - 1 - win.from) / perPx));
    for (let x = x0; x <= x1; x++) {
      checks[x]! += target.checks[i]!;
      failures[x]! += target.failures[i]!;
    }
  }
  return { checks, failures };
}

export interface Marker {
  at: number;
  kind: 'alert' | 'operator' | 'failed-check' | 'action';
  severity: 'info' | 'warning' | 'critical';
  label: string;
}

export function markers(events: HistoryEvent[], win: Window): Marker[] {
  const out: Marker[] = [];
  for (const e of events) {
    const at = Date.parse(e.at);
    if (at < win.from || at > win.to) continue;
    if (e.type === 'alert') out.push({ at, kind: 'alert', severity: (e as AlertEvent).severity, label: e.message });
    else if (e.type === 'operator') out.push({ at, kind: 'operator', severity: 'info', label: operatorLabel(e) });
    else if (e.type === 'check' && !e.result.ok && e.result.target === 'primary')
      out.push({ at, kind: 'failed-check', severity: 'critical', label: e.result.error ?? 'check failed' });
    else if (e.type === 'action' && e.attempt)
      out.push({
        at,
        kind: 'action',
        severity: e.attempt.ok ? 'info' : 'warning',
        label: `${e.kind} action attempt ${e.attempt.attempt}: ${e.attempt.ok ? 'ok' : (e.attempt.error ?? `status ${e.attempt.status}`)}`,
      });
    // The round that ends a DNS verification: "DNS converged in N s" (or why not) beside the action's marks.
    else if (e.type === 'dns' && e.message)
      out.push({ at, kind: 'action', severity: e.phase === 'converged' ? 'info' : 'warning', label: e.message });
  }
  return out;
}

function operatorLabel(e: OperatorEvent): string {
  return `${operatorActionLabel(e.action)} by ${e.operator}${e.reason ? `: ${e.reason}` : ''}`;
}

/** Round tick spacing for an axis of `span` ms over `width` px. */
export function tickStep(span: number, width: number): number {
  const steps = [
    60e3,
    5 * 60e3,
    10 * 60e3,
    15 * 60e3,
    30 * 60e3,
    3600e3,
    3 * 3600e3,
    6 * 3600e3,
    12 * 3600e3,
    86400e3,
    2 * 86400e3,
    7 * 86400e3,
  ];
  const target = span / Math.max(1, width / 110);
  return steps.find((s) => s >= target) ?? steps[steps.length - 1]!;
}

/** The earliest time the history says anything about the pair (its first event or bucket of checks). */
export function firstKnown(events: HistoryEvent[], columns: MinuteColumns): number {
  let first = Infinity;
  if (events.length > 0) first = Date.parse(events[0]!.at);
  for (const t of [columns.primary.t[0], columns.standby.t[0]]) if (t !== undefined && t < first) first = t;
  return first;
}
