// A small program run inside one test host's namespace (`ip netns exec <ns> node --import tsx agent.ts`).
// The test process drives it over the IPC channel: it plays web servers whose answers can be changed
// at any moment (the primary, the standby, the "internet" site), the DNS provider's front door (a
// counting proxy before PowerDNS's API that can also fail on purpose), and a DNS client.

import http from 'node:http';
import { Resolver } from 'node:dns/promises';
import type { AddressInfo } from 'node:net';

/** How a test web server answers. `pattern` cycles through statuses, one per request. */
export type Behaviour =
  | { kind: 'ok' }
  | { kind: 'status'; status: number }
  | { kind: 'delay'; ms: number }
  | { kind: 'pattern'; statuses: number[] };

/** What the DNS provider's front door does with the next action request for a name. */
export type ProxyStep = 'fail500' | 'hold';

export interface ProxyRecord {
  at: number;
  method: string;
  path: string;
  /** rrset names the body asks to change. */
  names: string[];
  /** record contents the body asks to set. */
  contents: string[];
  /** the first rrset comment, where the action's template variables were filled in. */
  comment?: string;
  /** forwarded to PowerDNS; answered 500 by script; held unanswered, then abandoned by the client. */
  outcome: 'forwarded' | 'fail500' | 'held' | 'aborted';
  status?: number;
}

export type Command =
  | { op: 'serve'; id: string; address: string; port: number; behaviour: Behaviour }
  | { op: 'behave'; id: string; behaviour: Behaviour }
  | { op: 'close'; id: string }
  | { op: 'hits'; id: string }
  | { op: 'proxy'; id: string; address: string; port: number; target: string }
  | { op: 'proxyScript'; id: string; name: string; steps: ProxyStep[] }
  | { op: 'proxyLog'; id: string }
  | { op: 'resolve'; server: string; name: string }
  | { op: 'fetch'; url: string; method: string; headers: Record<string, string>; body?: string; timeoutMs: number }
  | { op: 'exit' };

export interface Request {
  seq: number;
  command: Command;
}

export interface Reply {
  seq: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

interface TestServer {
  server: http.Server;
  address: string;
  port: number;
  behaviour: Behaviour;
  requests: number;
  hits: number;
}

interface Proxy extends TestServer {
  target: string;
  scripts: Map<string, ProxyStep[]>;
  log: ProxyRecord[];
  /** PowerDNS with SQLite is happiest with one change at a time, as a provider's API would queue them. */
  queue: Promise<void>;
}

const servers = new Map<string, TestServer>();
const proxies = new Map<string, Proxy>();

function listen(server: http.Server, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function answer(res: http.ServerResponse, status: number, body: string): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' });
  res.end(body);
}

function respond(entry: TestServer, res: http.ServerResponse): void {
  const b = entry.behaviour;
  const n = entry.requests++;
  entry.hits++;
  if (b.kind === 'ok') answer(res, 200, 'ok\n');
  else if (b.kind === 'status') answer(res, b.status, `status ${b.status}\n`);
  else if (b.kind === 'delay') setTimeout(() => answer(res, 200, 'slow but ok\n'), b.ms);
  else answer(res, b.statuses[n % b.statuses.length] ?? 200, 'pattern\n');
}

async function serve(id: string, address: string, port: number, behaviour: Behaviour): Promise<number> {
  const existing = servers.get(id);
  const entry: TestServer = existing ?? {
    server: http.createServer(),
    address,
    port,
    behaviour,
    requests: 0,
    hits: 0,
  };
  entry.behaviour = behaviour;
  entry.requests = 0;
  entry.server = http.createServer((req, res) => {
    req.resume();
    respond(entry, res);
  });
  entry.port = await listen(entry.server, address, port);
  servers.set(id, entry);
  return entry.port;
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

interface RrsetPatch {
  rrsets?: { name?: string; records?: { content?: string }[]; comments?: { content?: string }[] }[];
}

function describeChange(body: string): { names: string[]; contents: string[]; comment?: string } {
  try {
    const rrsets = (JSON.parse(body) as RrsetPatch).rrsets ?? [];
    const change = {
      names: rrsets.map((r) => r.name ?? ''),
      contents: rrsets.flatMap((r) => (r.records ?? []).map((rec) => rec.content ?? '')),
    };
    const comment = rrsets[0]?.comments?.[0]?.content;
    return comment === undefined ? change : { ...change, comment };
  } catch {
    return { names: [], contents: [] };
  }
}

/** Forward to PowerDNS, copying every header the watcher sent (its API key decides whether PowerDNS accepts). */
async function forward(
  proxy: Proxy,
  req: http.IncomingMessage,
  body: string,
): Promise<{ status: number; body: string }> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || ['host', 'connection', 'content-length', 'transfer-encoding'].includes(name)) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const init: RequestInit = { method: req.method ?? 'GET', headers };
  if (body.length > 0) init.body = body;
  const res = await fetch(proxy.target + (req.url ?? '/'), init);
  return { status: res.status, body: await res.text() };
}

async function handleProxied(proxy: Proxy, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const body = await readBody(req);
  const change = describeChange(body);
  const record: ProxyRecord = {
    at: Date.now(),
    method: req.method ?? '',
    path: req.url ?? '',
    ...change,
    outcome: 'forwarded',
  };
  proxy.log.push(record);
  const script = proxy.scripts.get(change.names[0] ?? '') ?? [];
  const step = script.shift();
  if (step === 'fail500') {
    record.outcome = 'fail500';
    record.status = 500;
    answer(res, 500, '{"error":"scripted failure of the DNS provider"}');
    return;
  }
  if (step === 'hold') {
    // Never answered and never forwarded: a provider that took the request but had not acted yet.
    record.outcome = 'held';
    res.on('close', () => {
      record.outcome = 'aborted';
    });
    return;
  }
  const run = proxy.queue.then(async () => {
    const out = await forward(proxy, req, body);
    record.status = out.status;
    res.writeHead(out.status, { 'content-type': 'application/json', connection: 'close' });
    res.end(out.body);
  });
  proxy.queue = run.catch(() => undefined);
  await run;
}

async function startProxy(id: string, address: string, port: number, target: string): Promise<number> {
  const existing = proxies.get(id);
  const proxy: Proxy = existing ?? {
    server: http.createServer(),
    address,
    port,
    behaviour: { kind: 'ok' },
    requests: 0,
    hits: 0,
    target,
    scripts: new Map(),
    log: [],
    queue: Promise.resolve(),
  };
  proxy.server = http.createServer((req, res) => {
    handleProxied(proxy, req, res).catch((err: unknown) => answer(res, 502, `proxy: ${String(err)}`));
  });
  proxy.port = await listen(proxy.server, address, port);
  proxies.set(id, proxy);
  return proxy.port;
}

async function resolveName(server: string, name: string): Promise<string[] | string> {
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([server]);
  try {
    return await resolver.resolve4(name);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

export interface FetchOutcome {
  status?: number;
  body?: string;
  error?: string;
}

async function fetchOnce(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  timeoutMs: number,
): Promise<FetchOutcome> {
  try {
    const init: RequestInit = { method, headers, signal: AbortSignal.timeout(timeoutMs) };
    if (body !== undefined) init.body = body;
    const res = await fetch(url, init);
    return { status: res.status, body: await res.text() };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return { error: cause?.code ?? (err as Error).name };
  }
}

function need<T>(map: Map<string, T>, id: string): T {
  const v = map.get(id);
  if (v === undefined) throw new Error(`no server called ${id}`);
  return v;
}

async function execute(c: Command): Promise<unknown> {
  switch (c.op) {
    case 'serve':
      return serve(c.id, c.address, c.port, c.behaviour);
    case 'behave': {
      const s = need(servers, c.id);
      s.behaviour = c.behaviour;
      s.requests = 0;
      return null;
    }
    case 'close':
      await close((servers.get(c.id) ?? need(proxies, c.id)).server);
      return null;
    case 'hits':
      return need(servers, c.id).hits;
    case 'proxy':
      return startProxy(c.id, c.address, c.port, c.target);
    case 'proxyScript':
      need(proxies, c.id).scripts.set(c.name, [...c.steps]);
      return null;
    case 'proxyLog':
      return need(proxies, c.id).log;
    case 'resolve':
      return resolveName(c.server, c.name);
    case 'fetch':
      return fetchOnce(c.url, c.method, c.headers, c.body, c.timeoutMs);
    case 'exit':
      setImmediate(() => process.exit(0));
      return null;
  }
}

process.on('message', (msg: Request) => {
  execute(msg.command).then(
    (result) => process.send?.({ seq: msg.seq, ok: true, result } satisfies Reply),
    (err: unknown) => process.send?.({ seq: msg.seq, ok: false, error: String(err) } satisfies Reply),
  );
});
// The test process going away must not leave this one behind in a namespace.
process.on('disconnect', () => process.exit(0));
process.send?.({ seq: 0, ok: true, result: 'ready' } satisfies Reply);
