// The test process's handle on an agent running inside a namespace: start it, send it commands,
// stop it. Each host of the topology gets one agent that plays its web servers.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Behaviour, Command, FetchOutcome, ProxyRecord, ProxyStep, Reply } from './agent.js';

const AGENT = fileURLToPath(new URL('./agent.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

export class HostAgent {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private constructor(
    readonly ns: string,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (reply: Reply) => {
      const waiter = this.pending.get(reply.seq);
      if (!waiter) return;
      this.pending.delete(reply.seq);
      if (reply.ok) waiter.resolve(reply.result);
      else waiter.reject(new Error(`agent in ${ns}: ${reply.error ?? 'failed'}`));
    });
    child.on('exit', () => {
      for (const w of this.pending.values()) w.reject(new Error(`agent in ${ns} exited`));
      this.pending.clear();
    });
  }

  static start(ns: string): Promise<HostAgent> {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', AGENT], {
      cwd: REPO,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      const failed = (code: number | null): void =>
        reject(new Error(`agent in ${ns} exited (${code}) before it was ready`));
      child.once('exit', failed);
      child.once('error', reject);
      child.once('message', () => {
        child.off('exit', failed);
        resolve(new HostAgent(ns, child));
      });
    });
  }

  private call<T>(command: Command): Promise<T> {
    const seq = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(seq, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ seq, command });
    });
  }

  /** Start (or restart after `close`) a web server; returns its port. */
  serve(id: string, address: string, port: number, behaviour: Behaviour = { kind: 'ok' }): Promise<number> {
    return this.call({ op: 'serve', id, address, port, behaviour });
  }

  behave(id: string, behaviour: Behaviour): Promise<void> {
    return this.call({ op: 'behave', id, behaviour });
  }

  /** Stop listening and drop open connections: the PBX's web server died. */
  close(id: string): Promise<void> {
    return this.call({ op: 'close', id });
  }

  hits(id: string): Promise<number> {
    return this.call({ op: 'hits', id });
  }

  proxy(id: string, address: string, port: number, target: string): Promise<number> {
    return this.call({ op: 'proxy', id, address, port, target });
  }

  proxyScript(id: string, name: string, steps: ProxyStep[]): Promise<void> {
    return this.call({ op: 'proxyScript', id, name, steps });
  }

  proxyLog(id: string): Promise<ProxyRecord[]> {
    return this.call({ op: 'proxyLog', id });
  }

  /** The A records the DNS server gives for a name, or the error code (NXDOMAIN, ETIMEOUT, …). */
  resolve(server: string, name: string): Promise<string[] | string> {
    return this.call({ op: 'resolve', server, name });
  }

  /** One HTTP request from this host, for proving which paths of the network are open. */
  fetch(
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
  ): Promise<FetchOutcome> {
    const command: Command = {
      op: 'fetch',
      url,
      method: init.method ?? 'GET',
      headers: init.headers ?? {},
      timeoutMs: init.timeoutMs ?? 2000,
    };
    if (init.body !== undefined) command.body = init.body;
    return this.call(command);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGKILL');
    await exited;
  }
}
