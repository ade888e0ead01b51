import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MonitorError } from '../../src/shared/api.js';
import { acquireLock, isStale, parseLock } from '../../src/core/lock.js';
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

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pfm-lock-'));
});

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const lock of locks.splice(0)) await lock.release();
  await fs.rm(dir, { recursive: true, force: true });
});

async function acquire(serverdir: string, opts?: Parameters<typeof acquireLock>[1]): Promise<ServerdirLock> {
  const lock = await acquireLock(serverdir, opts);
  locks.push(lock);
  return lock;
}

function runFixture(mode: 'hold' | 'try', serverdir: string): { child: ChildProcess; report: Promise<ChildReport> } {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, mode, serverdir], { stdio: ['ignore', 'pipe', 'inherit'] });
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
    await acquire(dir);
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

  it('takes over a lock from another host whose heartbeat is older than staleMs', async () => {
    const old = new Date(Date.now() - 60_000).toISOString();
    await fs.writeFile(lockPath(dir), JSON.stringify({ pid: 4242, host: 'other-host.example', startedAt: old, heartbeat: old }));
    await acquire(dir, { staleMs: 30_000 });
    expect(await readLock(dir)).toMatchObject({ pid: process.pid, host: os.hostname() });
  });

  it('refuses a lock from another host with a fresh heartbeat', async () => {
    const fresh = new Date().toISOString();
    const text = JSON.stringify({ pid: 4242, host: 'other-host.example', startedAt: fresh, heartbeat: fresh });
    await fs.writeFile(lockPath(dir), text);
    await expect(acquireLock(dir, { staleMs: 30_000 })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining(`in use by pid 4242 on host other-host.example since ${fresh}`),
    });
    expect(await fs.readFile(lockPath(dir), 'utf8')).toBe(text);
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
    const text = JSON.stringify({ pid: 4242, host: 'other-host.example', startedAt: other, heartbeat: other, token: 'theirs' });
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
    await fs.writeFile(lockPath(dir), JSON.stringify({ pid: 4242, host: 'other-host.example', startedAt: old, heartbeat: old }));
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => acquireLock(dir)));
    const winners = results.filter((r): r is PromiseFulfilledResult<ServerdirLock> => r.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    locks.push(winners[0]!.value);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as MonitorError).code).toBe('conflict');
  });

  it('on this host, a live pid with an old heartbeat is stale only when that process is younger than the lock (pid reused)', async () => {
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(other);
    await new Promise((resolve) => other.once('spawn', resolve));
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    const reused = { pid: other.pid!, host: os.hostname(), startedAt: hourAgo, heartbeat: hourAgo, token: 'old' };
    expect(isStale(reused, Date.now(), 30_000)).toBe(process.platform === 'linux');
    // A holder that is older than its lock but whose heartbeat lags (a frozen process) is still live.
    const frozen = { ...reused, pid: process.pid, startedAt: new Date().toISOString() };
    expect(isStale(frozen, Date.now() + 3_600_000, 30_000)).toBe(false);
    // Fresh heartbeat: live, whatever the process.
    expect(isStale({ ...reused, heartbeat: new Date().toISOString() }, Date.now(), 30_000)).toBe(false);
  });

  it('judges staleness by pid on this host and by heartbeat elsewhere', () => {
    const now = Date.now();
    const recent = new Date(now - 1_000).toISOString();
    const old = new Date(now - 100_000).toISOString();
    const base = { pid: process.pid, host: os.hostname(), startedAt: recent, heartbeat: recent, token: 'x' };
    expect(isStale(base, now, 30_000)).toBe(false);
    expect(isStale({ ...base, host: 'elsewhere', heartbeat: old }, now, 30_000)).toBe(true);
    expect(isStale({ ...base, host: 'elsewhere' }, now, 30_000)).toBe(false);
    expect(isStale({ ...base, heartbeat: 'not a date', host: 'elsewhere' }, now, 30_000)).toBe(true);
  });
});
