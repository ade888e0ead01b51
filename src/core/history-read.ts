// Reading the history's day files for a query: which day files a range spans, the events in
// them, and the minute aggregates, whole days from a cache of parsed files (a finished day never
// changes) merged with the rows not on disk yet.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { HistoryEvent, MinuteAggregate } from '../shared/model.js';
import { errnoCode, fsError } from './fs-errors.js';
import {
  DAY_MS,
  MINUTE_MS,
  dayOfFile,
  emptySeries,
  mergeSeries,
  parseEvents,
  parseMinuteSeries,
  seriesOfRows,
  type DamageReport,
  type MinuteRow,
  type MinuteSeries,
  type Timed,
} from './history-format.js';
import type { Logger } from './ports.js';

/** Minute aggregates kept parsed in memory (about 100 bytes each): two pairs' 30-day timelines and then some. */
const MAX_CACHED_ROWS = 200_000;

interface CachedMinutes extends MinuteSeries {
  size: number;
  mtimeMs: number;
}

export class DayFileReader {
  /** Parsed minute files by path, least recently used first. Callers get these objects: read-only. */
  private readonly minuteCache = new Map<string, CachedMinutes>();
  private cachedRows = 0;

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
