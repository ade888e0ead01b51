// Reading the history's day files for a query: which day files a range spans, the events in
// them, and the minute aggregates, whole days from a cache of parsed files (a finished day never
// changes) merged with the rows not on disk yet.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { HistoryEvent, MinuteAggregate, MinuteColumns } from '../shared/model.js';
import { bucketColumns } from './history-columns.js';
import {
  SUMMARY_BUCKET_MS,
  readSummary,
  summarize,
  summaryColumns,
  summaryPath,
  writeSummary,
} from './history-summary.js';
import { errnoCode, fsError } from './fs-errors.js';
import {
  DAY_MS,
  MINUTE_MS,
  dayOfFile,
  columnsOfRows,
  emptySeries,
  mergeSeries,
  parseEvents,
  parseMinuteColumns,
  parseMinuteSeries,
  seriesOfRows,
  type DamageReport,
  type MinuteRow,
  type MinuteSeries,
  type RawMinuteColumns,
  type Timed,
} from './history-format.js';
import type { Logger } from './ports.js';

/** Minute aggregates kept parsed in memory (about 100 bytes each): two pairs' 30-day timelines and then some. */
const MAX_CACHED_ROWS = 200_000;

interface CachedMinutes extends MinuteSeries {
  size: number;
  mtimeMs: number;
}

/** Rows kept parsed as columns (40 bytes each): two pairs' 30-day timelines and then some, 8 MB. */
const MAX_CACHED_COLUMN_ROWS = 200_000;

interface CachedColumns {
  size: number;
  mtimeMs: number;
  columns: RawMinuteColumns;
}

export class DayFileReader {
  /** Parsed minute files by path, least recently used first. Callers get these objects: read-only. */
  private readonly minuteCache = new Map<string, CachedMinutes>();
  private cachedRows = 0;
  /** The same for the columnar shape: a finished day's file is parsed once. */
  private readonly columnCache = new Map<string, CachedColumns>();
  private cachedColumnRows = 0;

  constructor(
    private readonly root: string,
    private readonly log: Logger,
  ) {}

  /** Events of these day files and of the lines not on disk yet, within [fromMs, toMs]. */
  async readEvents(files: string[], unwritten: string, fromMs: number, toMs: number): Promise<Timed<HistoryEvent>[]> {
    const found: Timed<HistoryEvent>[] = [];
    for (const { file, text } of await this.readAll(files))
      parseEvents(text, file, fromMs, toMs, found, this.reportDamage);
    parseEvents(unwritten, 'unwritten history', fromMs, toMs, found, this.reportDamage);
    return found;
  }

  /**
   * Whole days come from the per-file cache (a finished day never changes); rows not on disk yet
   * and the minute in progress are merged into their day.
   */
  async readMinutes(
    files: string[],
    unwritten: string,
    current: MinuteRow[],
    fromMs: number,
    toMs: number,
  ): Promise<MinuteAggregate[]> {
    const extra = mergeSeries(
      seriesOfRows(current),
      parseMinuteSeries(unwritten, 'unwritten history', this.reportDamage),
    );
    const extraByDay = new Map<number, MinuteSeries>();
    extra.keys.forEach((key, i) => {
      const day = Math.floor(key / 2880);
      let series = extraByDay.get(day);
      if (!series) extraByDay.set(day, (series = emptySeries()));
      series.keys.push(key);
      series.aggregates.push(extra.aggregates[i]!);
    });
    const days = new Map<number, MinuteSeries>();
    const loaded = await Promise.all(files.map((file) => this.minuteFile(file)));
    files.forEach((file, i) => days.set(dayOfFile(path.basename(file))!, loaded[i]!));
    for (const day of extraByDay.keys()) if (!days.has(day)) days.set(day, emptySeries());

    const firstKey = Math.floor(fromMs / MINUTE_MS) * 2;
    const lastKey = Math.floor(toMs / MINUTE_MS) * 2 + 1;
    // Whole days are copied natively: a loop over 86,400 rows runs before the JIT has warmed up.
    const parts: MinuteAggregate[][] = [];
    for (const day of [...days.keys()].sort((x, y) => x - y)) {
      const more = extraByDay.get(day);
      const { keys, aggregates } = more ? mergeSeries(days.get(day)!, more) : days.get(day)!;
      const from = firstAtLeast(keys, firstKey);
      const to = firstAtLeast(keys, lastKey + 1);
      if (to > from) parts.push(from === 0 && to === keys.length ? aggregates : aggregates.slice(from, to));
    }
    return ([] as MinuteAggregate[]).concat(...parts);
  }

  /** The minutes of these day files, the rows not on disk yet and the minute in progress, as bucketed columns. */
  async readMinuteColumns(
    files: string[],
    unwritten: string,
    current: MinuteRow[],
    fromMs: number,
    toMs: number,
    bucketMs: number,
    /** Days before this one are over: their files no longer change. */
    today: number,
  ): Promise<MinuteColumns> {
    const coarse = bucketMs % SUMMARY_BUCKET_MS === 0;
    const parts = await Promise.all(
      files.map((file) => {
        const day = dayOfFile(path.basename(file))!;
        // A finished day wholly in the range, in buckets of five minutes or more: its summary will do.
        const whole = day * DAY_MS >= fromMs && (day + 1) * DAY_MS - 1 <= toMs;
        return this.columnFile(file, coarse && whole && day < today);
      }),
    );
    if (unwritten) parts.push(parseMinuteColumns(unwritten, 'unwritten history', this.reportDamage));
    if (current.length > 0) parts.push(columnsOfRows(current));
    return bucketColumns(parts, fromMs, toMs, bucketMs);
  }

  /**
   * Writes the five-minute summary of a finished day's minute file unless a current one is there:
   * done for every pair after midnight, so that opening a timeline finds them. Not cached.
   */
  async summarize(file: string): Promise<void> {
    await this.columnFile(file, true, false);
  }

  private async columnFile(file: string, summarized: boolean, cache = true): Promise<RawMinuteColumns> {
    const minuteFile = path.join(this.root, file);
    let stat: { size: number; mtimeMs: number };
    try {
      const { size, mtimeMs } = await fs.stat(minuteFile);
      stat = { size, mtimeMs };
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') this.log.warn(fsError(err, 'read history file', minuteFile).message);
      return columnsOfRows([]);
    }
    // The cache holds a summary under its own name, and a minute file's rows under the minute file's.
    const full = summarized ? summaryPath(minuteFile) : minuteFile;
    const cached = this.columnCache.get(full);
    if (cached && cached.size === stat.size && cached.mtimeMs === stat.mtimeMs) {
      this.columnCache.delete(full);
      this.columnCache.set(full, cached);
      return cached.columns;
    }
    let columns = summarized ? await readSummary(full, stat) : undefined;
    if (!columns) {
      const bytes = await fs.readFile(minuteFile).catch((err: unknown) => {
        if (errnoCode(err) !== 'ENOENT') this.log.warn(fsError(err, 'read history file', minuteFile).message);
        return Buffer.alloc(0);
      });
      columns = parseMinuteColumns(bytes, minuteFile, this.reportDamage);
      if (summarized) {
        const summary = summarize(columns, stat);
        columns = summaryColumns(summary);
        // Only a cache: a failed write costs the next cold query a parse, and is said once.
        const written = writeSummary(full, summary).catch((err: unknown) => this.warnSummaryOnce(err, full));
        if (!cache) await written;
      }
    }
    if (!cache) return columns;
    if (cached) {
      this.cachedColumnRows -= cached.columns.length;
      this.columnCache.delete(full);
    }
    this.columnCache.set(full, { size: stat.size, mtimeMs: stat.mtimeMs, columns });
    this.cachedColumnRows += columns.length;
    for (const [oldest, old] of this.columnCache) {
      if (this.cachedColumnRows <= MAX_CACHED_COLUMN_ROWS) break;
      this.columnCache.delete(oldest);
      this.cachedColumnRows -= old.columns.length;
    }
    return columns;
  }

  private async minuteFile(file: string): Promise<MinuteSeries> {
    const full = path.join(this.root, file);
    let stat: { size: number; mtimeMs: number };
    try {
      stat = await fs.stat(full);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') this.log.warn(fsError(err, 'read history file', full).message);
      return emptySeries();
    }
    const cached = this.minuteCache.get(full);
    if (cached && cached.size === stat.size && cached.mtimeMs === stat.mtimeMs) {
      this.minuteCache.delete(full);
      this.minuteCache.set(full, cached);
      return cached;
    }
    const bytes = await fs.readFile(full).catch((err: unknown) => {
      if (errnoCode(err) !== 'ENOENT') this.log.warn(fsError(err, 'read history file', full).message);
      return Buffer.alloc(0);
    });
    const { keys, aggregates } = parseMinuteSeries(bytes, full, this.reportDamage);
    const entry: CachedMinutes = { size: stat.size, mtimeMs: stat.mtimeMs, keys, aggregates };
    this.cacheMinutes(full, entry);
    return entry;
  }

  private cacheMinutes(file: string, entry: CachedMinutes): void {
    const previous = this.minuteCache.get(file);
    if (previous) {
      this.cachedRows -= previous.keys.length;
      this.minuteCache.delete(file);
    }
    this.minuteCache.set(file, entry);
    this.cachedRows += entry.keys.length;
    for (const [oldest, old] of this.minuteCache) {
      if (this.cachedRows <= MAX_CACHED_ROWS) break;
      this.minuteCache.delete(oldest);
      this.cachedRows -= old.keys.length;
    }
  }

  /** Day files of one directory that overlap [fromMs, toMs], as paths relative to the root. */
  async dayFiles(dir: string, fromMs: number, toMs: number): Promise<string[]> {
    const first = Math.floor(fromMs / DAY_MS);
    const last = Math.floor(toMs / DAY_MS);
    const names = await fs.readdir(path.join(this.root, dir)).catch(() => [] as string[]);
    return names
      .filter((name) => {
        const day = dayOfFile(name);
        return day !== undefined && day >= first && day <= last;
      })
      .map((name) => `${dir}/${name}`);
  }

  private async readAll(files: string[]): Promise<Array<{ file: string; text: string }>> {
    const texts = await Promise.all(
      files.map((file) =>
        fs.readFile(path.join(this.root, file), 'utf8').catch((err: unknown) => {
          if (errnoCode(err) !== 'ENOENT')
            this.log.warn(fsError(err, 'read history file', path.join(this.root, file)).message);
          return '';
        }),
      ),
    );
    return files.map((file, i) => ({ file: path.join(this.root, file), text: texts[i]! }));
  }

  private summaryWarned = false;

  private warnSummaryOnce(err: unknown, file: string): void {
    if (this.summaryWarned || errnoCode(err) === 'ENOENT') return;
    this.summaryWarned = true;
    this.log.warn(
      fsError(err, 'write the history summary', file).message + '; timelines read the minute files instead',
    );
  }

  private readonly reportDamage: DamageReport = (file, damaged) =>
    this.log.warn(`skipped ${damaged} damaged line(s) in history file ${file}`, { file, damaged });
}

/** Index of the first of the ascending keys that is at least key (keys.length if none). */
function firstAtLeast(keys: number[], key: number): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (keys[mid]! < key) low = mid + 1;
    else high = mid;
  }
  return low;
}
