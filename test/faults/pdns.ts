// The DNS provider: PowerDNS Authoritative with its SQLite backend and HTTP API, run inside the DNS
// host's namespace. Its API listens on that namespace's loopback only, so every action request has to
// pass the counting proxy in front of it (see agent.ts), which is what makes "exactly one request" provable.

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const SCHEMA = '/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql';
export const ZONE = 'pbx.test.';
/** Where PowerDNS's own API listens inside the DNS namespace. */
export const PDNS_API_PORT = 8081;

export interface PdnsOptions {
  ns: string;
  dir: string;
  /** The DNS host's address: PowerDNS answers queries there. */
  address: string;
  /** Names (relative to the zone) and the address each starts out pointing at. */
  records: Record<string, string>;
  /**
   * Native replication: `primary` sends NOTIFY to `peer` and lets it transfer the zone (AXFR);
   * `secondary` holds no zone of its own and transfers it from `peer`. Left out: a lone server.
   */
  replication?: { role: 'primary' | 'secondary'; peer: string };
}

export class PowerDns {
  private output = '';
  private constructor(
    readonly apiKey: string,
    readonly apiTarget: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(opts: PdnsOptions): Promise<PowerDns> {
    await mkdir(join(opts.dir, 'sock'), { recursive: true });
    const database = join(opts.dir, 'pdns.sqlite3');
    await run('sqlite3', ['-init', '/dev/null', database, `.read ${SCHEMA}`]);
    const apiKey = randomBytes(24).toString('hex');
    await writeFile(join(opts.dir, 'pdns.conf'), config(opts, database, apiKey), { mode: 0o600 });
    if (opts.replication?.role === 'secondary') {
      await run('pdnsutil', [`--config-dir=${opts.dir}`, 'create-secondary-zone', ZONE, opts.replication.peer]);
    } else {
      await writeFile(join(opts.dir, 'zone'), zoneFile(opts));
      await run('pdnsutil', [`--config-dir=${opts.dir}`, 'load-zone', ZONE, join(opts.dir, 'zone')]);
    }
    const child = spawn('ip', ['netns', 'exec', opts.ns, 'pdns_server', `--config-dir=${opts.dir}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pdns = new PowerDns(apiKey, `http://127.0.0.1:${PDNS_API_PORT}`, child);
    await pdns.ready();
    return pdns;
  }

  private ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`PowerDNS did not start:\n${this.output}`)), 20_000);
      const onData = (chunk: Buffer): void => {
        this.output += chunk.toString();
        if (this.output.includes('ready to distribute questions')) {
          clearTimeout(timer);
          resolve();
        }
      };
      this.child.stdout?.on('data', onData);
      this.child.stderr?.on('data', onData);
      this.child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`PowerDNS exited (${code}):\n${this.output}`));
      });
    });
  }

  /** What PowerDNS printed, for a failed test's message. */
  get log(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

function config(opts: PdnsOptions, database: string, apiKey: string): string {
  return [
    'launch=gsqlite3',
    `gsqlite3-database=${database}`,
    `local-address=${opts.address}`,
    'local-port=53',
    'api=yes',
    `api-key=${apiKey}`,
    'webserver=yes',
    'webserver-address=127.0.0.1',
    `webserver-port=${PDNS_API_PORT}`,
    'webserver-allow-from=127.0.0.1/32',
    `socket-dir=${join(opts.dir, 'sock')}`,
    // Every answer must reflect the record as it is now, not as it was a moment ago.
    'cache-ttl=0',
    'query-cache-ttl=0',
    'negquery-cache-ttl=0',
    'zone-cache-refresh-interval=0',
    'guardian=no',
    'daemon=no',
    'disable-syslog=yes',
    'write-pid=no',
    'loglevel=4',
    ...replicationConfig(opts),
    '',
  ].join('\n');
}

/** The settings of native primary/secondary replication; changes are noticed and transferred within a second. */
function replicationConfig(opts: PdnsOptions): string[] {
  const r = opts.replication;
  if (!r) return [];
  const common = ['xfr-cycle-interval=1'];
  if (r.role === 'primary') return [...common, 'primary=yes', `allow-axfr-ips=${r.peer}/32`, `also-notify=${r.peer}`];
  return [...common, 'secondary=yes', `allow-notify-from=${r.peer}/32`];
}

function zoneFile(opts: PdnsOptions): string {
  const lines = [
    `$ORIGIN ${ZONE}`,
    `@ 3600 IN SOA ns1.${ZONE} hostmaster.${ZONE} 1 10800 3600 604800 60`,
    `@ 3600 IN NS ns1.${ZONE}`,
    `ns1 60 IN A ${opts.address}`,
  ];
  for (const [name, address] of Object.entries(opts.records)) lines.push(`${name} 60 IN A ${address}`);
  return lines.join('\n') + '\n';
}

/**
 * The body of an action URL that points `name` at `address` (PowerDNS's rrsets PATCH). The optional
 * comment may hold the app's template variables, so the real API proves their JSON escaping.
 */
export function pointBody(name: string, address: string, comment?: string): string {
  const rrset: Record<string, unknown> = {
    name: `${name}.${ZONE}`,
    type: 'A',
    ttl: 60,
    changetype: 'REPLACE',
    records: [{ content: address, disabled: false }],
  };
  if (comment !== undefined) rrset['comments'] = [{ content: comment, account: 'pbx-failover-monitor' }];
  return JSON.stringify({ rrsets: [rrset] });
}
