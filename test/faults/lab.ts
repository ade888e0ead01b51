// The whole test bed in one object: the namespaces, an agent in each host, PowerDNS with its
// counting front door, the standby and the "internet" site. Teardown always runs: from afterAll,
// on SIGINT/SIGTERM, and (synchronously) when the process exits; leftovers of a killed earlier
// run are removed on the way in.

import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProxyRecord } from './agent.js';
import { HostAgent } from './hosts.js';
import { HOSTS, TestNetwork, hostAddress, removeLeftovers, tearDownSync, type HostName } from './net.js';
import { PDNS_API_PORT, PowerDns, ZONE } from './pdns.js';

export const PRIMARY = hostAddress('primary');
/** A second address of the primary host, for a primary that vanishes silently while the others stay. */
export const PRIMARY_SILENT = '198.18.1.3';
export const STANDBY = hostAddress('standby');
export const INTERNET = hostAddress('internet');
export const DNS = hostAddress('dns');
export const WATCHER = hostAddress('watcher');
/** The second DNS server, a secondary of the first (Lab.open with `secondary`). */
export const SECONDARY = hostAddress('secondary');

/** The DNS provider's API as the watchers see it: the counting proxy on the DNS host. */
export const DNS_API_PORT = 8081;
export const ZONE_URL = `http://${DNS}:${DNS_API_PORT}/api/v1/servers/localhost/zones/${ZONE}`;
const PROXY = 'dns-api';

/**
 * From the moment the first namespace exists until teardown: an interrupted run (SIGINT, SIGTERM) or a
 * process that exits without afterAll tears down synchronously, before anything else can die.
 * Returns the function that removes the guard again.
 */
function guardTeardown(prefix: string, dir: string): () => void {
  const onExit = (): void => {
    tearDownSync(prefix);
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    onExit();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

export class Lab {
  private closing: Promise<void> | undefined;

  private constructor(
    readonly net: TestNetwork,
    readonly dir: string,
    readonly agents: Record<HostName, HostAgent>,
    readonly pdns: PowerDns,
    private readonly unguard: () => void,
    /** The secondary PowerDNS on the `secondary` host, when asked for. */
    readonly secondary?: PowerDns,
  ) {}

  /**
   * `records`: names in the zone (relative), each pointing at the primary at the start. With
   * `secondary`, the DNS host's PowerDNS is a native primary (NOTIFY, AXFR, SOA-EDIT-API INCREASE set
   * through its API) of a second PowerDNS on the secondary host, which has the whole zone on return.
   */
  static async open(records: string[], opts: { secondary?: boolean } = {}): Promise<Lab> {
    await removeLeftovers();
    const net = new TestNetwork();
    const dir = await mkdtemp(join(tmpdir(), 'pfm-faults-'));
    const unguard = guardTeardown(net.prefix, dir);
    try {
      await net.setUp();
      await net.addAddress('primary', PRIMARY_SILENT);
      const agents = {} as Record<HostName, HostAgent>;
      await Promise.all(HOSTS.map(async (h) => (agents[h] = await HostAgent.start(net.ns(h)))));
      const pdns = await PowerDns.start({
        ns: net.ns('dns'),
        dir: join(dir, 'pdns'),
        address: DNS,
        records: Object.fromEntries(records.map((r) => [r, PRIMARY])),
        ...(opts.secondary ? { replication: { role: 'primary' as const, peer: SECONDARY } } : {}),
      });
      const secondary = opts.secondary ? await startSecondary(net, agents, pdns, dir, records) : undefined;
      const lab = new Lab(net, dir, agents, pdns, unguard, secondary);
      await agents.dns.proxy(PROXY, DNS, DNS_API_PORT, `http://127.0.0.1:${PDNS_API_PORT}`);
      await agents.standby.serve('standby', STANDBY, 80);
      await agents.internet.serve('internet', INTERNET, 80);
      return lab;
    } catch (err) {
      await net.tearDown();
      await rm(dir, { recursive: true, force: true });
      unguard();
      throw err;
    }
  }

  get apiKey(): string {
    return this.pdns.apiKey;
  }

  /** Where PowerDNS says `name` (relative to the zone) points right now; asked from the "internet" host. */
  async pointsAt(name: string): Promise<string> {
    const answer = await this.agents.internet.resolve(DNS, `${name}.${ZONE}`);
    return Array.isArray(answer) ? answer.join(',') : answer;
  }

  /** Every request that reached the DNS provider's API so far. */
  actionRequests(): Promise<ProxyRecord[]> {
    return this.agents.dns.proxyLog(PROXY);
  }

  /** Requests that asked to change `name`. */
  async requestsFor(name: string): Promise<ProxyRecord[]> {
    return (await this.actionRequests()).filter((r) => r.names.includes(`${name}.${ZONE}`));
  }

  /** The provider fails the next requests for `name` as scripted ('fail500', 'hold'). */
  scriptDnsApi(name: string, steps: Array<'fail500' | 'hold'>): Promise<void> {
    return this.agents.dns.proxyScript(PROXY, `${name}.${ZONE}`, steps);
  }

  /** The provider's API stops listening (connection refused) until `dnsApiUp`. */
  dnsApiDown(): Promise<void> {
    return this.agents.dns.close(PROXY);
  }

  async dnsApiUp(): Promise<void> {
    await this.agents.dns.proxy(PROXY, DNS, DNS_API_PORT, `http://127.0.0.1:${PDNS_API_PORT}`);
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    await Promise.allSettled(Object.values(this.agents).map((a) => a.stop()));
    await this.pdns.stop().catch(() => undefined);
    await this.secondary?.stop().catch(() => undefined);
    await this.net.tearDown();
    await rm(this.dir, { recursive: true, force: true });
    this.unguard();
  }
}

/**
 * The zone becomes a native primary with SOA-EDIT-API INCREASE (both through PowerDNS's API, from the
 * DNS host itself), then the secondary starts and transfers it; returns once it answers every name.
 */
async function startSecondary(
  net: TestNetwork,
  agents: Record<HostName, HostAgent>,
  primary: PowerDns,
  dir: string,
  records: string[],
): Promise<PowerDns> {
  const zone = await agents.dns.fetch(`http://127.0.0.1:${PDNS_API_PORT}/api/v1/servers/localhost/zones/${ZONE}`, {
    method: 'PUT',
    headers: { 'X-API-Key': primary.apiKey, 'Content-Type': 'application/json' },
    body: JSON.stringify({ kind: 'Master', soa_edit_api: 'INCREASE' }),
  });
  if (zone.status !== 204)
    throw new Error(`PowerDNS refused the zone's kind and SOA-EDIT-API: ${JSON.stringify(zone)}`);
  const secondary = await PowerDns.start({
    ns: net.ns('secondary'),
    dir: join(dir, 'pdns-secondary'),
    address: SECONDARY,
    records: {},
    replication: { role: 'secondary', peer: DNS },
  });
  const deadline = Date.now() + 60_000;
  for (const name of records) {
    for (;;) {
      const answer = await agents.internet.resolve(SECONDARY, `${name}.${ZONE}`);
      if (Array.isArray(answer) && answer.join(',') === PRIMARY) break;
      if (Date.now() > deadline)
        throw new Error(`the secondary never transferred the zone (${name}: ${String(answer)}):\n${secondary.log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return secondary;
}
