// Appending lines to the history's day files: whole lines or nothing, in files and
// directories only the service user can read.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { errnoCode } from './fs-errors.js';

export class DayFileAppender {
  private readonly knownDirs = new Set<string>();
  /** Files whose end was checked for a torn line since this process opened them. */
  private readonly checkedEnds = new Set<string>();

  constructor(private readonly root: string) {}

  /** A directory was removed (pruning): the next append creates it again. */
  forgetDir(dir: string): void {
    this.knownDirs.delete(path.join(this.root, dir));
  }

  /**
   * Appends whole lines or nothing: a write cut short (disk full) is truncated away, and a
   * line torn by a crash is ended before the first new line so it cannot swallow it.
   */
  async append(file: string, text: string): Promise<void> {
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
        for (let offset = 0; offset < data.length;) offset += (await handle.write(data, offset)).bytesWritten;
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
}
