// The line formats of the history files and how to read them back quickly and
// forgivingly: a torn last line (crash mid-append) is dropped quietly, a damaged
// line elsewhere is skipped and counted.

import type { HistoryEvent, MinuteAggregate } from '../shared/model.js';

export type MinuteTarget = 'primary' | 'standby';

/** One line of a `.minutes.jsonl` file. */
export type MinuteRow = [minute: number, target: MinuteTarget, checks: number, failures: number, p50Ms: number, maxMs: number];

export interface Timed<T> {
  at: number;
  value: T;
}

export type DamageReport = (file: string, damagedLines: number) => void;

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

export function encodeMinuteRow(row: MinuteRow): string {
  return JSON.stringify(row) + '\n';
}

/** Nearest-rank median: the smallest latency that at least half of the checks did not exceed. */
export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.ceil(sorted.length / 2) - 1]!;
}

/** Latencies are kept to 0.1 ms: finer is noise, and it keeps the files small. */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}

const dayStrings = new Map<number, string>();

/** "2026-11-27" for any time of that UTC day. */
export function dayString(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  let text = dayStrings.get(day);
  if (!text) {
    text = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (dayStrings.size > 4096) dayStrings.clear();
    dayStrings.set(day, text);
  }
  return text;
}

const DAY_FILE = /^(\d{4}-\d{2}-\d{2})\.(events|minutes)\.jsonl$/;

/** Day number (days since the epoch) of a day file's name; undefined for any other name. */
export function dayOfFile(name: string): number | undefined {
  const match = DAY_FILE.exec(name);
  if (!match) return undefined;
  const ms = Date.parse(match[1] + 'T00:00:00Z');
  return Number.isFinite(ms) ? ms / DAY_MS : undefined;
}

function forEachLine(text: string, file: string, report: DamageReport, take: (line: string, start: number, end: number, torn: boolean) => boolean): void {
  let damaged = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    const torn = end === -1;
    if (torn) end = text.length;
    if (end > start && !take(text, start, end, torn) && !torn) damaged++;
    start = end + 1;
  }
  if (damaged > 0) report(file, damaged);
}

function parseJson(text: string, start: number, end: number): unknown {
  try {
    return JSON.parse(text.slice(start, end));
  } catch {
    return undefined;
  }
}

/** Events of a `.events.jsonl` text whose time lies in [fromMs, toMs]. */
export function parseEvents(text: string, file: string, fromMs: number, toMs: number, into: Timed<HistoryEvent>[], report: DamageReport): void {
  forEachLine(text, file, report, (line, start, end) => {
    const event = parseJson(line, start, end) as HistoryEvent | undefined;
    if (!event || typeof event !== 'object' || typeof event.type !== 'string' || typeof event.pair !== 'string' || typeof event.at !== 'string') {
      return false;
    }
    const at = Date.parse(event.at);
    if (at >= fromMs && at <= toMs) into.push({ at, value: event });
    return true;
  });
}

/** Rows of a `.minutes.jsonl` text. A 30-day timeline is 86,400 rows, so the common shape is read by hand. */
export function parseMinuteRows(text: string, file: string, into: MinuteRow[], report: DamageReport): void {
  forEachLine(text, file, report, (line, start, end) => {
    const row = readRowFast(line, start, end) ?? parseJson(line, start, end);
    if (!isMinuteRow(row)) return false;
    into.push(row);
    return true;
  });
}

function isMinuteRow(row: unknown): row is MinuteRow {
  return (
    Array.isArray(row) &&
    row.length === 6 &&
    Number.isInteger(row[0]) &&
    (row[1] === 'primary' || row[1] === 'standby') &&
    row.slice(2).every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0)
  );
}

let cursor = 0;

/** `[29404080,"primary",60,0,5.2,8.3]` without JSON.parse; undefined for anything else (then JSON.parse decides). */
function readRowFast(s: string, start: number, end: number): MinuteRow | undefined {
  cursor = start;
  if (s.charCodeAt(cursor++) !== 0x5b) return undefined;
  const minute = readNumber(s);
  if (minute < 0 || s.charCodeAt(cursor++) !== 0x2c) return undefined;
  let target: MinuteTarget;
  if (s.startsWith('"primary",', cursor)) target = 'primary';
  else if (s.startsWith('"standby",', cursor)) target = 'standby';
  else return undefined;
  cursor += 10;
  const checks = readNumber(s);
  if (checks < 0 || s.charCodeAt(cursor++) !== 0x2c) return undefined;
  const failures = readNumber(s);
  if (failures < 0 || s.charCodeAt(cursor++) !== 0x2c) return undefined;
  const p50 = readNumber(s);
  if (p50 < 0 || s.charCodeAt(cursor++) !== 0x2c) return undefined;
  const max = readNumber(s);
  if (max < 0 || s.charCodeAt(cursor++) !== 0x5d || cursor !== end) return undefined;
  return [minute, target, checks, failures, p50, max];
}

/** A non-negative number with at most one decimal (what roundMs writes); -1 for anything else. */
function readNumber(s: string): number {
  const begin = cursor;
  let whole = 0;
  let c = s.charCodeAt(cursor);
  while (c >= 0x30 && c <= 0x39) {
    whole = whole * 10 + (c - 0x30);
    c = s.charCodeAt(++cursor);
  }
  if (cursor === begin || cursor - begin > 15) return -1;
  if (c !== 0x2e) return whole;
  const digit = s.charCodeAt(++cursor) - 0x30;
  if (digit < 0 || digit > 9) return -1;
  c = s.charCodeAt(++cursor);
  if (c >= 0x30 && c <= 0x39) return -1;
  // An exact integer divided by 10 rounds exactly as JSON.parse would.
  return (whole * 10 + digit) / 10;
}

const rowKey = (row: MinuteRow): number => row[0] * 2 + (row[1] === 'primary' ? 0 : 1);

/**
 * Orders rows by minute then target and combines rows of the same minute: a restart in the
 * middle of a minute writes it twice. Counts add up exactly; the median becomes a weighted mean.
 */
export function mergeMinuteRows(rows: MinuteRow[]): MinuteRow[] {
  let sorted = true;
  for (let i = 1; i < rows.length && sorted; i++) if (rowKey(rows[i - 1]!) >= rowKey(rows[i]!)) sorted = false;
  if (sorted) return rows;
  rows.sort((a, b) => rowKey(a) - rowKey(b));
  const merged: MinuteRow[] = [];
  for (const row of rows) {
    const prev = merged[merged.length - 1];
    if (prev && rowKey(prev) === rowKey(row)) {
      const checks = prev[2] + row[2];
      const p50 = checks > 0 ? roundMs((prev[4] * prev[2] + row[4] * row[2]) / checks) : 0;
      merged[merged.length - 1] = [prev[0], prev[1], checks, prev[3] + row[3], p50, Math.max(prev[5], row[5])];
    } else merged.push(row);
  }
  return merged;
}

const MINUTE_SUFFIXES: string[] = Array.from({ length: 1440 }, (_, i) => {
  const hh = String(Math.floor(i / 60)).padStart(2, '0');
  const mm = String(i % 60).padStart(2, '0');
  return `T${hh}:${mm}:00.000Z`;
});

/** Rows (sorted) as the contract's MinuteAggregate, with the minute as ISO 8601. */
export function toAggregates(rows: MinuteRow[]): MinuteAggregate[] {
  const out: MinuteAggregate[] = new Array(rows.length);
  let day = NaN;
  let prefix = '';
  for (let i = 0; i < rows.length; i++) {
    const [minute, target, checks, failures, p50Ms, maxMs] = rows[i]!;
    const rowDay = Math.floor(minute / 1440);
    if (rowDay !== day) {
      day = rowDay;
      prefix = dayString(minute * MINUTE_MS);
    }
    out[i] = { minute: prefix + MINUTE_SUFFIXES[minute - rowDay * 1440], target, checks, failures, p50Ms, maxMs };
  }
  return out;
}

export function sortByTime<T>(items: Timed<T>[]): T[] {
  // Stable: events of the same millisecond keep the order they were recorded in.
  items.sort((a, b) => a.at - b.at);
  return items.map((item) => item.value);
}
