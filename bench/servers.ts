// Loopback HTTP servers for the benchmark, run in their own process so that
// answering thousands of checks a second costs neither the engine nor the bare
// loop any CPU. Plays the primaries (many paths on a few shared ports, or one
// port per primary so it can be stopped), the validation site and the action
// receiver. Times are this process's monotonic clock, so "stopped at" and
// "action arrived at" are measured by one clock.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveCommands } from './child.js';
import { BenchSipServer } from './sip-server.js';

export interface Arrival {
  method: string;
  path: string;
  at: number;
}

const shared: Server[] = [];
const primaries = new Map<string, Server>();
const arrivals: Arrival[] = [];
let requests = 0;

function answerOk(server: Server): Server {
  server.on('request', (req, res) => {
    requests++;
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  });
  // Keep connections open across a whole run, as a PBX's web server would for a 1 s poller.
  server.keepAliveTimeout = 60_000;
  return server;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

async function listenShared(args: { count: number }): Promise<{ ports: number[] }> {
  const ports: number[] = [];
  for (let i = 0; i < args.count; i++) {
    const server = answerOk(createServer());
    shared.push(server);
    ports.push(await listen(server));
  }
  return { ports };
}

async function startPrimary(args: { name: string }): Promise<{ port: number }> {
  const server = answerOk(createServer());
  primaries.set(args.name, server);
  return { port: await listen(server) };
}

/** Stop a primary after `afterMs`: new connections are refused, open ones are cut. */
async function stopPrimary(args: { name: string; afterMs: number }): Promise<{ stoppedAt: number }> {
  const server = primaries.get(args.name);
  if (!server) throw new Error(`no primary named ${args.name}`);
  await new Promise((r) => setTimeout(r, args.afterMs));
  const stoppedAt = performance.now();
  server.close();
  server.closeAllConnections();
  primaries.delete(args.name);
  return { stoppedAt };
}

async function startReceiver(): Promise<{ port: number }> {
  const server = createServer((req, res) => {
    arrivals.push({ method: req.method ?? '', path: req.url ?? '', at: performance.now() });
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  shared.push(server);
  return { port: await listen(server) };
}

let sip: BenchSipServer | undefined;

/** The SIP responder of the SIP variant (UDP, every OPTIONS answered 200). */
async function startSip(): Promise<{ port: number }> {
  sip ??= await BenchSipServer.start();
  return { port: sip.port };
}

async function closeAll(): Promise<void> {
  await sip?.close();
  for (const server of [...shared, ...primaries.values()]) {
    server.closeAllConnections();
    server.close();
  }
}

serveCommands(
  {
    listen: listenShared,
    primary: startPrimary,
    stop: stopPrimary,
    receiver: startReceiver,
    arrivals: () => arrivals,
    requests: () => requests,
    sip: startSip,
    sipAnswered: () => sip?.answered ?? 0,
  },
  closeAll,
);
