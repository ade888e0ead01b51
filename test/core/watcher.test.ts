import { afterEach, describe, expect, it } from 'vitest';
import { engineContext } from '../../src/core/engine-context.js';
import { createHttpClient } from '../../src/core/http-client.js';
import { Watcher } from '../../src/core/watcher.js';
import type { ActionEvent, AlertEvent, CheckEvent, StateEvent } from '../../src/shared/model.js';
import type { Timers } from '../../src/core/ports.js';
import { EventLog, pairSettings, startWatcher, type WatcherHarness } from '../helpers/engine-fixtures.js';
import { type FixtureAnswer, HttpFixture, waitFor } from '../helpers/http-fixtures.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function fixture(answer: FixtureAnswer = { status: 200 }): Promise<HttpFixture> {
  const f = await HttpFixture.start(answer);
  cleanups.push(() => f.close());
  return f;
}

function run(...args: Parameters<typeof startWatcher>): WatcherHarness {
  const h = startWatcher(...args);
  cleanups.push(() => h.stop());
  return h;
}

const primaryChecks = (log: EventLog): CheckEvent[] =>
  log.events.filter((e): e is CheckEvent => e.type === 'check' && e.result.target === 'primary');
const standbyChecks = (log: EventLog): CheckEvent[] =>
  log.events.filter((e): e is CheckEvent => e.type === 'check' && e.result.target === 'standby');

describe('watcher: starting', () => {
  it('does not count failures until the primary has answered once, then goes to waiting', async () => {
    const primary = await fixture({ status: 503 });
    const h = run(pairSettings({ primaryUrl: primary.url(), toleratedFailures: 1 }));
    await waitFor(() => primaryChecks(h.log).length >= 6, 'six failed checks while starting');
    expect(h.watcher.currentState).toBe('starting');
    expect(h.watcher.status().consecutiveFailures).toBe(0);
    expect(h.log.states()).toEqual([]);
    primary.setStatus(200);
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    const event = h.log.events.find((e) => e.type === 'state') as StateEvent;
    expect(event).toMatchObject({ from: 'starting', to: 'waiting', manual: false, pair: 'acme' });
  });
});

describe('watcher: starting after a restart, and stuck in starting', () => {
  it('a pair whose primary had answered comes back in waiting and fails over after the usual count', async () => {
    const primary = await fixture({ status: 503 });
    const receiver = await fixture();
    const since = '2026-11-27T08:00:00.000Z';
    const h = run(pairSettings({ primaryUrl: primary.url(), actionUrl: receiver.url('/dns'), toleratedFailures: 2 }), {
      state: 'waiting',
      since,
      primaryAnswered: true,
    });
    expect(h.watcher.status()).toMatchObject({ state: 'waiting', since, consecutiveFailures: 0 });
    await waitFor(() => h.watcher.status().action?.phase === 'succeeded', 'failover action sent');
    expect(h.log.states()).toEqual(['verifying', 'failover']);
    // Failures counted from zero: exactly tolerated + 1 before verifying.
    const beforeVerifying = h.log.events.slice(
      0,
      h.log.events.findIndex((e) => e.type === 'state'),
    );
    expect(
      beforeVerifying
        .filter((e) => e.type === 'check' && e.result.target === 'primary')
        .map((e) => (e as CheckEvent).consecutiveFailures),
    ).toEqual([1, 2, 3]);
    expect(receiver.hits).toBe(1);
    expect(h.watcher.persisted().primaryAnswered).toBe(true);
  });

  it('a file without primary-answered: waiting implies it, starting does not', async () => {
    const primary = await fixture({ status: 503 });
    const settings = pairSettings({ primaryUrl: primary.url() });
    const since = '2026-11-27T08:00:00.000Z';
    const waiting = run(settings, { state: 'verifying', since });
    const starting = run(settings, { state: 'starting', since });
    const never = run(settings, { state: 'waiting', since, primaryAnswered: false });
    expect(waiting.watcher.currentState).toBe('waiting');
    expect(starting.watcher.currentState).toBe('starting');
    expect(never.watcher.currentState).toBe('starting');
    await waitFor(
      () => waiting.watcher.currentState === 'verifying' || waiting.watcher.currentState === 'failover',
      'counting',
    );
    expect(starting.watcher.status().consecutiveFailures).toBe(0);
    expect(starting.watcher.persisted().primaryAnswered).toBeUndefined();
  });

  it('alerts stuck-starting once per stay, after interval x (tolerated + 1) x 3', async () => {
    const primary = await fixture({ status: 503 });
    // A test clock: the monotonic time the watcher measures the stay with jumps ahead when the test says.
    let ahead = 0;
    const clock = { now: () => Date.now(), monotonic: () => performance.now() + ahead };
    const client = createHttpClient();
    const log = new EventLog();
    const settings = pairSettings({ primaryUrl: primary.url(), interval: 0.1, toleratedFailures: 99 });
    const limitMs = 100 * 100 * 3; // 30 s
    const watcher = new Watcher(settings, {
      ctx: engineContext({ client, clock }),
      hooks: { emit: log.push, persistSoon() {}, persistNow: async () => {} },
    });
    cleanups.push(async () => {
      await watcher.stop(1000);
      await client.close();
    });
    watcher.start(0);
    await waitFor(() => primaryChecks(log).length >= 5, 'five failed checks while starting');
    expect(log.alerts('stuck-starting')).toHaveLength(0);

    ahead += limitMs + 1_000;
    await waitFor(() => log.alerts('stuck-starting').length === 1, 'stuck-starting alert');
    const seen = primaryChecks(log).length;
    await waitFor(() => primaryChecks(log).length >= seen + 5, 'five more checks');
    expect(log.alerts('stuck-starting')).toHaveLength(1);
    expect(log.alerts('stuck-starting')[0]).toMatchObject({
      severity: 'warning',
      pair: 'acme',
      message: expect.stringContaining('has not answered once (status 503)'),
    });

    // A new stay (resume after a pause) is measured afresh and alerted again.
    watcher.pause('maintenance', 'op');
    watcher.resume('done', 'op');
    const resumedAt = primaryChecks(log).length;
    await waitFor(() => primaryChecks(log).length >= resumedAt + 5, 'checks after resume');
    expect(log.alerts('stuck-starting')).toHaveLength(1);
    ahead += limitMs + 1_000;
    await waitFor(() => log.alerts('stuck-starting').length === 2, 'second stuck-starting alert');
    expect(watcher.currentState).toBe('starting');
  });
});

describe('watcher: tolerated failures', () => {
  it('tolerates n failures in a row and fails over on the (n+1)-th', async () => {
    const primary = await fixture();
    const receiver = await fixture();
    const h = run(pairSettings({ primaryUrl: primary.url(), actionUrl: receiver.url('/dns'), toleratedFailures: 3 }));
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');

    // Exactly n = 3 failures, then an answer: no verification.
    primary.script({ status: 500 }, { status: 500 }, { status: 500 });
    await waitFor(() => primaryChecks(h.log).some((e) => e.consecutiveFailures === 3), 'three failures counted');
    await waitFor(() => h.watcher.status().consecutiveFailures === 0, 'count reset by a success');
    expect(h.log.states()).toEqual(['waiting']);

    // n + 1 = 4 failures: verifying (no validation URLs, quorum 0), failover, one action.
    primary.setStatus(500);
    await waitFor(() => h.watcher.currentState === 'failover', 'failover');
    expect(h.log.states()).toEqual(['waiting', 'verifying', 'failover']);
    const verifying = h.log.events.find((e) => e.type === 'state' && e.to === 'verifying') as StateEvent;
    expect(verifying.reason).toMatch(/4 failed checks in a row \(3 tolerated\)/);
    await waitFor(() => h.watcher.status().action?.phase === 'succeeded', 'action succeeded');
    expect(receiver.hits).toBe(1);
    const decision = h.watcher.status().lastDecision!;
    expect(decision.to).toBe('failover');
    expect(decision.primary.length).toBe(5);
    expect(decision.primary.every((c) => !c.ok && c.error === 'status 500')).toBe(true);
    expect(h.log.alerts('verifying')).toHaveLength(1);
    expect(h.log.alerts('failover')).toHaveLength(1);
    expect(JSON.parse(receiver.requests[0]!.body)).toEqual({
      pair: 'acme',
      to: 'failover',
      reason: expect.stringContaining('primary failed'),
      manual: false,
    });
  });

  it('never fails over on flapping F F S with three tolerated failures', async () => {
    const primary = await fixture();
    const receiver = await fixture();
    const h = run(pairSettings({ primaryUrl: primary.url(), actionUrl: receiver.url(), toleratedFailures: 3 }));
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    for (let i = 0; i < 8; i++)
      primary.script(
        { status: 500 },
        { status: 500 },
        { status: 200 },
        { status: 500 },
        { status: 500 },
        { status: 200 },
      );
    const start = primary.hits;
    await waitFor(() => primary.hits >= start + 48, 'the flapping script played', 20_000);
    expect(h.log.states()).toEqual(['waiting']);
    expect(Math.max(...primaryChecks(h.log).map((e) => e.consecutiveFailures))).toBe(2);
    expect(receiver.hits).toBe(0);
  });
});

describe('watcher: timeouts', () => {
  it('counts an answer just under the timeout as up and just over as a failure', async () => {
    const primary = await fixture({ status: 200 });
    const h = run(pairSettings({ primaryUrl: primary.url(), interval: 0.2, timeout: 0.4, toleratedFailures: 50 }));
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    primary.setStatus(200, 250);
    const before = primaryChecks(h.log).length;
    await waitFor(() => primaryChecks(h.log).length >= before + 3, 'three slow checks');
    const slow = primaryChecks(h.log).slice(before + 1);
    expect(slow.every((e) => e.result.ok)).toBe(true);
    expect(slow.every((e) => e.result.latencyMs >= 240)).toBe(true);

    primary.setStatus(200, 700);
    await waitFor(() => h.watcher.status().consecutiveFailures >= 2, 'two timed-out checks');
    const failed = primaryChecks(h.log).filter((e) => !e.result.ok);
    expect(failed[0]!.result.error).toBe('timed out after 0.4 s');
    expect(failed[0]!.result.status).toBeUndefined();
  });

  it('does not count checks that an event-loop stall delayed as failures', async () => {
    const primary = await fixture({ status: 200 });
    const h = run(pairSettings({ primaryUrl: primary.url(), interval: 0.1, timeout: 0.3, toleratedFailures: 0 }));
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    // Stall the whole process right after the primary's answer was written: the answer waits in the
    // socket while the check's deadline passes.
    const stall = (): void => {
      const until = Date.now() + 800;
      while (Date.now() < until) {
        // busy
      }
    };
    primary.script(
      { status: 200, after: stall },
      { status: 200 },
      { status: 200, after: stall },
      { status: 200 },
      { status: 200, after: stall },
    );
    const seen = primary.hits;
    await waitFor(() => primary.hits >= seen + 6, 'the stalls played', 20_000);
    const judged = primaryChecks(h.log).length;
    await waitFor(() => primaryChecks(h.log).length >= judged + 2, 'two checks after the stalls');
    expect(h.log.states()).toEqual(['waiting']);
    expect(primaryChecks(h.log).every((e) => e.result.ok)).toBe(true);
  });
});

describe('watcher: verifying', () => {
  it('fails over when k of m validation URLs answer (quorum)', async () => {
    const primary = await fixture();
    const receiver = await fixture();
    const v1 = await fixture({ status: 200 });
    const v2 = await fixture({ status: 503 });
    const v3 = await fixture({ status: 200 });
    const h = run(
      pairSettings({
        primaryUrl: primary.url(),
        actionUrl: receiver.url(),
        toleratedFailures: 1,
        validation: { quorum: 2, urls: [v1.url(), v2.url(), v3.url()] },
      }),
    );
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    await primary.refuse();
    await waitFor(() => h.watcher.currentState === 'failover', 'failover');
    const decision = h.watcher.status().lastDecision!;
    expect(decision.validation.map((c) => c.ok)).toEqual([true, false, true]);
    expect(decision.primary.every((c) => c.error === 'connection refused')).toBe(true);
    const failoverEvent = h.log.events.find((e) => e.type === 'state' && e.to === 'failover') as StateEvent;
    expect(failoverEvent.reason).toMatch(/2 of 3 validation URLs answered \(quorum 2\)/);
    await waitFor(() => receiver.hits === 1, 'one action request');
  });

  it('goes back to waiting with an isolated alert when fewer than k validation URLs answer', async () => {
    const primary = await fixture();
    const receiver = await fixture();
    const v1 = await fixture({ status: 200 });
    const v2 = await fixture({ status: 500 });
    const h = run(
      pairSettings({
        primaryUrl: primary.url(),
        actionUrl: receiver.url(),
        toleratedFailures: 1,
        validation: { quorum: 2, urls: [v1.url(), v2.url()] },
      }),
    );
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    await primary.refuse();
    const rounds = (): number =>
      h.log.events.filter((e) => e.type === 'check' && e.result.target === 'validation' && e.result.url === v1.url())
        .length;
    await waitFor(() => rounds() >= 3, 'three isolated verifications');
    // One isolation episode: one alert, one move back to waiting, "in state" from its start.
    expect(h.log.alerts('isolated')).toHaveLength(1);
    expect(h.log.alerts('verifying')).toHaveLength(1);
    expect(h.log.states()).toEqual(['waiting', 'verifying', 'waiting']);
    const back = h.log.events.filter((e): e is StateEvent => e.type === 'state')[2]!;
    expect(back.reason).toMatch(/watcher isolated: cannot reach the validation URLs/);
    const status = h.watcher.status();
    expect(status).toMatchObject({ state: 'waiting', isolated: true, since: back.at, isolatedSince: back.at });
    expect(status.reason).toBe(back.reason);
    expect(status.lastDecision).toMatchObject({ to: 'waiting' });
    // The count restarts from zero after an isolated verification, so it takes n + 1 failures again.
    const afterIsolated = h.log.events
      .slice(h.log.events.indexOf(back) + 1)
      .filter((e): e is CheckEvent => e.type === 'check' && e.result.target === 'primary');
    expect(afterIsolated[0]!.consecutiveFailures).toBe(1);
    const perRound = afterIsolated.filter((e) => e.consecutiveFailures === 2).length;
    expect(perRound).toBeGreaterThanOrEqual(2);
    expect(receiver.hits).toBe(0);

    // Connectivity comes back: the next verification fails over.
    v2.setStatus(200);
    await waitFor(() => h.watcher.currentState === 'failover', 'failover');
    expect(h.watcher.status().isolated).toBe(false);
    expect(h.watcher.status().isolatedSince).toBeUndefined();
    expect(h.log.states()).toEqual(['waiting', 'verifying', 'waiting', 'failover']);
    await waitFor(() => receiver.hits === 1, 'one action request');
  });

  it('goes back to waiting when the primary answers during verification', async () => {
    const primary = await fixture();
    const receiver = await fixture();
    const validation = await fixture({ status: 200, delayMs: 50 });
    const h = run(
      pairSettings({
        primaryUrl: primary.url(),
        actionUrl: receiver.url(),
        toleratedFailures: 1,
        validation: { quorum: 1, urls: [validation.url()] },
      }),
    );
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    primary.script({ status: 500 }, { status: 500 });
    await waitFor(() => h.log.alerts('primary-recovered').length === 1, 'primary recovered');
    expect(h.log.states()).toEqual(['waiting', 'verifying', 'waiting']);
    expect(h.watcher.status().consecutiveFailures).toBe(0);
    const recovered = primaryChecks(h.log).length;
    await waitFor(() => primaryChecks(h.log).length >= recovered + 3, 'three checks after the recovery');
    expect(h.watcher.currentState).toBe('waiting');
    expect(receiver.hits).toBe(0);
  });
});

describe('watcher: failover', () => {
  it('keeps probing, alerts once when the primary answers again, never fails back by itself; re-arm with failback', async () => {
    const primary = await fixture();
    const standby = await fixture();
    const receiver = await fixture();
    const settings = pairSettings({
      primaryUrl: primary.url(),
      standbyUrl: standby.url(),
      actionUrl: receiver.url('/failover'),
      toleratedFailures: 0,
    });
    settings.failbackAction = { ...settings.action, url: receiver.url('/failback?pair={pair}&to={to}') };
    const h = run(settings);
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    await primary.refuse();
    await waitFor(() => h.watcher.status().action?.phase === 'succeeded', 'failover action done');
    await primary.accept();
    await waitFor(() => h.watcher.status().primaryAnswering, 'primary answering');
    const seen = primary.hits;
    await waitFor(() => primary.hits >= seen + 5, 'five more checks of the primary');
    expect(h.watcher.currentState).toBe('failover');
    expect(h.log.alerts('primary-answering')).toHaveLength(1);
    expect((h.log.alerts('primary-answering')[0] as AlertEvent).severity).toBe('critical');
    expect(h.log.events.some((e) => e.type === 'check' && e.result.target === 'standby')).toBe(true);

    expect(() => h.watcher.failover('again', 'op')).toThrow(/already in failover/);
    expect(() => h.watcher.pause('maint', 'op')).toThrow(/re-arm it before pausing/);
    h.watcher.rearm('primary repaired', 'alice', true);
    expect(h.watcher.currentState).toBe('starting');
    expect(h.watcher.status().reason).toBe('primary repaired');
    await waitFor(() => receiver.requests.some((r) => r.url.startsWith('/failback')), 'failback request');
    expect(receiver.requests.map((r) => r.url)).toEqual(['/failover', '/failback?pair=acme&to=starting']);
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting again');
    const rearm = h.log.events.find((e) => e.type === 'state' && e.from === 'failover') as StateEvent;
    expect(rearm).toMatchObject({ to: 'starting', manual: true, operator: 'alice', reason: 'primary repaired' });
    // The reason shown is that of the move into the state shown.
    expect(h.watcher.status().reason).toBe('primary answered');
    expect(() => h.watcher.rearm('x', 'op', false)).toThrow(/not in failover/);
  });
});

describe('watcher: paused and manual failover', () => {
  it('counts nothing while paused; resume starts again at starting', async () => {
    const primary = await fixture();
    const receiver = await fixture();
    const h = run(pairSettings({ primaryUrl: primary.url(), actionUrl: receiver.url(), toleratedFailures: 0 }));
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    h.watcher.pause('PBX update 8.1', 'bob');
    primary.setStatus(500);
    const seen = primary.hits;
    await waitFor(() => primary.hits >= seen + 5, 'checks while paused');
    expect(h.watcher.currentState).toBe('paused');
    expect(h.watcher.status().consecutiveFailures).toBe(0);
    expect(() => h.watcher.pause('again', 'bob')).toThrow(/already paused/);
    primary.setStatus(200);
    h.watcher.resume('update done', 'bob');
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    expect(h.log.states()).toEqual(['waiting', 'paused', 'starting', 'waiting']);
    expect(receiver.hits).toBe(0);
    expect(() => h.watcher.resume('x', 'bob')).toThrow(/not paused/);
  });

  it('fails over by hand from paused with the reason in the action', async () => {
    const primary = await fixture();
    const receiver = await fixture();
    const h = run(pairSettings({ primaryUrl: primary.url(), actionUrl: receiver.url() }));
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    h.watcher.pause('maintenance', 'carol');
    h.watcher.failover('data center "A" evacuation', 'carol');
    expect(h.watcher.currentState).toBe('failover');
    await waitFor(() => receiver.hits === 1, 'action');
    expect(JSON.parse(receiver.requests[0]!.body)).toEqual({
      pair: 'acme',
      to: 'failover',
      reason: 'data center "A" evacuation',
      manual: true,
    });
    const alert = h.log.alerts('failover')[0] as AlertEvent;
    expect(alert.message).toMatch(/manual failover by carol/);
    const failedOver = primaryChecks(h.log).length;
    await waitFor(() => primaryChecks(h.log).length >= failedOver + 3, 'three checks in failover');
    expect(h.watcher.currentState).toBe('failover');
    expect(receiver.hits).toBe(1);
  });
});

describe('watcher: standby and bodies', () => {
  it('alerts when the standby goes down and comes back, without changing state', async () => {
    const primary = await fixture();
    const standby = await fixture();
    const h = run(pairSettings({ primaryUrl: primary.url(), standbyUrl: standby.url() }));
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    await standby.refuse();
    await waitFor(() => h.watcher.status().standbyDown, 'standby down');
    const down = standbyChecks(h.log).length;
    await waitFor(() => standbyChecks(h.log).length >= down + 3, 'three more checks of the standby');
    expect(h.log.alerts('standby-down')).toHaveLength(1);
    await standby.accept();
    await waitFor(() => h.log.alerts('standby-up').length === 1, 'standby up');
    expect(h.watcher.status().standbyDown).toBe(false);
    expect(h.log.states()).toEqual(['waiting']);
  });

  it('reads only a capped part of a primary that streams an endless body', async () => {
    const primary = await fixture({ status: 200, body: 'endless' });
    const h = run(pairSettings({ primaryUrl: primary.url(), interval: 0.1, timeout: 2 }));
    const rssBefore = process.memoryUsage().rss;
    await waitFor(() => primaryChecks(h.log).length >= 20, 'twenty checks');
    expect(primaryChecks(h.log).every((e) => e.result.ok)).toBe(true);
    expect(h.watcher.currentState).toBe('waiting');
    // Each check stops reading after 64 KiB; what the server pushed is bounded by socket buffers.
    expect(primary.streamedBytes / primary.hits).toBeLessThan(8 * 1024 * 1024);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * 1024 * 1024);
  });

  it('does not follow redirects and names the status', async () => {
    const primary = await fixture({ status: 302 });
    const h = run(pairSettings({ primaryUrl: primary.url(), acceptStatus: '200-299' }));
    await waitFor(() => primaryChecks(h.log).length >= 2, 'checks');
    expect(primaryChecks(h.log)[0]!.result).toMatchObject({ ok: false, status: 302, error: 'status 302' });
    expect(h.watcher.currentState).toBe('starting');
  });
});

describe('watcher: says what is true (incident issue)', () => {
  it('shows the failed checks as the reason of an automatic failover, not an earlier operator reason', async () => {
    const primary = await fixture();
    const receiver = await fixture();
    const validation = await fixture();
    const h = run(
      pairSettings({
        primaryUrl: primary.url(),
        actionUrl: receiver.url(),
        toleratedFailures: 1,
        validation: { quorum: 1, urls: [validation.url()] },
      }),
    );
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    h.watcher.pause('PBX update 8.1', 'bob');
    expect(h.watcher.status().reason).toBe('PBX update 8.1');
    h.watcher.resume('update done', 'bob');
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting again');
    expect(h.watcher.status().reason).toBe('primary answered');
    await primary.refuse();
    await waitFor(() => h.watcher.currentState === 'failover', 'failover');
    const status = h.watcher.status();
    expect(status.reason).toMatch(
      /^primary failed 3 checks in a row \(connection refused.*1 of 1 validation URLs answered \(quorum 1\)$/,
    );
    expect(status.lastDecision).toMatchObject({ to: 'failover', validation: [{ ok: true }] });
    expect(status.lastDecision!.primary.length).toBeGreaterThanOrEqual(2);
    expect(status.lastDecision!.manual).toBeUndefined();
  });

  it('fills the decision of a manual failover with who and why, and what was last seen', async () => {
    const primary = await fixture();
    const receiver = await fixture();
    const h = run(pairSettings({ primaryUrl: primary.url(), actionUrl: receiver.url() }));
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    expect(h.watcher.status().lastDecision).toBeUndefined();
    h.watcher.failover('planned move to DC-2', 'dave');
    const decision = h.watcher.status().lastDecision!;
    expect(decision).toMatchObject({
      to: 'failover',
      manual: { operator: 'dave', reason: 'planned move to DC-2' },
      validation: [],
    });
    expect(decision.primary).toEqual([expect.objectContaining({ target: 'primary', ok: true })]);
    expect(h.watcher.status().reason).toBe('planned move to DC-2');
  });

  it('says "after a manual failover" when the primary left running answers, and tells to stop it', async () => {
    const primary = await fixture();
    const receiver = await fixture();
    const h = run(pairSettings({ primaryUrl: primary.url(), actionUrl: receiver.url() }));
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    h.watcher.failover('planned move to DC-2', 'dave');
    await waitFor(() => h.log.alerts('primary-answering').length === 1, 'primary answering alert');
    expect((h.log.alerts('primary-answering')[0] as AlertEvent).message).toMatch(
      /after a manual failover.*stop the primary/,
    );
  });

  it('says nothing of a manual failover when the failover was automatic', async () => {
    const primary = await fixture();
    const receiver = await fixture();
    const h = run(pairSettings({ primaryUrl: primary.url(), actionUrl: receiver.url(), toleratedFailures: 0 }));
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    await primary.refuse();
    await waitFor(() => h.watcher.currentState === 'failover', 'failover');
    await primary.accept();
    await waitFor(() => h.log.alerts('primary-answering').length === 1, 'primary answering alert');
    expect((h.log.alerts('primary-answering')[0] as AlertEvent).message).not.toMatch(/manual/);
  });

  it('ends an isolation episode when the primary answers; a new outage is a new episode', async () => {
    const primary = await fixture();
    const receiver = await fixture();
    const validation = await fixture({ status: 500 });
    const h = run(
      pairSettings({
        primaryUrl: primary.url(),
        actionUrl: receiver.url(),
        toleratedFailures: 1,
        validation: { quorum: 1, urls: [validation.url()] },
      }),
    );
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    await primary.refuse();
    await waitFor(() => h.watcher.status().isolated, 'isolated');
    await primary.accept();
    await waitFor(() => !h.watcher.status().isolated, 'episode over');
    expect(h.watcher.status().isolatedSince).toBeUndefined();
    expect(h.watcher.status().reason).toMatch(/watcher is connected again/);
    await primary.refuse();
    await waitFor(() => h.log.alerts('isolated').length === 2, 'a second episode');
    expect(h.log.alerts('verifying')).toHaveLength(2);
    expect(receiver.hits).toBe(0);
  });

  it('warns in the status when a pair has no isolation protection', async () => {
    const primary = await fixture();
    const h = run(pairSettings({ primaryUrl: primary.url(), validation: { quorum: 0, urls: [] } }));
    expect(h.watcher.status().warnings).toEqual([expect.stringMatching(/no isolation protection/)]);
    const protectedPair = run(
      pairSettings({ id: 'beta', primaryUrl: primary.url(), validation: { quorum: 1, urls: [primary.url()] } }),
    );
    expect(protectedPair.watcher.status().warnings).toBeUndefined();
  });
});

describe('watcher: events carry the status they leave (no client re-applies the rules)', () => {
  it('state and action events carry the status after them; check events only when more than the check changed', async () => {
    const primary = await fixture();
    const standby = await fixture();
    const receiver = await fixture();
    const validation = await fixture({ status: 500 });
    const h = run(
      pairSettings({
        primaryUrl: primary.url(),
        standbyUrl: standby.url(),
        actionUrl: receiver.url(),
        toleratedFailures: 1,
        validation: { quorum: 1, urls: [validation.url()] },
      }),
    );
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    const steady = primaryChecks(h.log).length;
    await waitFor(() => primaryChecks(h.log).length >= steady + 3, 'three steady checks');
    // Nothing but the check itself changes while all is well: the bulk of the stream stays small.
    expect(
      primaryChecks(h.log)
        .slice(steady)
        .every((e) => e.status === undefined),
    ).toBe(true);

    await standby.refuse();
    await waitFor(() => h.log.alerts('standby-down').length === 1, 'standby down');
    const downCheck = standbyChecks(h.log).find((e) => !e.result.ok)!;
    expect(downCheck.status).toMatchObject({ standbyDown: true, lastStandby: downCheck.result });
    await standby.accept();
    await waitFor(() => h.log.alerts('standby-up').length === 1, 'standby up');

    // The move back to waiting that begins an isolation episode says so in its status.
    await primary.refuse();
    await waitFor(() => h.log.alerts('isolated').length === 1, 'isolated');
    const states = h.log.events.filter((e): e is StateEvent => e.type === 'state');
    for (const e of states) expect(e.status).toMatchObject({ id: 'acme', state: e.to, since: e.at, reason: e.reason });
    expect(states.at(-1)!.status).toMatchObject({
      state: 'waiting',
      isolated: true,
      isolatedSince: states.at(-1)!.at,
      consecutiveFailures: 0,
    });

    // The primary answering ends the episode: the check that ends it carries the status.
    await primary.accept();
    await waitFor(() => !h.watcher.status().isolated, 'episode over');
    const ended = primaryChecks(h.log).find(
      (e) => e.status && !e.status.isolated && e.result.ok && e.at > states.at(-1)!.at,
    )!;
    expect(ended.status).toMatchObject({
      state: 'waiting',
      isolated: false,
      reason: expect.stringMatching(/connected again/),
    });

    h.watcher.failover('planned move', 'erin');
    await waitFor(() => h.watcher.status().action?.phase === 'succeeded', 'action done');
    const actions = h.log.events.filter((e): e is ActionEvent => e.type === 'action');
    expect(actions.map((e) => e.phase)).toEqual(['pending', 'succeeded']);
    for (const e of actions) expect(e.status?.action).toMatchObject({ kind: 'failover', phase: e.phase, manual: true });
    expect(actions[1]!.status!.action!.attempts).toHaveLength(1);
  });
});

/** Timers the test fires by hand: the watcher checks exactly when the test says. */
class ManualTimers implements Timers {
  private next = 1;
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { fn, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Fire every timer now set. */
  fire(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const t of due) t.fn();
  }
}

describe('watcher: its timers port', () => {
  it('waits on the timers it is given, so a test drives the schedule', async () => {
    const primary = await fixture();
    const timers = new ManualTimers();
    const client = createHttpClient();
    const log = new EventLog();
    const clock = { now: () => Date.now(), monotonic: () => performance.now() };
    const watcher = new Watcher(pairSettings({ primaryUrl: primary.url(), interval: 3600 }), {
      ctx: engineContext({ client, clock, timers }),
      hooks: { emit: log.push, persistSoon() {}, persistNow: async () => {} },
    });
    cleanups.push(async () => {
      await watcher.stop(1000);
      await client.close();
    });
    watcher.start(0);
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([0]);
    expect(primary.hits).toBe(0);
    timers.fire();
    await waitFor(() => primaryChecks(log).length === 1, 'the first check');
    expect(watcher.currentState).toBe('waiting');
    // The next check is an hour away on the port; nothing runs until it fires.
    await waitFor(() => [...timers.pending.values()].some((t) => t.ms > 3_000_000), 'the next slot set');
    expect(primary.hits).toBe(1);
    timers.fire();
    await waitFor(() => primaryChecks(log).length === 2, 'the second check, an hour early');
    expect(primary.hits).toBe(2);
  });
});
