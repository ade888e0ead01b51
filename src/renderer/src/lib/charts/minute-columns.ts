// A pair's checks as the timeline and the latency chart read them: columns per target (the
// history API's `shape=columns`), in buckets of one minute or coarser. A service that answers
// one object per minute (older than the columnar shape) is turned into the same columns here.

import type { MinuteAggregate, MinuteColumns, PairHistory, TargetColumns } from '$shared/model';

const MINUTE_MS = 60_000;

export function emptyTarget(): TargetColumns {
  return { t: [], checks: [], failures: [], p50Ms: [], maxMs: [] };
}

/** The history's columns, or its minutes as one-minute columns. */
export function columnsOf(history: PairHistory): MinuteColumns {
  if (history.columns) return history.columns;
  return columnsOfMinutes(history.minutes);
}

export function columnsOfMinutes(minutes: readonly MinuteAggregate[]): MinuteColumns {
  const out: MinuteColumns = { bucketMs: MINUTE_MS, primary: emptyTarget(), standby: emptyTarget() };
  const sorted = [...minutes].sort((a, b) => Date.parse(a.minute) - Date.parse(b.minute));
  for (const m of sorted) {
    const c = out[m.target];
    c.t.push(Date.parse(m.minute));
    c.checks.push(m.checks);
    c.failures.push(m.failures);
    c.p50Ms.push(m.p50Ms);
    c.maxMs.push(m.maxMs);
  }
  return out;
}

function copyTarget(c: TargetColumns): TargetColumns {
  return {
    t: c.t.slice(),
    checks: c.checks.slice(),
    failures: c.failures.slice(),
    p50Ms: c.p50Ms.slice(),
    maxMs: c.maxMs.slice(),
  };
}

/** A copy that live checks may be added to (the shown history stays unchanged until it is replaced). */
export function copyColumns(c: MinuteColumns): MinuteColumns {
  return { bucketMs: c.bucketMs, primary: copyTarget(c.primary), standby: copyTarget(c.standby) };
}

/**
 * Counts one live check into its bucket (in place): the last bucket of the target, or a new one.
 * The running median is approximated until the history is loaded again.
 */
export function addCheck(
  columns: MinuteColumns,
  target: 'primary' | 'standby',
  atMs: number,
  ok: boolean,
  latencyMs: number,
): void {
  const c = columns[target];
  const start = Math.floor(atMs / columns.bucketMs) * columns.bucketMs;
  // Live checks arrive in order; one a little late belongs to one of the last few buckets.
  for (let i = c.t.length - 1; i >= 0 && i >= c.t.length - 4; i--) {
    if (c.t[i] !== start) continue;
    const checks = c.checks[i]!;
    c.checks[i] = checks + 1;
    c.failures[i]! += ok ? 0 : 1;
    c.maxMs[i] = Math.max(c.maxMs[i]!, latencyMs);
    c.p50Ms[i]! += (latencyMs - c.p50Ms[i]!) / (checks + 1);
    return;
  }
  let at = c.t.length;
  while (at > 0 && c.t[at - 1]! > start) at--;
  c.t.splice(at, 0, start);
  c.checks.splice(at, 0, 1);
  c.failures.splice(at, 0, ok ? 0 : 1);
  c.p50Ms.splice(at, 0, latencyMs);
  c.maxMs.splice(at, 0, latencyMs);
}

/** Index of the first bucket starting at or after `t` (t.length if none). */
export function firstAtOrAfter(times: readonly number[], t: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (times[mid]! < t) low = mid + 1;
    else high = mid;
  }
  return low;
}
