// Five-minute summaries of finished days, `history/<pair>/YYYY-MM-DD.minutes-5m.json`, for timelines
// over a few days (buckets of 5 minutes or more). A 30-day timeline is then 30 small JSON files of
// about 580 rows each instead of 86,400 minute lines to parse. A summary is derived data: it names the
// size and modification time of the minute file it was made from and is used only while they still
// match, so a late minute appended to the day (or a summary damaged or missing) just means the minute
// file is read, and the summary written again. Written atomically (temporary file, rename); pruned
// with its day.

import { promises as fs } from 'node:fs';
import { MINUTE_MS, type RawMinuteColumns } from './history-format.js';

export const SUMMARY_BUCKET_MS = 5 * MINUTE_MS;
const PER_BUCKET = SUMMARY_BUCKET_MS / MINUTE_MS;

export function summaryPath(minuteFile: string): string {
  return minuteFile.replace(/\.minutes\.jsonl$/, '.minutes-5m.json');
}

interface SummaryFile {
  v: 1;
  /** The minute file this was made from, as fs.stat gave it then. */
  source: { size: number; mtimeMs: number };
  /** First minute of each bucket * 2 (+ 1 for the standby), as in RawMinuteColumns. */
  key: number[];
  checks: number[];
  failures: number[];
  /** Sum of the minutes' medians times their checks: the bucket's median is this over its checks. */
  weighted: number[];
  max: number[];
}

/** The rows of a day's minute file added up into five-minute buckets, in key order. */
export function summarize(raw: RawMinuteColumns, source: { size: number; mtimeMs: number }): SummaryFile {
  const out: SummaryFile = { v: 1, source, key: [], checks: [], failures: [], weighted: [], max: [] };
  if (raw.length === 0) return out;
  let lowest = Infinity;
  let highest = -Infinity;
  for (let i = 0; i < raw.length; i++) {
    const bucket = Math.floor(raw.key[i]! / (2 * PER_BUCKET));
    if (bucket < lowest) lowest = bucket;
    if (bucket > highest) highest = bucket;
  }
  // A day file holds one day (288 buckets of each target); a stray row far away must not cost memory.
  if (highest - lowest > 4 * 288) return summarizeSparse(raw, out);
  const slots = (highest - lowest + 1) * 2;
  const checks = new Float64Array(slots);
  const failures = new Float64Array(slots);
  const weighted = new Float64Array(slots);
  const max = new Float64Array(slots);
  const rows = new Uint32Array(slots);
  for (let i = 0; i < raw.length; i++) {
    const k = raw.key[i]!;
    const target = k % 2;
    const slot = (Math.floor(k / (2 * PER_BUCKET)) - lowest) * 2 + target;
    const c = raw.checks[i]!;
    checks[slot]! += c;
    failures[slot]! += raw.failures[i]!;
    weighted[slot]! += raw.p50Ms[i]! * c;
    if (raw.maxMs[i]! > max[slot]!) max[slot] = raw.maxMs[i]!;
    rows[slot]!++;
  }
  for (let slot = 0; slot < slots; slot++) {
    if (rows[slot] === 0) continue;
    out.key.push((lowest + (slot >> 1)) * PER_BUCKET * 2 + (slot & 1));
    out.checks.push(checks[slot]!);
    out.failures.push(failures[slot]!);
    out.weighted.push(weighted[slot]!);
    out.max.push(max[slot]!);
  }
  return out;
}

function summarizeSparse(raw: RawMinuteColumns, out: SummaryFile): SummaryFile {
  const slots = new Map<number, number>();
  const order: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const k = raw.key[i]!;
    const key = Math.floor(k / (2 * PER_BUCKET)) * PER_BUCKET * 2 + (k % 2);
    let slot = slots.get(key);
    if (slot === undefined) {
      slot = out.key.length;
      slots.set(key, slot);
      out.key.push(key);
      out.checks.push(0);
      out.failures.push(0);
      out.weighted.push(0);
      out.max.push(0);
    }
    const c = raw.checks[i]!;
    out.checks[slot]! += c;
    out.failures[slot]! += raw.failures[i]!;
    out.weighted[slot]! += raw.p50Ms[i]! * c;
    if (raw.maxMs[i]! > out.max[slot]!) out.max[slot] = raw.maxMs[i]!;
  }
  for (let i = 0; i < out.key.length; i++) order.push(i);
  order.sort((x, y) => out.key[x]! - out.key[y]!);
  const pick = (a: number[]) => order.map((i) => a[i]!);
  return {
    ...out,
    key: pick(out.key),
    checks: pick(out.checks),
    failures: pick(out.failures),
    weighted: pick(out.weighted),
    max: pick(out.max),
  };
}

/** A summary as rows for bucketColumns: one row per five minutes and target. */
export function summaryColumns(s: SummaryFile): RawMinuteColumns {
  const n = s.key.length;
  const p50Ms = new Float64Array(n);
  for (let i = 0; i < n; i++) p50Ms[i] = s.checks[i]! > 0 ? s.weighted[i]! / s.checks[i]! : 0;
  return {
    length: n,
    key: Float64Array.from(s.key),
    checks: Float64Array.from(s.checks),
    failures: Float64Array.from(s.failures),
    p50Ms,
    maxMs: Float64Array.from(s.max),
  };
}

/** The summary at `file` if it was made from the minute file as it is now (`source`); undefined otherwise. */
export async function readSummary(
  file: string,
  source: { size: number; mtimeMs: number },
): Promise<RawMinuteColumns | undefined> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
  const s = parsed as Partial<SummaryFile> | null;
  if (
    !s ||
    s.v !== 1 ||
    s.source?.size !== source.size ||
    s.source.mtimeMs !== source.mtimeMs ||
    !Array.isArray(s.key) ||
    [s.checks, s.failures, s.weighted, s.max].some((a) => !Array.isArray(a) || a.length !== s.key!.length)
  )
    return undefined;
  return summaryColumns(s as SummaryFile);
}

/** Writes a summary atomically; it is only a cache, so the caller may ignore a failure. */
export async function writeSummary(file: string, summary: SummaryFile): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await fs.writeFile(temp, JSON.stringify(summary), { mode: 0o600 });
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => {});
    throw err;
  }
}
