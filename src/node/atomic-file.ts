// Replacing a file so that a crash at any moment leaves either the old or the
// new content, never a torn one: write a temporary file next to it, fsync it,
// rename it over the target, fsync the directory so the rename itself is durable.
// Plain Node: the engine, the service and the desktop shell all write through it.

import { constants, statSync, type BigIntStats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { onDiskThread } from './disk-thread.js';

export interface AtomicWriteOptions {
  /** Keep a copy of what the target held here (replaced atomically too) before replacing it. */
  backup?: string;
  /**
   * What the backup holds; default: a copy of the target taken at the start. Given by a caller that
   * has checked those bytes, so the backup is exactly the file it knows.
   */
  backupData?: string | Uint8Array;
  /** Mode of the new file and its backup, whatever the old ones had. Default 0o600: settings hold secrets. */
  mode?: number;
  /**
   * Runs when the new content is on disk in its temporary file (given its stamp), right before it
   * is renamed over the target; throwing cancels the write and leaves target and backup as they were.
   */
  beforeRename?: (written: FileStamp) => Promise<void>;
  /**
   * Keep the backup as a hard link to the target's file rather than a copy of its bytes (no read, no
   * write: the file is already on disk), when the target is a regular file with `mode`; a copy
   * otherwise, or where links cannot be made. Ignored with `backupData`.
   */
  backupByLink?: boolean;
  /**
   * Do the disk work on a thread of its own (src/node/disk-thread.ts) rather than in libuv's thread
   * pool, where it would wait behind every other file operation of the process. Default false.
   */
  diskThread?: boolean;
  /**
   * With `diskThread`: the thread waits until the new file's modification time is this many ms in
   * the past (file systems with whole-second times excepted) before answering, so that a caller that
   * must wait past the clock's tick before renaming (config-store.ts) does not wait a turn of the
   * event loop on a timer for it. Default 0.
   */
  settleMs?: number;
  /** Create the target's folder (and its parents) first when it is missing. Default false. */
  createDirectory?: boolean;
  /**
   * fsync the folder after the rename so the rename itself survives a power cut. Default true; a
   * file rewritten every few seconds whose last version is not precious (the lock's heartbeat) skips it.
   */
  syncDirectory?: boolean;
}

/** What identifies the content of a file written here, short of reading it: where it is, its size and when it was written. */
export interface FileStamp {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
}

let counter = 0;

function tempName(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${++counter}.tmp`);
}

/** Replaces `target` with `data`; resolves with the stamp of the new file once it is durable. */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  opts: AtomicWriteOptions = {},
): Promise<FileStamp> {
  const mode = opts.mode ?? 0o600;
  if (opts.createDirectory) await fs.mkdir(path.dirname(target), { recursive: true });
  if (opts.diskThread) return writeOnDiskThread(target, data, mode, opts);
  const temps: string[] = [];
  try {
    let backupTemp: string | undefined;
    if (opts.backup !== undefined && (opts.backupData !== undefined || (await exists(target)))) {
      backupTemp = tempName(opts.backup);
      temps.push(backupTemp);
      if (opts.backupData !== undefined) await writeAndSync(backupTemp, opts.backupData, mode);
      else if (!(opts.backupByLink && (await linkBackup(target, backupTemp, mode)))) {
        await fs.copyFile(target, backupTemp, constants.COPYFILE_EXCL);
        await fs.chmod(backupTemp, mode);
        await fsyncFile(backupTemp);
      }
    }
    const temp = tempName(target);
    temps.push(temp);
    const stamp = await writeAndSync(temp, data, mode);
    await opts.beforeRename?.(stamp);
    // The backup first: a crash between the two renames leaves the old target beside its copy.
    if (backupTemp !== undefined && opts.backup !== undefined) await fs.rename(backupTemp, opts.backup);
    await fs.rename(temp, target);
    if (opts.syncDirectory !== false) await fsyncDirectory(path.dirname(target));
    return stamp;
  } catch (err) {
    await Promise.all(temps.map((t) => fs.rm(t, { force: true }).catch(() => undefined)));
    throw err;
  }
}

/** writeFileAtomic with every step on the disk thread (backupData is not supported there). */
async function writeOnDiskThread(
  target: string,
  data: string | Uint8Array,
  mode: number,
  opts: AtomicWriteOptions,
): Promise<FileStamp> {
  if (opts.backupData !== undefined) throw new Error('writeFileAtomic: backupData is not done on the disk thread');
  const temps: string[] = [];
  try {
    // Two trips to the thread: the backup's link, the new file written and synced; then the renames
    // and the directory's fsync.
    const backupTemp = opts.backup !== undefined && existsNow(target) ? tempName(opts.backup) : undefined;
    const temp = tempName(target);
    if (backupTemp !== undefined) temps.push(backupTemp);
    temps.push(temp);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const prepared = (await onDiskThread({
      op: 'prepare',
      ...(backupTemp !== undefined && opts.backupByLink ? { link: { from: target, to: backupTemp } } : {}),
      file: temp,
      data: bytes,
      mode,
      ...(opts.settleMs ? { settleMs: opts.settleMs } : {}),
    })) as { linked: boolean; stamp: FileStamp };
    if (backupTemp !== undefined && !prepared.linked) {
      await fs.copyFile(target, backupTemp, constants.COPYFILE_EXCL);
      await fs.chmod(backupTemp, mode);
      await fsyncFile(backupTemp);
    }
    await opts.beforeRename?.(prepared.stamp);
    // The backup first: a crash between the two renames leaves the old target beside its copy.
    const renames: [string, string][] = [];
    if (backupTemp !== undefined && opts.backup !== undefined) renames.push([backupTemp, opts.backup]);
    renames.push([temp, target]);
    await onDiskThread({
      op: 'commit',
      renames,
      ...(opts.syncDirectory !== false ? { syncDir: path.dirname(target) } : {}),
    });
    return prepared.stamp;
  } catch (err) {
    await Promise.all(temps.map((t) => onDiskThread({ op: 'rm', file: t }).catch(() => undefined)));
    throw err;
  }
}

function existsNow(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * The stamp of a file now, or undefined when there is none. A stat of a file whose inode is cached
 * takes microseconds, done at once rather than queued behind the thread pool's other work.
 */
export async function stampOf(file: string): Promise<FileStamp | undefined> {
  await Promise.resolve();
  try {
    return stampFrom(statSync(file, { bigint: true }));
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
}

export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs;
}

function stampFrom(s: BigIntStats): FileStamp {
  return { dev: s.dev, ino: s.ino, size: s.size, mtimeNs: s.mtimeNs };
}

/**
 * The backup as a second name of the target's file, which is on disk already (it was synced when it
 * was written); false when that cannot be done here and a copy is needed. The link is made durable
 * by the directory's fsync after the renames.
 */
async function linkBackup(target: string, backupTemp: string, mode: number): Promise<boolean> {
  try {
    const s = await fs.lstat(target);
    if (!s.isFile() || (s.mode & 0o777) !== mode) return false;
    await fs.link(target, backupTemp);
    return true;
  } catch (err) {
    // Gone since: nothing to keep, as when there was no target.
    if ((err as { code?: string }).code === 'ENOENT') throw err;
    return false;
  }
}

/** Remove temporary files that a killed writer left next to `target` (never those of a live process). */
export async function removeStaleTemps(target: string): Promise<void> {
  const dir = path.dirname(target);
  const prefixes = [`.${path.basename(target)}.`, `.${path.basename(target)}.bak.`];
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = prefixes
      .filter((p) => name.startsWith(p))
      .map((p) => /^(\d+)\.\d+\.tmp$/.exec(name.slice(p.length))?.[1])
      .find((m) => m !== undefined);
    if (pid === undefined) continue;
    if (Number(pid) !== process.pid && !isAlive(Number(pid)))
      await fs.rm(path.join(dir, name), { force: true }).catch(() => undefined);
  }
}

async function writeAndSync(file: string, data: string | Uint8Array, mode: number): Promise<FileStamp> {
  const handle = await fs.open(file, 'wx', mode);
  try {
    // Exactly this mode, whatever the umask.
    await handle.chmod(mode);
    await handle.writeFile(data);
    await handle.sync();
    // A rename keeps the file's number, size and modification time.
    return stampFrom(await handle.stat({ bigint: true }));
  } finally {
    await handle.close();
  }
}

async function fsyncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function fsyncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    // Some platforms (Windows) cannot open or fsync a directory; the rename is as durable as they allow.
    const code = (err as { code?: string }).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw err;
  } finally {
    await handle?.close();
  }
}

/** Permission bits of a file, or undefined when there is none. */
export async function fileMode(file: string): Promise<number | undefined> {
  await Promise.resolve();
  try {
    // A stat takes microseconds; not queued behind the thread pool's other work.
    return statSync(file).mode & 0o777;
  } catch {
    return undefined;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}
