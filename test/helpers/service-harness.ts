// The headless service for tests: started in-process on an ephemeral port with a throw-away
// serverdir, or spawned as a child process (`node --import tsx src/server/cli.ts …`) for what
// only a real process shows: signals, exit codes, the lock held by another pid.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunningService, ServiceOptions } from '../../src/server/service.js';
import type { Logger } from '../../src/core/ports.js';
import type { PairSettings } from '../../src/shared/model.js';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const CONFIG_FILE = 'pbxctrl-failover.xml';

export async function tempServerdir(prefix = 'pfm-service-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A logger that keeps every line, so tests can prove no secret was logged. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const put = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    void lines.push(`${level} ${message} ${fields ? JSON.stringify(fields) : ''}`);
  return { lines, info: put('info'), warn: put('warn'), error: put('error') };
}

export interface TestService extends RunningService {
  serverdir: string;
  log: ReturnType<typeof recordingLogger>;
  /** fetch() against the service with the token (unless `auth: false`). */
  api(path: string, init?: RequestInit & { auth?: boolean }): Promise<Response>;
  /** api() that expects a 2xx JSON answer. */
  json<T = unknown>(path: string, init?: RequestInit): Promise<T>;
  /** Close the service and delete the serverdir (unless it was given). */
  dispose(): Promise<void>;
}

export interface TestServiceOptions extends Partial<ServiceOptions> {
  /** Written as pbxctrl-failover.xml before the start. */
  xml?: string;
}

export async function startTestService(opts: TestServiceOptions = {}): Promise<TestService> {
  const owned = opts.serverdir === undefined;
  const serverdir = opts.serverdir ?? (await tempServerdir());
  if (opts.xml !== undefined) await writeFile(join(serverdir, CONFIG_FILE), opts.xml);
  const log = recordingLogger();
  const { xml: _xml, ...serviceOpts } = opts;
  // Loaded on first use, so suites that only spawn the command line do not load the engine in-process.
  const { startService } = await import('../../src/server/service.js');
  const service = await startService({ host: '127.0.0.1', port: 0, log, ...serviceOpts, serverdir });
  const api = (path: string, init: RequestInit & { auth?: boolean } = {}) => {
    const { auth = true, headers, ...rest } = init;
    const all = new Headers(headers);
    if (auth) all.set('authorization', `Bearer ${service.token}`);
    return fetch(`${service.url}${path}`, { ...rest, headers: all });
  };
  const json = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await api(path, init);
    const text = await res.text();
    if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${res.status} ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
  return Object.assign(service, {
    serverdir,
    log,
    api,
    json,
    dispose: async () => {
      await service.close();
      if (owned) await rm(serverdir, { recursive: true, force: true });
    },
  });
}

/** JSON request options for api()/json(). */
export function jsonBody(method: string, body: unknown): RequestInit {
  return { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** Poll until `check` returns a value other than undefined/false, or fail after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface ChildService {
  proc: ChildProcess;
  /** stdout and stderr so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the first match of `pattern` in stdout+stderr. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running (cleanup after a failed test). */
  kill(): void;
}

/** Run the command line as a child process, from TypeScript through tsx (no build needed). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildService {
  const proc = spawn(process.execPath, ['--import', 'tsx', join('src', 'server', 'cli.ts'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // 'close' comes after the output streams ended, so nothing printed is missed.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    proc.on('close', (code, signal) => done({ code, signal })),
  );
  return {
    proc,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
    waitForOutput: async (pattern, timeoutMs = 60_000) => {
      let done = false;
      void exited.then(() => (done = true));
      return waitFor(
        `${pattern} in the output of ${args.join(' ')}`,
        () => {
          const match = (stdout + stderr).match(pattern);
          if (match) return match;
          if (done) throw new Error(`exited without printing ${pattern}:\n${stdout}\n${stderr}`);
          return undefined;
        },
        timeoutMs,
      );
    },
    kill: () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
}

/** Run the command line to completion. */
export async function runCli(
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(args, env);
  const { code } = await child.exited;
  return { code, stdout: child.stdout, stderr: child.stderr };
}

export interface TestPair {
  id: string;
  name?: string;
  primaryUrl: string;
  validationUrl: string;
  actionUrl: string;
  interval?: number;
  toleratedFailures?: number;
  /** The action's Basic-auth password: the secret tests look for in answers and logs. */
  pass?: string;
  retries?: number;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** pbxctrl-failover.xml for these pairs, in the engine issue's contract shape. */
export function configXml(pairs: TestPair[]): string {
  const body = pairs
    .map(
      (p) => `  <pair id="${escapeXml(p.id)}">
    <name>${escapeXml(p.name ?? p.id)}</name>
    <primary-url>${escapeXml(p.primaryUrl)}</primary-url>
    <interval>${p.interval ?? 0.2}</interval>
    <tolerated-failures>${p.toleratedFailures ?? 1}</tolerated-failures>
    <validation quorum="1"><url>${escapeXml(p.validationUrl)}</url></validation>
    <action method="POST" encoding="json" auth="basic" retries="${p.retries ?? 2}" timeout="2">
      <url>${escapeXml(p.actionUrl)}</url>
      <user>api</user><pass>${escapeXml(p.pass ?? 'not-a-secret')}</pass>
      <body>{"pair":"{pair}","reason":"{reason}"}</body>
    </action>
  </pair>
`,
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<pbxctrl-failover version="1">\n${body}</pbxctrl-failover>\n`;
}

/** The same pair as API settings (POST /api/pairs). */
export function pairSettings(p: TestPair): PairSettings {
  return {
    id: p.id,
    name: p.name ?? p.id,
    primaryUrl: p.primaryUrl,
    interval: p.interval ?? 0.2,
    toleratedFailures: p.toleratedFailures ?? 1,
    acceptStatus: '200',
    validation: { quorum: 1, urls: [p.validationUrl] },
    action: {
      method: 'POST',
      url: p.actionUrl,
      encoding: 'json',
      auth: 'basic',
      user: 'api',
      pass: p.pass ?? 'not-a-secret',
      headers: [],
      body: '{"pair":"{pair}","reason":"{reason}"}',
      retries: p.retries ?? 2,
      timeout: 2,
    },
  };
}
