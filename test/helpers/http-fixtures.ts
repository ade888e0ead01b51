// Scriptable loopback HTTP servers that play a primary PBX, a standby, a
// validation site or an action receiver in tests: they answer a default
// status (or a scripted sequence), can delay, stream an endless body, refuse
// connections (stop listening) and come back on the same port, and record
// every request they receive.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FixtureAnswer {
  status?: number;
  /** Delay before the answer's headers, ms. */
  delayMs?: number;
  /** Body text, or 'endless' for a body that streams until the client goes away. */
  body?: string | 'endless';
  headers?: Record<string, string>;
  /** Runs right after the answer was written (e.g. to stall the event loop while it is in flight). */
  after?: () => void;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

export class HttpFixture {
  readonly requests: RecordedRequest[] = [];
  /** What every request gets when no scripted answer is queued. */
  answer: FixtureAnswer;
  /** Bytes written of endless bodies (to prove the client stopped reading). */
  streamedBytes = 0;
  /** TCP connections accepted (keep-alive reuses one). */
  connections = 0;
  /** Requests being answered right now, and the most at any time (checks of one pair must not overlap). */
  inFlight = 0;
  maxInFlight = 0;
  private queue: FixtureAnswer[] = [];
  private server: Server;
  private readonly sockets = new Set<Socket>();
  private port = 0;
  private listening = false;

  private constructor(answer: FixtureAnswer) {
    this.answer = answer;
    this.server = this.makeServer();
  }

  static async start(answer: FixtureAnswer = { status: 200 }): Promise<HttpFixture> {
    const fixture = new HttpFixture(answer);
    await fixture.listen();
    return fixture;
  }

  url(path = '/'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  get hits(): number {
    return this.requests.length;
  }

  /** Answers for the next requests, in order; then the default answer again. */
  script(...answers: FixtureAnswer[]): void {
    this.queue.push(...answers);
  }

  /** Answer every request with this status from now on (clears the script). */
  setStatus(status: number, delayMs = 0): void {
    this.queue = [];
    this.answer = { status, delayMs };
  }

  /** Stop listening and cut open connections: the next checks get "connection refused". */
  async refuse(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Listen again on the same port. */
  async accept(): Promise<void> {
    if (this.listening) return;
    this.server = this.makeServer();
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    await this.refuse();
  }

  private makeServer(): Server {
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 60_000;
    server.on('connection', (socket) => {
      this.connections++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return server;
  }

  private listen(port = 0): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        this.listening = true;
        resolve();
      });
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.once('close', () => this.inFlight--);
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      });
      const answer = this.queue.shift() ?? this.answer;
      const send = (): void => this.respond(res, answer);
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  }

  private respond(res: ServerResponse, answer: FixtureAnswer): void {
    if (res.destroyed) return;
    const status = answer.status ?? 200;
    if (answer.body === 'endless') {
      res.writeHead(status, { 'content-type': 'application/octet-stream', ...answer.headers });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = (): void => {
        while (!res.destroyed) {
          this.streamedBytes += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
      return;
    }
    const body = answer.body ?? `status ${status}\n`;
    res.writeHead(status, { 'content-type': 'text/plain', ...answer.headers });
    res.end(body);
    answer.after?.();
  }
}

/** Polls `condition` until it is true or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
