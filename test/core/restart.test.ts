import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { newActionStatus } from '../../src/core/action-runner.js';
import type { PairRecord } from '../../src/core/ports.js';
import type { EngineEvent, PairSettings } from '../../src/shared/model.js';
import { pairSettings } from '../helpers/engine-fixtures.js';
import { type HttpFixture, sleep, waitFor } from '../helpers/http-fixtures.js';
import { open, readConfigText, tempServerdir, writeConfig } from '../helpers/serverdir.js';
import { perTestScope } from '../helpers/test-scope.js';

const { cleanups, fixture } = perTestScope();

function pairOf(primary: HttpFixture, receiver: HttpFixture, extra: Partial<PairSettings> = {}): PairSettings {
  const p = pairSettings({
    primaryUrl: primary.url(),
    actionUrl: receiver.url('/failover'),
    toleratedFailures: 1,
    ...extra,
  });
  p.failbackAction = { ...p.action, url: receiver.url('/failback') };
  return p;
}

async function waitForAsync(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

describe('restart: close and reopen in every state', () => {
  it('waiting and verifying come back in waiting, counting at once; starting begins again at starting', async () => {
    const primary = await fixture();
    const receiver = await fixture();
    const dir = await tempServerdir(cleanups);
    const since = '2026-11-27T08:00:00.000Z';
    await writeConfig(dir, [
      { settings: pairOf(primary, receiver, { id: 'w' }), persisted: { state: 'waiting', since } },
      { settings: pairOf(primary, receiver, { id: 'v' }), persisted: { state: 'verifying', since } },
      { settings: pairOf(primary, receiver, { id: 's' }), persisted: { state: 'starting', since } },
    ]);
    const { monitor, events } = await open(dir, cleanups);
    const first = await monitor.listPairs();
    expect(first.map((p) => [p.id, p.state, p.consecutiveFailures])).toEqual([
      ['w', 'waiting', 0],
      ['v', 'waiting', 0],
      ['s', 'starting', 0],
    ]);
    await waitFor(() => events.filter((e) => e.type === 'state' && e.to === 'waiting').length === 1, 's waiting');
    expect(events.filter((e) => e.type === 'state').map((e) => e.pair)).toEqual(['s']);
    expect(receiver.hits).toBe(0);
    await monitor.close();
    expect((await readConfigText(dir)).match(/primary-answered="true"/g)).toHaveLength(3);
  });

  it('a watcher restarted while the primary is down fails the pair over after the usual count', async () => {
    const primary = await fixture();
    const receiver = await fixture();
    const dir = await tempServerdir(cleanups);
    await writeConfig(dir, [pairOf(primary, receiver, { id: 'dc1', toleratedFailures: 2 })]);
    const first = await open(dir, cleanups);
    await waitFor(() => first.events.some((e) => e.type === 'state' && e.to === 'waiting'), 'waiting');
    await first.monitor.close();
    expect(await readConfigText(dir)).toMatch(/<state since="[^"]+"[^>]* primary-answered="true">waiting<\/state>/);

    // The primary's data center goes down while the watcher host reboots.
    primary.setStatus(503);
    const again = await open(dir, cleanups);
    expect((await again.monitor.getPair('dc1')).state).toBe('waiting');
    await waitForAsync(
      async () => (await again.monitor.getPair('dc1')).action?.phase === 'succeeded',
      'failover action sent',
    );
    const states = again.events.filter((e) => e.type === 'state').map((e) => (e.type === 'state' ? e.to : ''));
    expect(states).toEqual(['verifying', 'failover']);
    const counted = again.events.flatMap((e) =>
      e.type === 'check' && e.result.target === 'primary' ? [e.consecutiveFailures] : [],
    );
    expect(counted.slice(0, 3)).toEqual([1, 2, 3]);
    expect(receiver.requests.filter((r) => r.url.includes('/failover'))).toHaveLength(1);
  });

  it('failover with its action done stays in failover and never fires again; paused stays paused', async () => {
    const primary = await fixture();
    const receiver = await fixture();
    const dir = await tempServerdir(cleanups);
    await writeConfig(dir, [pairOf(primary, receiver, { id: 'f' }), pairOf(primary, receiver, { id: 'p' })]);
    const first = await open(dir, cleanups);
    await first.monitor.failover('f', { reason: 'drill', operator: 'op' });
    await first.monitor.pause('p', { reason: 'PBX update', operator: 'op' });
    await waitForAsync(async () => (await first.monitor.getPair('f')).action?.phase === 'succeeded', 'action done');
    await first.monitor.close();
    const text = await readConfigText(dir);
    expect(text).toMatch(/>failover<\/state>/);
    expect(text).toMatch(/>paused<\/state>/);

    for (let round = 0; round < 2; round++) {
      const again = await open(dir, cleanups);
      const f = await again.monitor.getPair('f');
      const p = await again.monitor.getPair('p');
      expect(f.state).toBe('failover');
      expect(f.reason).toBe('drill');
      expect(f.action).toMatchObject({ kind: 'failover', phase: 'succeeded', manual: true, reason: 'drill' });
      expect(f.action!.attempts).toHaveLength(1);
      expect(p.state).toBe('paused');
      expect(p.reason).toBe('PBX update');
      await waitFor(
        () => again.events.filter((e) => e.type === 'check' && e.result.target === 'primary').length >= 6,
        'checks after the restart',
      );
      expect(again.events.some((e) => e.type === 'action')).toBe(false);
      expect(again.events.some((e) => e.type === 'state')).toBe(false);
      await again.monitor.close();
    }
    expect(receiver.hits).toBe(1);
  });

  it('a failed action stays failed across a restart and can be retried', async () => {
    const primary = await fixture();
    const receiver = await fixture(500);
    const dir = await tempServerdir(cleanups);
    await writeConfig(dir, [pairOf(primary, receiver, { id: 'f' })]);
    const first = await open(dir, cleanups);
    await first.monitor.failover('f', { reason: 'drill' });
    await waitForAsync(async () => (await first.monitor.getPair('f')).action?.phase === 'failed', 'action failed');
    await first.monitor.close();
    expect(receiver.hits).toBe(3);

    receiver.setStatus(200);
    const again = await open(dir, cleanups);
    await waitFor(
      () => again.events.filter((e) => e.type === 'check' && e.result.target === 'primary').length >= 3,
      'checks after the restart',
    );
    expect(receiver.hits).toBe(3);
    expect((await again.monitor.getPair('f')).action?.phase).toBe('failed');
    await again.monitor.retryAction('f', { reason: 'DNS API fixed', operator: 'op' });
    await waitForAsync(async () => (await again.monitor.getPair('f')).action?.phase === 'succeeded', 'retry done');
    expect(receiver.hits).toBe(4);
  });

  it('resumes an interrupted failover series at its next attempt, and an interrupted failback too', async () => {
    const primary = await fixture();
    const receiver = await fixture();
    const dir = await tempServerdir(cleanups);
    const running = newActionStatus('failover', false, 'primary down', Date.now() - 2000);
    running.phase = 'running';
    running.attempts.push({
      attempt: 1,
      at: new Date().toISOString(),
      ok: false,
      status: 503,
      latencyMs: 4,
      error: 'status 503',
    });
    const failback = newActionStatus('failback', true, 'back home', Date.now() - 1000);
    const records: PairRecord[] = [
      {
        settings: pairOf(primary, receiver, { id: 'f' }),
        persisted: { state: 'failover', since: running.startedAt, action: running },
      },
      {
        settings: pairOf(primary, receiver, { id: 'b' }),
        persisted: { state: 'starting', since: failback.startedAt, action: failback },
      },
    ];
    await writeConfig(dir, records);
    const { monitor } = await open(dir, cleanups);
    await waitForAsync(
      async () => (await monitor.listPairs()).every((p) => p.action?.phase === 'succeeded'),
      'both actions done',
    );
    const f = await monitor.getPair('f');
    expect(f.action!.attempts.map((a) => [a.attempt, a.ok])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(receiver.requests.map((r) => r.url).sort()).toEqual(['/failback', '/failover']);
    const body = JSON.parse(receiver.requests.find((r) => r.url === '/failover')!.body);
    expect(body).toMatchObject({ pair: 'f', reason: 'primary down', manual: false });
  });
});

// ---------------------------------------------------------------------------------------------
// A real process killed with SIGKILL

// Each child compiles the engine with tsx on start, which takes seconds on a loaded machine.
const CHILD_TEST_TIMEOUT = 180_000;
const CHILD = fileURLToPath(new URL('./fixtures/engine-child.ts', import.meta.url));

class EngineChild {
  readonly events: EngineEvent[] = [];
  private readonly exited: Promise<void>;
  readonly ready: Promise<void>;

  constructor(
    serverdir: string,
    mode: 'none' | 'kill-after-success',
    private readonly process: ChildProcess = spawn(
      globalThis.process.execPath,
      ['--import', 'tsx', CHILD, serverdir, mode],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    ),
  ) {
    this.exited = new Promise((resolve) => this.process.once('exit', () => resolve()));
    let buffered = '';
    let markReady: () => void = () => {};
    this.ready = new Promise((resolve, reject) => {
      markReady = resolve;
      this.process.once('exit', (code, signal) =>
        reject(new Error(`the engine child ended (${signal ?? code}) before it was ready`)),
      );
    });
    this.process.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line === 'ready') markReady();
        else if (line.startsWith('{')) this.events.push(JSON.parse(line) as EngineEvent);
      }
    });
    cleanups.push(() => this.kill());
  }

  async kill(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
    await this.exited;
  }

  /** A clean stop, as systemd or docker stop asks for one. */
  term(): void {
    this.process.kill('SIGTERM');
  }

  get exitCode(): number | null {
    return this.process.exitCode;
  }

  get wasKilled(): boolean {
    return this.process.signalCode === 'SIGKILL';
  }

  waitExit(): Promise<void> {
    return this.exited;
  }
}

describe('restart: SIGKILL', () => {
  it(
    'killed with the first request of an idempotent action unanswered, then again after success: the action completes exactly once',
    async () => {
      const primary = await fixture();
      const receiver = await fixture();
      receiver.script({ status: 200, delayMs: 20_000 });
      const dir = await tempServerdir(cleanups);
      // A POST marked idempotent by the operator (the receiver deduplicates on {action_id}) may be resent.
      await writeConfig(dir, [
        pairOf(primary, receiver, { id: 'k', action: { ...pairOf(primary, receiver).action, idempotent: true } }),
      ]);

      const first = new EngineChild(dir, 'none');
      await first.ready;
      await waitFor(() => first.events.some((e) => e.type === 'state' && e.to === 'waiting'), 'waiting', 60_000);
      await primary.refuse();
      await waitFor(() => receiver.hits === 1, 'the first action request', 60_000);
      await first.kill();
      expect(first.wasKilled).toBe(true);

      const second = new EngineChild(dir, 'kill-after-success');
      await second.ready;
      await waitFor(
        () => second.events.some((e) => e.type === 'action' && e.phase === 'succeeded'),
        'the action to complete',
        60_000,
      );
      await second.waitExit();
      expect(second.wasKilled).toBe(true);
      expect(receiver.hits).toBe(2);
      expect(second.events.some((e) => e.type === 'state')).toBe(false);

      const third = new EngineChild(dir, 'none');
      await third.ready;
      await waitFor(
        () => third.events.filter((e) => e.type === 'check').length >= 5,
        'checks after the restart',
        60_000,
      );
      expect(receiver.hits).toBe(2);
      expect(third.events.some((e) => e.type === 'action')).toBe(false);
      expect(third.events.some((e) => e.type === 'state')).toBe(false);
      const text = await readConfigText(dir);
      expect(text).toMatch(/>failover<\/state>/);
      expect(text).toMatch(/phase="succeeded"|succeeded/);
    },
    CHILD_TEST_TIMEOUT,
  );

  it(
    'killed right after a successful automatic failover: a restart sends nothing more',
    async () => {
      const primary = await fixture();
      const receiver = await fixture();
      const dir = await tempServerdir(cleanups);
      await writeConfig(dir, [pairOf(primary, receiver, { id: 'k' })]);
      const first = new EngineChild(dir, 'kill-after-success');
      await first.ready;
      await waitFor(() => first.events.some((e) => e.type === 'state' && e.to === 'waiting'), 'waiting', 60_000);
      await primary.refuse();
      await first.waitExit();
      expect(first.wasKilled).toBe(true);
      expect(receiver.hits).toBe(1);

      const second = new EngineChild(dir, 'none');
      await second.ready;
      await waitFor(
        () => second.events.filter((e) => e.type === 'check').length >= 5,
        'checks after the restart',
        60_000,
      );
      expect(receiver.hits).toBe(1);
      expect(second.events.filter((e) => e.type === 'check').length).toBeGreaterThan(0);
      expect(second.events.some((e) => e.type === 'action' || e.type === 'state')).toBe(false);
    },
    CHILD_TEST_TIMEOUT,
  );
});

describe('restart: an action attempt in flight at a stop or a crash', () => {
  it(
    'SIGTERM one second into an 8 s action call: the stop waits for the answer, and a restart sends nothing',
    async () => {
      const primary = await fixture();
      const receiver = await fixture();
      receiver.script({ status: 200, delayMs: 8000 });
      const dir = await tempServerdir(cleanups);
      await writeConfig(dir, [
        pairOf(primary, receiver, { id: 'k', action: { ...pairOf(primary, receiver).action, timeout: 10 } }),
      ]);

      const first = new EngineChild(dir, 'none');
      await first.ready;
      await waitFor(() => first.events.some((e) => e.type === 'state' && e.to === 'waiting'), 'waiting', 60_000);
      await primary.refuse();
      await waitFor(() => receiver.hits === 1, 'the action request', 60_000);
      await sleep(1000);
      first.term();
      await first.waitExit();
      expect(first.exitCode).toBe(0);
      expect(first.events.some((e) => e.type === 'action' && e.phase === 'succeeded')).toBe(true);
      const text = await readConfigText(dir);
      expect(text).toMatch(/phase="succeeded"/);
      expect(text).not.toMatch(/in-flight/);

      const second = new EngineChild(dir, 'none');
      await second.ready;
      await waitFor(() => second.events.some((e) => e.type === 'check'), 'a check after the restart', 60_000);
      expect(second.events.some((e) => e.type === 'action')).toBe(false);
      expect(receiver.hits).toBe(1);
    },
    CHILD_TEST_TIMEOUT,
  );

  it(
    'SIGKILL during the call of a POST action: not sent again; outcome unknown with an alert until an operator marks it done',
    async () => {
      const primary = await fixture();
      const receiver = await fixture();
      receiver.script({ status: 200, delayMs: 20_000 });
      const dir = await tempServerdir(cleanups);
      await writeConfig(dir, [pairOf(primary, receiver, { id: 'k' })]);

      const first = new EngineChild(dir, 'none');
      await first.ready;
      await waitFor(() => first.events.some((e) => e.type === 'state' && e.to === 'waiting'), 'waiting', 60_000);
      await primary.refuse();
      await waitFor(() => receiver.hits === 1, 'the action request', 60_000);
      await first.kill();
      expect(await readConfigText(dir)).toMatch(/in-flight-attempt="1"/);

      const second = new EngineChild(dir, 'none');
      await second.ready;
      await waitFor(
        () => second.events.some((e) => e.type === 'alert' && e.alert === 'action-outcome-unknown'),
        'the outcome-unknown alert',
        60_000,
      );
      expect(second.events).toContainEqual(expect.objectContaining({ type: 'action', phase: 'unknown' }));
      expect(receiver.hits).toBe(1);
      await second.kill();
      expect(await readConfigText(dir)).toMatch(/phase="unknown"/);

      // The operator checked the receiver: mark it done (in this process); nothing is sent.
      const third = await open(dir, cleanups);
      expect((await third.monitor.getPair('k')).action?.phase).toBe('unknown');
      await third.monitor.markActionDone('k', { reason: 'the DNS record shows the standby', operator: 'op' });
      expect((await third.monitor.getPair('k')).action?.phase).toBe('succeeded');
      await third.monitor.close();
      expect(receiver.hits).toBe(1);
      expect(await readConfigText(dir)).toMatch(/phase="succeeded"/);
    },
    CHILD_TEST_TIMEOUT,
  );

  it(
    'SIGKILL during the call of a PUT action: sent again exactly once, with the same {action_id}',
    async () => {
      const primary = await fixture();
      const receiver = await fixture();
      receiver.script({ status: 200, delayMs: 20_000 });
      const dir = await tempServerdir(cleanups);
      const base = pairOf(primary, receiver).action;
      await writeConfig(dir, [
        pairOf(primary, receiver, {
          id: 'k',
          action: { ...base, method: 'PUT', url: receiver.url('/failover/{action_id}') },
        }),
      ]);

      const first = new EngineChild(dir, 'none');
      await first.ready;
      await waitFor(() => first.events.some((e) => e.type === 'state' && e.to === 'waiting'), 'waiting', 60_000);
      await primary.refuse();
      await waitFor(() => receiver.hits === 1, 'the action request', 60_000);
      await first.kill();

      const second = new EngineChild(dir, 'none');
      await second.ready;
      await waitFor(
        () => second.events.some((e) => e.type === 'action' && e.phase === 'succeeded'),
        'the resent attempt to succeed',
        60_000,
      );
      await second.kill();
      expect(receiver.hits).toBe(2);
      expect(receiver.requests[1]!.url).toBe(receiver.requests[0]!.url);
      expect(receiver.requests.every((r) => r.method === 'PUT')).toBe(true);

      const third = new EngineChild(dir, 'none');
      await third.ready;
      await waitFor(() => third.events.some((e) => e.type === 'check'), 'a check after the restart', 60_000);
      expect(third.events.some((e) => e.type === 'action')).toBe(false);
      expect(receiver.hits).toBe(2);
    },
    CHILD_TEST_TIMEOUT,
  );
});
