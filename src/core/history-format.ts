// The line formats of the history files and how to read them back quickly and
// forgivingly: a torn last line (crash mid-append) is dropped quietly, a damaged
// line elsewhere is skipped and counted.

import type { HistoryEvent, MinuteAggregate } from '../shared/model.js';

export type MinuteTarget = 'primary' | 'standby';

/** One line of a `.minutes.jsonl` file. */
export type MinuteRow = [
  minute: number,
  target: MinuteTarget,
  checks: number,
  failures: number,
  p50Ms: number,
  maxMs: number,
];

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

/** Events, minutes, and the five-minute summary of a finished day (history-summary.ts; its temporary file too). */
const DAY_FILE = /^(\d{4}-\d{2}-\d{2})\.(events\.jsonl|minutes\.jsonl|minutes-5m\.json(\.\d+\.tmp)?)$/;

/** Day number (days since the epoch) of a day file's name; undefined for any other name. */
export function dayOfFile(name: string): number | undefined {
  const match = DAY_FILE.exec(name);
  if (!match) return undefined;
  const ms = Date.parse(match[1] + 'T00:00:00Z');
  return Number.isFinite(ms) ? ms / DAY_MS : undefined;
}

function forEachLine(
  text: string,
  file: string,
  report: DamageReport,
  take: (line: string, start: number, end: number, torn: boolean) => boolean,
): void {
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
export function parseEvents(
  text: string,
  file: string,
  fromMs: number,
  toMs: number,
  into: Timed<HistoryEvent>[],
  report: DamageReport,
): void {
  forEachLine(text, file, report, (line, start, end) => {
    const event = parseJson(line, start, end) as HistoryEvent | undefined;
    if (
      !event ||
      typeof event !== 'object' ||
      typeof event.type !== 'string' ||
      typeof event.pair !== 'string' ||
      typeof event.at !== 'string'
    ) {
      return false;
    }
    const at = Date.parse(event.at);
    if (at >= fromMs && at <= toMs) into.push({ at, value: event });
    return true;
  });
}

/**
 * Minute aggregates of one stretch of time in order of minute then target, each minute and target
 * once. keys[i] is minute * 2 (+ 1 for the standby), so ranges and merges need no date parsing.
 */
export interface MinuteSeries {
  keys: number[];
  aggregates: MinuteAggregate[];
}

export const emptySeries = (): MinuteSeries => ({ keys: [], aggregates: [] });

/**
 * A `.minutes.jsonl` file as a series. A 30-day timeline is 86,400 lines, so the common line shape
 * is read by hand from the file's bytes straight into the aggregates (no 3 MB of decoded text for
 * the garbage collector to copy); anything else goes through JSON.parse and checks.
 */
export function parseMinuteSeries(data: Buffer | string, file: string, report: DamageReport): MinuteSeries {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const series = emptySeries();
  let damaged = 0;
  // One loop without a callback per line: before the JIT has warmed up, every call per row counts.
  for (let start = 0; start < bytes.length;) {
    let end = bytes.indexOf(0x0a, start);
    const torn = end === -1;
    if (torn) end = bytes.length;
    if (end > start && (readRowFast(bytes, start, end) || readRowJson(bytes, start, end))) pushScratch(series);
    else if (end > start && !torn) damaged++;
    start = end + 1;
  }
  if (damaged > 0) report(file, damaged);
  return sortAndMerge(series);
}

/** The row readRowFast or readRowJson read last: minute, 0 primary / 1 standby, checks, failures, p50, max. */
// Its elements are any values (it starts with non-numbers): a latency's shared box (tenths below) is
// kept as it is, not unboxed into a double and boxed again for every aggregate.
const ROW = [null, null, null, null, null, null] as unknown as [number, number, number, number, number, number];

function pushScratch(series: MinuteSeries): void {
  pushRow(series, ROW[0], ROW[1] === 0 ? 'primary' : 'standby', ROW[2], ROW[3], ROW[4], ROW[5]);
}

/**
 * The rows of one `.minutes.jsonl` file as columns, in file order (a minute written twice appears
 * twice: bucketing adds them up). Read by the same checks as parseMinuteSeries, with no object per row.
 */
export interface RawMinuteColumns {
  length: number;
  /** minute * 2 (+ 1 for the standby), as in MinuteSeries. */
  key: Float64Array;
  checks: Float64Array;
  failures: Float64Array;
  p50Ms: Float64Array;
  maxMs: Float64Array;
}

function rawColumns(capacity: number): RawMinuteColumns {
  return {
    length: 0,
    key: new Float64Array(capacity),
    checks: new Float64Array(capacity),
    failures: new Float64Array(capacity),
    p50Ms: new Float64Array(capacity),
    maxMs: new Float64Array(capacity),
  };
}

function pushRaw(
  c: RawMinuteColumns,
  key: number,
  checks: number,
  failures: number,
  p50: number,
  max: number,
): RawMinuteColumns {
  if (c.length === c.key.length) {
    const bigger = rawColumns(Math.max(16, c.length * 2));
    bigger.key.set(c.key);
    bigger.checks.set(c.checks);
    bigger.failures.set(c.failures);
    bigger.p50Ms.set(c.p50Ms);
    bigger.maxMs.set(c.maxMs);
    bigger.length = c.length;
    c = bigger;
  }
  const i = c.length++;
  c.key[i] = key;
  c.checks[i] = checks;
  c.failures[i] = failures;
  c.p50Ms[i] = p50;
  c.maxMs[i] = max;
  return c;
}

export function parseMinuteColumns(data: Buffer | string, file: string, report: DamageReport): RawMinuteColumns {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  // A minute line is about 36 bytes: one allocation for a whole day file, usually.
  let c = rawColumns(Math.ceil(bytes.length / 30) + 1);
  let damaged = 0;
  for (let start = 0; start < bytes.length;) {
    let end = bytes.indexOf(0x0a, start);
    const torn = end === -1;
    if (torn) end = bytes.length;
    if (end > start && (readRowFast(bytes, start, end) || readRowJson(bytes, start, end)))
      c = pushRaw(c, ROW[0] * 2 + ROW[1], ROW[2], ROW[3], ROW[4], ROW[5]);
    else if (end > start && !torn) damaged++;
    start = end + 1;
  }
  if (damaged > 0) report(file, damaged);
  return c;
}

export function columnsOfRows(rows: MinuteRow[]): RawMinuteColumns {
  let c = rawColumns(rows.length);
  for (const r of rows) c = pushRaw(c, r[0] * 2 + (r[1] === 'primary' ? 0 : 1), r[2], r[3], r[4], r[5]);
  return c;
}

/** Fills ROW from the common spelling of a row, read byte by byte; false for anything else. */
function readRowFast(s: Buffer, start: number, end: number): boolean {
  cursor = start;
  if (s[cursor++] !== 0x5b) return false;
  const minute = readNumber(s, end);
  // A minute with a decimal would name no minute of the day.
  if (minute < 0 || !Number.isInteger(minute) || s[cursor++] !== 0x2c) return false;
  const target = readTarget(s, end);
  if (!target) return false;
  const checks = readNumber(s, end);
  if (checks < 0 || s[cursor++] !== 0x2c) return false;
  const failures = readNumber(s, end);
  if (failures < 0 || s[cursor++] !== 0x2c) return false;
  const p50 = readNumber(s, end);
  if (p50 < 0 || s[cursor++] !== 0x2c) return false;
  const max = readNumber(s, end);
  if (max < 0 || s[cursor++] !== 0x5d || cursor !== end) return false;
  ROW[0] = minute;
  ROW[1] = target === 'primary' ? 0 : 1;
  ROW[2] = checks;
  ROW[3] = failures;
  ROW[4] = p50;
  ROW[5] = max;
  return true;
}

/** Any other spelling of a row that JSON allows (1e1, 1.25) is still a row; a non-ASCII byte never is. */
function readRowJson(s: Buffer, start: number, end: number): boolean {
  const row = parseJson(s.toString('latin1', start, end), 0, end - start);
  if (!isMinuteRow(row)) return false;
  ROW[0] = row[0];
  ROW[1] = row[1] === 'primary' ? 0 : 1;
  ROW[2] = row[2];
  ROW[3] = row[3];
  ROW[4] = row[4];
  ROW[5] = row[5];
  return true;
}

export function seriesOfRows(rows: MinuteRow[]): MinuteSeries {
  const series = emptySeries();
  for (const row of rows) pushRow(series, row[0], row[1], row[2], row[3], row[4], row[5]);
  return sortAndMerge(series);
}

/** Both series as one; rows of the same minute and target are combined. */
export function mergeSeries(a: MinuteSeries, b: MinuteSeries): MinuteSeries {
  if (b.keys.length === 0) return a;
  if (a.keys.length === 0) return b;
  return sortAndMerge({ keys: a.keys.concat(b.keys), aggregates: a.aggregates.concat(b.aggregates) });
}

const MINUTE_SUFFIXES: string[] = Array.from({ length: 1440 }, (_, i) => {
  const hh = String(Math.floor(i / 60)).padStart(2, '0');
  const mm = String(i % 60).padStart(2, '0');
  return `T${hh}:${mm}:00.000Z`;
});

/** `"primary",` or `"standby",` at the cursor, compared byte by byte (this runs 86,400 times a timeline). */
function readTarget(s: Buffer, end: number): MinuteTarget | undefined {
  if (cursor + 10 > end) return undefined;
  const word = s[cursor + 1] === 0x70 ? PRIMARY_CODES : s[cursor + 1] === 0x73 ? STANDBY_CODES : undefined;
  if (!word) return undefined;
  for (let i = 0; i < word.length; i++) if (s[cursor + i] !== word[i]) return undefined;
  cursor += word.length;
  return word === PRIMARY_CODES ? 'primary' : 'standby';
}

const PRIMARY_CODES = [...'"primary",'].map((c) => c.charCodeAt(0));
const STANDBY_CODES = [...'"standby",'].map((c) => c.charCodeAt(0));

/** ISO 8601 names of every minute of recently read days, shared by all pairs' timelines. */
const minuteNames = new Map<number, string[]>();

function minuteNamesOf(day: number): string[] {
  let names = minuteNames.get(day);
  if (!names) {
    const prefix = dayString(day * DAY_MS);
    names = MINUTE_SUFFIXES.map((suffix) => prefix + suffix);
    if (minuteNames.size >= 45) minuteNames.delete(minuteNames.keys().next().value!);
    minuteNames.set(day, names);
  }
  return names;
}

let namesDay = NaN;
let names: string[] = [];

function pushRow(
  series: MinuteSeries,
  minute: number,
  target: MinuteTarget,
  checks: number,
  failures: number,
  p50Ms: number,
  maxMs: number,
): void {
  const day = Math.floor(minute / 1440);
  if (day !== namesDay) {
    namesDay = day;
    names = minuteNamesOf(day);
  }
  series.keys.push(minute * 2 + (target === 'primary' ? 0 : 1));
  series.aggregates.push({ minute: names[minute - day * 1440]!, target, checks, failures, p50Ms, maxMs });
}

/**
 * A restart in the middle of a minute writes it twice: counts add up exactly, the maximum is the
 * larger one, and the median becomes the mean of both medians weighted by their checks.
 */
function sortAndMerge(series: MinuteSeries): MinuteSeries {
  const { keys } = series;
  let lowest = Infinity;
  let highest = -Infinity;
  let ordered = true;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key <= highest) ordered = false;
    if (key < lowest) lowest = key;
    if (key > highest) highest = key;
  }
  if (ordered) return series;
  // A day file holds at most 2,880 keys, so its rows are put in order by slot rather than sorted.
  return highest - lowest <= 2 * keys.length + 2880 ? mergeBySlot(series, lowest, highest) : mergeBySort(series);
}

function mergeBySlot({ keys, aggregates }: MinuteSeries, lowest: number, highest: number): MinuteSeries {
  const slots: Array<MinuteAggregate | undefined> = new Array(highest - lowest + 1).fill(undefined);
  for (let i = 0; i < keys.length; i++) {
    const slot = keys[i]! - lowest;
    const earlier = slots[slot];
    slots[slot] = earlier ? combine(earlier, aggregates[i]!) : aggregates[i]!;
  }
  const out = emptySeries();
  for (let slot = 0; slot < slots.length; slot++) {
    const agg = slots[slot];
    if (!agg) continue;
    out.keys.push(lowest + slot);
    out.aggregates.push(agg);
  }
  return out;
}

function mergeBySort({ keys, aggregates }: MinuteSeries): MinuteSeries {
  const order = keys.map((_, i) => i).sort((x, y) => keys[x]! - keys[y]! || x - y);
  const out = emptySeries();
  for (const i of order) {
    const last = out.keys.length - 1;
    if (last >= 0 && out.keys[last] === keys[i]) out.aggregates[last] = combine(out.aggregates[last]!, aggregates[i]!);
    else {
      out.keys.push(keys[i]!);
      out.aggregates.push(aggregates[i]!);
    }
  }
  return out;
}

function combine(a: MinuteAggregate, b: MinuteAggregate): MinuteAggregate {
  const checks = a.checks + b.checks;
  const p50Ms = checks > 0 ? roundMs((a.p50Ms * a.checks + b.p50Ms * b.checks) / checks) : 0;
  return {
    minute: a.minute,
    target: a.target,
    checks,
    failures: a.failures + b.failures,
    p50Ms,
    maxMs: Math.max(a.maxMs, b.maxMs),
  };
}

function isMinuteRow(row: unknown): row is MinuteRow {
  return (
    Array.isArray(row) &&
    row.length === 6 &&
    Number.isInteger(row[0]) &&
    (row[1] === 'primary' || row[1] === 'standby') &&
    isCount(row[2]) &&
    isCount(row[3]) &&
    isCount(row[4]) &&
    isCount(row[5])
  );
}

const isCount = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n >= 0;

let cursor = 0;

/**
 * Latencies repeat: a timeline's 86,400 medians and maxima share a few thousand values. Each is
 * boxed once here and referenced by every aggregate that holds it, instead of one box per field.
 */
const TENTHS_KEPT = 100_000;
const tenthsBoxes: Array<number | null> = new Array(TENTHS_KEPT).fill(null);

function tenths(count: number): number {
  // An exact integer divided by 10 rounds exactly as JSON.parse would.
  if (count >= TENTHS_KEPT) return count / 10;
  return (tenthsBoxes[count] ??= count / 10);
}

// Sharing works only while these fields may hold any value: V8 otherwise gives each aggregate a box
// of its own. Aggregates are built by literals with exactly these keys in this order (pushRow,
// combine), so they share this object's layout, in which the two fields have held a non-number.
// A bundler that drops this line only makes timelines slower to load, never wrong.
const anyValue: unknown = null;
void ({ minute: '', target: 'primary', checks: 0, failures: 0, p50Ms: anyValue, maxMs: anyValue } as unknown);

/** A non-negative number with at most one decimal (what roundMs writes) ending before end; -1 for anything else. */
function readNumber(s: Buffer, end: number): number {
  const begin = cursor;
  let whole = 0;
  let c = cursor < end ? s[cursor]! : 0;
  while (c >= 0x30 && c <= 0x39) {
    whole = whole * 10 + (c - 0x30);
    c = ++cursor < end ? s[cursor]! : 0;
  }
  if (cursor === begin || cursor - begin > 15) return -1;
  if (c !== 0x2e) return whole;
  const digit = ++cursor < end ? s[cursor]! - 0x30 : -1;
  if (digit < 0 || digit > 9) return -1;
  c = ++cursor < end ? s[cursor]! : 0;
  if (c >= 0x30 && c <= 0x39) return -1;
  return tenths(whole * 10 + digit);
}

export function sortByTime<T>(items: Timed<T>[]): T[] {
  // Stable: events of the same millisecond keep the order they were recorded in.
  items.sort((a, b) => a.at - b.at);
  return items.map((item) => item.value);
}
