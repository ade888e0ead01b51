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
import { ClusterNet, address, type ClusterHost } from './cluster-net.js';
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
    `Real \`serve --cluster\` processes (lease TTL ${TTL} s), each its own process with its own serverdir. C1–C3, C6 and C7: one etcd member on loopback, the primary, the validation site and the action receiver as loopback HTTP servers of the test process. C4 and C5: three etcd members and three nodes, each in its own network namespace (198.18.0.0/15 behind a router), the primary, the validation site and the receiver in two more; the faults are blackhole routes in one node's namespace (to the primary, or to all three etcd members). "Fault → action" is the time from the fault to the first action request at the receiver, counted over every node (file \`test/faults/cluster.test.ts\`).\n\n${renderTable(results)}`,
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
    // Every node's audit (its history) carries the leader's operator events, once.
    const perNode = await eventually(
      "the leader's audit on every node",
      async () => {
        const counts = await Promise.all(
          list.map(async (n) => {
            const audit = await n.api<Array<{ type: string; pair: string; action?: string }>>('/api/audit');
            return audit.filter((e) => e.type === 'operator' && e.pair === PAIR).length;
          }),
        );
        return counts.every((c) => c >= 2) ? counts : undefined;
      },
      WAIT,
    );
    record({
      label: 'C6',
      title: 'A settings change and a manual failover sent to a follower',
      expected: "forwarded to the leader: applied once, audited once (in every node's audit), visible on every node",
      observed: `${receiver.hits} action request(s); the leader's audit has ${updates} update and ${failovers} failover; operator entries in each node's audit: ${perNode.join(', ')}; the new name and failover on all 3 nodes`,
      ...(firstAt !== undefined ? { faultToActionMs: firstAt - asked } : {}),
      bound: 'operator request → action, through the follower',
      pass: receiver.hits === 1 && updates === 1 && failovers === 1 && perNode.every((c) => c === 2),
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

describe('cluster scenarios in network namespaces (issue 16): three etcd members, three nodes', () => {
  let net: ClusterNet;
  const NODE_HOSTS: ClusterHost[] = ['na', 'nb', 'nc'];
  const PRIMARY_URL = `http://${address('pbx')}:8080/status`;

  beforeAll(async () => {
    net = await ClusterNet.open();
    await net.agent('pbx').serve('primary', address('pbx'), 8080);
    await net.agent('site').serve('site', address('site'), 80);
  });
  afterAll(async () => {
    await net?.tearDown();
  });
  afterEach(async () => {
    for (const host of NODE_HOSTS) await net.heal(host);
  });

  async function netCluster(
    vantage?: number,
  ): Promise<{ nodes: ClusterNode[]; hostOf: Map<ClusterNode, ClusterHost> }> {
    const tag = `s${++scenarioNo}`;
    const site = net.agent('site');
    const receiverPort = await site.serve(`receiver-${tag}`, address('site'), 0);
    receiverId = `receiver-${tag}`;
    let xml = configXml([
      {
        id: PAIR,
        primaryUrl: PRIMARY_URL,
        validationUrl: `http://${address('site')}/`,
        actionUrl: `http://${address('site')}:${receiverPort}/hook`,
        interval: 0.3,
        toleratedFailures: 2,
        retries: 3,
      },
    ]);
    if (vantage !== undefined) xml = xml.replace('</validation>', `</validation>\n    <vantage quorum="${vantage}"/>`);
    const base = join(net.dir, tag);
    const { mkdir } = await import('node:fs/promises');
    await mkdir(nodeDir(base, 'na'), { recursive: true });
    await writeFile(join(nodeDir(base, 'na'), CONFIG_FILE), xml);
    const tokenFile = join(base, 'api-token');
    const token = (): string => readFileSync(tokenFile, 'utf8').trim();
    const started: ClusterNode[] = [];
    const hostOf = new Map<ClusterNode, ClusterHost>();
    for (const host of NODE_HOSTS) {
      const node = await ClusterNode.start(
        {
          name: host,
          serverdir: nodeDir(base, host),
          tokenFile,
          etcd: net.etcdUrls,
          prefix: `/pfm-faults-${tag}/`,
          leaseTtl: TTL,
          ns: net.ns(host),
          host: address(host),
          via: site,
        },
        token,
      );
      nodes.push(node);
      started.push(node);
      hostOf.set(node, host);
    }
    await eventually(
      'one leader named by every node, all nodes live',
      async () => {
        const infos = await Promise.all(started.map((n) => n.cluster()));
        const leaders = new Set(infos.map((i) => i.leader));
        return leaders.size === 1 && infos[0]!.leader !== null && infos.every((i) => i.nodes.length === 3);
      },
      WAIT,
    );
    await allInState(started, 'waiting');
    return { nodes: started, hostOf };
  }

  let receiverId = '';
  const hits = (): Promise<number> => net.agent('site').hits(receiverId);

  it('5. vantage quorum 2 of 3: the path to the primary cut for one node, no failover; for two nodes, failover once', async () => {
    const { nodes: list, hostOf } = await netCluster(2);
    const leader = await leaderOf(list);
    const follower = list.find((n) => n !== leader)!;
    await net.cutPrimary(hostOf.get(leader)!);
    const cut = Date.now();
    // The leader itself sees the primary down, far past the tolerated failures: alone, it does not act.
    await eventually(
      'the leader counts more than 10 failures in a row',
      async () => (await leader.pair(PAIR)).consecutiveFailures > 10,
      WAIT,
    );
    const down = (await leader.cluster()).nodes.map((n) => `${n.name}:${n.pairsDown}`).join(' ');
    const states = (await Promise.all(list.map((n) => n.pair(PAIR)))).map((p) => p.state);
    const hitsOne = await hits();
    // A second node cut off the primary: two of three see it down.
    await net.cutPrimary(hostOf.get(follower)!);
    const second = Date.now();
    await allInState(list, 'failover');
    await allActionSucceeded(list);
    const total = await hits();
    record({
      label: 'C5',
      title: 'Vantage quorum 2 of 3, the path to the primary cut for one node, then for two',
      expected: 'one node cut (the leader): no failover; two nodes cut: failover once',
      observed: `one cut for ${((second - cut) / 1000).toFixed(1)} s: states ${states.join(', ')}, pairs down per node ${down}, ${hitsOne} action request(s); two cut: failover on all 3 nodes, ${total} action request(s) in all`,
      bound: 'from the second cut: detection + verification',
      pass: hitsOne === 0 && states.every((s) => s === 'waiting') && total === 1,
    });
  });

  it("4. the leader's link to etcd cut: it stops acting within the TTL, another node takes over, one action", async () => {
    const { nodes: list, hostOf } = await netCluster();
    const old = await leaderOf(list);
    const others = list.filter((n) => n !== old);
    await net.cutEtcd(hostOf.get(old)!);
    const cut = Date.now();
    await eventually(
      'the cut-off leader no longer claims to lead',
      async () => (await old.cluster()).leader !== old.name,
      WAIT,
    );
    const stoppedMs = Date.now() - cut;
    const next = await eventually(
      'another node leads',
      async () => {
        const info = await others[0]!.cluster();
        return info.leader !== null && info.leader !== old.name ? info.leader : undefined;
      },
      WAIT,
    );
    const takeoverMs = Date.now() - cut;
    await net.agent('pbx').close('primary');
    await allInState(others, 'failover');
    await allActionSucceeded(others);
    const total = await hits();
    const oldState = (await old.pair(PAIR)).state;
    record({
      label: 'C4',
      title: "The leader's link to etcd cut (blackhole to the three members)",
      expected: `it stops acting within the TTL (${TTL} s); another node takes over; a later outage fires once`,
      observed: `${old.name} stopped claiming the lead after ${(stoppedMs / 1000).toFixed(2)} s; ${next} led after ${(takeoverMs / 1000).toFixed(2)} s; ${total} action request(s); the cut-off node shows ${oldState}`,
      bound: 'detection + verification after the primary died',
      pass: stoppedMs <= TTL * 1000 && total === 1,
    });
    await net.agent('pbx').serve('primary', address('pbx'), 8080);
  });
});
