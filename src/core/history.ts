// `<serverdir>/history/`: what happened to every pair, kept for timelines, the
// audit log and the notification list.
//
// Layout, one directory per pair, one file per UTC day and kind, so that
// retention deletes whole files and a range query opens only the days it spans:
//   history/<pair>/<YYYY-MM-DD>.events.jsonl   one EngineEvent per line (all but successful checks)
//   history/<pair>/<YYYY-MM-DD>.minutes.jsonl  one minute aggregate per line:
//                                               [epochMinute, "primary"|"standby", checks, failures, p50Ms, maxMs]
//   history/<pair>/<YYYY-MM-DD>.minutes-5m.json five-minute sums of a finished day's minutes, for coarse
//                                               timelines (history-summary.ts; derived, rebuilt when stale)
//   history/@all/<YYYY-MM-DD>.events.jsonl     the journal: every operator and alert event of every pair
//                                               (audit log, notifications) plus events about the whole
//                                               configuration (pair "*", e.g. import). `@` cannot occur in a
//                                               pair id, so the journal never collides with a pair.
// Minute lines are arrays to keep a 30-day timeline small to store and quick to parse.
//
// record() runs for every check of every pair, so it only touches memory; lines are appended
// in batches, to day files kept open while their day is current. A minute is written once it is
// over; the minute in progress is answered from memory.
//
// This file is the store: buffering, flushing, the order of disk work, queries and pruning.
// The minute in progress is history-minutes.ts, the appends history-append.ts, the reading of
// day files history-read.ts, and the line formats history-format.ts.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { SerialQueue } from '../node/serial-queue.js';
import type { CheckEvent, EngineEvent, HistoryEvent, PairHistory } from '../shared/model.js';
import { fsError } from './fs-errors.js';
import { DayFileAppender } from './history-append.js';
import {
  DAY_MS,
  MINUTE_MS,
  dayOfFile,
  dayString,
  encodeMinuteRow,
  sortByTime,
  type MinuteRow,
  type Timed,
} from './history-format.js';
import { CheckMinutes } from './history-minutes.js';
import { DayFileReader } from './history-read.js';
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
  /** Day files kept open between appends, default half the process's limit of open files (at most 16,384). */
  maxOpenFiles?: number;
  /** How long after UTC midnight the finished day's five-minute summaries are written, default 5 min. */
  summaryDelayMs?: number;
}

const JOURNAL_DIR = '@all';
const JOURNAL_TYPES: ReadonlySet<HistoryEvent['type']> = new Set(['operator', 'alert']);
/** A check that completes just after a minute ends still belongs to it; wait this long before writing it. */
const MINUTE_GRACE_MS = 2_000;
/** Buffered bytes that trigger an early append. */
const EARLY_FLUSH_BYTES = 1 << 20;
/** While the disk refuses writes, keep at most this much in memory; newer lines are dropped and counted. */
const MAX_PENDING_BYTES = 32 << 20;
const ERROR_LOG_EVERY_MS = 60_000;
const PRUNE_EVERY_MS = 3_600_000;
/** Pruning stops when the clock is further than this past the newest history file (a clock set ahead). */
const MAX_CLOCK_LEAD_DAYS = 2;
const WRITE_PARALLELISM = 32;
/** After midnight the late minutes of the day are written first (the grace), then the day is summarised. */
const SUMMARY_DELAY_MS = 5 * 60_000;
/** Between two pairs' summaries: 10,000 pairs take a few minutes, and checks go on meanwhile. */
const SUMMARY_SPACING_MS = 10;

export function createHistoryStore(serverdir: string, opts: HistoryOptions = {}): HistoryStore {
  return new FileHistoryStore(historyDir(serverdir), opts);
}

class FileHistoryStore implements HistoryStore {
  private readonly root: string;
  private readonly retentionDays: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly minutes = new CheckMinutes();
  private readonly appender: DayFileAppender;
  private readonly reader: DayFileReader;
  /** Lines not yet on disk, by path relative to the history root. */
  private pending = new Map<string, string[]>();
  private pendingBytes = 0;
  private droppedLines = 0;
  /** Disk work (appends, queries, pruning) runs one at a time so a query never sees a line twice. */
  private readonly turns = new SerialQueue();
  private earlyFlush = false;
  private lastErrorLog = { message: '', at: -Infinity };
  private readonly timers: NodeJS.Timeout[] = [];
  private closing: Promise<void> | undefined;
  /** Files this process appended to: dated by the current clock, so no evidence of what time it is. */
  private readonly writtenByThisRun = new Set<string>();
  private clockWarned = false;
  /** Pairs removed from the configuration whose files are still to be closed. */
  private readonly removedPairs = new Set<string>();
  /** The day the last flush ran in: when it changes, the day before is summarised. */
  private flushDay: number | undefined;
  private readonly summaryDelayMs: number;

  constructor(root: string, opts: HistoryOptions) {
    this.root = root;
    this.retentionDays = opts.retentionDays ?? 90;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? silentLogger;
    this.summaryDelayMs = opts.summaryDelayMs ?? SUMMARY_DELAY_MS;
    this.appender = new DayFileAppender(root, this.log, opts.maxOpenFiles, () => this.clock.monotonic());
    this.reader = new DayFileReader(root, this.log);
    this.timers.push(setInterval(() => this.tick(), opts.flushMs ?? 1_000));
    if (opts.autoPrune ?? true) {
      this.timers.push(setTimeout(() => this.autoPrune(), 1_000));
      this.timers.push(setInterval(() => this.autoPrune(), PRUNE_EVERY_MS));
    }
    for (const timer of this.timers) timer.unref();
  }

  record(event: EngineEvent): void {
    if (this.closing) return;
    // Certificate readings are live only: their `certificate` alerts are what the history keeps.
    if (event.type === 'certificates') return;
    if (event.type === 'config') {
      if (event.change === 'removed') this.removedPairs.add(event.pair);
      else this.removedPairs.delete(event.pair);
    }
    if (event.type === 'check') this.recordCheck(event);
    // Readiness rounds come every few minutes for every pair; what they change is kept as the
    // not-ready / ready alerts, and the last round is in the pair's detail.
    else if (event.type !== 'readiness') this.appendEvent(event);
  }

  private recordCheck(event: CheckEvent): void {
    const { result } = event;
    if (result.target === 'validation') {
      if (!result.ok) this.appendEvent(event);
      return;
    }
    const at = timeOf(event, this.clock);
    const error = result.error ?? `status ${result.status ?? '?'}`;
    const { finished, keep } = this.minutes.add(event.pair, result.target, at, {
      ok: result.ok,
      latencyMs: result.latencyMs,
      error,
    });
    if (finished) this.writeMinute(event.pair, finished);
    if (!result.ok && keep) this.appendEvent(event);
  }

  private writeMinute(pair: string, row: MinuteRow): void {
    this.enqueue(`${dirOf(pair)}/${dayString(row[0] * MINUTE_MS)}.minutes.jsonl`, encodeMinuteRow(row));
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
      if (this.droppedLines++ === 0)
        this.log.error('history cannot be written and its buffer is full; new history lines are dropped', { file });
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
    for (const { pair, row } of this.minutes.finish(beforeMinute)) this.writeMinute(pair, row);
  }

  flush(): Promise<void> {
    return this.turns.run(async () => {
      try {
        await this.writePending();
      } finally {
        await this.closeFinished();
      }
    });
  }

  /** Closes the day files nothing will be appended to: earlier days' (a late minute opens one again), removed pairs'. */
  private today(): number {
    return Math.floor(this.clock.now() / DAY_MS);
  }

  private async closeFinished(): Promise<void> {
    const today = this.today();
    if (this.flushDay !== undefined && today > this.flushDay && !this.closing) this.summarizeLater(today - 1);
    this.flushDay = today;
    await this.appender.closeDaysBefore(today);
    for (const pair of this.removedPairs) {
      const dir = dirOf(pair);
      // The last minute of a removed pair is still written; its file is closed after that.
      if (this.hasPendingIn(dir) || this.minutes.current(pair).length > 0) continue;
      await this.appender.closeDir(dir);
      this.removedPairs.delete(pair);
    }
  }

  /** Writes the five-minute summary of `day` for every pair, one pair at a time, a little later. */
  private summarizeLater(day: number): void {
    const timer = setTimeout(async () => {
      const name = `${dayString(day * DAY_MS)}.minutes.jsonl`;
      for (const dir of await this.pairDirs()) {
        if (this.closing) return;
        await this.reader.summarize(`${dir}/${name}`);
        await new Promise((resolve) => setTimeout(resolve, SUMMARY_SPACING_MS).unref());
      }
    }, this.summaryDelayMs);
    timer.unref();
    this.timers.push(timer);
  }

  /** Writes everything, the minute in progress included, and closes every file. A failed close can be tried again. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const timer of this.timers) clearInterval(timer);
      this.finishMinutes(Infinity);
    })();
    return this.closing.then(() => this.flush().finally(() => this.turns.run(() => this.appender.closeAll())));
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
        await this.appender.append(file, lines.join(''));
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

  query(pair: string, fromMs: number, toMs: number, bucketMs?: number): Promise<PairHistory> {
    return this.turns.run(async () => {
      const dir = dirOf(pair);
      const files = await this.reader.dayFiles(dir, fromMs, toMs);
      const eventFiles = files.filter((f) => f.endsWith('.events.jsonl'));
      const minuteFiles = files.filter((f) => f.endsWith('.minutes.jsonl'));
      const unwritten = this.pendingLines(dir, fromMs, toMs, '.minutes.jsonl');
      const current = this.minutes.current(pair);
      const [events, minutes, columns] = await Promise.all([
        this.reader.readEvents(eventFiles, this.pendingLines(dir, fromMs, toMs, '.events.jsonl'), fromMs, toMs),
        bucketMs === undefined ? this.reader.readMinutes(minuteFiles, unwritten, current, fromMs, toMs) : [],
        bucketMs === undefined
          ? undefined
          : this.reader.readMinuteColumns(minuteFiles, unwritten, current, fromMs, toMs, bucketMs, this.today()),
      ]);
      // The journal holds more than configuration-wide events; a query for "*" wants only those.
      const own = dir === JOURNAL_DIR ? events.filter((e) => e.value.pair === pair) : events;
      return {
        pair,
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        events: sortByTime(own),
        minutes,
        ...(columns ? { columns } : {}),
      };
    });
  }

  queryAll(types: ReadonlyArray<HistoryEvent['type']>, fromMs: number, toMs: number): Promise<HistoryEvent[]> {
    return this.turns.run(async () => {
      const wanted = new Set(types);
      const journalOnly = types.every((t) => JOURNAL_TYPES.has(t));
      const dirs = journalOnly ? [JOURNAL_DIR] : await this.pairDirs();
      const events: Timed<HistoryEvent>[] = [];
      for (const dir of dirs) {
        const files = (await this.reader.dayFiles(dir, fromMs, toMs)).filter((f) => f.endsWith('.events.jsonl'));
        // Outside journal-only queries, the journal only adds what belongs to no pair.
        const journalCopy = !journalOnly && dir === JOURNAL_DIR;
        for (const e of await this.reader.readEvents(
          files,
          this.pendingLines(dir, fromMs, toMs, '.events.jsonl'),
          fromMs,
          toMs,
        )) {
          if (wanted.has(e.value.type) && (!journalCopy || e.value.pair === '*')) events.push(e);
        }
      }
      return sortByTime(events);
    });
  }

  prune(nowMs: number): Promise<void> {
    return this.turns.run(async () => {
      const today = Math.floor(nowMs / DAY_MS);
      const oldestKept = today - this.retentionDays + 1;
      const listing: [string, string[]][] = [];
      for (const dir of await this.pairDirs())
        listing.push([dir, await fs.readdir(path.join(this.root, dir)).catch(() => [] as string[])]);
      if (this.clockLooksWrong(today, listing)) return;
      for (const [dir, names] of listing) {
        let left = names.length;
        for (const name of names) {
          const day = dayOfFile(name);
          if (day === undefined || day >= oldestKept) continue;
          await this.appender.closeFile(`${dir}/${name}`);
          await fs.unlink(path.join(this.root, dir, name)).then(
            () => left--,
            (err: unknown) =>
              this.log.warn(fsError(err, 'delete old history file', path.join(this.root, dir, name)).message),
          );
        }
        if (left === 0 && !this.hasPendingIn(dir)) {
          await fs.rmdir(path.join(this.root, dir)).catch(() => {});
          await this.appender.forgetDir(dir);
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
    this.prune(this.clock.now()).catch((err: unknown) =>
      this.log.warn('pruning old history failed', { error: String(err) }),
    );
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
}

/**
 * The status a live event carries is not kept: the events it follows from are, and a status (with its
 * decision and action attempts) would make every line many times longer.
 */
function withoutStatus(event: EngineEvent): EngineEvent {
  // A notify event's `status` is the receiver's HTTP status: it is kept.
  if (event.type === 'notify' || !('status' in event) || event.status === undefined) return event;
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
    .map((b) =>
      /[a-z0-9_-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : '%' + b.toString(16).padStart(2, '0'),
    )
    .join('');
  return encoded.slice(0, 200) || '%';
}

async function forEachLimited<T>(
  items: T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
