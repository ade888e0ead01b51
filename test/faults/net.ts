// The test network: one namespace per host, each joined to a router namespace
// by a veth link. Only 198.18.0.0/15 is ever addressed, and the hosts have no
// default route, so a stray request to any other address fails locally
// instead of leaving the machine.

import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** `secondary`: a second DNS server, secondary of the one on `dns` (only started where a suite asks for it). */
export const HOSTS = ['primary', 'standby', 'internet', 'dns', 'watcher', 'secondary'] as const;
export type HostName = (typeof HOSTS)[number];

/** Each host lives in 198.18.<n>.0/24: the router is .1, the host .2. */
const SUBNET: Record<HostName, number> = { primary: 1, standby: 2, internet: 3, dns: 4, watcher: 5, secondary: 6 };
const TEST_RANGE = '198.18.0.0/15';

/** Namespaces of this suite are named `pfm<pid>-<host>`, so leftovers of a dead run can be told apart. */
const NS_PATTERN = /^pfm(\d+)-[a-z]+$/;

export function hostAddress(host: HostName): string {
  return `198.18.${SUBNET[host]}.2`;
}

export function hostSubnet(host: HostName): string {
  return `198.18.${SUBNET[host]}.0/24`;
}

export async function ip(...args: string[]): Promise<string> {
  const { stdout } = await run('ip', args, { timeout: 15_000 });
  return stdout;
}

export class TestNetwork {
  readonly prefix: string;
  readonly router: string;
  private torn = false;

  constructor(pid = process.pid) {
    this.prefix = `pfm${pid}`;
    this.router = `${this.prefix}-router`;
  }

  ns(host: HostName): string {
    return `${this.prefix}-${host}`;
  }

  /** The router-side end of a host's link: taking it down is that host's cable being cut. */
  uplink(host: HostName): string {
    return `to-${host}`;
  }

  async setUp(): Promise<void> {
    await ip('netns', 'add', this.router);
    await ip('-n', this.router, 'link', 'set', 'lo', 'up');
    await run('ip', ['netns', 'exec', this.router, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
    for (const host of HOSTS) await this.addHost(host);
  }

  private async addHost(host: HostName): Promise<void> {
    const ns = this.ns(host);
    const n = SUBNET[host];
    await ip('netns', 'add', ns);
    await ip(
      'link',
      'add',
      'eth0',
      'netns',
      ns,
      'type',
      'veth',
      'peer',
      'name',
      this.uplink(host),
      'netns',
      this.router,
    );
    await ip('-n', this.router, 'addr', 'add', `198.18.${n}.1/24`, 'dev', this.uplink(host));
    await ip('-n', this.router, 'link', 'set', this.uplink(host), 'up');
    await ip('-n', ns, 'addr', 'add', `198.18.${n}.2/24`, 'dev', 'eth0');
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
    await ip('-n', ns, 'link', 'set', 'eth0', 'up');
    await ip('-n', ns, 'route', 'add', TEST_RANGE, 'via', `198.18.${n}.1`);
  }

  /** The host's uplink goes dark at the router: its packets go nowhere. */
  async cutUplink(host: HostName): Promise<void> {
    await ip('-n', this.router, 'link', 'set', this.uplink(host), 'down');
  }

  async restoreUplink(host: HostName): Promise<void> {
    await ip('-n', this.router, 'link', 'set', this.uplink(host), 'up');
  }

  /** Only `from` loses its way to `to`'s subnet; every other path stays up. */
  async blackhole(from: HostName, to: HostName): Promise<void> {
    await ip('-n', this.ns(from), 'route', 'add', 'blackhole', hostSubnet(to));
  }

  async unblackhole(from: HostName, to: HostName): Promise<void> {
    await ip('-n', this.ns(from), 'route', 'del', 'blackhole', hostSubnet(to));
  }

  /** A further address for a host, in its own /24 (e.g. a second web server that can vanish alone). */
  async addAddress(host: HostName, address: string): Promise<void> {
    await ip('-n', this.ns(host), 'addr', 'add', `${address}/24`, 'dev', 'eth0');
  }

  /**
   * The router drops everything for `address` without a word (no ICMP): to the watcher the host has
   * silently vanished, as when a data center goes dark behind a provider's network.
   */
  async silence(address: string): Promise<void> {
    await ip('-n', this.router, 'route', 'add', 'blackhole', `${address}/32`);
  }

  async unsilence(address: string): Promise<void> {
    await ip('-n', this.router, 'route', 'del', 'blackhole', `${address}/32`);
  }

  /** Idempotent; safe to call from afterAll and from a signal handler alike. */
  async tearDown(): Promise<void> {
    if (this.torn) return;
    this.torn = true;
    await removeNamespaces((name) => name.startsWith(`${this.prefix}-`));
  }
}

/**
 * Last resort from a process 'exit' handler, where nothing asynchronous runs any more: kill what
 * is left inside this run's namespaces and delete them.
 */
export function tearDownSync(prefix: string): void {
  let names: string[];
  try {
    names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.split(' ')[0] ?? '')
      .filter((name) => name.startsWith(`${prefix}-`));
  } catch {
    return;
  }
  for (const name of names) {
    try {
      const pids = execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      execFileSync('ip', ['netns', 'del', name]);
    } catch {
      // keep going: every namespace we can remove is one less left behind
    }
  }
}

/** Namespaces left by an earlier run of this suite whose process is gone (a run killed mid-way). */
export async function removeLeftovers(): Promise<string[]> {
  return removeNamespaces((name) => {
    const m = NS_PATTERN.exec(name);
    return m !== null && Number(m[1]) !== process.pid && !processAlive(Number(m[1]));
  });
}

async function removeNamespaces(match: (name: string) => boolean): Promise<string[]> {
  const names = (await listNamespaces()).filter(match);
  for (const name of names) {
    await killProcessesIn(name);
    await ip('netns', 'del', name).catch(() => undefined);
  }
  return names;
}

export async function listNamespaces(): Promise<string[]> {
  const out = await ip('netns', 'list');
  return out
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.length > 0);
}

/** Processes still inside a namespace (PowerDNS, test servers, a watcher) would keep it alive. */
async function killProcessesIn(ns: string): Promise<void> {
  const out = await ip('netns', 'pids', ns).catch(() => '');
  for (const pid of out.split(/\s+/).filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
