// Row 3: what a pair at a 1 s interval costs on disk per day, and how long
// loading its 30-day timeline takes. Both through the real HistoryStore on
// real files; the query is set beside reading the same files raw (the I/O
// floor), and the bytes beside logging every check as one JSON line. The
// timeline is asked for as the dashboard asks (`shape=columns`, the bucket
// `auto` picks), and once more in the one-object-per-minute shape.

import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistoryStore } from '../src/core/history.js';
import { autoBucketMs } from '../src/core/history-columns.js';
import { checkEvent, generateHistory } from './history-gen.js';
import { ms, row, times, verdict, type Row } from './table.js';

export interface HistoryOptions {
  days: number;
  intervalS: number;
}

const TARGET = { bytesPerDay: 1_000_000, queryMs: 50 };
const DAY_MS = 86_400_000;
const PAIR = 'timeline';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

async function bytesUnder(dir: string): Promise<number> {
  const sizes = await Promise.all((await filesUnder(dir)).map(async (f) => (await stat(f)).size));
  return sizes.reduce((a, b) => a + b, 0);
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await work();
  return [value, performance.now() - t0];
}

/** The summaries are written in the background of the first query; wait (at most 10 s) for them. */
async function summariesWritten(dir: string, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const names = await readdir(dir);
    if (names.filter((n) => n.endsWith('.minutes-5m.json')).length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function historyRows(opts: HistoryOptions): Promise<Row[]> {
  const serverdir = await mkdtemp(join(tmpdir(), 'pbx-bench-history-'));
  try {
    const endMs = Date.now();
    const writer = createHistoryStore(serverdir, { retentionDays: 90, autoPrune: false });
    const shape = { pair: PAIR, days: opts.days, intervalS: opts.intervalS, endMs, standby: true, blipsPerDay: 4 };
    const [checks, writeMs] = await timed(() => generateHistory(writer, shape));
    await writer.close();
    const historyRoot = join(serverdir, 'history');
    const perDay = (await bytesUnder(historyRoot)) / opts.days;
    const naivePerDay = (checks / opts.days) * (JSON.stringify(checkEvent(PAIR, 'primary', endMs, true, 0)).length + 1);

    const [, rawMs] = await timed(async () =>
      Promise.all((await filesUnder(join(historyRoot, PAIR))).map((f) => readFile(f))),
    );

    // A fresh store, so nothing parsed while writing is cached: what opening a pair's detail costs.
    // The first query of finished days also writes their five-minute summaries; a store opened after
    // that (a restart, or any later cold read) reads those.
    const fromMs = endMs - opts.days * DAY_MS;
    const bucketMs = autoBucketMs(endMs - fromMs);
    const first = createHistoryStore(serverdir, { retentionDays: 90, autoPrune: false });
    const [, firstMs] = await timed(() => first.query(PAIR, fromMs, endMs, bucketMs));
    await first.close();
    await summariesWritten(join(historyRoot, PAIR), opts.days - 1);
    const reader = createHistoryStore(serverdir, { retentionDays: 90, autoPrune: false });
    const [timeline, coldMs] = await timed(() => reader.query(PAIR, fromMs, endMs, bucketMs));
    const [, warmMs] = await timed(() => reader.query(PAIR, fromMs, endMs, bucketMs));
    const [, serializeMs] = await timed(async () => JSON.stringify(timeline));
    const jsonKb = JSON.stringify(timeline).length / 1000;
    const [minuteTimeline, minuteMs] = await timed(() => reader.query(PAIR, fromMs, endMs, 60_000));
    await reader.close();
    // The one-object-per-minute shape, in a store of its own (nothing cached).
    const objects = createHistoryStore(serverdir, { retentionDays: 90, autoPrune: false });
    const [old, objectsColdMs] = await timed(() => objects.query(PAIR, fromMs, endMs));
    const [, objectsWarmMs] = await timed(() => objects.query(PAIR, fromMs, endMs));
    const objectsKb = JSON.stringify(old).length / 1000;
    await objects.close();
    const buckets = timeline.columns!.primary.t.length + timeline.columns!.standby.t.length;
    const minutes = minuteTimeline.columns!.primary.t.length + minuteTimeline.columns!.standby.t.length;

    const group = '3. History';
    const span = `${opts.days} d`;
    return [
      row({
        group,
        measure: `bytes per pair per day, ${opts.intervalS} s interval, primary + standby`,
        engine: `${(perDay / 1000).toFixed(0)} kB (${span} of ${checks.toLocaleString('en-US')} checks written in ${(writeMs / 1000).toFixed(1)} s)`,
        limit: `one JSON line per check: ${(naivePerDay / 1e6).toFixed(1)} MB`,
        ratio: times(perDay / naivePerDay),
        target: '< 1 MB',
        verdict: verdict(perDay < TARGET.bytesPerDay),
      }),
      row({
        group,
        measure: `load a ${span} timeline of one pair (query, columns in ${bucketMs / 60_000}-min buckets)`,
        engine: `${ms(coldMs)} (first read of these days${bucketMs % 300_000 === 0 ? ', writing their summaries' : ''}: ${ms(firstMs)}; again: ${ms(warmMs)}; ${buckets.toLocaleString('en-US')} buckets of ${minutes.toLocaleString('en-US')} minutes, ${timeline.events.length} events, ${jsonKb.toFixed(0)} kB as JSON in ${ms(serializeMs)}; in 1-min buckets: ${ms(minuteMs)})`,
        limit: `read its files raw: ${ms(rawMs)}`,
        ratio: times(coldMs / rawMs),
        target: `< ${TARGET.queryMs} ms`,
        verdict: verdict(coldMs < TARGET.queryMs),
      }),
      row({
        group,
        measure: `the same, one object per minute (the default shape)`,
        engine: `${ms(objectsColdMs)} (again: ${ms(objectsWarmMs)}; ${old.minutes.length.toLocaleString('en-US')} minutes, ${objectsKb.toFixed(0)} kB as JSON)`,
        limit: `read its files raw: ${ms(rawMs)}`,
        ratio: times(objectsColdMs / rawMs),
      }),
    ];
  } finally {
    await rm(serverdir, { recursive: true, force: true });
  }
}
