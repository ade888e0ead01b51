// The cluster scenarios' nodes: each a real `pbx-failover-monitor serve --cluster …` process (the
// command line through tsx) on a free loopback port, with its own serverdir and the shared token
// file; its API is what the tests look at (GET /api/cluster, /api/pairs/…). SIGKILL, SIGSTOP and
// SIGCONT are sent to the process itself.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterInfo } from '../../src/shared/cluster.js';
import type { PairDetail } from '../../src/shared/model.js';
import { spawn } from 'node:child_process';
import { REPO_ROOT, spawnCli, type ChildService } from '../helpers/service-harness.js';
import type { HostAgent } from './hosts.js';

/** spawnCli, inside a network namespace (the fault suite runs as root). */
function spawnInNamespace(ns: string, args: string[]): ChildService {
  const proc = spawn(
    'ip',
    ['netns', 'exec', ns, process.execPath, '--import', 'tsx', join('src', 'server', 'cli.ts'), ...args],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    proc.on('close', (code, signal) => done({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  return {
    proc,
    get stdout() {
      return out;
    },
    get stderr() {
      return '';
    },
    exited,
    waitForOutput: (pattern, timeoutMs = 60_000) =>
      eventually(
        `${pattern} in the output of node ${args.join(' ')}`,
        async () => {
          const match = out.match(pattern);
          if (match) return match;
          if (gone) throw new Error(`exited without printing ${pattern}:\n${out}`);
          return undefined;
        },
        timeoutMs,
      ),
    kill: () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
}

export interface NodeOptions {
  name: string;
  serverdir: string;
  tokenFile: string;
  etcd: string[];
  prefix: string;
  leaseTtl: number;
  /** Run inside this network namespace, listening on `host` (default: loopback of the test process). */
  ns?: string;
  host?: string;
  /** Reach the node's API through this agent (a namespace the test process has no route into). */
  via?: HostAgent;
}

const NODE_PORT = 8480;

export class ClusterNode {
  private constructor(
    readonly name: string,
    readonly url: string,
    readonly child: ChildService,
    private readonly token: () => string,
    private readonly via?: HostAgent,
  ) {}

  static async start(o: NodeOptions, readToken: () => string): Promise<ClusterNode> {
    await mkdir(o.serverdir, { recursive: true });
    const host = o.host ?? '127.0.0.1';
    // On loopback the node picks a free port itself (a port picked here could be taken before it binds).
    const port = o.ns ? NODE_PORT : 0;
    const args = [
      'serve',
      '--serverdir',
      o.serverdir,
      '--host',
      host,
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
    ];
    const child = o.ns ? spawnInNamespace(o.ns, args) : spawnCli(args);
    await child.waitForOutput(/Cluster node /, 120_000);
    const dashboard = await child.waitForOutput(/Dashboard: (https?:\/\/[^/\s]+)/, 120_000);
    return new ClusterNode(o.name, dashboard[1]!, child, readToken, o.via);
  }

  get pid(): number {
    return this.child.proc.pid ?? -1;
  }

  async api<T>(path: string, init: RequestInit = {}): Promise<T> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${this.token()}`);
    if (this.via) {
      const plain: Record<string, string> = {};
      headers.forEach((value, key) => (plain[key] = value));
      const got = await this.via.fetch(`${this.url}${path}`, {
        method: init.method ?? 'GET',
        headers: plain,
        ...(typeof init.body === 'string' ? { body: init.body } : {}),
        timeoutMs: 5000,
      });
      if (got.status === undefined || got.status >= 300)
        throw new Error(`${this.name}: ${init.method ?? 'GET'} ${path}: ${got.status ?? got.error} ${got.body ?? ''}`);
      return JSON.parse(got.body ?? 'null') as T;
    }
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
