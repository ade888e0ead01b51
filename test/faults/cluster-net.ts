// The cluster scenarios' network (issue 16, scenarios 4 and 5): three watcher nodes (na, nb, nc),
// three etcd members (ea, eb, ec), the primary PBX (pbx) and a site host (site: the validation URL
// and the action receiver), each a namespace on its own /24 of 198.18.0.0/15 behind one router
// namespace, with no default route. Faults are blackhole routes in one node's namespace: its path to
// the primary, or to every etcd member. Teardown always runs (afterAll, signals, process exit).

import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostAgent } from './hosts.js';
import { ip, removeLeftovers, tearDownSync } from './net.js';
import { ETCD_BIN } from '../helpers/etcd.js';

export const CLUSTER_HOSTS = ['na', 'nb', 'nc', 'ea', 'eb', 'ec', 'pbx', 'site'] as const;
export type ClusterHost = (typeof CLUSTER_HOSTS)[number];
const SUBNET: Record<ClusterHost, number> = { na: 31, nb: 32, nc: 33, ea: 41, eb: 42, ec: 43, pbx: 51, site: 52 };
const TEST_RANGE = '198.18.0.0/15';
/** The three etcd members' subnets (198.18.40.0 – 198.18.43.255). */
const ETCD_RANGE = '198.18.40.0/22';
export const ETCD_MEMBERS = ['ea', 'eb', 'ec'] as const;

export function address(host: ClusterHost): string {
  return `198.18.${SUBNET[host]}.2`;
}

export class ClusterNet {
  readonly prefix = `pfm${process.pid}`;
  readonly router = `${this.prefix}-crouter`;
  readonly agents = new Map<ClusterHost, HostAgent>();
  private readonly etcd: ChildProcess[] = [];
  private etcdLog = '';
  private torn = false;
  private unguard: () => void = () => undefined;

  private constructor(readonly dir: string) {}

  static async open(): Promise<ClusterNet> {
    await removeLeftovers();
    const net = new ClusterNet(await mkdtemp(join(tmpdir(), 'pfm-cluster-net-')));
    net.guard();
    try {
      await ip('netns', 'add', net.router);
      await ip('-n', net.router, 'link', 'set', 'lo', 'up');
      await ip('netns', 'exec', net.router, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward');
      for (const host of CLUSTER_HOSTS) await net.addHost(host);
      for (const host of ['pbx', 'site', 'na', 'nb', 'nc'] as const)
        net.agents.set(host, await HostAgent.start(net.ns(host)));
      await net.startEtcd();
    } catch (error) {
      await net.tearDown();
      throw error;
    }
    return net;
  }

  ns(host: ClusterHost): string {
    return `${this.prefix}-${host}`;
  }

  agent(host: ClusterHost): HostAgent {
    const a = this.agents.get(host);
    if (!a) throw new Error(`no agent on ${host}`);
    return a;
  }

  get etcdUrls(): string[] {
    return ETCD_MEMBERS.map((m) => `http://${address(m)}:2379`);
  }

  private async addHost(host: ClusterHost): Promise<void> {
    const ns = this.ns(host);
    const n = SUBNET[host];
    const uplink = `to-${host}`;
    await ip('netns', 'add', ns);
    await ip('link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', uplink, 'netns', this.router);
    await ip('-n', this.router, 'addr', 'add', `198.18.${n}.1/24`, 'dev', uplink);
    await ip('-n', this.router, 'link', 'set', uplink, 'up');
    await ip('-n', ns, 'addr', 'add', `198.18.${n}.2/24`, 'dev', 'eth0');
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
    await ip('-n', ns, 'link', 'set', 'eth0', 'up');
    await ip('-n', ns, 'route', 'add', TEST_RANGE, 'via', `198.18.${n}.1`);
  }

  /** Three members, one per etcd host, as one cluster; resolves when every member answers healthy. */
  private async startEtcd(): Promise<void> {
    const initial = ETCD_MEMBERS.map((m) => `${m}=http://${address(m)}:2380`).join(',');
    for (const m of ETCD_MEMBERS) {
      const child = spawn(
        'ip',
        [
          'netns',
          'exec',
          this.ns(m),
          ETCD_BIN,
          '--name',
          m,
          '--data-dir',
          join(this.dir, `etcd-${m}`),
          '--listen-client-urls',
          `http://${address(m)}:2379`,
          '--advertise-client-urls',
          `http://${address(m)}:2379`,
          '--listen-peer-urls',
          `http://${address(m)}:2380`,
          '--initial-advertise-peer-urls',
          `http://${address(m)}:2380`,
          '--initial-cluster',
          initial,
          '--initial-cluster-state',
          'new',
          '--initial-cluster-token',
          this.prefix,
          '--log-level',
          'warn',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      child.stderr?.on('data', (chunk: Buffer) => (this.etcdLog = (this.etcdLog + chunk.toString()).slice(-20_000)));
      this.etcd.push(child);
    }
    const site = this.agent('site');
    const deadline = Date.now() + 60_000;
    for (;;) {
      const answers = await Promise.all(this.etcdUrls.map((u) => site.fetch(`${u}/health`, { timeoutMs: 1000 })));
      if (answers.every((a) => a.status === 200 && a.body?.includes('"true"'))) return;
      if (Date.now() > deadline) throw new Error(`the etcd members did not become healthy:\n${this.etcdLog}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Only `from` loses its way to `to` (its packets are dropped at once, locally). */
  async cutPrimary(from: ClusterHost): Promise<void> {
    await ip('-n', this.ns(from), 'route', 'add', 'blackhole', `198.18.${SUBNET.pbx}.0/24`);
  }

  /** `from` loses its way to every etcd member; its API and its path to the primary stay. */
  async cutEtcd(from: ClusterHost): Promise<void> {
    await ip('-n', this.ns(from), 'route', 'add', 'blackhole', ETCD_RANGE);
  }

  /** Every cut of `host` healed. */
  async heal(host: ClusterHost): Promise<void> {
    await ip('-n', this.ns(host), 'route', 'del', 'blackhole', `198.18.${SUBNET.pbx}.0/24`).catch(() => undefined);
    await ip('-n', this.ns(host), 'route', 'del', 'blackhole', ETCD_RANGE).catch(() => undefined);
  }

  async tearDown(): Promise<void> {
    if (this.torn) return;
    this.torn = true;
    for (const a of this.agents.values()) await a.stop().catch(() => undefined);
    for (const c of this.etcd) if (c.exitCode === null) c.kill('SIGKILL');
    tearDownSync(this.prefix);
    this.unguard();
    await rm(this.dir, { recursive: true, force: true });
  }

  private guard(): void {
    const onExit = (): void => {
      tearDownSync(this.prefix);
      rmSync(this.dir, { recursive: true, force: true });
    };
    const onSignal = (signal: NodeJS.Signals): void => {
      onExit();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.once('exit', onExit);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    this.unguard = () => {
      process.off('exit', onExit);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
  }
}
