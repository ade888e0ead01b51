// One writer per serverdir. Two monitors on the same directory would both fire
// action URLs, so a second instance refuses to start and says who holds the
// lock; a lock whose holder died is taken over.

import { randomUUID } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import { MonitorError } from '../shared/api.js';
import { errnoCode, fsError } from './fs-errors.js';
import { lockPath } from './paths.js';
import { silentLogger, systemClock, type Clock, type Logger, type ServerdirLock } from './ports.js';

export interface LockContent {
  pid: number;
  host: string;
  /** ISO 8601 */
  startedAt: string;
  /** ISO 8601, rewritten every heartbeat. */
  heartbeat: string;
  /** Tells two holders with the same pid and host (one process, two acquires) apart. */
  token: string;
}

export interface LockOptions {
  heartbeatMs?: number;
  /** A lock whose heartbeat is older than this is stale (holders on other hosts sharing the directory). */
  staleMs?: number;
  clock?: Clock;
  log?: Logger;
}

/** A holder writes its content right after creating the file; garbage younger than this is a holder mid-write. */
const GARBAGE_GRACE_MS = 2_000;
/** A takeover finishes in milliseconds; a takeover marker this old was left by a crash. */
const TAKEOVER_STALE_MS = 10_000;
const RETRY_DELAY_MS = 50;
const MAX_ATTEMPTS = 200;

type Existing =
  | { kind: 'missing' }
  | { kind: 'garbage'; ageMs: number; text: string }
  | { kind: 'valid'; content: LockContent; text: string };

export async function acquireLock(serverdir: string, opts: LockOptions = {}): Promise<ServerdirLock> {
  const heartbeatMs = opts.heartbeatMs ?? 5_000;
  const staleMs = opts.staleMs ?? 30_000;
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? silentLogger;
  const file = lockPath(serverdir);

  await createServerdir(serverdir);
  const now = new Date(clock.now()).toISOString();
  const content: LockContent = { pid: process.pid, host: os.hostname(), startedAt: now, heartbeat: now, token: randomUUID() };

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (await createExclusive(file, content)) return holdLock(file, content, { heartbeatMs, clock, log });
    const existing = await readExisting(file, clock);
    if (existing.kind === 'missing') continue;
    if (existing.kind === 'garbage') {
      if (existing.ageMs < GARBAGE_GRACE_MS) {
        await sleep(RETRY_DELAY_MS);
        continue;
      }
    } else if (!isStale(existing.content, clock.now(), staleMs)) {
      throw inUse(serverdir, existing.content);
    }
    if (await takeOver(file, existing.text, content, clock)) {
      log.warn('took over a stale serverdir lock', staleHolderFields(existing));
      return holdLock(file, content, { heartbeatMs, clock, log });
    }
    await sleep(RETRY_DELAY_MS);
  }
  throw new MonitorError('conflict', `serverdir ${serverdir}: could not acquire ${file}; another instance keeps replacing it`);
}

async function createServerdir(serverdir: string): Promise<void> {
  try {
    await fs.mkdir(serverdir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw fsError(err, 'create the serverdir', serverdir);
  }
}

function serialize(content: LockContent): string {
  return JSON.stringify(content) + '\n';
}

/** True when we created the lock; false when one exists. */
async function createExclusive(file: string, content: LockContent): Promise<boolean> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'wx', 0o600);
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false;
    throw fsError(err, 'create the lock file', file);
  }
  try {
    await handle.writeFile(serialize(content));
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    // An empty lock would block the next start for a while; better none at all.
    await fs.unlink(file).catch(() => {});
    throw fsError(err, 'write the lock file', file);
  }
  await handle.close();
  return true;
}

async function readExisting(file: string, clock: Clock): Promise<Existing> {
  let text: string;
  let mtimeMs: number;
  try {
    [text, mtimeMs] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file).then((s) => s.mtimeMs)]);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { kind: 'missing' };
    throw fsError(err, 'read the lock file', file);
  }
  const content = parseLock(text);
  if (!content) return { kind: 'garbage', ageMs: clock.now() - mtimeMs, text };
  return { kind: 'valid', content, text };
}

export function parseLock(text: string): LockContent | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockContent> | null;
    if (!value || typeof value !== 'object') return undefined;
    const { pid, host, startedAt, heartbeat, token } = value;
    if (!Number.isInteger(pid) || typeof host !== 'string' || typeof startedAt !== 'string' || typeof heartbeat !== 'string') {
      return undefined;
    }
    return { pid: pid as number, host, startedAt, heartbeat, token: typeof token === 'string' ? token : '' };
  } catch {
    return undefined;
  }
}

/**
 * On this host the holder's pid decides (a dead pid is stale at once). Holders on other hosts
 * sharing the directory can only be judged by their heartbeat. On Linux a live pid with an old
 * heartbeat that started after the lock was taken is a reused pid, not the holder.
 */
export function isStale(holder: LockContent, nowMs: number, staleMs: number): boolean {
  const heartbeatAge = nowMs - Date.parse(holder.heartbeat);
  const heartbeatStale = !(heartbeatAge <= staleMs);
  if (holder.host !== os.hostname()) return heartbeatStale;
  if (!pidAlive(holder.pid)) return true;
  if (!heartbeatStale) return false;
  const started = processStartMs(holder.pid);
  return started !== undefined && started > Date.parse(holder.startedAt) + 1_000;
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, but someone else's.
    return errnoCode(err) !== 'ESRCH';
  }
}

/** Start time of a process from /proc (Linux); undefined where that cannot be known. */
function processStartMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime, in clock ticks since boot) follows the parenthesised command name.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    if (!btime || !Number.isFinite(ticks)) return undefined;
    const USER_HZ = 100; // fixed by the kernel ABI on every Linux architecture Node runs on
    return Number(btime[1]) * 1000 + (ticks / USER_HZ) * 1000;
  } catch {
    return undefined;
  }
}

function inUse(serverdir: string, holder: LockContent): MonitorError {
  return new MonitorError(
    'conflict',
    `serverdir ${serverdir} is in use by pid ${holder.pid} on host ${holder.host} since ${holder.startedAt}; ` +
      'stop that instance or choose another --serverdir',
  );
}

function staleHolderFields(existing: Existing): Record<string, unknown> {
  return existing.kind === 'valid'
    ? { pid: existing.content.pid, host: existing.content.host, heartbeat: existing.content.heartbeat }
    : { damaged: true };
}

/**
 * Replace a stale lock. A marker directory makes concurrent takers take turns, and the taker
 * re-reads the lock inside it, so a lock freshly created by another instance is never replaced.
 */
async function takeOver(file: string, staleText: string, content: LockContent, clock: Clock): Promise<boolean> {
  const marker = `${file}.takeover`;
  if (!(await enterTakeover(marker, clock))) return false;
  try {
    const current = await fs.readFile(file, 'utf8').catch(() => undefined);
    if (current !== staleText) return false;
    await writeAtomically(file, serialize(content));
  } finally {
    await fs.rmdir(marker).catch(() => {});
  }
  return (await readOwn(file))?.token === content.token;
}

async function enterTakeover(marker: string, clock: Clock): Promise<boolean> {
  try {
    await fs.mkdir(marker);
    return true;
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw fsError(err, 'create', marker);
  }
  const age = await fs.stat(marker).then((s) => clock.now() - s.mtimeMs, () => 0);
  if (age > TAKEOVER_STALE_MS) await fs.rmdir(marker).catch(() => {});
  return false;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  try {
    const handle = await fs.open(temp, 'w', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  } catch (err) {
    await fs.unlink(temp).catch(() => {});
    throw fsError(err, 'write the lock file', file);
  }
}

async function readOwn(file: string): Promise<LockContent | undefined> {
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseLock(text);
}

function holdLock(file: string, content: LockContent, opts: { heartbeatMs: number; clock: Clock; log: Logger }): ServerdirLock {
  let released = false;
  let beating: Promise<void> = Promise.resolve();

  const beat = async (): Promise<void> => {
    const onDisk = await readOwn(file);
    if (released) return;
    if (onDisk?.token !== content.token) {
      clearInterval(timer);
      opts.log.error('the serverdir lock was taken over by another instance; this instance no longer owns the serverdir', {
        file,
        holder: onDisk ? { pid: onDisk.pid, host: onDisk.host } : undefined,
      });
      return;
    }
    content.heartbeat = new Date(opts.clock.now()).toISOString();
    try {
      await writeAtomically(file, serialize(content));
    } catch (err) {
      opts.log.warn('could not refresh the serverdir lock heartbeat', { error: (err as Error).message });
    }
  };

  const timer = setInterval(() => {
    beating = beating.then(beat, beat);
  }, opts.heartbeatMs);
  timer.unref();

  return {
    path: file,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      await beating.catch(() => {});
      const onDisk = await readOwn(file);
      if (onDisk?.token === content.token) await fs.unlink(file).catch(() => {});
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
