// Failover readiness under real faults: the real engine in the watcher's namespace, the DNS host's
// PowerDNS as a native primary of the secondary's, the standby and the DNS provider's API on their own
// hosts. Each scenario breaks one thing a failover needs and asks for a readiness round ("Test now"),
// which must name what broke; nothing is ever sent to the DNS API. Its section of RELIABILITY.md is
// written here.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent, PairSettings, ReadinessEvent } from '../../src/shared/model.js';
import { DNS, Lab, PRIMARY, SECONDARY, STANDBY } from './lab.js';
import { faultPair } from './pairs.js';
import { PDNS_API_PORT, ZONE, pointBody } from './pdns.js';
import { writeSection } from './report-sections.js';
import { WatcherProcess } from './watcher-process.js';

const NAMES = ['r1', 'r2', 'r3', 'r4', 'r5'];
const WAIT = 60_000;
const PRIMARY_NS = `${DNS}:53`;
const SECONDARY_NS = `${SECONDARY}:53`;

interface Result {
  label: string;
  title: string;
  expected: string;
  observed: string;
  /** From the fault to the round that found it (the round is asked for at once). */
  faultToNotReadyMs?: number;
  pass: boolean;
}

const results: Result[] = [];
const running = new Set<WatcherProcess>();
let lab: Lab;
let suiteStart = 0;
let registered = 0;

function readyPair(id: string, port: number): PairSettings {
  return {
    ...faultPair(id, lab.apiKey, { port }),
    dnsVerify: {
      name: `${id}.${ZONE}`,
      type: 'A',
      failover: [STANDBY],
      failback: [PRIMARY],
      within: 60,
      maxTtl: 300,
      servers: [PRIMARY_NS, SECONDARY_NS],
    },
  };
}

async function watched(settings: PairSettings, port: number): Promise<WatcherProcess> {
  await lab.agents.primary.serve(settings.id, PRIMARY, port);
  const dir = join(lab.dir, `serverdir-${settings.id}`);
  await mkdir(dir, { recursive: true });
  const w = await WatcherProcess.start(lab.net.ns('watcher'), dir);
  running.add(w);
  await w.call('addPair', settings, { reason: 'fault suite', operator: 'fault-suite' });
  await w.waitFor((e) => e.type === 'state' && e.pair === settings.id && e.to === 'waiting', WAIT, 0, 'waiting');
  return w;
}

/** "Test now" of the stored pair, then its readiness round. */
async function round(w: WatcherProcess, settings: PairSettings): Promise<ReadinessEvent> {
  const mark = w.events.length;
  await w.call('testUrls', settings);
  const isRound = (e: EngineEvent) => e.type === 'readiness' && e.pair === settings.id;
  return (await w.waitFor(isRound, WAIT, mark, 'a readiness round')) as ReadinessEvent;
}

function item(e: ReadinessEvent, key: string) {
  return e.readiness.items.find((i) => i.key === key);
}

/** Changes `name`'s A record through PowerDNS's own API on the DNS host (not through the app). */
async function setRecord(name: string, address: string, ttl = 60): Promise<void> {
  const body = JSON.parse(pointBody(name, address)) as { rrsets: Array<{ ttl: number }> };
  body.rrsets[0]!.ttl = ttl;
  const res = await lab.agents.dns.fetch(`http://127.0.0.1:${PDNS_API_PORT}/api/v1/servers/localhost/zones/${ZONE}`, {
    method: 'PATCH',
    headers: { 'X-API-Key': lab.apiKey, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res).toMatchObject({ status: 204 });
}

function scenario(
  label: string,
  title: string,
  expected: string,
  body: (r: Result, note: (t: string) => void) => Promise<void>,
): void {
  registered++;
  it(`${label}. ${title}`, async () => {
    const result: Result = { label, title, expected, observed: '', pass: false };
    results.push(result);
    const notes: string[] = [];
    try {
      await body(result, (t) => notes.push(t));
      result.pass = true;
    } catch (err) {
      notes.push(`FAILED: ${(err as Error).message.split('\n')[0]}`);
      for (const w of running) console.log(`watcher ${w.serverdir}:\n${w.stderr}`);
      throw err;
    } finally {
      result.observed = notes.join('; ');
    }
  });
}

/**
 * The pair is ready before the fault, so that the fault alone makes it not ready. After an earlier
 * scenario the secondary may still be catching up (NOTIFY, then AXFR): rounds are asked until it has.
 */
async function readyFirst(w: WatcherProcess, s: PairSettings, note: (t: string) => void): Promise<void> {
  const deadline = Date.now() + 30_000;
  let before = await round(w, s);
  while (!before.readiness.ready && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    before = await round(w, s);
  }
  expect(before.readiness.items.filter((i) => !i.ok)).toEqual([]);
  note(`ready before (${before.readiness.items.map((i) => i.key).join(', ')})`);
}

const seconds = (ms: number | undefined) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(2)} s`);

describe('failover readiness under real faults', () => {
  beforeAll(async () => {
    suiteStart = Date.now();
    lab = await Lab.open(NAMES, { secondary: true });
  });

  afterEach(async () => {
    await Promise.allSettled([...running].map((w) => w.stop()));
    running.clear();
  });

  afterAll(async () => {
    await Promise.allSettled([...running].map((w) => w.stop()));
    await lab?.close();
    if (results.length === 0) return;
    for (const r of results) console.log(`${r.pass ? 'PASS' : 'FAIL'}  ${r.label}. ${r.title}\n      ${r.observed}`);
    if (results.length < registered) return;
    const cell = (t: string) => t.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
    const doc = await writeSection(
      'readiness',
      'Failover readiness',
      `Each pair watches its standby and lists both DNS servers in \`<dns-verify>\`; each scenario shows it ready,
breaks one thing and asks for a round at once ("Test now"). "Fault → not ready" runs from the fault to the
readiness event that names it. No scenario sends anything to the DNS API.

| Scenario | Expected | Observed | Fault → not ready | Result |
| --- | --- | --- | --- | --- |
${results.map((r) => `| ${r.label}. ${cell(r.title)} | ${cell(r.expected)} | ${cell(r.observed)} | ${seconds(r.faultToNotReadyMs)} | ${r.pass ? 'pass' : '**FAIL**'} |`).join('\n')}`,
      {
        passed: results.filter((r) => r.pass).length,
        total: results.length,
        runtimeMs: Date.now() - suiteStart,
        file: 'test/faults/readiness.test.ts',
      },
    );
    console.log(`written to ${doc}`);
  });

  scenario(
    'R1',
    'The secondary DNS server is cut off and a change reaches only the primary server',
    'not ready: the servers disagree (the secondary still answers the old address)',
    async (r, note) => {
      const s = readyPair('r1', 8201);
      const w = await watched(s, 8201);
      await readyFirst(w, s, note);
      await lab.net.blackhole('secondary', 'dns');
      await lab.net.blackhole('dns', 'secondary');
      try {
        const faultAt = Date.now();
        await setRecord('r1', STANDBY);
        const e = await round(w, s);
        r.faultToNotReadyMs = Date.now() - faultAt;
        note(`dns: "${item(e, 'dns')?.message}"`);
        expect(e.readiness.ready).toBe(false);
        expect(item(e, 'dns')?.ok).toBe(false);
        expect(item(e, 'dns')?.message).toMatch(new RegExp(`${SECONDARY_NS} answers ${PRIMARY}|out of sync`));
      } finally {
        await lab.net.unblackhole('secondary', 'dns');
        await lab.net.unblackhole('dns', 'secondary');
        // A change now sends a NOTIFY the secondary hears: it catches up for the next scenarios.
        await setRecord('r1', PRIMARY);
      }
    },
  );

  scenario('R2', 'The TTL is raised to 3600 s', 'not ready: the TTL is above max-ttl', async (r, note) => {
    const s = readyPair('r2', 8202);
    const w = await watched(s, 8202);
    await readyFirst(w, s, note);
    const faultAt = Date.now();
    await setRecord('r2', PRIMARY, 3600);
    // The secondary takes the change by NOTIFY and AXFR: ask until both say 3600, or the round names it.
    const deadline = Date.now() + 30_000;
    let e = await round(w, s);
    while (!/TTL is 3600/.test(item(e, 'dns')?.message ?? '') && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 500));
      e = await round(w, s);
    }
    r.faultToNotReadyMs = Date.now() - faultAt;
    note(`dns: "${item(e, 'dns')?.message}"`);
    expect(e.readiness.ready).toBe(false);
    expect(item(e, 'dns')?.message).toContain('the TTL is 3600 s, above max-ttl 300 s');
  });

  scenario('R3', 'The standby stops', 'not ready: the standby does not answer', async (r, note) => {
    const s = readyPair('r3', 8203);
    const w = await watched(s, 8203);
    await readyFirst(w, s, note);
    const mark = w.events.length;
    const faultAt = Date.now();
    await lab.agents.standby.close('standby');
    try {
      // The standby's next check finds it down; the round reads that check.
      await w.waitFor(
        (e) => e.type === 'alert' && e.pair === 'r3' && e.alert === 'standby-down',
        WAIT,
        mark,
        'standby down',
      );
      const e = await round(w, s);
      r.faultToNotReadyMs = Date.now() - faultAt;
      note(`standby: "${item(e, 'standby')?.message}"`);
      expect(e.readiness.ready).toBe(false);
      expect(item(e, 'standby')?.ok).toBe(false);
    } finally {
      await lab.agents.standby.serve('standby', STANDBY, 80);
    }
  });

  scenario(
    'R4',
    "The DNS API's host drops every packet",
    'not ready: the action receiver takes no connection',
    async (r, note) => {
      const s = readyPair('r4', 8204);
      const w = await watched(s, 8204);
      await readyFirst(w, s, note);
      const faultAt = Date.now();
      await lab.net.silence(DNS);
      try {
        const e = await round(w, s);
        r.faultToNotReadyMs = Date.now() - faultAt;
        note(`action receiver: "${item(e, 'action-receiver')?.message}"`);
        expect(e.readiness.ready).toBe(false);
        expect(item(e, 'action-receiver')?.ok).toBe(false);
        expect(item(e, 'action-receiver')?.message).toContain('does not take a connection');
        // The alert follows the round that found the pair not ready, once for the episode.
        const isNotReady = (x: EngineEvent) => x.type === 'alert' && x.pair === 'r4' && x.alert === 'not-ready';
        await w.waitFor(isNotReady, WAIT, 0, 'the not-ready alert');
        expect(w.events.filter((x) => isNotReady(x.event))).toHaveLength(1);
      } finally {
        await lab.net.unsilence(DNS);
      }
      expect(await lab.requestsFor('r4')).toEqual([]);
    },
  );
});
