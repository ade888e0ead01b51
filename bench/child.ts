// The benchmark's processes talk over Node's IPC channel with a tiny
// request/response protocol. Each child is bundled to plain JavaScript first
// (esbuild, already installed with tsx), so no TypeScript loader thread sits in
// the measured process: CPU and RSS are what the built app would show.

import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const benchDir = dirname(fileURLToPath(import.meta.url));
const projectDir = resolve(benchDir, '..');
// Inside node_modules so that the bundles' external packages resolve from the project.
const bundleDir = join(projectDir, 'node_modules', '.cache', 'pbx-bench');

interface Request {
  id: number;
  cmd: string;
  args: unknown;
}

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

/** Every process the benchmark starts; bundled together in one esbuild run. */
const ENTRIES = ['servers.ts', 'bare-loop.ts', 'engine-worker.ts', 'service-worker.ts'];
let bundled: Promise<void> | undefined;

/** The bundle of a bench entry (e.g. `bare-loop.ts`) with its imports; packages stay external. */
export async function bundle(entry: string): Promise<string> {
  if (!ENTRIES.includes(entry)) throw new Error(`${entry} is not a bench entry`);
  bundled ??= bundleAll();
  await bundled;
  return join(bundleDir, entry.replace(/\.ts$/, '.mjs'));
}

async function bundleAll(): Promise<void> {
  await mkdir(bundleDir, { recursive: true });
  await build({
    entryPoints: ENTRIES.map((e) => join(benchDir, e)).filter((file) => existsSync(file)),
    outdir: bundleDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
}

/** A benchmark child process, called like a small RPC server. */
export class Child {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited = false;
  private readonly exitPromise: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly proc: ChildProcess,
  ) {
    this.exitPromise = new Promise((resolveExit) => {
      proc.once('exit', (code, signal) => {
        this.exited = true;
        const why = new Error(`${name} exited (code ${code}, signal ${signal})`);
        for (const p of this.pending.values()) p.reject(why);
        this.pending.clear();
        resolveExit();
      });
    });
    proc.on('message', (msg: Reply) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new Error(`${name}: ${msg.error}`));
    });
  }

  static async start(entry: string, extraNodeArgs: string[] = []): Promise<Child> {
    const file = await bundle(entry);
    const proc = fork(file, [], {
      cwd: projectDir,
      execArgv: extraNodeArgs,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Child(entry, proc);
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** Run a command in the child; a child that does not answer within `timeoutMs` is killed. */
  call<T>(cmd: string, args: unknown = {}, timeoutMs = 120_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.name} has exited`));
    const id = this.nextId++;
    return new Promise<T>((res, rej) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.proc.kill('SIGKILL');
        rej(new Error(`${this.name}: no answer to ${cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = (fn: () => void): void => {
        clearTimeout(timer);
        fn();
      };
      this.pending.set(id, {
        resolve: (v) => settle(() => res(v as T)),
        reject: (e) => settle(() => rej(e)),
      });
      this.proc.send({ id, cmd, args } satisfies Request);
    });
  }

  /** Ask the child to exit; kill it if it does not within `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.exited) return;
    this.proc.send({ id: 0, cmd: 'exit', args: {} } satisfies Request);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }
}

export type Handlers = Record<string, (args: never) => unknown>;

/** Child side: answer the parent's commands; `exit` runs `onExit` and ends the process. */
export function serveCommands(handlers: Handlers, onExit: () => Promise<void> | void = () => {}): void {
  if (!process.send) throw new Error('a bench child must be started with an IPC channel');
  process.on('message', async (msg: Request) => {
    if (msg.cmd === 'exit') {
      await onExit();
      process.exit(0);
    }
    const handler = handlers[msg.cmd];
    let reply: Reply;
    try {
      if (!handler) throw new Error(`unknown command ${msg.cmd}`);
      reply = { id: msg.id, ok: true, value: await handler(msg.args as never) };
    } catch (err) {
      reply = { id: msg.id, ok: false, error: describeError(err) };
    }
    process.send!(reply);
  });
  // The parent going away must not leave servers or engines behind.
  process.on('disconnect', () => process.exit(0));
}

/** First line of the message, plus the problems a MonitorError lists (which pair, which field). */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const problems = (err as { problems?: Array<{ pair?: string; field: string; message: string }> }).problems;
  const listed = problems?.map((p) => `${p.pair ? `${p.pair}: ` : ''}${p.field}: ${p.message}`).join('; ');
  return listed ? `${err.message} (${listed})` : (err.stack ?? err.message);
}
