// An instance whose serverdir lock was taken over by another one (it was frozen past the stale
// limit, or a second container took it): it must stop acting at once, say so, and never write the
// file the new owner now writes. The engine in-process, and `serve` as a real child process.

import { promises as fs } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lockPath } from '../../src/core/paths.js';
import { MonitorError } from '../../src/shared/api.js';
import type { AlertEvent, PairSettings } from '../../src/shared/model.js';
import { pairSettings } from '../helpers/engine-fixtures.js';
import { type HttpFixture, waitFor } from '../helpers/http-fixtures.js';
import { configFile, fastTuning, open, tempServerdir, writeConfig } from '../helpers/serverdir.js';
import { spawnCli } from '../helpers/service-harness.js';
import { perTestScope } from '../helpers/test-scope.js';

const { cleanups, fixture } = perTestScope();

const THEIRS = { pid: 4242, host: 'other-host.example', startedAt: '2026-11-27T08:00:00.000Z', token: 'theirs' };

/** The other instance: it owns the lock now and keeps its heartbeat going, as a live one does. */
function otherInstance(serverdir: string, everyMs = 40): void {
  let beat = 0;
  let writing: Promise<void> = Promise.resolve();
  const file = lockPath(serverdir);
  const write = async () => {
    const text = JSON.stringify({ ...THEIRS, heartbeat: new Date().toISOString(), beat: ++beat });
    await fs.writeFile(`${file}.other.tmp`, text);
    await fs.rename(`${file}.other.tmp`, file);
  };
  writing = write();
  const timer = setInterval(() => {
    writing = writing.then(write, write);
  }, everyMs);
  cleanups.push(async () => {
    clearInterval(timer);
    await writing.catch(() => {});
  });
}

function pair(id: string, primary: HttpFixture, receiver: HttpFixture): PairSettings {
  return pairSettings({
    id,
    name: id,
    primaryUrl: primary.url(`/${id}`),
    actionUrl: receiver.url(`/${id}-failover`),
    toleratedFailures: 1,
  });
}

describe('lock lost while running', () => {
  it('stops every watcher, fires nothing, writes nothing, alerts lock-lost and refuses moves', async () => {
    const primary = await fixture();
    const receiver = await fixture();
    const dir = await tempServerdir(cleanups);
    await writeConfig(dir, [pair('dc1', primary, receiver)]);
    const loser = await open(dir, cleanups, { ...fastTuning, lockHeartbeatMs: 40 });
    await waitFor(() => loser.events.some((e) => e.type === 'state' && e.to === 'waiting'), 'dc1 waiting');

    otherInstance(dir);
    await waitFor(() => loser.events.some((e) => e.type === 'alert' && e.alert === 'lock-lost'), 'the lock-lost alert');
    const alert = loser.events.find((e): e is AlertEvent => e.type === 'alert' && e.alert === 'lock-lost')!;
    expect(alert).toMatchObject({
      pair: '*',
      severity: 'critical',
      message: expect.stringContaining('taken over by pid 4242 on host other-host.example'),
    });
    const health = await loser.monitor.health();
    expect(health.ok).toBe(false);
    expect(health.problems).toEqual([{ kind: 'lock', message: alert.message, since: expect.any(String) }]);
    const fileAtLoss = await fs.readFile(configFile(dir), 'utf8');
    const checksAtLoss = primary.requests.filter((r) => r.url === '/dc1').length;

    // An operator's move on the loser is refused, with the reason.
    await expect(loser.monitor.failover('dc1', { reason: 'drill', operator: 'op' })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('taken over by pid 4242'),
    });
    await expect(loser.monitor.failover('dc1', { reason: 'drill', operator: 'op' })).rejects.toBeInstanceOf(
      MonitorError,
    );

    // The primary goes down. A witness instance on its own serverdir, with the same detection
    // settings, fails over; had the loser still been watching, it would have by then too.
    primary.setStatus(503);
    const witnessDir = await tempServerdir(cleanups);
    // Its primary had answered before (it resumes counting at once, see restart.test.ts).
    await writeConfig(witnessDir, [
      {
        settings: pair('witness', primary, receiver),
        persisted: { state: 'waiting', since: new Date().toISOString(), primaryAnswered: true },
      },
    ]);
    const witness = await open(witnessDir, cleanups);
    await waitFor(
      () => witness.events.some((e) => e.type === 'action' && e.phase === 'succeeded'),
      'the witness failed over',
    );

    expect(receiver.requests.filter((r) => r.url === '/dc1-failover')).toHaveLength(0);
    expect(receiver.requests.filter((r) => r.url === '/witness-failover')).toHaveLength(1);
    // At most a check that was already on the wire when the loss was noticed.
    expect(primary.requests.filter((r) => r.url === '/dc1').length - checksAtLoss).toBeLessThanOrEqual(1);
    await loser.monitor.close();
    expect(await fs.readFile(configFile(dir), 'utf8')).toBe(fileAtLoss);
    expect(JSON.parse(await fs.readFile(lockPath(dir), 'utf8'))).toMatchObject({ token: 'theirs' });
  });

  it('serve exits 1 with a clear message when its lock is taken over', async () => {
    const primary = await fixture();
    const receiver = await fixture();
    const dir = await tempServerdir(cleanups);
    await writeConfig(dir, [pair('dc1', primary, receiver)]);
    const child = spawnCli(['serve', '--port', '0', '--serverdir', dir]);
    cleanups.push(async () => child.kill());
    await child.waitForOutput(/Dashboard: /);

    otherInstance(dir);
    const { code } = await child.exited;
    expect(code).toBe(1);
    expect(child.stderr).toMatch(
      /Lock lost: the serverdir lock .* was taken over by pid 4242 on host other-host\.example/,
    );
    expect(child.stderr).toContain('Exiting with code 1');
    expect(JSON.parse(await fs.readFile(lockPath(dir), 'utf8'))).toMatchObject({ token: 'theirs' });
    expect(receiver.hits).toBe(0);
  });
});
