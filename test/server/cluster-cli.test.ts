// serve --cluster and its companions: every wrong command line is refused with exit 2 and a message
// naming the flag, before anything starts; GET /api/cluster without --cluster says so (404); with a
// real etcd (started here) a service answers { leader, term, nodes, self }.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/server/cli.js';
import { EtcdServer } from '../helpers/etcd.js';
import { configXml, jsonBody, startTestService, waitFor } from '../helpers/service-harness.js';
import { HttpFixture } from '../helpers/http-fixtures.js';
import type { HistoryEvent, PairDetail } from '../../src/shared/model.js';
import type { ClusterInfo } from '../../src/shared/cluster.js';

async function inProcess(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => void out.push(l), err: (l) => void err.push(l) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('serve --cluster: the command line', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--cluster', 'http://127.0.0.1:2379'], /--cluster needs --node <name>/],
    [['--cluster', 'localhost:2379', '--node', 'a'], /--cluster takes .*URLs such as http:\/\/127\.0\.0\.1:2379/],
    [['--cluster', 'http://127.0.0.1', '--node', 'a'], /give the port of each etcd endpoint/],
    [['--cluster', 'http://127.0.0.1:2379/v3', '--node', 'a'], /no path/],
    [['--cluster', '', '--node', 'a'], /--cluster needs a value/],
    [['--cluster', 'http://127.0.0.1:2379', '--node', 'a b'], /--node takes a name of letters/],
    [
      ['--cluster', 'http://127.0.0.1:2379', '--node', 'a', '--lease-ttl', '1'],
      /--lease-ttl must be a whole number from 2 to 300/,
    ],
    [
      ['--cluster', 'http://127.0.0.1:2379', '--node', 'a', '--lease-ttl', 'five'],
      /--lease-ttl must be a whole number/,
    ],
    [
      ['--cluster', 'http://127.0.0.1:2379', '--node', 'a', '--cluster-prefix', 'pfm'],
      /--cluster-prefix must begin and end with "\/"/,
    ],
    [
      ['--cluster', 'http://127.0.0.1:2379', '--node', 'a', '--advertise-url', 'ftp://x:1'],
      /--advertise-url takes http:\/\/ or https:\/\//,
    ],
    [['--node', 'a'], /--node only goes with --cluster/],
    [['--lease-ttl', '5'], /--lease-ttl only goes with --cluster/],
    [['validate', 'x.xml', '--cluster', 'http://127.0.0.1:2379'], /--cluster is an option of serve, not of validate/],
  ];
  for (const [args, message] of cases) {
    it(`refuses ${args.join(' ') || '(empty)'} with exit 2`, async () => {
      const { code, stderr } = await inProcess(args);
      expect(code).toBe(2);
      expect(stderr).toMatch(message);
    });
  }

  it('lists the cluster flags in --help', async () => {
    const { code, stdout } = await inProcess(['--help']);
    expect(code).toBe(0);
    for (const flag of ['--cluster <urls>', '--node <name>', '--cluster-prefix', '--lease-ttl', '--advertise-url'])
      expect(stdout).toContain(flag);
  });

  it('exits 1 naming etcd when no etcd answers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pfm-cluster-cli-'));
    const { code, stderr } = await inProcess([
      'serve',
      '--port',
      '0',
      '--serverdir',
      dir,
      '--cluster',
      'http://127.0.0.1:9',
      '--node',
      'a',
      '--lease-ttl',
      '2',
    ]).finally(() => rm(dir, { recursive: true, force: true }));
    expect(code).toBe(1);
    expect(stderr).toMatch(/cannot reach the cluster coordinator \(etcd at http:\/\/127\.0\.0\.1:9\)/);
  });
});

describe('GET /api/cluster', () => {
  let etcd: EtcdServer;
  beforeAll(async () => {
    etcd = await EtcdServer.start();
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('answers 404 without --cluster', async () => {
    const service = await startTestService();
    try {
      const res = await service.api('/api/cluster');
      expect(res.status).toBe(404);
      expect(await res.text()).toMatch(/started without --cluster/);
      // The dashboard asks GET /api/cluster only where the health says cluster.
      expect((await service.json<{ cluster?: boolean }>('/api/health')).cluster).toBeUndefined();
    } finally {
      await service.dispose();
    }
  });

  it('names the leader, the term and every live node on every node', async () => {
    const prefix = `/pfm-api-${process.pid}/`;
    const options = (node: string) => ({
      cluster: {
        endpoints: [etcd.url],
        node,
        prefix,
        leaseTtl: 2,
        tickMs: 100,
        advertiseUrl: `http://${node}.example:8480`,
      },
    });
    const a = await startTestService(options('alpha'));
    const b = await startTestService(options('beta'));
    try {
      const info = await waitFor('two nodes in the cluster', async () => {
        const got = await b.json<ClusterInfo>('/api/cluster');
        return got.nodes.length === 2 && got.leader !== null ? got : undefined;
      });
      expect(info.leader).toBe('alpha');
      expect(info.term).toBeGreaterThan(0);
      expect(info.self).toBe('beta');
      expect(info.nodes.map((n) => ({ name: n.name, url: n.url, leader: n.leader, pairsDown: n.pairsDown }))).toEqual([
        { name: 'alpha', url: 'http://alpha.example:8480', leader: true, pairsDown: 0 },
        { name: 'beta', url: 'http://beta.example:8480', leader: false, pairsDown: 0 },
      ]);
      for (const n of info.nodes) expect(Number.isNaN(Date.parse(n.lastSeen))).toBe(false);
      expect((await a.json<ClusterInfo>('/api/cluster')).self).toBe('alpha');
      expect((await b.json<{ cluster?: boolean }>('/api/health')).cluster).toBe(true);
    } finally {
      await b.dispose();
      await a.dispose();
    }
  });

  it('forwards a settings change and a manual failover sent to a follower: applied once, audited once, seen on both', async () => {
    const primary = await HttpFixture.start({ status: 200 });
    const site = await HttpFixture.start({ status: 200 });
    const receiver = await HttpFixture.start({ status: 200 });
    const dir = await mkdtemp(join(tmpdir(), 'pfm-cluster-fwd-'));
    const tokenFile = join(dir, 'shared-token');
    const prefix = `/pfm-fwd-${process.pid}/`;
    const cluster = (node: string) => ({ endpoints: [etcd.url], node, prefix, leaseTtl: 2, tickMs: 100 });
    const a = await startTestService({
      tokenFile,
      cluster: cluster('alpha'),
      xml: configXml([
        { id: 'acme', primaryUrl: primary.url('/'), validationUrl: site.url('/'), actionUrl: receiver.url('/hook') },
      ]),
    });
    const b = await startTestService({ tokenFile, cluster: cluster('beta') });
    try {
      await waitFor('beta follows alpha', async () => {
        const info = await b.json<ClusterInfo>('/api/cluster');
        return info.leader === 'alpha' && info.nodes.length === 2 && info.nodes.every((n) => n.url !== '');
      });
      await waitFor('acme waiting on both', async () =>
        (await Promise.all([a, b].map((s) => s.json<PairDetail>('/api/pairs/acme')))).every(
          (p) => p.state === 'waiting',
        ),
      );
      // A settings change through the follower.
      const settings = (await b.json<PairDetail>('/api/pairs/acme')).settings;
      const put = await b.api('/api/pairs/acme?reason=rename', jsonBody('PUT', { ...settings, name: 'ACME renamed' }));
      expect(put.status, await put.clone().text()).toBe(200);
      expect(put.headers.get('x-pfm-leader')).toBe('alpha');
      await waitFor('the new name on both', async () =>
        (await Promise.all([a, b].map((s) => s.json<PairDetail>('/api/pairs/acme')))).every(
          (p) => p.name === 'ACME renamed',
        ),
      );
      // A manual failover through the follower.
      const res = await b.api('/api/pairs/acme/failover', jsonBody('POST', { reason: 'planned test' }));
      expect(res.status).toBe(200);
      await waitFor('failover, action succeeded on both', async () =>
        (await Promise.all([a, b].map((s) => s.json<PairDetail>('/api/pairs/acme')))).every(
          (p) => p.state === 'failover' && p.action?.phase === 'succeeded',
        ),
      );
      expect(receiver.hits).toBe(1);
      const audit = await a.json<HistoryEvent[]>('/api/audit');
      const moves = audit.filter((e) => e.type === 'operator' && e.pair === 'acme');
      expect(moves.map((e) => e.type === 'operator' && e.action).sort()).toEqual(['failover', 'update']);
      // The follower's history carries the leader's audit and alerts too (once each).
      const followerMoves = await waitFor('the audit on the follower', async () => {
        const got = (await b.json<HistoryEvent[]>('/api/audit')).filter(
          (e) => e.type === 'operator' && e.pair === 'acme',
        );
        return got.length >= 2 ? got : undefined;
      });
      expect(followerMoves.map((e) => e.type === 'operator' && e.action).sort()).toEqual(['failover', 'update']);
      const alerts = await waitFor('the failover alert on the follower', async () => {
        const got = (await b.json<HistoryEvent[]>('/api/alerts')).filter(
          (e) => e.type === 'alert' && e.alert === 'failover',
        );
        return got.length >= 1 ? got : undefined;
      });
      expect(alerts).toHaveLength(1);
      // A viewer's refusal or a bad request is the leader's answer, passed back as it is.
      const bad = await b.api('/api/pairs/acme/failover', jsonBody('POST', { reason: 'again' }));
      expect(bad.status).toBe(409);
      expect(await bad.text()).toMatch(/already in failover/);
    } finally {
      await b.dispose();
      await a.dispose();
      await Promise.all([primary, site, receiver].map((f) => f.close()));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
