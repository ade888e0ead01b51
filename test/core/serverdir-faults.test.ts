// The serverdir on a read-only file system and on a full disk, made real with small tmpfs
// mounts (root only: chmod does not stop root, a read-only mount does). Every failure must
// name the file and say what is wrong in words, and nothing already on disk may be lost.

import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConfigStore } from '../../src/core/config-store.js';
import { createHistoryStore } from '../../src/core/history.js';
import { acquireLock, parseLock } from '../../src/core/lock.js';
import { configPath, lockPath } from '../../src/core/paths.js';
import type { HistoryStore, Logger, ServerdirLock } from '../../src/core/ports.js';
import { MonitorError } from '../../src/shared/api.js';
import type { AlertEvent } from '../../src/shared/model.js';
import type { HistoryEvent } from '../../src/shared/model.js';
import { HttpFixture } from '../helpers/http-fixtures.js';
import {
  configXml,
  jsonBody,
  pairSettings,
  spawnCli,
  startTestService,
  waitFor as waitForValue,
  type TestPair,
} from '../helpers/service-harness.js';
import { configWith, minimalPair } from '../helpers/xml-samples.js';

const DAY0 = Date.UTC(2026, 10, 27, 10, 0, 0);
const GOOD_XML = configWith(minimalPair('acme'), minimalPair('beta'));

let base: string;
const mounted: string[] = [];

beforeAll(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'pfm-serverdir-faults-'));
});

afterAll(async () => {
  for (const dir of mounted.splice(0)) unmount(dir);
  await fs.rm(base, { recursive: true, force: true });
});

function mountTmpfs(name: string, size: string): string {
  const dir = path.join(base, name);
  execFileSync('mkdir', ['-p', dir]);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(
      `these tests need root to mount a small tmpfs at ${dir}: ${(err as { stderr?: Buffer }).stderr?.toString().trim() ?? err}`,
      { cause: err },
    );
  }
  mounted.push(dir);
  return dir;
}

function remount(dir: string, mode: 'ro' | 'rw'): void {
  execFileSync('mount', ['-o', `remount,${mode}`, dir], { stdio: 'pipe' });
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' });
  } catch {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

function alert(pair: string, at: number, message: string): AlertEvent {
  return { type: 'alert', pair, at: iso(at), alert: 'verifying', severity: 'warning', message };
}

function collectingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (message: string, fields?: Record<string, unknown>) =>
    lines.push(fields ? `${message} ${JSON.stringify(fields)}` : message);
  return { lines, info: push, warn: push, error: push };
}

/** Fill the file system to the last byte; returns the filler so it can be removed again. */
async function fillDisk(dir: string): Promise<string> {
  const filler = path.join(dir, 'filler.bin');
  const handle = await fs.open(filler, 'w');
  const chunk = Buffer.alloc(4096, 0x78);
  try {
    for (;;) await handle.write(chunk);
  } catch (err) {
    expect((err as { code?: string }).code).toBe('ENOSPC');
  } finally {
    await handle.close();
  }
  // Page-sized writes can leave a partial page; take that too.
  try {
    await fs.appendFile(filler, Buffer.alloc(1));
    for (;;) await fs.appendFile(filler, Buffer.alloc(1));
  } catch {
    /* full */
  }
  return filler;
}

async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const entry of await fs.readdir(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name !== 'filler.bin') files.set(path.relative(dir, full), await fs.readFile(full, 'utf8'));
    }
  };
  await walk(dir);
  return files;
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A serverdir with a valid configuration (and its .bak) and a day of history. */
async function populate(serverdir: string): Promise<void> {
  const config = createConfigStore(serverdir);
  await fs.writeFile(configPath(serverdir), GOOD_XML);
  await config.save(await config.load());
  const history = createHistoryStore(serverdir, { autoPrune: false });
  history.record(alert('acme', DAY0, 'before the fault'));
  await history.close();
}

describe('read-only serverdir', () => {
  let serverdir: string;
  let before: Map<string, string>;
  let history: HistoryStore | undefined;

  beforeEach(async () => {
    serverdir = mountTmpfs(`ro-${mounted.length}`, '1m');
    await populate(serverdir);
    before = await snapshot(serverdir);
    remount(serverdir, 'ro');
  });

  afterEach(async () => {
    remount(serverdir, 'rw');
    await history?.close().catch(() => {});
    history = undefined;
  });

  it('refuses the lock with the file and the reason in words', async () => {
    const attempt = acquireLock(serverdir);
    await expect(attempt).rejects.toBeInstanceOf(MonitorError);
    await expect(attempt).rejects.toThrow(
      `cannot create the lock file ${lockPath(serverdir)}: the file system is read-only (EROFS)`,
    );
    expect(await snapshot(serverdir)).toEqual(before);
  });

  it('refuses to save the configuration and keeps the file and its backup as they were', async () => {
    const config = createConfigStore(serverdir);
    const loaded = await config.load();
    expect(loaded.pairs.map((p) => p.settings.id)).toEqual(['acme', 'beta']);
    await expect(config.save({ pairs: loaded.pairs.slice(0, 1) })).rejects.toThrow(
      `cannot write ${configPath(serverdir)}: the file system is read-only (EROFS)`,
    );
    expect(await snapshot(serverdir)).toEqual(before);
  });

  it('keeps history in memory, says why it cannot write it, and writes it once it can', async () => {
    const log = collectingLog();
    history = createHistoryStore(serverdir, { autoPrune: false, log, flushMs: 60_000 });
    history.record(alert('acme', DAY0 + 1000, 'during the fault'));
    const file = path.join(serverdir, 'history', 'acme', `${iso(DAY0).slice(0, 10)}.events.jsonl`);
    await expect(history.flush()).rejects.toThrow(
      `cannot append history to ${file}: the file system is read-only (EROFS)`,
    );
    expect(log.lines.join('\n')).toContain('the file system is read-only (EROFS); history is kept in memory');
    expect(await snapshot(serverdir)).toEqual(before);
    const during = await history.query('acme', DAY0, DAY0 + 60_000);
    expect(during.events.map((e) => (e as AlertEvent).message)).toEqual(['before the fault', 'during the fault']);

    remount(serverdir, 'rw');
    await history.flush();
    const lines = (await fs.readFile(file, 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as AlertEvent).message)).toEqual(['before the fault', 'during the fault']);
  });
});

describe('full disk', () => {
  let serverdir: string;
  let filler: string;
  let before: Map<string, string>;
  const cleanups: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    serverdir = mountTmpfs(`full-${mounted.length}`, '64k');
    await populate(serverdir);
    before = await snapshot(serverdir);
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => {});
  });

  it('refuses a new lock and leaves no empty lock file behind', async () => {
    filler = await fillDisk(serverdir);
    await expect(acquireLock(serverdir)).rejects.toThrow(
      `cannot write the lock file ${lockPath(serverdir)}: the disk is full (ENOSPC)`,
    );
    await expect(fs.access(lockPath(serverdir))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await snapshot(serverdir)).toEqual(before);
    await fs.unlink(filler);
    const lock = await acquireLock(serverdir);
    await lock.release();
  });

  it('keeps a held lock intact when its heartbeat cannot be written', async () => {
    const log = collectingLog();
    const lock: ServerdirLock = await acquireLock(serverdir, { heartbeatMs: 50, log });
    cleanups.push(() => lock.release());
    const original = await fs.readFile(lockPath(serverdir), 'utf8');
    filler = await fillDisk(serverdir);
    await waitFor(() =>
      log.lines.some((l) => l.includes('could not refresh the serverdir lock heartbeat') && l.includes('ENOSPC')),
    );
    const during = parseLock(await fs.readFile(lockPath(serverdir), 'utf8'));
    expect(during).toMatchObject({ pid: process.pid, token: parseLock(original)!.token });
    await fs.unlink(filler);
    await waitFor(
      async () => parseLock(await fs.readFile(lockPath(serverdir), 'utf8'))!.heartbeat !== during!.heartbeat,
    );
    await lock.release();
    // Failed heartbeats left no temporary files behind.
    expect(await fs.readdir(serverdir)).toEqual(expect.not.arrayContaining([expect.stringMatching(/\.tmp$/)]));
  });

  it('refuses to save the configuration and keeps the file and its backup', async () => {
    const config = createConfigStore(serverdir);
    const loaded = await config.load();
    filler = await fillDisk(serverdir);
    await expect(config.save({ pairs: loaded.pairs.slice(0, 1) })).rejects.toThrow(
      `cannot write ${configPath(serverdir)}: the disk is full (ENOSPC)`,
    );
    expect(await snapshot(serverdir)).toEqual(before);
    expect((await fs.readdir(serverdir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await fs.unlink(filler);
    await config.save({ pairs: loaded.pairs.slice(0, 1) });
    expect((await config.load()).pairs.map((p) => p.settings.id)).toEqual(['acme']);
  });

  it('never leaves a torn history line, and writes everything once space is back', async () => {
    const log = collectingLog();
    const history = createHistoryStore(serverdir, { autoPrune: false, log, flushMs: 60_000 });
    cleanups.push(() => history.close());
    filler = await fillDisk(serverdir);
    // Far more than the last partial page could take: the append must be cut short and undone.
    for (let i = 0; i < 60; i++)
      history.record(alert('acme', DAY0 + 2000 + i, `during the fault ${i} ${'x'.repeat(100)}`));
    // Alerts also go to the journal of all pairs; the pair's own file comes first and is named.
    const file = path.join(serverdir, 'history', 'acme', `${iso(DAY0).slice(0, 10)}.events.jsonl`);
    await expect(history.flush()).rejects.toThrow(`cannot append history to ${file}: the disk is full (ENOSPC)`);
    expect(await snapshot(serverdir)).toEqual(before);
    expect((await history.query('acme', DAY0, DAY0 + 60_000)).events).toHaveLength(61);

    await fs.unlink(filler);
    await history.flush();
    const reader = createHistoryStore(serverdir, { autoPrune: false, log });
    cleanups.push(() => reader.close());
    const events = (await reader.query('acme', DAY0, DAY0 + 60_000)).events as AlertEvent[];
    expect(events.map((e) => e.message.split(' ').slice(0, 4).join(' '))).toEqual([
      'before the fault',
      ...Array.from({ length: 60 }, (_, i) => `during the fault ${i}`),
    ]);
    expect(log.lines.filter((l) => l.includes('damaged'))).toEqual([]);
  });
});

describe('pair states that cannot be written (full disk)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  });

  async function fixtures(): Promise<{
    primary: HttpFixture;
    validation: HttpFixture;
    receiver: HttpFixture;
    pair: TestPair;
  }> {
    const [primary, validation, receiver] = await Promise.all([
      HttpFixture.start(),
      HttpFixture.start(),
      HttpFixture.start(),
    ]);
    cleanups.push(() => Promise.all([primary.close(), validation.close(), receiver.close()]).then(() => undefined));
    const pair: TestPair = {
      id: 'acme',
      primaryUrl: primary.url(),
      validationUrl: validation.url(),
      actionUrl: receiver.url('/dns'),
      interval: 0.1,
      retries: 1,
    };
    return { primary, validation, receiver, pair };
  }

  type Health = { ok: boolean; problems: Array<{ kind: string; message: string; since: string }> };

  it(
    'fails over all the same, says so in /api/health and one critical alert, refuses manual moves, and recovers by itself',
    { timeout: 90_000 },
    async () => {
      const serverdir = mountTmpfs(`states-${mounted.length}`, '128k');
      const { primary, receiver, pair } = await fixtures();
      const betaPrimary = await HttpFixture.start();
      cleanups.push(() => betaPrimary.close());
      const beta: TestPair = {
        ...pair,
        id: 'beta',
        primaryUrl: betaPrimary.url('/beta'),
        actionUrl: receiver.url('/dns-beta'),
      };
      const svc = await startTestService({ serverdir, xml: configXml([pair, beta]) });
      cleanups.push(() => svc.close());
      const file = configPath(serverdir);
      const stateOf = async (id: string) => (await svc.json<{ state: string }>(`/api/pairs/${id}`)).state;
      await waitFor(async () => (await fs.readFile(file, 'utf8')).match(/>waiting<\/state>/g)?.length === 2);

      const filler = await fillDisk(serverdir);
      // The primary of acme dies: the failover is not held back by the disk.
      primary.script(...Array.from({ length: 1000 }, () => ({ status: 500 })));
      await waitFor(() => receiver.requests.some((r) => r.url === '/dns'), 20_000);
      expect(await stateOf('acme')).toBe('failover');
      const health = await waitForValue('the health to turn bad', async () => {
        const h = await svc.json<Health>('/api/health');
        return h.ok ? undefined : h;
      });
      const problem = health.problems.find((p) => p.kind === 'state-write')!;
      expect(problem.message).toBe(
        `pair states cannot be written to ${file}: the disk is full (ENOSPC). Decisions made now are lost on a restart; the write is retried until it succeeds.`,
      );
      expect(await fs.readFile(file, 'utf8')).not.toContain('>failover</state>');

      // Manual moves are refused before anything changes or fires; each one tries the write again.
      for (let i = 0; i < 3; i++) {
        const res = await svc.api('/api/pairs/beta/failover', jsonBody('POST', { reason: `drill ${i}` }));
        expect(res.status).toBe(409);
        expect(((await res.json()) as { message: string }).message).toBe(
          `${problem.message} Changes are refused until pair states can be written again, so that nothing decided now is lost.`,
        );
      }
      expect(await stateOf('beta')).toBe('waiting');
      expect(receiver.requests.filter((r) => r.url === '/dns-beta')).toHaveLength(0);
      const addRes = await svc.api('/api/pairs', jsonBody('POST', pairSettings({ ...pair, id: 'gamma' })));
      expect(addRes.status).toBe(409);
      const writeAlerts = async () =>
        (await svc.json<HistoryEvent[]>('/api/alerts')).flatMap((e) =>
          e.type === 'alert' && e.alert.startsWith('state-write') ? [e] : [],
        );
      expect(
        (await writeAlerts()).map((e) => [
          e.alert,
          e.pair,
          e.type === 'alert' && e.severity,
          e.type === 'alert' && e.message,
        ]),
      ).toEqual([['state-write-failed', '*', 'critical', problem.message]]);

      // Space again: the retry writes the failover without any request, and says so.
      await fs.unlink(filler);
      await waitFor(async () => (await svc.json<Health>('/api/health')).ok, 60_000);
      expect(await fs.readFile(file, 'utf8')).toContain('>failover</state>');
      const alerts = await writeAlerts();
      expect(alerts.map((e) => e.alert)).toEqual(['state-write-failed', 'state-write-recovered']);
      expect(alerts[1]).toMatchObject({ pair: '*', severity: 'info' });
      expect(alerts[1]!.type === 'alert' && alerts[1]!.message).toBe(
        `pair states are written to ${file} again; what was decided while writing failed (since ${problem.since}) is now on disk.`,
      );
      expect(
        (await svc.json<{ state: string }>('/api/pairs/beta/pause', jsonBody('POST', { reason: 'after the fix' })))
          .state,
      ).toBe('paused');
    },
  );

  it('makes a failed final write at stop an error, not a clean stop', async () => {
    const serverdir = mountTmpfs(`final-${mounted.length}`, '128k');
    const { pair } = await fixtures();
    const log = collectingLog();
    const svc = await startTestService({ serverdir, xml: configXml([pair]), log });
    await waitFor(async () => (await fs.readFile(configPath(serverdir), 'utf8')).includes('>waiting</state>'));
    const filler = await fillDisk(serverdir);
    cleanups.push(() => fs.unlink(filler));
    await expect(svc.close()).rejects.toThrow(
      `stopped, but the final write of pair states failed: pair states cannot be written to ${configPath(serverdir)}: the disk is full (ENOSPC).`,
    );
    expect(log.lines.some((l) => l.startsWith('the final write of pair states failed'))).toBe(true);
    // The lock is released all the same.
    await expect(fs.access(lockPath(serverdir))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('exits non-zero on SIGTERM when the final write fails', { timeout: 90_000 }, async () => {
    const serverdir = mountTmpfs(`sigterm-${mounted.length}`, '128k');
    const { pair } = await fixtures();
    await fs.writeFile(configPath(serverdir), configXml([pair]));
    const child = spawnCli(['serve', '--serverdir', serverdir, '--port', '0']);
    cleanups.push(async () => child.kill());
    await child.waitForOutput(/Dashboard: /);
    await waitFor(async () => (await fs.readFile(configPath(serverdir), 'utf8')).includes('>waiting</state>'), 30_000);
    const filler = await fillDisk(serverdir);
    cleanups.push(() => fs.unlink(filler));
    child.proc.kill('SIGTERM');
    const { code } = await child.exited;
    expect(code).not.toBe(0);
    expect(child.stderr).toContain('the final write of pair states failed: pair states cannot be written to');
    expect(child.stderr).not.toContain('Stopped.');
  });
});
