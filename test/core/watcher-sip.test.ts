// The watcher with <primary-sip> / <standby-sip>: real HTTP fixtures and a real SIP responder on loopback.

import { describe, expect, it } from 'vitest';
import type { CheckEvent, StateEvent } from '../../src/shared/model.js';
import type { SipSettings } from '../../src/shared/pbx-health.js';
import { pairSettings, startWatcher, type WatcherHarness } from '../helpers/engine-fixtures.js';
import { waitFor } from '../helpers/http-fixtures.js';
import { startSipResponder, type SipResponder } from '../helpers/sip-responder.js';
import { readFile } from 'node:fs/promises';
import { configFile, open, tempServerdir } from '../helpers/serverdir.js';
import { perTestScope } from '../helpers/test-scope.js';

const scope = perTestScope();

async function responder(): Promise<SipResponder> {
  const r = await startSipResponder();
  scope.cleanups.push(() => r.close());
  return r;
}

function run(...args: Parameters<typeof startWatcher>): WatcherHarness {
  const h = startWatcher(...args);
  scope.cleanups.push(() => h.stop());
  return h;
}

const sipOf = (r: SipResponder, transport: 'udp' | 'tcp' = 'udp'): SipSettings => ({
  uri: `sip:127.0.0.1:${transport === 'udp' ? r.port : r.tcpPort}`,
  transport,
  accept: '200-299',
});

const checks = (h: WatcherHarness, target: 'primary' | 'standby'): CheckEvent[] =>
  h.log.events.filter((e): e is CheckEvent => e.type === 'check' && e.result.target === target);

describe('watcher: the primary is HTTP and SIP OPTIONS together', () => {
  it('HTTP up, SIP dead: fails over exactly once, after interval x (tolerated + 1) plus verification', async () => {
    const [primary, site, receiver] = [await scope.fixture(), await scope.fixture(), await scope.fixture()];
    const sip = await responder();
    const interval = 0.5;
    // Long enough that a loaded machine does not time the HTTP half out as well.
    const timeout = 0.5;
    const h = run(
      pairSettings({
        primaryUrl: primary.url(),
        actionUrl: receiver.url('/dns'),
        interval,
        timeout,
        toleratedFailures: 2,
        validation: { quorum: 1, urls: [site.url()] },
        primarySip: sipOf(sip),
      }),
    );
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    await waitFor(() => checks(h, 'primary').some((e) => e.result.ok && e.result.sip?.code === 200), 'SIP 200');
    const ok = checks(h, 'primary').find((e) => e.result.ok)!.result;
    expect(ok.sip).toMatchObject({ ok: true, code: 200, transport: 'udp', uri: sipOf(sip).uri });
    expect(ok.status).toBe(200);

    sip.silent = true;
    const died = performance.now();
    await waitFor(() => receiver.hits === 1, 'the failover action', 15_000);
    const tookMs = performance.now() - died;
    // At the soonest: a check failing at once, two more an interval apart, then the verification round.
    expect(tookMs).toBeGreaterThanOrEqual((interval * 2 + timeout * 2) * 1000 - 50);
    expect(tookMs).toBeLessThan(((interval * 3 + timeout * 2) * 1000 + 200) * 4);
    expect(h.log.states()).toEqual(['waiting', 'verifying', 'failover']);
    const failover = h.log.events.find((e): e is StateEvent => e.type === 'state' && e.to === 'failover')!;
    expect(failover.reason).toContain('SIP OPTIONS: no SIP answer in 0.5 s');
    expect(failover.reason).not.toContain('HTTP:');
    const decision = h.watcher.status().lastDecision!;
    expect(decision.primary).toHaveLength(4);
    for (const r of decision.primary) {
      expect(r).toMatchObject({ ok: false, status: 200, error: 'SIP OPTIONS: no SIP answer in 0.5 s' });
      expect(r.sip).toMatchObject({ ok: false, error: 'no SIP answer in 0.5 s' });
    }
    // Exactly once: more checks of the dead SIP in failover change nothing.
    const seen = checks(h, 'primary').length;
    await waitFor(() => checks(h, 'primary').length >= seen + 3, 'three more checks in failover');
    expect(receiver.hits).toBe(1);
    expect(h.log.states()).toEqual(['waiting', 'verifying', 'failover']);
    expect(h.log.alerts('failover')).toHaveLength(1);
    // Every check is a new transaction: as many branches as checks (retransmissions reuse theirs).
    expect(new Set(sip.requests.map((q) => q.branch)).size).toBeGreaterThanOrEqual(checks(h, 'primary').length);
  });

  it('HTTP down, SIP up: the failure names HTTP; SIP refused with 503 names SIP with its code', async () => {
    const primary = await scope.fixture(503);
    const sip = await responder();
    sip.script = () => [{ status: 503, reason: 'Service Unavailable' }];
    const h = run(pairSettings({ primaryUrl: primary.url(), primarySip: sipOf(sip, 'tcp') }));
    await waitFor(() => checks(h, 'primary').length >= 2, 'two checks');
    expect(checks(h, 'primary')[0]!.result).toMatchObject({
      ok: false,
      status: 503,
      error: 'HTTP: status 503; SIP OPTIONS: status 503',
      sip: { ok: false, code: 503, transport: 'tcp', error: 'status 503' },
    });
    sip.script = () => [{ status: 200, reason: 'OK' }];
    await waitFor(() => checks(h, 'primary').at(-1)!.result.error === 'HTTP: status 503', 'HTTP named alone');
    expect(checks(h, 'primary').at(-1)!.result.sip).toMatchObject({ ok: true, code: 200 });
  });

  it('accept="200-299,403,404,405,488" counts a PBX that refuses strangers as alive', async () => {
    const primary = await scope.fixture();
    const sip = await responder();
    sip.script = () => [{ status: 403, reason: 'Forbidden' }];
    const h = run(
      pairSettings({ primaryUrl: primary.url(), primarySip: { ...sipOf(sip), accept: '200-299,403,404,405,488' } }),
    );
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    expect(checks(h, 'primary')[0]!.result).toMatchObject({ ok: true, sip: { ok: true, code: 403 } });
  });
});

describe('watcher: <standby-sip> is health only', () => {
  it('a dead standby SIP alerts standby-down and never changes the state; with no standby URL SIP alone', async () => {
    const primary = await scope.fixture();
    const sip = await responder();
    const h = run(pairSettings({ primaryUrl: primary.url(), timeout: 1, standbySip: sipOf(sip) }));
    await waitFor(() => checks(h, 'standby').some((e) => e.result.ok), 'standby answers');
    expect(checks(h, 'standby')[0]!.result).toMatchObject({ url: sipOf(sip).uri, sip: { ok: true, code: 200 } });
    expect(checks(h, 'standby')[0]!.result.status).toBeUndefined();
    sip.silent = true;
    await waitFor(() => h.watcher.status().standbyDown, 'standby down');
    expect(h.log.alerts('standby-down')).toHaveLength(1);
    expect((h.log.alerts('standby-down')[0] as { message: string }).message).toContain(
      'SIP OPTIONS: no SIP answer in 1 s',
    );
    sip.silent = false;
    await waitFor(() => !h.watcher.status().standbyDown, 'standby up');
    expect(h.log.alerts('standby-up')).toHaveLength(1);
    expect(h.log.states()).toEqual(['waiting']);
  });
});

describe('Test now probes SIP too', () => {
  it('gives the SIP result beside the HTTP one for the primary and the standby', async () => {
    const [primary, standby] = [await scope.fixture(), await scope.fixture()];
    const sip = await responder();
    const { monitor } = await open(await tempServerdir(scope.cleanups), scope.cleanups);
    const results = await monitor.testUrls(
      pairSettings({
        primaryUrl: primary.url(),
        standbyUrl: standby.url(),
        timeout: 0.5,
        primarySip: sipOf(sip),
        standbySip: { ...sipOf(sip, 'tcp'), accept: '404' },
      }),
    );
    expect(results).toHaveLength(2);
    expect(results[0]).toMatchObject({ target: 'primary', ok: true, status: 200, sip: { ok: true, code: 200 } });
    expect(results[1]).toMatchObject({
      target: 'standby',
      ok: false,
      error: 'SIP OPTIONS: status 200',
      sip: { ok: false, code: 200, transport: 'tcp' },
    });
    expect(sip.requests.map((q) => q.transport).sort()).toEqual(['tcp', 'udp']);
  });
});

describe('the monitor keeps SIP settings', () => {
  it('added through the API, written to the file, read back after a restart, watched with SIP', async () => {
    const primary = await scope.fixture();
    const sip = await responder();
    const dir = await tempServerdir(scope.cleanups);
    const first = await open(dir, scope.cleanups);
    const primarySip = { ...sipOf(sip, 'tcp'), accept: '200-299,403,404,405,488' };
    await first.monitor.addPair(pairSettings({ id: 'acme', primaryUrl: primary.url(), primarySip }));
    await waitFor(() => sip.requests.length > 0, 'a SIP OPTIONS from the monitor');
    await first.monitor.close();
    expect(await readFile(configFile(dir), 'utf8')).toContain(
      `<primary-sip transport="tcp" accept="200-299,403,404,405,488">${primarySip.uri}</primary-sip>`,
    );
    const again = await open(dir, scope.cleanups);
    expect((await again.monitor.getPair('acme')).settings.primarySip).toEqual(primarySip);
    await waitFor(
      () => again.events.some((e) => e.type === 'check' && e.result.sip?.ok === true),
      'a SIP check after the restart',
    );
  });
});
