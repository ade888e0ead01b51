// Fault scenario "HTTP up, SIP dead": the primary's web server keeps answering 200 while its SIP stack
// hangs (sipp, a real SIP UAS on the primary host, stopped with SIGSTOP). A pair with <primary-sip>
// must fail over exactly once, after interval × (tolerated + 1) plus verification, and PowerDNS must
// point the name at the standby. Same lab as scenarios.test.ts (namespaces, PowerDNS, counting proxy).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult, EngineEvent, PairState } from '../../src/shared/model.js';
import { Lab, PRIMARY, STANDBY } from './lab.js';
import { INTERVAL, faultPair } from './pairs.js';
import { writeSection } from './report-sections.js';
import { WatcherProcess } from './watcher-process.js';

const SCENARIO = fileURLToPath(new URL('../helpers/sipp-options-uas.xml', import.meta.url));
const WAIT = 30_000;
const ID = 'sip1';
const SIP_PORT = 5060;
const HTTP_PORT = 8101;
const TOLERATED = 2;

let lab: Lab;
let watcher: WatcherProcess | undefined;
let sipp: ChildProcess | undefined;
let suiteStart = 0;
const EXPECTED =
  'the pair fails over exactly once, after interval × (tolerated + 1) plus verification; each failed check names SIP beside HTTP 200; the name points at the standby';
const result = { observed: '', faultToAction: '–', pass: false, ran: false };

const isState = (to: PairState) => (e: EngineEvent) => e.type === 'state' && e.pair === ID && e.to === to;
const primaryCheck = (e: EngineEvent): CheckResult | undefined =>
  e.type === 'check' && e.pair === ID && e.result.target === 'primary' ? e.result : undefined;

describe('failover under real faults: SIP', () => {
  beforeAll(async () => {
    suiteStart = Date.now();
    lab = await Lab.open([ID]);
  });

  afterAll(async () => {
    await watcher?.stop();
    if (sipp && sipp.exitCode === null && sipp.signalCode === null) {
      const gone = new Promise((r) => sipp!.once('exit', r));
      sipp.kill('SIGKILL');
      await gone;
    }
    await lab?.close();
    if (!result.ran) return;
    const doc = await writeSection(
      'sip',
      'SIP OPTIONS checks (`<primary-sip>`)',
      `The primary host runs sipp (\`test/helpers/sipp-options-uas.xml\`, a UAS answering OPTIONS with 200) beside its web
server; the pair has \`<primary-sip transport="udp">sip:${PRIMARY}:${SIP_PORT}</primary-sip>\`, interval ${INTERVAL} s, ${TOLERATED}
tolerated. The fault: sipp stopped with SIGSTOP (a hung SIP stack) while the web server keeps answering 200. "Fault →
action" runs from the SIGSTOP to the action request arriving at the DNS API.

| Scenario | Expected | Observed | Fault → action | Result |
| --- | --- | --- | --- | --- |
| SIP1. HTTP up, SIP dead | ${EXPECTED} | ${result.observed} | ${result.faultToAction} | ${result.pass ? 'pass' : 'FAIL'} |`,
      { passed: result.pass ? 1 : 0, total: 1, runtimeMs: Date.now() - suiteStart, file: 'test/faults/sip.test.ts' },
    );
    console.log(`written to ${doc}`);
  });

  it('SIP1. HTTP up, SIP dead: fails over exactly once after interval × (tolerated + 1) plus verification', async () => {
    result.ran = true;
    await lab.agents.primary.serve(ID, PRIMARY, HTTP_PORT);
    // `ip netns exec` execs sipp itself: the child's pid is sipp's, so SIGSTOP hangs the SIP stack.
    sipp = spawn(
      'ip',
      ['netns', 'exec', lab.net.ns('primary'), 'sipp', '-sf', SCENARIO, '-i', PRIMARY, '-p', String(SIP_PORT)].concat([
        '-nostdin',
        '-trace_err',
      ]),
      { stdio: 'ignore', cwd: lab.dir },
    );
    const dir = join(lab.dir, 'serverdir-sip');
    await mkdir(dir, { recursive: true });
    watcher = await WatcherProcess.start(lab.net.ns('watcher'), dir);
    const settings = {
      ...faultPair(ID, lab.apiKey, { port: HTTP_PORT, tolerated: TOLERATED }),
      primarySip: { uri: `sip:${PRIMARY}:${SIP_PORT}`, transport: 'udp' as const, accept: '200-299' },
    };
    await watcher.call('addPair', settings, { reason: 'fault suite', operator: 'fault-suite' });
    // Waiting means both halves answered (sipp may take a moment to listen: starting until then).
    await watcher.waitFor(isState('waiting'), WAIT, 0, `${ID} to reach waiting`);
    const good = watcher.events.map((e) => primaryCheck(e.event)).find((r) => r?.ok);
    expect(good?.sip).toMatchObject({ ok: true, code: 200, transport: 'udp' });

    const mark = watcher.events.length;
    const faultAt = Date.now();
    sipp.kill('SIGSTOP');
    await watcher.waitFor(
      (e) => e.type === 'action' && e.pair === ID && e.kind === 'failover' && e.phase === 'succeeded',
      WAIT,
      mark,
      `${ID} failover action to succeed`,
    );
    const reqs = await lab.requestsFor(ID);
    const tookMs = (reqs[0]?.at ?? Date.now()) - faultAt;
    // A few more intervals: a second request would show up by now.
    const seen = watcher.events.length;
    await watcher.waitFor(
      () => watcher!.events.slice(seen).filter((e) => primaryCheck(e.event)).length >= 6,
      WAIT,
      seen,
      'six more checks in failover',
    );
    const after = await lab.requestsFor(ID);
    const events = watcher.events.slice(mark).map((e) => e.event);
    const verifying = events.findIndex(isState('verifying'));
    const failedBefore = events
      .slice(0, verifying)
      .map(primaryCheck)
      .filter((r): r is CheckResult => r !== undefined && !r.ok);
    const dns = await lab.pointsAt(ID);
    result.observed =
      `name → ${dns}; ${after.length} action request(s); verifying after ${failedBefore.length} failed checks in a row ` +
      `("${failedBefore[0]?.error ?? ''}", HTTP ${failedBefore[0]?.status}); ${events.filter(isState('failover')).length} failover`;
    result.faultToAction = `${(tookMs / 1000).toFixed(2)} s (detection ≈ ${INTERVAL} s × ${TOLERATED + 1} + verification)`;
    console.log(`SIP1. HTTP up, SIP dead: ${result.observed}; fault → action ${result.faultToAction}`);
    expect(dns).toBe(STANDBY);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ outcome: 'forwarded', status: 204 });
    expect(failedBefore).toHaveLength(TOLERATED + 1);
    for (const r of failedBefore) {
      expect(r.status).toBe(200);
      expect(r.error).toBe(`SIP OPTIONS: no SIP answer in ${INTERVAL} s`);
    }
    expect(events.filter(isState('failover'))).toHaveLength(1);
    expect(tookMs).toBeGreaterThanOrEqual(INTERVAL * 1000 * TOLERATED);
    result.pass = true;
  });
});
