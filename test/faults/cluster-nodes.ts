// The cluster scenarios' nodes: each a real `pbx-failover-monitor serve --cluster …` process (the
// command line through tsx) on a free loopback port, with its own serverdir and the shared token
// file; its API is what the tests look at (GET /api/cluster, /api/pairs/…). SIGKILL, SIGSTOP and
// SIGCONT are sent to the process itself.

import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { ClusterInfo } from '../../src/shared/cluster.js';
import type { PairDetail } from '../../src/shared/model.js';
import { spawnCli, type ChildService } from '../helpers/service-harness.js';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface NodeOptions {
  name: string;
  serverdir: string;
  tokenFile: string;
  etcd: string[];
  prefix: string;
  leaseTtl: number;
}

export class ClusterNode {
  private constructor(
    readonly name: string,
    readonly url: string,
    readonly child: ChildService,
    private readonly token: () => string,
  ) {}

  static async start(o: NodeOptions, readToken: () => string): Promise<ClusterNode> {
    await mkdir(o.serverdir, { recursive: true });
    const port = await freePort();
    const child = spawnCli([
      'serve',
      '--serverdir',
      o.serverdir,
      '--port',
      String(port),
      '--token-file',
      o.tokenFile,
      '--cluster',
      o.etcd.join(','),
      '--node',
      o.name,
      '--cluster-prefix',
      o.prefix,
      '--lease-ttl',
      String(o.leaseTtl),
    ]);
    await child.waitForOutput(/Cluster node /, 120_000);
    return new ClusterNode(o.name, `http://127.0.0.1:${port}`, child, readToken);
  }

  get pid(): number {
    return this.child.proc.pid ?? -1;
  }

  async api<T>(path: string, init: RequestInit = {}): Promise<T> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${this.token()}`);
    const res = await fetch(`${this.url}${path}`, { ...init, headers, signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${this.name}: ${init.method ?? 'GET'} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }

  cluster(): Promise<ClusterInfo> {
    return this.api<ClusterInfo>('/api/cluster');
  }

  pair(id: string): Promise<PairDetail> {
    return this.api<PairDetail>(`/api/pairs/${encodeURIComponent(id)}`);
  }

  signal(signal: NodeJS.Signals): void {
    this.child.proc.kill(signal);
  }

  async kill(): Promise<void> {
    if (this.child.proc.exitCode !== null || this.child.proc.signalCode !== null) return;
    this.child.proc.kill('SIGCONT');
    this.child.kill();
    await this.child.exited;
  }
}

export function nodeDir(root: string, name: string): string {
  return join(root, `node-${name}`);
}

/** Polls `check` until it returns something other than undefined/false; errors count as "not yet". */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
