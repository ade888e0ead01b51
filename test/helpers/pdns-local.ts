// A real PowerDNS Authoritative on loopback for unit tests: SQLite backend, its HTTP API, no
// namespace. Queries and API each listen on a free 127.0.0.1 port; caches are off so every answer
// is the record as it is now. The fault suite's namespaced PowerDNS is test/faults/pdns.ts.

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCHEMA = '/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql';

export interface LocalRecord {
  /** Relative to the zone ("pbx"), or "@". */
  name: string;
  type: string;
  content: string;
  ttl?: number;
}

/** A port free for both TCP and UDP on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}

export class LocalPowerDns {
  private output = '';
  private constructor(
    readonly zone: string,
    readonly port: number,
    readonly apiPort: number,
    readonly apiKey: string,
    private readonly dir: string,
    private readonly child: ChildProcess,
  ) {}

  /** `host:port` as written in `<server>`. */
  get server(): string {
    return `127.0.0.1:${this.port}`;
  }

  get zoneUrl(): string {
    return `http://127.0.0.1:${this.apiPort}/api/v1/servers/localhost/zones/${this.zone}`;
  }

  static async start(zone: string, records: LocalRecord[]): Promise<LocalPowerDns> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await LocalPowerDns.tryStart(zone, records);
      } catch (error) {
        // Another test may have taken a port between the check and pdns binding it.
        if (attempt >= 3) throw error;
      }
    }
  }

  private static async tryStart(zone: string, records: LocalRecord[]): Promise<LocalPowerDns> {
    const dir = await mkdtemp(join(tmpdir(), 'pfm-pdns-'));
    await mkdir(join(dir, 'sock'));
    const database = join(dir, 'pdns.sqlite3');
    await run('sqlite3', ['-init', '/dev/null', database, `.read ${SCHEMA}`]);
    const [port, apiPort] = [await freePort(), await freePort()];
    const apiKey = randomBytes(16).toString('hex');
    await writeFile(join(dir, 'pdns.conf'), config(dir, database, port, apiPort, apiKey), { mode: 0o600 });
    const lines = [
      `$ORIGIN ${zone}`,
      `@ 3600 IN SOA ns1.${zone} hostmaster.${zone} 1 10800 3600 604800 60`,
      `@ 3600 IN NS ns1.${zone}`,
      `ns1 60 IN A 127.0.0.1`,
      ...records.map((r) => `${r.name} ${r.ttl ?? 60} IN ${r.type} ${r.content}`),
    ];
    await writeFile(join(dir, 'zone'), lines.join('\n') + '\n');
    await run('pdnsutil', [`--config-dir=${dir}`, 'load-zone', zone, join(dir, 'zone')]);
    const child = spawn('pdns_server', [`--config-dir=${dir}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const pdns = new LocalPowerDns(zone, port, apiPort, apiKey, dir, child);
    try {
      await pdns.ready();
      await pdns.setSoaEditApi('INCREASE');
    } catch (error) {
      await pdns.stop();
      throw error;
    }
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

  get log(): string {
    return this.output;
  }

  /** The zone's SOA-EDIT-API metadata (through the API's `soa_edit_api`): INCREASE bumps the serial on every change. */
  async setSoaEditApi(value: string): Promise<void> {
    const res = await fetch(this.zoneUrl, {
      method: 'PUT',
      headers: { 'X-API-Key': this.apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ soa_edit_api: value }),
    });
    if (res.status !== 204) throw new Error(`PowerDNS API answered ${res.status}: ${await res.text()}`);
  }

  /** Replaces the record set `name` (relative) of `type` through the HTTP API, as a DNS provider's API would. */
  async replace(name: string, type: string, contents: string[], ttl = 60): Promise<void> {
    const rrset = {
      name: `${name}.${this.zone}`,
      type,
      ttl,
      changetype: 'REPLACE',
      records: contents.map((content) => ({ content, disabled: false })),
    };
    const res = await fetch(this.zoneUrl, {
      method: 'PATCH',
      headers: { 'X-API-Key': this.apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ rrsets: [rrset] }),
    });
    if (res.status !== 204) throw new Error(`PowerDNS API answered ${res.status}: ${await res.text()}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

function config(dir: string, database: string, port: number, apiPort: number, apiKey: string): string {
  return [
    'launch=gsqlite3',
    `gsqlite3-database=${database}`,
    'local-address=127.0.0.1',
    `local-port=${port}`,
    'api=yes',
    `api-key=${apiKey}`,
    'webserver=yes',
    'webserver-address=127.0.0.1',
    `webserver-port=${apiPort}`,
    'webserver-allow-from=127.0.0.1/32',
    `socket-dir=${join(dir, 'sock')}`,
    'cache-ttl=0',
    'query-cache-ttl=0',
    'negquery-cache-ttl=0',
    'zone-cache-refresh-interval=0',
    'guardian=no',
    'daemon=no',
    'disable-syslog=yes',
    'write-pid=no',
    'loglevel=4',
    '',
  ].join('\n');
}
