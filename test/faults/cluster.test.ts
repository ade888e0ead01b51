// Issue 16's cluster scenarios with real processes: a real etcd (started here on free loopback
// ports with its own data directory, killed after) and two or three `serve --cluster` nodes, each
// its own process with its own serverdir. The primary, the validation site and the action receiver
// are loopback HTTP servers in this process; the receiver counts every action request of every node.
// The results table goes into docs/RELIABILITY.md (section "cluster").

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EtcdServer } from '../helpers/etcd.js';
import { HttpFixture } from '../helpers/http-fixtures.js';
import { CONFIG_FILE, configXml } from '../helpers/service-harness.js';
import { ClusterNode, eventually, nodeDir } from './cluster-nodes.js';
import { renderConsole, renderTable, type ScenarioResult } from './report.js';
import { writeSection } from './report-sections.js';

/** Generous waits for a busy shared machine; the times are measured and reported, never asserted tight. */
const WAIT = 60_000;
const TTL = 3;
const PAIR = 'acme';

const results: ScenarioResult[] = [];
const nodes: ClusterNode[] = [];
const fixtures: HttpFixture[] = [];
let etcd: EtcdServer;
let root: string;
let suiteStart = 0;
let scenarioNo = 0;

beforeAll(async () => {
  suiteStart = Date.now();
  root = await mkdtemp(join(tmpdir(), 'pfm-cluster-'));
  etcd = await EtcdServer.start();
});

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.kill()));
  await Promise.all(fixtures.splice(0).map((f) => f.close()));
});

afterAll(async () => {
  await etcd?.stop();
  if (root) await rm(root, { recursive: true, force: true });
  if (results.length === 0) return;
  console.log(renderConsole(results));
  await writeSection(
    'cluster',
    'Cluster: several watchers on etcd (issue 16)',
    `Real \`serve --cluster\` processes (lease TTL ${TTL} s) on one etcd member on loopback, the primary, the validation site and the action receiver as loopback HTTP servers; "fault → action" is the time from the fault to the first action request at the receiver, counted over every node (file \`test/faults/cluster.test.ts\`).\n\n${renderTable(results)}`,
    {
      passed: results.filter((r) => r.pass).length,
      total: results.length,
      runtimeMs: Date.now() - suiteStart,
      file: 'test/faults/cluster.test.ts',
    },
  );
});

async function fixture(status = 200): Promise<HttpFixture> {
  const f = await HttpFixture.start({ status });
  fixtures.push(f);
  return f;
}

interface Setup {
  primary: HttpFixture;
  receiver: HttpFixture;
  nodes: ClusterNode[];
  prefix: string;
}

/** `count` nodes on a fresh prefix; the first one's serverdir holds the pair, the others start empty. */
async function cluster(count: number): Promise<Setup> {
  const primary = await fixture(200);
  const site = await fixture(200);
  const receiver = await fixture(200);
  const tag = `s${++scenarioNo}`;
  const prefix = `/pfm-faults-${tag}/`;
  const tokenFile = join(root, `${tag}-api-token`);
  const first = nodeDir(join(root, tag), 'n1');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(first, { recursive: true });
  await writeFile(
    join(first, CONFIG_FILE),
    configXml([
      {
        id: PAIR,
        primaryUrl: primary.url('/status'),
        validationUrl: site.url('/'),
        actionUrl: receiver.url('/hook'),
        interval: 0.3,
        toleratedFailures: 2,
        retries: 3,
      },
    ]),
  );
  const token = (): string => readFileSync(tokenFile, 'utf8').trim();
  const started: ClusterNode[] = [];
  for (let i = 1; i <= count; i++) {
    const node = await ClusterNode.start(
      {
        name: `n${i}`,
        serverdir: nodeDir(join(root, tag), `n${i}`),
        tokenFile,
        etcd: [etcd.url],
        prefix,
        leaseTtl: TTL,
      },
      token,
    );
    nodes.push(node);
    started.push(node);
  }
  // One leader that every node names, every node live, the pair watched everywhere and in waiting.
  await eventually(
    'one leader named by every node, all nodes live',
    async () => {
      const infos = await Promise.all(started.map((n) => n.cluster()));
      const leaders = new Set(infos.map((i) => i.leader));
      return leaders.size === 1 && infos[0]!.leader !== null && infos.every((i) => i.nodes.length === count);
    },
    WAIT,
  );
  await allInState(started, 'waiting');
  return { primary, receiver, nodes: started, prefix };
}

async function allInState(list: ClusterNode[], state: string, timeoutMs = WAIT): Promise<void> {
  await eventually(
    `${PAIR} ${state} on ${list.map((n) => n.name).join(', ')}`,
    async () => (await Promise.all(list.map((n) => n.pair(PAIR)))).every((p) => p.state === state),
    timeoutMs,
  );
}

async function allActionSucceeded(list: ClusterNode[]): Promise<void> {
  await eventually(
    `the failover action succeeded as seen on ${list.map((n) => n.name).join(', ')}`,
    async () => (await Promise.all(list.map((n) => n.pair(PAIR)))).every((p) => p.action?.phase === 'succeeded'),
    WAIT,
  );
}

async function leaderOf(list: ClusterNode[]): Promise<ClusterNode> {
  const info = await list[0]!.cluster();
  const leader = list.find((n) => n.name === info.leader);
  if (!leader) throw new Error(`no live leader (cluster says ${info.leader})`);
  return leader;
}

function record(r: ScenarioResult): void {
  results.push(r);
  expect(r.pass, `${r.label}: ${r.observed}`).toBe(true);
}

describe('cluster scenarios (issue 16)', () => {
  it('1. three nodes, the primary dies: exactly one action request across all nodes', async () => {
    const { primary, receiver, nodes: list } = await cluster(3);
    const fault = Date.now();
    await primary.refuse();
    await allInState(list, 'failover');
    await allActionSucceeded(list);
    const firstAt = receiver.requests[0]?.at;
    // Every node shows the outcome; a follower that fired would have added a request by now.
    const hits = receiver.hits;
    const leader = await leaderOf(list);
    record({
      label: 'C1',
      title: 'Three nodes, the primary dies',
      expected: 'exactly one action request across all nodes; every node shows failover and the action succeeded',
      observed: `${hits} action request(s); leader ${leader.name} fired; all 3 nodes show failover, action succeeded`,
      ...(firstAt !== undefined ? { faultToActionMs: firstAt - fault } : {}),
      bound: '≥ 0.6 s (3 failed checks 0.3 s apart) + verification',
      pass: hits === 1,
    });
  });

  it('2. SIGKILL the leader: a follower leads within TTL + 2 s; a later outage fires once', async () => {
    const { primary, receiver, nodes: list } = await cluster(2);
    const old = await leaderOf(list);
    const survivor = list.find((n) => n !== old)!;
    const killed = Date.now();
    await old.kill();
    await eventually('the survivor leads', async () => (await survivor.cluster()).leader === survivor.name, WAIT);
    const takeoverMs = Date.now() - killed;
    const fault = Date.now();
    await primary.refuse();
    await allInState([survivor], 'failover');
    await allActionSucceeded([survivor]);
    const firstAt = receiver.requests[0]?.at;
    record({
      label: 'C2',
      title: 'SIGKILL the leader, then the primary dies',
      expected: `the follower leads within TTL + 2 s (${TTL + 2} s); the outage fires once`,
      observed: `${survivor.name} led after ${(takeoverMs / 1000).toFixed(2)} s; ${receiver.hits} action request(s)`,
      ...(firstAt !== undefined ? { faultToActionMs: firstAt - fault } : {}),
      bound: '≥ 0.6 s (3 failed checks 0.3 s apart) + verification',
      pass: takeoverMs <= (TTL + 2) * 1000 && receiver.hits === 1,
    });
  });

  it('3. SIGSTOP the leader past its lease, kill the primary, SIGCONT: one action, the old leader sends and records nothing', async () => {
    const { primary, receiver, nodes: list, prefix } = await cluster(2);
    const old = await leaderOf(list);
    const next = list.find((n) => n !== old)!;
    old.signal('SIGSTOP');
    try {
      await eventually('the other node leads', async () => (await next.cluster()).leader === next.name, WAIT);
      const fault = Date.now();
      await primary.refuse();
      await allInState([next], 'failover');
      await allActionSucceeded([next]);
      const firstAt = receiver.requests[0]?.at;
      const client = new Etcd3({ hosts: [etcd.url] });
      try {
        const before = (await client.get(`${prefix}pairs/${PAIR}`).exec()).kvs[0]!.mod_revision;
        const hitsBefore = receiver.hits;
        old.signal('SIGCONT');
        // The old leader wakes up with the primary's failures in front of it: it must follow, not act.
        await eventually(
          'the woken node names the new leader and shows failover',
          async () => (await old.cluster()).leader === next.name && (await old.pair(PAIR)).state === 'failover',
          WAIT,
        );
        // Its own rounds run on: several check intervals and a coordinator round after it caught up.
        const woke = Date.now();
        await eventually(
          'the woken node has published a fresh view',
          async () => {
            const info = await next.cluster();
            const seen = info.nodes.find((n) => n.name === old.name);
            return seen !== undefined && Date.parse(seen.lastSeen) > woke + 1000;
          },
          WAIT,
        );
        const after = (await client.get(`${prefix}pairs/${PAIR}`).exec()).kvs[0]!.mod_revision;
        const extra = receiver.hits - hitsBefore;
        record({
          label: 'C3',
          title: 'SIGSTOP the leader past its lease, the primary dies, SIGCONT',
          expected: "exactly one action (the new leader's); the old leader sends and records nothing",
          observed: `${receiver.hits} action request(s), ${extra} after SIGCONT; the pair's record in etcd ${after === before ? 'unchanged' : `changed (mod revision ${before} → ${after})`} after SIGCONT; the woken node follows ${next.name}`,
          ...(firstAt !== undefined ? { faultToActionMs: firstAt - fault } : {}),
          bound: `a new leader after the lease (${TTL} s), then ≥ 0.6 s + verification`,
          pass: receiver.hits === 1 && extra === 0 && after === before,
        });
      } finally {
        client.close();
      }
    } finally {
      old.signal('SIGCONT');
    }
  });

  it('6. a settings change and a manual failover sent to a follower: applied once, audited once, seen on every node', async () => {
    const { receiver, nodes: list } = await cluster(3);
    const leader = await leaderOf(list);
    const follower = list.find((n) => n !== leader)!;
    const settings = (await follower.pair(PAIR)).settings;
    await follower.api(`/api/pairs/${PAIR}?reason=rename`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...settings, name: 'ACME renamed through a follower' }),
    });
    await eventually(
      'the new name on every node',
      async () =>
        (await Promise.all(list.map((n) => n.pair(PAIR)))).every((p) => p.name === 'ACME renamed through a follower'),
      WAIT,
    );
    const asked = Date.now();
    await follower.api(`/api/pairs/${PAIR}/failover`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'planned move, sent to a follower' }),
    });
    await allInState(list, 'failover');
    await allActionSucceeded(list);
    const firstAt = receiver.requests[0]?.at;
    const audit = await leader.api<Array<{ type: string; pair: string; action?: string }>>('/api/audit');
    const moves = audit.filter((e) => e.type === 'operator' && e.pair === PAIR).map((e) => e.action ?? '');
    const updates = moves.filter((a) => a === 'update').length;
    const failovers = moves.filter((a) => a === 'failover').length;
    record({
      label: 'C6',
      title: 'A settings change and a manual failover sent to a follower',
      expected: "forwarded to the leader: applied once, audited once (the leader's audit), visible on every node",
      observed: `${receiver.hits} action request(s); the leader's audit has ${updates} update and ${failovers} failover; the new name and failover on all 3 nodes`,
      ...(firstAt !== undefined ? { faultToActionMs: firstAt - asked } : {}),
      bound: 'operator request → action, through the follower',
      pass: receiver.hits === 1 && updates === 1 && failovers === 1,
    });
  });

  it('7. etcd restarted during an outage: the failover happens once, after etcd is back', async () => {
    const { primary, receiver, nodes: list } = await cluster(2);
    await etcd.kill();
    const down = Date.now();
    try {
      // Every node notices and stops acting before it could fail over on its own.
      await eventually(
        'the coordinator-unreachable alert on every node',
        async () =>
          (
            await Promise.all(
              list.map((n) => n.api<Array<{ type: string; alert?: string }>>('/api/alerts').catch(() => [])),
            )
          ).every((alerts) => alerts.some((a) => a.alert === 'coordinator-unreachable')),
        WAIT,
      );
      await primary.refuse();
      // Several detection windows pass with etcd down: nobody may act.
      await eventually(
        'the nodes count the outage',
        async () => {
          const pairs = await Promise.all(list.map((n) => n.pair(PAIR)));
          return pairs.every((p) => p.consecutiveFailures > 6);
        },
        WAIT,
      );
      const hitsWhileDown = receiver.hits;
      await etcd.run();
      const back = Date.now();
      await allInState(list, 'failover');
      await allActionSucceeded(list);
      const firstAt = receiver.requests[0]?.at;
      record({
        label: 'C7',
        title: 'etcd killed, the primary dies, etcd restarted',
        expected: 'no action while etcd is down; the failover happens once, after etcd is back',
        observed: `${hitsWhileDown} action request(s) while etcd was down (${((back - down) / 1000).toFixed(1)} s); ${receiver.hits} in all, the first ${firstAt !== undefined ? `${((firstAt - back) / 1000).toFixed(2)} s after etcd was back` : 'never'}`,
        ...(firstAt !== undefined ? { faultToActionMs: firstAt - back } : {}),
        bound: 'from etcd back: a leader again, then detection + verification',
        pass: hitsWhileDown === 0 && receiver.hits === 1 && firstAt !== undefined && firstAt >= back,
      });
    } finally {
      await etcd.run().catch(() => undefined);
    }
  });
});
