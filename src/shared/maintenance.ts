// Maintenance windows: planned work during which a pair is paused by the schedule, so that it does
// not fail over. Written as top-level `<maintenance>` elements of pbxctrl-failover.xml:
//
//   <maintenance id="dc1-network" reason="DC-1 router replacement">
//     <pairs>acme beta</pairs>                       (or <pairs all="true"/>)
//     <once start="2026-12-06T22:00:00Z" end="2026-12-06T23:30:00Z"/>
//   </maintenance>
//   <maintenance id="pbx-updates" reason="weekly PBX update">
//     <pairs>acme</pairs>
//     <every cron="0 3 * * 0" duration="5400" tz="Europe/Berlin"/>   (croner syntax, seconds)
//   </maintenance>
//
// The times of a window's occurrences are computed here with croner, so that the engine and the
// dashboard agree on them, daylight-saving changes included (a duration is elapsed seconds).

import { Cron } from 'croner';

export interface OnceSchedule {
  /** ISO 8601 with an offset or Z. */
  start: string;
  end: string;
}

export interface EverySchedule {
  /** croner syntax: 5 to 7 fields (minute hour day month weekday, optionally seconds first). */
  cron: string;
  /** Seconds each occurrence lasts. */
  duration: number;
  /** IANA time zone the cron expression is read in; UTC when left out. */
  tz?: string;
}

export interface MaintenanceWindow {
  id: string;
  reason: string;
  /** Pair ids, or `all` for every pair (`<pairs all="true"/>`). */
  pairs: string[] | 'all';
  /** Exactly one of `once` and `every`. */
  once?: OnceSchedule;
  every?: EverySchedule;
}

/** One occurrence of a window, epoch milliseconds, end exclusive. */
export interface Occurrence {
  start: number;
  end: number;
}

/** What `GET /api/maintenance` lists: the window with its current or next occurrence. */
export interface MaintenanceInfo extends MaintenanceWindow {
  /** An occurrence is going on now. */
  active: boolean;
  /** Start (ISO) of the occurrence going on now, or else of the next one; absent when none is left. */
  nextStart?: string;
  nextEnd?: string;
}

/** The prefix of the reason of a pair paused by a window, e.g. "maintenance dc1-network: DC-1 router replacement". */
export function maintenanceReason(w: Pick<MaintenanceWindow, 'id' | 'reason'>): string {
  return `maintenance ${w.id}: ${w.reason}`;
}

export function coversPair(w: MaintenanceWindow, pair: string): boolean {
  return w.pairs === 'all' || w.pairs.includes(pair);
}

function cronOf(every: EverySchedule): Cron {
  return new Cron(every.cron, { timezone: every.tz ?? 'UTC' });
}

/**
 * The occurrence going on at `nowMs`, or else the next one to start; undefined when none is left
 * (a one-off window that is over).
 */
export function currentOrNext(w: MaintenanceWindow, nowMs: number): Occurrence | undefined {
  if (w.once) {
    const start = Date.parse(w.once.start);
    const end = Date.parse(w.once.end);
    return end > nowMs ? { start, end } : undefined;
  }
  if (!w.every) return undefined;
  const ms = w.every.duration * 1000;
  // The first start after now - duration: if it is not after now, it is going on.
  const next = cronOf(w.every).nextRun(new Date(nowMs - ms));
  return next ? { start: next.getTime(), end: next.getTime() + ms } : undefined;
}

/** The occurrence going on at `nowMs`, if any. */
export function activeAt(w: MaintenanceWindow, nowMs: number): Occurrence | undefined {
  const o = currentOrNext(w, nowMs);
  return o && o.start <= nowMs ? o : undefined;
}

/** Occurrences that overlap [fromMs, toMs), in order (at most `limit`). */
export function occurrencesBetween(w: MaintenanceWindow, fromMs: number, toMs: number, limit = 100): Occurrence[] {
  const out: Occurrence[] = [];
  if (w.once) {
    const o = currentOrNext(w, fromMs);
    if (o && o.start < toMs) out.push(o);
    return out;
  }
  if (!w.every) return out;
  const ms = w.every.duration * 1000;
  const cron = cronOf(w.every);
  let after = new Date(fromMs - ms);
  while (out.length < limit) {
    const next = cron.nextRun(after);
    if (!next || next.getTime() >= toMs) break;
    out.push({ start: next.getTime(), end: next.getTime() + ms });
    after = next;
  }
  return out;
}

/** The window as listed by the API at `nowMs`. */
export function maintenanceInfo(w: MaintenanceWindow, nowMs: number): MaintenanceInfo {
  const o = currentOrNext(w, nowMs);
  const info: MaintenanceInfo = { ...w, active: o !== undefined && o.start <= nowMs };
  if (o) {
    info.nextStart = new Date(o.start).toISOString();
    info.nextEnd = new Date(o.end).toISOString();
  }
  return info;
}

/** Windows of this pair with an occurrence overlapping [fromMs, toMs), each occurrence once, in time order. */
export function pairOccurrences(
  windows: readonly MaintenanceWindow[],
  pair: string,
  fromMs: number,
  toMs: number,
): Array<Occurrence & { id: string; reason: string }> {
  const out: Array<Occurrence & { id: string; reason: string }> = [];
  for (const w of windows) {
    if (!coversPair(w, pair)) continue;
    for (const o of occurrencesBetween(w, fromMs, toMs)) out.push({ ...o, id: w.id, reason: w.reason });
  }
  return out.sort((a, b) => a.start - b.start);
}
