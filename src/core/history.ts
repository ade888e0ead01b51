// `<serverdir>/history/`: what happened to every pair, kept for timelines, the
// audit log and the notification list.
//
// Layout, one directory per pair, one file per UTC day and kind, so that
// retention deletes whole files and a range query opens only the days it spans:
//   history/<pair>/<YYYY-MM-DD>.events.jsonl   one EngineEvent per line (all but successful checks)
//   history/<pair>/<YYYY-MM-DD>.minutes.jsonl  one minute aggregate per line:
//                                               [epochMinute, "primary"|"standby", checks, failures, p50Ms, maxMs]
//   history/@all/<YYYY-MM-DD>.events.jsonl     the journal: every operator and alert event of every pair
//                                               (audit log, notifications) plus events about the whole
//                                               configuration (pair "*", e.g. import). `@` cannot occur in a
//                                               pair id, so the journal never collides with a pair.
// Minute lines are arrays to keep a 30-day timeline small to store and quick to parse.
//
// record() runs for every check of every pair, so it only touches memory; lines are appended
// in batches. A minute is written once it is over; the minute in progress is answered from memory.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { CheckEvent, EngineEvent, HistoryEvent, MinuteAggregate, PairHistory } from '../shared/model.js';
import { errnoCode, fsError } from './fs-errors.js';
import {
  DAY_MS,
  MINUTE_MS,
  dayOfFile,
  dayString,
  encodeMinuteRow,
  median,
  emptySeries,
  mergeSeries,
  parseEvents,
  parseMinuteSeries,
  seriesOfRows,
  roundMs,
  sortByTime,
  type DamageReport,
  type MinuteRow,
  type MinuteSeries,
  type MinuteTarget,
  type Timed,
} from './history-format.js';
import { historyDir } from './paths.js';
import { silentLogger, systemClock, type Clock, type HistoryStore, type Logger } from './ports.js';

export interface HistoryOptions {
  /** Days of history kept, default 90. */
  retentionDays?: number;
  clock?: Clock;
  log?: Logger;
  /** How often buffered lines are appended, default 1 s. */
  flushMs?: number;
  /** Prune on start and then hourly, default true. */
  autoPrune?: boolean;
}

/** Minute aggregates kept parsed in memory (about 100 bytes each): two pairs' 30-day timelines and then some. */
const MAX_CACHED_ROWS = 200_000;
const JOURNAL_DIR = '@all';
const JOURNAL_TYPES: ReadonlySet<HistoryEvent['type']> = new Set(['operator', 'alert']);
/** A check that completes just after a minute ends still belongs to it; wait this long before writing it. */
const MINUTE_GRACE_MS = 2_000;
/** Latencies kept per pair, target and minute for the median (a 0.1 s interval gives 600). */
const MAX_SAMPLES = 1_200;
/** Buffered bytes that trigger an early append. */
const EARLY_FLUSH_BYTES = 1 << 20;
/** While the disk refuses writes, keep at most this much in memory; newer lines are dropped and counted. */
const MAX_PENDING_BYTES = 32 << 20;
/** Failed checks in a row kept one by one; beyond that one per slot (the minute aggregates keep the count). */
const FAILURE_RUN_DETAIL = 20;
const FAILURE_SLOT_MS = 10 * MINUTE_MS;
const ERROR_LOG_EVERY_MS = 60_000;
const PRUNE_EVERY_MS = 3_600_000;
/** Pruning stops when the clock is further than this past the newest history file (a clock set ahead). */
const MAX_CLOCK_LEAD_DAYS = 2;
const WRITE_PARALLELISM = 32;

interface CachedMinutes extends MinuteSeries {
  size: number;
  mtimeMs: number;
}

interface MinuteAcc {
  minute: number;
  checks: number;
  failures: number;
  maxMs: number;
  samples: number[];
  seen: number;
}

interface FailureRun {
  count: number;
  lastError: string;
  lastSlot: number;
}

interface PairTrack {
  minutes: Partial<Record<MinuteTarget, MinuteAcc>>;
  runs: Partial<Record<MinuteTarget, FailureRun>>;
}

export function createHistoryStore(serverdir: string, opts: HistoryOptions = {}): HistoryStore {
  return new FileHistoryStore(historyDir(serverdir), opts);
}

class FileHistoryStore implements HistoryStore {
  private readonly root: string;
  private readonly retentionDays: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly tracks = new Map<string, PairTrack>();
  /** Lines not yet on disk, by path relative to the history root. */
  private pending = new Map<string, string[]>();
  private pendingBytes = 0;
  private droppedLines = 0;
  private readonly knownDirs = new Set<string>();
  /** Files whose end was checked for a torn line since this process opened them. */
  private readonly checkedEnds = new Set<string>();
  /** Disk work (appends, queries, pruning) runs one at a time so a query never sees a line twice. */
  private chain: Promise<unknown> = Promise.resolve();
  private earlyFlush = false;
  private lastErrorLog = { message: '', at: -Infinity };
  private readonly timers: NodeJS.Timeout[] = [];
  private closing: Promise<void> | undefined;
  /** Parsed minute files by path, least recently used first. Callers get these objects: read-only. */
  private readonly minuteCache = new Map<string, CachedMinutes>();
  private cachedRows = 0;
  /** Files this process appended to: dated by the current clock, so no evidence of what time it is. */
  private readonly writtenByThisRun = new Set<string>();
  private clockWarned = false;

  constructor(root: string, opts: HistoryOptions) {
    this.root = root;
    this.retentionDays = opts.retentionDays ?? 90;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? silentLogger;
    this.timers.push(setInterval(() => this.tick(), opts.flushMs ?? 1_000));
    if (opts.autoPrune ?? true) {
      this.timers.push(setTimeout(() => this.autoPrune(), 1_000));
      this.timers.push(setInterval(() => this.autoPrune(), PRUNE_EVERY_MS));
    }
    for (const timer of this.timers) timer.unref();
  }

  record(event: EngineEvent): void {
    if (this.closing) return;
    if (event.type === 'check') this.recordCheck(event);
    else this.appendEvent(event);
  }

  private recordCheck(event: CheckEvent): void {
    const { result } = event;
    if (result.target === 'validation') {
      if (!result.ok) this.appendEvent(event);
      return;
    }
    const at = timeOf(event, this.clock);
    const track = this.track(event.pair);
    this.aggregate(event.pair, track, result.target, at, result.ok, result.latencyMs);
    if (result.ok) delete track.runs[result.target];
    else if (this.keepFailure(track, result.target, at, result.error ?? `status ${result.status ?? '?'}`)) this.appendEvent(event);
  }

  private track(pair: string): PairTrack {
    let track = this.tracks.get(pair);
    if (!track) {
      track = { minutes: {}, runs: {} };
      this.tracks.set(pair, track);
    }
    return track;
  }

  private aggregate(pair: string, track: PairTrack, target: MinuteTarget, at: number, ok: boolean, latencyMs: number): void {
    const minute = Math.floor(at / MINUTE_MS);
    let acc = track.minutes[target];
    if (acc && acc.minute !== minute) {
      this.writeMinute(pair, target, acc);
      acc = undefined;
    }
    if (!acc) {
      acc = { minute, checks: 0, failures: 0, maxMs: 0, samples: [], seen: 0 };
      track.minutes[target] = acc;
    }
    acc.checks++;
    if (!ok) acc.failures++;
    const latency = Number.isFinite(latencyMs) && latencyMs > 0 ? latencyMs : 0;
    if (latency > acc.maxMs) acc.maxMs = latency;
    acc.seen++;
    if (acc.samples.length < MAX_SAMPLES) acc.samples.push(latency);
    else {
      // Reservoir sampling keeps the median fair when a minute holds more checks than we keep.
      const slot = Math.floor(Math.random() * acc.seen);
      if (slot < MAX_SAMPLES) acc.samples[slot] = latency;
    }
  }

  /**
   * A primary that stays down (a pair in failover) fails every check for days; keeping each
   * one would cost megabytes a day for nothing the minute aggregates do not already say.
   */
  private keepFailure(track: PairTrack, target: MinuteTarget, at: number, error: string): boolean {
    const slot = Math.floor(at / FAILURE_SLOT_MS);
    const run = track.runs[target];
    if (!run) {
      track.runs[target] = { count: 1, lastError: error, lastSlot: slot };
      return true;
    }
    run.count++;
    const keep = run.count <= FAILURE_RUN_DETAIL || run.lastError !== error || run.lastSlot !== slot;
    run.lastError = error;
    if (keep) run.lastSlot = slot;
    return keep;
  }

  private writeMinute(pair: string, target: MinuteTarget, acc: MinuteAcc): void {
    const row: MinuteRow = [acc.minute, target, acc.checks, acc.failures, roundMs(median(acc.samples)), roundMs(acc.maxMs)];
    this.enqueue(`${dirOf(pair)}/${dayString(acc.minute * MINUTE_MS)}.minutes.jsonl`, encodeMinuteRow(row));
  }

  private appendEvent(event: EngineEvent): void {
    const line = JSON.stringify(withoutStatus(event)) + '\n';
    const day = dayString(timeOf(event, this.clock));
    const dir = dirOf(event.pair);
    this.enqueue(`${dir}/${day}.events.jsonl`, line);
    if (dir !== JOURNAL_DIR && JOURNAL_TYPES.has(event.type)) this.enqueue(`${JOURNAL_DIR}/${day}.events.jsonl`, line);
  }

  private enqueue(file: string, line: string): void {
    if (this.pendingBytes + line.length > MAX_PENDING_BYTES) {
      if (this.droppedLines++ === 0) this.log.error('history cannot be written and its buffer is full; new history lines are dropped', { file });
      return;
    }
    const lines = this.pending.get(file);
    if (lines) lines.push(line);
    else this.pending.set(file, [line]);
    this.writtenByThisRun.add(file);
    this.pendingBytes += line.length;
    if (this.pendingBytes > EARLY_FLUSH_BYTES && !this.earlyFlush) {
      this.earlyFlush = true;
      setImmediate(() => {
        this.earlyFlush = false;
        this.flush().catch(() => {});
      });
    }
  }

  /** Writes the minutes that are over (plus the grace), then appends everything buffered. */
  private tick(): void {
    this.finishMinutes(Math.floor((this.clock.now() - MINUTE_GRACE_MS) / MINUTE_MS));
    this.flush().catch(() => {});
  }

  private finishMinutes(beforeMinute: number): void {
    for (const [pair, track] of this.tracks) {
      for (const target of ['primary', 'standby'] as const) {
        const acc = track.minutes[target];
        if (acc && acc.minute < beforeMinute) {
          this.writeMinute(pair, target, acc);
          delete track.minutes[target];
        }
      }
      if (!track.minutes.primary && !track.minutes.standby && !track.runs.primary && !track.runs.standby) this.tracks.delete(pair);
    }
  }

  flush(): Promise<void> {
    return this.serialized(() => this.writePending());
  }

  /** Writes everything, the minute in progress included. A failed close can be tried again. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const timer of this.timers) clearInterval(timer);
      this.finishMinutes(Infinity);
    })();
    return this.closing.then(() => this.flush());
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work, work);
    this.chain = run.catch(() => {});
    return run;
  }

  private async writePending(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending];
    this.pending = new Map();
    this.pendingBytes = 0;
    // Report the first file of the batch that failed, not whichever failed first, so the message is stable.
    let failure: { err: unknown; file: string; index: number } | undefined;
    await forEachLimited(batch, WRITE_PARALLELISM, async ([file, lines], index) => {
      try {
        await this.append(file, lines.join(''));
      } catch (err) {
        if (!failure || index < failure.index) failure = { err, file, index };
        this.requeue(file, lines);
      }
    });
    if (failure) {
      const error = fsError(failure.err, 'append history to', path.join(this.root, failure.file));
      this.logWriteError(error.message);
      throw error;
    }
    if (this.lastErrorLog.message) {
      this.log.info('history is written again', { dropped: this.droppedLines });
      this.lastErrorLog = { message: '', at: -Infinity };
    }
    this.droppedLines = 0;
  }

  private requeue(file: string, lines: string[]): void {
    const newer = this.pending.get(file) ?? [];
    this.pending.set(file, lines.concat(newer));
    for (const line of lines) this.pendingBytes += line.length;
  }

  private logWriteError(message: string): void {
    const now = this.clock.now();
    if (message === this.lastErrorLog.message && now - this.lastErrorLog.at < ERROR_LOG_EVERY_MS) return;
    this.lastErrorLog = { message, at: now };
    this.log.error(message + '; history is kept in memory and written when possible');
  }

  /**
   * Appends whole lines or nothing: a write cut short (disk full) is truncated away, and a
   * line torn by a crash is ended before the first new line so it cannot swallow it.
   */
  private async append(file: string, text: string): Promise<void> {
    const full = path.join(this.root, file);
    const dir = path.dirname(full);
    if (!this.knownDirs.has(dir)) {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      this.knownDirs.add(dir);
    }
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(full, 'a+', 0o600);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') this.knownDirs.delete(dir);
      throw err;
    }
    try {
      const { size } = await handle.stat();
      let data = Buffer.from(text);
      if (size > 0 && !this.checkedEnds.has(file)) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) data = Buffer.concat([Buffer.from('\n'), data]);
      }
      try {
        for (let offset = 0; offset < data.length; ) offset += (await handle.write(data, offset)).bytesWritten;
        // Forgetting costs one extra byte read later; thousands of pairs make new files every day.
        if (this.checkedEnds.size > 20_000) this.checkedEnds.clear();
        this.checkedEnds.add(file);
      } catch (err) {
        await handle.truncate(size).catch(() => this.checkedEnds.delete(file));
        throw err;
      }
    } finally {
      await handle.close();
    }
  }

  query(pair: string, fromMs: number, toMs: number): Promise<PairHistory> {
    return this.serialized(async () => {
      const dir = dirOf(pair);
      const files = await this.dayFiles(dir, fromMs, toMs);
      const eventFiles = files.filter((f) => f.endsWith('.events.jsonl'));
      const minuteFiles = files.filter((f) => f.endsWith('.minutes.jsonl'));
      const unwritten = this.pendingLines(dir, fromMs, toMs, '.minutes.jsonl');
      const current = this.currentMinutes(pair);
      const [events, minutes] = await Promise.all([
        this.readEvents(dir, eventFiles, fromMs, toMs),
        this.readMinutes(minuteFiles, unwritten, current, fromMs, toMs),
      ]);
      // The journal holds more than configuration-wide events; a query for "*" wants only those.
      const own = dir === JOURNAL_DIR ? events.filter((e) => e.value.pair === pair) : events;
      return { pair, from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), events: sortByTime(own), minutes };
    });
  }

  private async readEvents(dir: string, files: string[], fromMs: number, toMs: number): Promise<Timed<HistoryEvent>[]> {
    const found: Timed<HistoryEvent>[] = [];
    const unwritten = this.pendingLines(dir, fromMs, toMs, '.events.jsonl');
    for (const { file, text } of await this.readAll(files)) parseEvents(text, file, fromMs, toMs, found, this.reportDamage);
    parseEvents(unwritten, 'unwritten history', fromMs, toMs, found, this.reportDamage);
    return found;
  }

  /**
   * Whole days come from the per-file cache (a finished day never changes); rows not on disk yet
   * and the minute in progress are merged into their day.
   */
  private async readMinutes(files: string[], unwritten: string, current: MinuteRow[], fromMs: number, toMs: number): Promise<MinuteAggregate[]> {
    const extra = mergeSeries(seriesOfRows(current), parseMinuteSeries(unwritten, 'unwritten history', this.reportDamage));
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

  queryAll(types: ReadonlyArray<HistoryEvent['type']>, fromMs: number, toMs: number): Promise<HistoryEvent[]> {
    return this.serialized(async () => {
      const wanted = new Set(types);
      const journalOnly = types.every((t) => JOURNAL_TYPES.has(t));
      const dirs = journalOnly ? [JOURNAL_DIR] : await this.pairDirs();
      const events: Timed<HistoryEvent>[] = [];
      for (const dir of dirs) {
        const files = (await this.dayFiles(dir, fromMs, toMs)).filter((f) => f.endsWith('.events.jsonl'));
        // Outside journal-only queries, the journal only adds what belongs to no pair.
        const journalCopy = !journalOnly && dir === JOURNAL_DIR;
        for (const e of await this.readEvents(dir, files, fromMs, toMs)) {
          if (wanted.has(e.value.type) && (!journalCopy || e.value.pair === '*')) events.push(e);
        }
      }
      return sortByTime(events);
    });
  }

  prune(nowMs: number): Promise<void> {
    return this.serialized(async () => {
      const today = Math.floor(nowMs / DAY_MS);
      const oldestKept = today - this.retentionDays + 1;
      const listing: [string, string[]][] = [];
      for (const dir of await this.pairDirs()) listing.push([dir, await fs.readdir(path.join(this.root, dir)).catch(() => [] as string[])]);
      if (this.clockLooksWrong(today, listing)) return;
      for (const [dir, names] of listing) {
        let left = names.length;
        for (const name of names) {
          const day = dayOfFile(name);
          if (day === undefined || day >= oldestKept) continue;
          await fs.unlink(path.join(this.root, dir, name)).then(
            () => left--,
            (err: unknown) => this.log.warn(fsError(err, 'delete old history file', path.join(this.root, dir, name)).message),
          );
        }
        if (left === 0 && !this.hasPendingIn(dir)) {
          await fs.rmdir(path.join(this.root, dir)).catch(() => {});
          this.knownDirs.delete(path.join(this.root, dir));
        }
      }
    });
  }

  /**
   * A wall clock set far ahead would make every file look expired. History written before this run is
   * the only evidence of the real date: more than two days past its newest file, nothing is pruned.
   */
  private clockLooksWrong(today: number, listing: [string, string[]][]): boolean {
    let newest: number | undefined;
    for (const [dir, names] of listing) {
      for (const name of names) {
        const day = dayOfFile(name);
        if (day === undefined || this.writtenByThisRun.has(`${dir}/${name}`)) continue;
        if (newest === undefined || day > newest) newest = day;
      }
    }
    if (newest === undefined || today - newest <= MAX_CLOCK_LEAD_DAYS) return false;
    if (!this.clockWarned) {
      this.clockWarned = true;
      const newestDay = new Date(newest * DAY_MS).toISOString().slice(0, 10);
      this.log.warn(
        `the clock says ${new Date(today * DAY_MS).toISOString().slice(0, 10)}, ${today - newest} days past the newest history file (${newestDay}): ` +
          'not deleting old history in this run, in case the clock is wrong; check the system clock',
        { newestHistoryDay: newestDay },
      );
    }
    return true;
  }

  private autoPrune(): void {
    this.prune(this.clock.now()).catch((err: unknown) => this.log.warn('pruning old history failed', { error: String(err) }));
  }

  private hasPendingIn(dir: string): boolean {
    for (const file of this.pending.keys()) if (file.startsWith(dir + '/')) return true;
    return false;
  }

  private async pairDirs(): Promise<string[]> {
    const entries = await fs.readdir(this.root, { withFileTypes: true }).catch(() => []);
    const dirs = new Set(entries.filter((e) => e.isDirectory()).map((e) => e.name));
    for (const file of this.pending.keys()) dirs.add(file.slice(0, file.indexOf('/')));
    return [...dirs];
  }

  /** Day files of one directory that overlap [fromMs, toMs], as paths relative to the root. */
  private async dayFiles(dir: string, fromMs: number, toMs: number): Promise<string[]> {
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

  /** Buffered lines of one directory's day files in range, not yet on disk. */
  private pendingLines(dir: string, fromMs: number, toMs: number, suffix: string): string {
    const first = Math.floor(fromMs / DAY_MS);
    const last = Math.floor(toMs / DAY_MS);
    let text = '';
    for (const [file, lines] of this.pending) {
      if (!file.startsWith(dir + '/') || !file.endsWith(suffix)) continue;
      const day = dayOfFile(file.slice(dir.length + 1));
      if (day !== undefined && day >= first && day <= last) text += lines.join('');
    }
    return text;
  }

  private currentMinutes(pair: string): MinuteRow[] {
    const track = this.tracks.get(pair);
    if (!track) return [];
    const rows: MinuteRow[] = [];
    for (const target of ['primary', 'standby'] as const) {
      const acc = track.minutes[target];
      if (acc) rows.push([acc.minute, target, acc.checks, acc.failures, roundMs(median(acc.samples)), roundMs(acc.maxMs)]);
    }
    return rows;
  }

  private async readAll(files: string[]): Promise<Array<{ file: string; text: string }>> {
    const texts = await Promise.all(
      files.map((file) =>
        fs.readFile(path.join(this.root, file), 'utf8').catch((err: unknown) => {
          if (errnoCode(err) !== 'ENOENT') this.log.warn(fsError(err, 'read history file', path.join(this.root, file)).message);
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

/**
 * The status a live event carries is not kept: the events it follows from are, and a status (with its
 * decision and action attempts) would make every line many times longer.
 */
function withoutStatus(event: EngineEvent): EngineEvent {
  if (!('status' in event) || event.status === undefined) return event;
  const { status: _status, ...stored } = event;
  return stored;
}

function timeOf(event: EngineEvent, clock: Clock): number {
  const at = Date.parse(event.at);
  return Number.isFinite(at) ? at : clock.now();
}

const SAFE_DIR = /^[a-z0-9_-]{1,128}$/;

/** Pair ids are validated elsewhere; anything else is still kept out of other directories. */
function dirOf(pair: string): string {
  if (pair === '*') return JOURNAL_DIR;
  if (SAFE_DIR.test(pair)) return pair;
  const encoded = [...Buffer.from(pair, 'utf8')]
    .map((b) => (/[a-z0-9_-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : '%' + b.toString(16).padStart(2, '0')))
    .join('');
  return encoded.slice(0, 200) || '%';
}

async function forEachLimited<T>(items: T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
