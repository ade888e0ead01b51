// The test process's handle on the engine running in the watcher's namespace: operator calls,
// the stream of engine events, an orderly stop, and the SIGKILL of scenario 8.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MonitorApi } from '../../src/shared/api.js';
import type { EngineEvent } from '../../src/shared/model.js';
import type { CallMessage, WatcherMessage } from './watcher.js';

const SCRIPT = fileURLToPath(new URL('./watcher.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

type Method = keyof MonitorApi;
type Result<M extends Method> = Awaited<ReturnType<MonitorApi[M]>>;

export class EngineCallError extends Error {
  constructor(
    readonly method: string,
    readonly code: string | undefined,
    message: string,
  ) {
    super(`${method}: ${code ?? 'error'}: ${message}`);
  }
}

export class WatcherProcess {
  /** Every event the engine emitted, with the test process's clock at arrival. */
  readonly events: Array<{ event: EngineEvent; receivedAt: number }> = [];
  private seq = 0;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; method: string }
  >();
  private readonly listeners = new Set<() => void>();
  private exited = false;
  stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly serverdir: string,
  ) {
    child.on('message', (msg: WatcherMessage) => this.receive(msg));
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-20_000);
    });
    child.on('exit', () => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new Error(`watcher exited during ${p.method}`));
      this.pending.clear();
      this.notify();
    });
  }

  static start(ns: string, serverdir: string): Promise<WatcherProcess> {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', SCRIPT, serverdir], {
      cwd: REPO,
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    const w = new WatcherProcess(child, serverdir);
    return new Promise((resolve, reject) => {
      const onMessage = (msg: WatcherMessage): void => {
        if (msg.kind === 'ready') resolve(w);
        if (msg.kind === 'fatal') reject(new Error(`watcher failed to start: ${msg.message}`));
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`watcher exited (${code}) before it was ready:\n${w.stderr}`)));
      child.once('error', reject);
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  private receive(msg: WatcherMessage): void {
    if (msg.kind === 'event') {
      this.events.push({ event: msg.event, receivedAt: Date.now() });
      this.notify();
    } else if (msg.kind === 'reply') {
      const p = this.pending.get(msg.seq);
      if (!p) return;
      this.pending.delete(msg.seq);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new EngineCallError(p.method, msg.error.code, msg.error.message));
    }
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  call<M extends Method>(method: M, ...args: Parameters<MonitorApi[M]>): Promise<Result<M>> {
    if (this.exited) return Promise.reject(new Error(`watcher is not running (${method})`));
    const seq = ++this.seq;
    return new Promise<Result<M>>((resolve, reject) => {
      this.pending.set(seq, { resolve: resolve as (v: unknown) => void, reject, method });
      this.child.send({ seq, method, args } satisfies CallMessage);
    });
  }

  /** The first event (from index `from` on) that matches, waiting for it up to `timeoutMs`. */
  waitFor(match: (e: EngineEvent) => boolean, timeoutMs: number, from = 0, what = 'an event'): Promise<EngineEvent> {
    const find = (): EngineEvent | undefined => this.events.slice(from).find((e) => match(e.event))?.event;
    const found = find();
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = find();
        if (hit) done(() => resolve(hit));
        else if (this.exited) done(() => reject(new Error(`watcher exited while waiting for ${what}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))),
        timeoutMs,
      );
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      this.listeners.add(check);
    });
  }

  /** The process dies on the spot: no writes finished, no lock released. */
  async kill(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGKILL');
    await gone;
  }

  /** Orderly stop: the engine closes (writes finished, lock released) when the IPC channel goes. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    this.child.disconnect();
    await gone;
    clearTimeout(timer);
  }
}
