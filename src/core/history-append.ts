// Appending lines to the history's day files: whole lines or nothing, in files and
// directories only the service user can read.
//
// A pair's day files are appended to once a minute at least (its minute aggregates), so the files
// of the current day are kept open between flushes instead of being opened and closed for every
// append: at 10,000 pairs that is 10,000 opens and closes a minute saved. The number of open files
// is capped (least recently used closed first), and the store closes the files of a day once the
// day is over, before pruning deletes one, when a pair is removed, and on close().

import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { errnoCode } from './fs-errors.js';
import { dayOfFile } from './history-format.js';
import type { Logger } from './ports.js';

interface OpenFile {
  handle: fs.FileHandle;
  /** Day number of the file's name (undefined for a name that is not a day file). */
  day: number | undefined;
  /** An append is using the handle: it is not closed under it. */
  busy: boolean;
  /** The file's size as this process last saw or made it (this process is its only writer). */
  size: number;
  /** When the file was last looked at on disk (monotonic ms). */
  checkedAt: number;
}

/** How often an open file is looked at again: a file deleted under it (by hand) is then created again. */
const RECHECK_MS = 10 * 60_000;

/** At most this many day files open, whatever the limit of file descriptors allows. */
const MAX_OPEN_CEILING = 16_384;

/**
 * Half of this process's soft limit of open files (Node raises it to the hard limit at start), so
 * sockets, the config file and the rest always have room; 1,024 where the limit cannot be read.
 */
export function defaultMaxOpenFiles(): number {
  let soft = 2_048;
  try {
    const match = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (match) soft = Number(match[1]);
  } catch {
    // Not Linux: keep the conservative default.
  }
  return Math.max(16, Math.min(MAX_OPEN_CEILING, Math.floor(soft / 2)));
}

export class DayFileAppender {
  private readonly knownDirs = new Set<string>();
  /** Files whose end was checked for a torn line since this process opened them. */
  private readonly checkedEnds = new Set<string>();
  /** Open day files by path relative to the root, least recently used first. */
  private readonly open = new Map<string, OpenFile>();

  constructor(
    private readonly root: string,
    private readonly log: Logger,
    readonly maxOpen: number = defaultMaxOpenFiles(),
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** How many day files are open now. */
  get openCount(): number {
    return this.open.size;
  }

  /** A directory was removed (pruning): its files are closed, and the next append creates it again. */
  async forgetDir(dir: string): Promise<void> {
    await this.closeWhere((file) => file.startsWith(dir + '/'));
    this.knownDirs.delete(path.join(this.root, dir));
  }

  /** Closes the files of one directory (a pair removed from the configuration). */
  closeDir(dir: string): Promise<void> {
    return this.closeWhere((file) => file.startsWith(dir + '/'));
  }

  /** Closes one file (before it is deleted). */
  closeFile(file: string): Promise<void> {
    return this.closeWhere((name) => name === file);
  }

  /** Closes the files of the days before `day` (the day is over; a late line opens the file again). */
  closeDaysBefore(day: number): Promise<void> {
    return this.closeWhere((_file, open) => open.day === undefined || open.day < day);
  }

  closeAll(): Promise<void> {
    return this.closeWhere(() => true);
  }

  /**
   * Appends whole lines or nothing: a write cut short (disk full) is truncated away, and a
   * line torn by a crash is ended before the first new line so it cannot swallow it.
   */
  async append(file: string, text: string): Promise<void> {
    let entry = await this.handleOf(file);
    try {
      if (this.now() - entry.checkedAt >= RECHECK_MS) {
        const { size, nlink } = await entry.handle.stat();
        entry.size = size;
        entry.checkedAt = this.now();
        if (nlink === 0) {
          // Deleted while open (by hand, or the whole directory): write to a file that exists.
          await this.drop(file, entry);
          this.knownDirs.delete(path.dirname(path.join(this.root, file)));
          entry = await this.handleOf(file);
        }
      }
      const size = entry.size;
      let data = Buffer.from(text);
      if (size > 0 && !this.checkedEnds.has(file)) {
        const last = Buffer.alloc(1);
        await entry.handle.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) data = Buffer.concat([Buffer.from('\n'), data]);
      }
      try {
        for (let offset = 0; offset < data.length;) offset += (await entry.handle.write(data, offset)).bytesWritten;
        entry.size = size + data.length;
        // Forgetting costs one extra byte read later; thousands of pairs make new files every day.
        if (this.checkedEnds.size > 20_000) this.checkedEnds.clear();
        this.checkedEnds.add(file);
      } catch (err) {
        await entry.handle.truncate(size).catch(() => this.checkedEnds.delete(file));
        // The next append starts from a fresh open, whatever state this handle is in.
        await this.drop(file, entry);
        throw err;
      }
    } finally {
      entry.busy = false;
    }
    // Appends running side by side can hold more than the cap for a moment; the last one out closes the rest.
    if (this.open.size > this.maxOpen) await this.evict();
  }

  /** The file's open handle, opened now if need be, marked busy (before anything else can run). */
  private async handleOf(file: string): Promise<OpenFile> {
    const kept = this.open.get(file);
    if (kept) {
      // Most recently used last.
      this.open.delete(file);
      this.open.set(file, kept);
      kept.busy = true;
      return kept;
    }
    const full = path.join(this.root, file);
    const dir = path.dirname(full);
    if (!this.knownDirs.has(dir)) {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      this.knownDirs.add(dir);
    }
    let handle: fs.FileHandle;
    let size: number;
    try {
      handle = await fs.open(full, 'a+', 0o600);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') this.knownDirs.delete(dir);
      throw err;
    }
    try {
      ({ size } = await handle.stat());
    } catch (err) {
      await handle.close().catch(() => {});
      throw err;
    }
    // Another append of the same file may have opened it meanwhile (the store never does this).
    const raced = this.open.get(file);
    if (raced) {
      await handle.close().catch(() => {});
      raced.busy = true;
      return raced;
    }
    const entry: OpenFile = { handle, day: dayOfFile(path.basename(file)), busy: true, size, checkedAt: this.now() };
    this.open.set(file, entry);
    await this.evict();
    return entry;
  }

  /** Closes the least recently used files beyond the cap (never one an append is using). */
  private async evict(): Promise<void> {
    let over = this.open.size - this.maxOpen;
    if (over <= 0) return;
    const closing: Promise<void>[] = [];
    for (const [file, entry] of this.open) {
      if (over <= 0) break;
      if (entry.busy) continue;
      closing.push(this.drop(file, entry));
      over--;
    }
    await Promise.all(closing);
  }

  private async closeWhere(wanted: (file: string, open: OpenFile) => boolean): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const [file, entry] of this.open) if (!entry.busy && wanted(file, entry)) closing.push(this.drop(file, entry));
    await Promise.all(closing);
  }

  private async drop(file: string, entry: OpenFile): Promise<void> {
    if (this.open.get(file) === entry) this.open.delete(file);
    // Every write was already made (and reported) by write(); a failed close loses nothing.
    await entry.handle
      .close()
      .catch((err: unknown) =>
        this.log.warn(`closing history file ${path.join(this.root, file)} failed`, { error: String(err) }),
      );
  }
}
