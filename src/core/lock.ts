// One writer per serverdir. Two monitors on the same directory would both fire
// action URLs, so a second instance refuses to start and says who holds the
// lock; a lock whose holder died is taken over. One cohesive protocol (acquire, heartbeat, takeover, loss).
//
// Who is alive is decided by the holder's heartbeat, watched by the contender on
// its own monotonic clock: a holder whose lock file does not change for the stale
// limit is gone. Wall-clock timestamps in the file are for people only (a clock
// step must not open a takeover window), and a pid says nothing unless the holder
// wrote the same kernel PID namespace as ours (two containers sharing a volume
// see each other's pids as dead). Node has no OS file lock (flock) built in, so
// this protocol is what is relied on; an instance that finds another holder's
// content in the file has lost the lock and is told so (onLost).

import { randomUUID } from 'node:crypto';
import { promises as fs, readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import { MonitorError } from '../shared/api.js';
import { writeFileAtomic } from '../node/atomic-file.js';
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
  /** Counts heartbeats, so the content changes on every beat whatever the wall clock does. */
  beat?: number;
  /** The kernel PID namespace the pid belongs to (boot id and namespace inode, Linux); the pid means nothing elsewhere. */
  pidns?: string;
}

export interface LockOptions {
  heartbeatMs?: number;
  /** A lock whose content does not change for this long (on this process's monotonic clock) is stale. */
  staleMs?: number;
  clock?: Clock;
  log?: Logger;
}

/** A holder writes its content right after creating the file; garbage unchanged for this long was left by a crash. */
const GARBAGE_GRACE_MS = 2_000;
/** A takeover finishes in milliseconds; a takeover marker seen this long was left by a crash. */
const TAKEOVER_STALE_MS = 10_000;
const RETRY_DELAY_MS = 50;
/** Lock tokens held by this process: a second acquire here is refused without waiting. */
const heldTokens = new Set<string>();

type Existing =
  { kind: 'missing' } | { kind: 'garbage'; text: string } | { kind: 'valid'; content: LockContent; text: string };

export async function acquireLock(serverdir: string, opts: LockOptions = {}): Promise<ServerdirLock> {
  const heartbeatMs = opts.heartbeatMs ?? 5_000;
  const staleMs = opts.staleMs ?? 30_000;
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? silentLogger;
  const file = lockPath(serverdir);

  await createServerdir(serverdir);
  const now = new Date(clock.now()).toISOString();
  const content: LockContent = {
    pid: process.pid,
    host: os.hostname(),
    startedAt: now,
    heartbeat: now,
    token: randomUUID(),
    beat: 0,
  };
  const pidns = ownPidNamespace();
  if (pidns) content.pidns = pidns;
  // The whole attempt is bounded on the monotonic clock: long enough to watch one stale limit
  // and a crashed taker's marker, never forever.
  const giveUpAt = clock.monotonic() + staleMs + TAKEOVER_STALE_MS + 10_000;
  const marker = new MarkerWatch(`${file}.takeover`, clock);

  while (clock.monotonic() < giveUpAt) {
    if (await createExclusive(file, content)) return holdLock(file, content, { heartbeatMs, clock, log });
    const existing = await readExisting(file);
    if (existing.kind === 'missing') continue;
    if (existing.kind === 'valid' && heldTokens.has(existing.content.token)) throw inUse(serverdir, existing.content);
    if (!(existing.kind === 'valid' && provablyDead(existing.content))) {
      const limit = existing.kind === 'valid' ? staleMs : GARBAGE_GRACE_MS;
      if (existing.kind === 'valid') {
        log.info('the serverdir lock is held; taking it over only if its heartbeat stops', {
          pid: existing.content.pid,
          host: existing.content.host,
          heartbeat: existing.content.heartbeat,
          staleMs,
        });
      }
      const seen = await watchUnchanged(file, existing.text, limit, clock);
      if (seen === 'changed') {
        if (existing.kind === 'valid') throw inUse(serverdir, existing.content);
        continue;
      }
      if (seen === 'missing') continue;
    }
    if (await takeOver(file, existing.text, content, marker)) {
      log.warn('took over a stale serverdir lock', staleHolderFields(existing));
      return holdLock(file, content, { heartbeatMs, clock, log });
    }
    await sleep(RETRY_DELAY_MS);
  }
  throw new MonitorError(
    'conflict',
    `serverdir ${serverdir}: could not acquire ${file}; another instance keeps replacing it`,
  );
}

/**
 * Reads the lock until its text changes (its holder is alive), it disappears, or it stayed the same
 * for `limitMs` on our monotonic clock (its holder is gone). Wall-clock steps cannot shorten this.
 */
async function watchUnchanged(
  file: string,
  text: string,
  limitMs: number,
  clock: Clock,
): Promise<'changed' | 'missing' | 'unchanged'> {
  const since = clock.monotonic();
  const every = Math.max(10, Math.min(250, limitMs / 10));
  for (;;) {
    const current = await readText(file);
    if (current === undefined) return 'missing';
    if (current !== text) return 'changed';
    if (clock.monotonic() - since >= limitMs) return 'unchanged';
    await sleep(every);
  }
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

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw fsError(err, 'read the lock file', file);
  }
}

async function readExisting(file: string): Promise<Existing> {
  const text = await readText(file);
  if (text === undefined) return { kind: 'missing' };
  const content = parseLock(text);
  if (!content) return { kind: 'garbage', text };
  return { kind: 'valid', content, text };
}

export function parseLock(text: string): LockContent | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockContent> | null;
    if (!value || typeof value !== 'object') return undefined;
    const { pid, host, startedAt, heartbeat, token, beat, pidns } = value;
    if (
      !Number.isInteger(pid) ||
      typeof host !== 'string' ||
      typeof startedAt !== 'string' ||
      typeof heartbeat !== 'string'
    ) {
      return undefined;
    }
    const content: LockContent = {
      pid: pid as number,
      host,
      startedAt,
      heartbeat,
      token: typeof token === 'string' ? token : '',
    };
    if (Number.isInteger(beat)) content.beat = beat as number;
    if (typeof pidns === 'string') content.pidns = pidns;
    return content;
  } catch {
    return undefined;
  }
}

/**
 * True only when the holder is certainly gone without waiting: it wrote the same kernel PID
 * namespace as ours (same boot, same namespace) and its pid no longer exists. Every other holder
 * (another host, another container, an older file without pidns, a live pid that may be reused) is
 * judged by its heartbeat alone.
 */
export function provablyDead(holder: LockContent): boolean {
  const ours = ownPidNamespace();
  if (!ours || holder.pidns !== ours || holder.host !== os.hostname()) return false;
  return !pidAlive(holder.pid);
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

let cachedPidns: string | null | undefined;

/** `<boot id>/<pid namespace>` on Linux; undefined where the kernel cannot tell. */
export function ownPidNamespace(): string | undefined {
  if (cachedPidns === undefined) {
    try {
      const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      const ns = readlinkSync('/proc/self/ns/pid');
      cachedPidns = boot && ns ? `${boot}/${ns}` : null;
    } catch {
      cachedPidns = null;
    }
  }
  return cachedPidns ?? undefined;
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
async function takeOver(file: string, staleText: string, content: LockContent, marker: MarkerWatch): Promise<boolean> {
  if (!(await marker.enter())) return false;
  try {
    const current = await fs.readFile(file, 'utf8').catch(() => undefined);
    if (current !== staleText) return false;
    await writeAtomically(file, serialize(content));
  } finally {
    await fs.rmdir(marker.path).catch(() => {});
  }
  return (await readOwn(file))?.token === content.token;
}

/** The takeover marker; one left by a crashed taker is removed once seen unchanged for TAKEOVER_STALE_MS (monotonic). */
class MarkerWatch {
  private seen: { key: string; since: number } | undefined;

  constructor(
    readonly path: string,
    private readonly clock: Clock,
  ) {}

  async enter(): Promise<boolean> {
    try {
      await fs.mkdir(this.path);
      this.seen = undefined;
      return true;
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw fsError(err, 'create', this.path);
    }
    const key = await fs.stat(this.path).then(
      (s) => `${s.ino}:${s.mtimeMs}`,
      () => undefined,
    );
    if (key === undefined) return false;
    const now = this.clock.monotonic();
    if (this.seen?.key !== key) this.seen = { key, since: now };
    else if (now - this.seen.since > TAKEOVER_STALE_MS) await fs.rmdir(this.path).catch(() => {});
    return false;
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  try {
    // The heartbeat is rewritten every few seconds: the folder is not fsynced after each one.
    await writeFileAtomic(file, text, { mode: 0o600, syncDirectory: false });
  } catch (err) {
    throw fsError(err, 'write the lock file', file);
  }
}

async function readOwn(file: string): Promise<LockContent | undefined> {
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseLock(text);
}

function holdLock(
  file: string,
  content: LockContent,
  opts: { heartbeatMs: number; clock: Clock; log: Logger },
): ServerdirLock {
  let released = false;
  let lostMessage: string | undefined;
  const lostListeners: Array<(message: string) => void> = [];
  let beating: Promise<void> = Promise.resolve();
  heldTokens.add(content.token);

  const lose = (holder: LockContent | undefined): void => {
    clearInterval(timer);
    heldTokens.delete(content.token);
    const who = holder
      ? `pid ${holder.pid} on host ${holder.host} (since ${holder.startedAt})`
      : 'something else (the file is not a lock any more)';
    lostMessage = `the serverdir lock ${file} was taken over by ${who}: another instance owns this serverdir now; this one stopped checking and firing actions`;
    opts.log.error(
      'the serverdir lock was taken over by another instance; this instance no longer owns the serverdir',
      {
        file,
        holder: holder ? { pid: holder.pid, host: holder.host } : undefined,
      },
    );
    for (const listener of lostListeners.splice(0)) listener(lostMessage);
  };

  const beat = async (): Promise<void> => {
    if (released || lostMessage !== undefined) return;
    let text: string | undefined;
    try {
      text = await readText(file);
    } catch (err) {
      opts.log.warn('could not read the serverdir lock to refresh its heartbeat', { error: (err as Error).message });
      return;
    }
    if (released) return;
    content.beat = (content.beat ?? 0) + 1;
    content.heartbeat = new Date(opts.clock.now()).toISOString();
    if (text === undefined) {
      // Deleted by hand: claim it again the way a new instance would; if one was faster, it owns it.
      const again = await createExclusive(file, content).catch(() => false);
      if (again) opts.log.warn('the serverdir lock file had been deleted; wrote it again', { file });
      return;
    }
    const onDisk = parseLock(text);
    if (onDisk?.token !== content.token) return lose(onDisk);
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
    onLost(listener) {
      if (lostMessage !== undefined) listener(lostMessage);
      else lostListeners.push(listener);
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      lostListeners.length = 0;
      await beating.catch(() => {});
      heldTokens.delete(content.token);
      const onDisk = await readOwn(file);
      if (onDisk?.token === content.token) await fs.unlink(file).catch(() => {});
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
