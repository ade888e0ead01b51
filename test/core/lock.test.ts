import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MonitorError } from '../../src/shared/api.js';
import { acquireLock, ownPidNamespace, parseLock, provablyDead, type LockContent } from '../../src/core/lock.js';
import { lockPath } from '../../src/core/paths.js';
import type { ServerdirLock } from '../../src/core/ports.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/lock-holder.ts', import.meta.url));

interface ChildReport {
  ok: boolean;
  pid?: number;
  message?: string;
  code?: string;
}

let dir: string;
const children: ChildProcess[] = [];
const locks: ServerdirLock[] = [];
const cleanupHolders: Array<{ stop(): Promise<void> }> = [];

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pfm-lock-'));
});

afterEach(async () => {
  for (const holder of cleanupHolders.splice(0)) await holder.stop();
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const lock of locks.splice(0)) await lock.release();
  await fs.rm(dir, { recursive: true, force: true });
});

async function acquire(serverdir: string, opts?: Parameters<typeof acquireLock>[1]): Promise<ServerdirLock> {
  const lock = await acquireLock(serverdir, opts);
  locks.push(lock);
  return lock;
}

function runFixture(mode: 'hold' | 'try', serverdir: string): { child: ChildProcess; report: Promise<ChildReport> } {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, mode, serverdir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const report = new Promise<ChildReport>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve(JSON.parse(line) as ChildReport));
    child.once('exit', (code) => reject(new Error(`lock fixture exited (${code}) without a report`)));
  });
  return { child, report };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function readLock(serverdir: string) {
  return parseLock(await fs.readFile(lockPath(serverdir), 'utf8'));
}

/** A pid that certainly does not exist: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn('true', [], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

/**
 * A holder the test plays: it rewrites the lock file (atomically) every `everyMs` with a new
 * heartbeat, like a live instance in another container would, until stopped.
 */
function fakeHolder(serverdir: string, holder: Partial<LockContent> & { pid: number; host: string }, everyMs = 40) {
  let beat = 0;
  let writing: Promise<void> = Promise.resolve();
  const file = lockPath(serverdir);
  const write = async () => {
    beat++;
    const text = JSON.stringify({
      startedAt: '2026-11-27T08:00:00.000Z',
      token: 'theirs',
      ...holder,
      heartbeat: new Date().toISOString(),
      beat,
    });
    await fs.writeFile(`${file}.fake.tmp`, text);
    await fs.rename(`${file}.fake.tmp`, file);
  };
  const first = write();
  const timer = setInterval(() => {
    writing = writing.then(write, write);
  }, everyMs);
  return {
    ready: first,
    async stop() {
      clearInterval(timer);
      await writing.catch(() => {});
    },
  };
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('serverdir lock', () => {
  it('creates the serverdir with mode 0700 and writes pid, host, startedAt and heartbeat', async () => {
    const serverdir = path.join(dir, 'nested', 'serverdir');
    const lock = await acquire(serverdir);
    expect(lock.path).toBe(path.join(serverdir, 'pbxctrl-failover.lock'));
    expect((await fs.stat(serverdir)).mode & 0o777).toBe(0o700);
    const content = await readLock(serverdir);
    expect(content).toMatchObject({ pid: process.pid, host: os.hostname() });
    expect(Date.parse(content!.startedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(content!.heartbeat).toBe(content!.startedAt);
  });

  it('refuses a second acquire in the same process, naming pid, host and since', async () => {
    await acquire(dir);
    const started = (await readLock(dir))!.startedAt;
    const second = acquireLock(dir);
    await expect(second).rejects.toBeInstanceOf(MonitorError);
    await expect(second).rejects.toMatchObject({
      code: 'conflict',
      message: `serverdir ${dir} is in use by pid ${process.pid} on host ${os.hostname()} since ${started}; stop that instance or choose another --serverdir`,
    });
  });

  it('refuses a child process while this process holds the lock', async () => {
    await acquire(dir, { heartbeatMs: 100 });
    const { report } = runFixture('try', dir);
    const result = await report;
    expect(result.ok).toBe(false);
    expect(result.code).toBe('conflict');
    expect(result.message).toContain(`in use by pid ${process.pid} on host ${os.hostname()}`);
  });

  it('refuses this process while a live child holds the lock', async () => {
    const { child, report } = runFixture('hold', dir);
    const held = await report;
    expect(held).toEqual({ ok: true, pid: child.pid });
    await expect(acquireLock(dir)).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining(`in use by pid ${child.pid} on host ${os.hostname()} since `),
    });
  });

  it('keeps the heartbeat fresh while held', async () => {
    await acquire(dir, { heartbeatMs: 50 });
    const first = (await readLock(dir))!.heartbeat;
    await waitFor(async () => (await readLock(dir))?.heartbeat !== first);
    const content = (await readLock(dir))!;
    expect(Date.parse(content.heartbeat)).toBeGreaterThan(Date.parse(first));
    expect(content.startedAt).toBe(first);
    expect(content.beat).toBeGreaterThan(0);
  });

  it('takes over the lock of a child killed with SIGKILL', async () => {
    const { child, report } = runFixture('hold', dir);
    await report;
    expect((await readLock(dir))!.pid).toBe(child.pid);
    child.kill('SIGKILL');
    await exited(child);
    // The dead holder's heartbeat is fresh: only its pid shows it is gone.
    const lock = await acquire(dir, { staleMs: 60_000 });
    expect((await readLock(dir))!.pid).toBe(process.pid);
    await lock.release();
    await expect(fs.access(lockPath(dir))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('takes over a lock whose content stays unchanged for staleMs, measured on its own monotonic clock', async () => {
    // The heartbeat written in the file is an hour old, but only watching tells: at least staleMs.
    const old = new Date(Date.now() - 3_600_000).toISOString();
    await fs.writeFile(
      lockPath(dir),
      JSON.stringify({ pid: 4242, host: 'other-host.example', startedAt: old, heartbeat: old }),
    );
    const started = performance.now();
    await acquire(dir, { staleMs: 400 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(400);
    expect(await readLock(dir)).toMatchObject({ pid: process.pid, host: os.hostname() });
  });

  it('takes over a holder that stops heartbeating, only after the stale limit', async () => {
    // Its last heartbeat is fresh and its pid is gone, but the pid proves nothing across namespaces.
    const holder = fakeHolder(dir, { pid: await deadPid(), host: os.hostname() });
    await holder.ready;
    await holder.stop();
    const started = performance.now();
    await acquire(dir, { staleMs: 500 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(500);
    expect(await readLock(dir)).toMatchObject({ pid: process.pid, token: expect.not.stringMatching(/^theirs$/) });
  });

  it('never takes over a live holder in another PID namespace (its pid is not visible here, its heartbeat changes)', async () => {
    const pid = await deadPid();
    // As another container on the same volume writes it: same host name, a pid we cannot see,
    // and either no namespace or another one.
    for (const pidns of [undefined, 'another-boot/pid:[4026532999]']) {
      const holder = fakeHolder(dir, { pid, host: os.hostname(), ...(pidns ? { pidns } : {}) });
      cleanupHolders.push(holder);
      await holder.ready;
      // Refused as soon as the heartbeat is seen to change (the stale limit is far longer).
      await expect(acquireLock(dir, { staleMs: 10_000 })).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringContaining(`in use by pid ${pid} on host ${os.hostname()}`),
      });
      await holder.stop();
      expect((await readLock(dir))!.token).toBe('theirs');
    }
  });

  it('a wall-clock jump does not open a takeover window', async () => {
    const holder = fakeHolder(dir, { pid: 4242, host: 'other-host.example' });
    cleanupHolders.push(holder);
    await holder.ready;
    // The contender's wall clock is a day ahead (or behind): the holder's heartbeat looks ancient
    // (or from the future), but it keeps changing, and that is all that counts.
    for (const step of [86_400_000, -86_400_000]) {
      const clock = { now: () => Date.now() + step, monotonic: () => performance.now() };
      await expect(acquireLock(dir, { staleMs: 10_000, clock })).rejects.toMatchObject({ code: 'conflict' });
    }
    expect((await readLock(dir))!.token).toBe('theirs');
  });

  it('a holder whose own wall clock steps back keeps its lock: every beat changes the content', async () => {
    let now = Date.now();
    const frozenClock = { now: () => now, monotonic: () => performance.now() };
    await acquire(dir, { heartbeatMs: 40, clock: frozenClock });
    now -= 3_600_000;
    // Another process would see it; in this process the token shortcut must not hide the point.
    const { report } = runFixture('try', dir);
    expect(await report).toMatchObject({ ok: false, code: 'conflict' });
  });

  it('tells the holder when another instance has taken the lock over, and leaves their lock alone', async () => {
    const lock = await acquireLock(dir, { heartbeatMs: 40 });
    const lost: string[] = [];
    lock.onLost((message) => lost.push(message));
    const theirs = JSON.stringify({
      pid: 4242,
      host: 'other-host.example',
      startedAt: new Date().toISOString(),
      heartbeat: new Date().toISOString(),
      token: 'theirs',
    });
    await fs.writeFile(`${lockPath(dir)}.t`, theirs);
    await fs.rename(`${lockPath(dir)}.t`, lockPath(dir));
    await waitFor(async () => lost.length > 0);
    expect(lost[0]).toContain('was taken over by pid 4242 on host other-host.example');
    const late: string[] = [];
    lock.onLost((message) => late.push(message));
    expect(late).toEqual(lost);
    await lock.release();
    expect(await fs.readFile(lockPath(dir), 'utf8')).toBe(theirs);
  });

  it('writes its lock again when the file was deleted by hand', async () => {
    await acquire(dir, { heartbeatMs: 40 });
    const token = (await readLock(dir))!.token;
    await fs.unlink(lockPath(dir));
    await waitFor(async () => (await fs.readFile(lockPath(dir), 'utf8').catch(() => '')).includes(token));
  });

  it('takes over a damaged lock file once it is older than the grace period', async () => {
    await fs.writeFile(lockPath(dir), '{"pid":12');
    const past = new Date(Date.now() - 10_000);
    await fs.utimes(lockPath(dir), past, past);
    await acquire(dir);
    expect((await readLock(dir))!.pid).toBe(process.pid);
  });

  it('release deletes only its own lock', async () => {
    const lock = await acquireLock(dir, { heartbeatMs: 60_000 });
    const other = new Date().toISOString();
    const text = JSON.stringify({
      pid: 4242,
      host: 'other-host.example',
      startedAt: other,
      heartbeat: other,
      token: 'theirs',
    });
    await fs.writeFile(lockPath(dir), text);
    await lock.release();
    expect(await fs.readFile(lockPath(dir), 'utf8')).toBe(text);

    await fs.unlink(lockPath(dir));
    const mine = await acquireLock(dir);
    await mine.release();
    await expect(fs.access(lockPath(dir))).rejects.toMatchObject({ code: 'ENOENT' });
    await mine.release(); // idempotent
  });

  it('lets exactly one of many concurrent acquirers win a stale lock', async () => {
    const old = new Date(Date.now() - 120_000).toISOString();
    await fs.writeFile(
      lockPath(dir),
      JSON.stringify({ pid: 4242, host: 'other-host.example', startedAt: old, heartbeat: old }),
    );
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => acquireLock(dir, { staleMs: 300 })));
    const winners = results.filter((r): r is PromiseFulfilledResult<ServerdirLock> => r.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    locks.push(winners[0]!.value);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as MonitorError).code).toBe('conflict');
  });

  it('counts a holder as dead without waiting only when it wrote our PID namespace and its pid is gone', async () => {
    const ns = ownPidNamespace();
    const base: LockContent = { pid: await deadPid(), host: os.hostname(), startedAt: '', heartbeat: '', token: 'x' };
    expect(provablyDead({ ...base, ...(ns ? { pidns: ns } : {}) })).toBe(ns !== undefined);
    expect(provablyDead(base)).toBe(false);
    expect(provablyDead({ ...base, pidns: 'another-boot/pid:[1]' })).toBe(false);
    expect(provablyDead({ ...base, pidns: ns ?? 'x', host: 'elsewhere' })).toBe(false);
    expect(provablyDead({ ...base, pidns: ns ?? 'x', pid: process.pid })).toBe(false);
    if (process.platform === 'linux') expect(ns).toMatch(/^[0-9a-f-]{36}\/pid:\[\d+\]$/);
  });
});
