// GET /api/events: every engine event as Server-Sent Events. Events are batched so a thousand pairs
// checking every second cost a few writes, not thousands: a state change, action or alert goes out
// within ~150 ms, while plain check results wait up to a second (each message costs the dashboard a
// parse and a render pass, and a check result a second late changes nothing an operator does).
// A client that cannot keep up is dropped rather than buffered without bound; it reconnects and
// refetches the pairs, which is cheaper than holding megabytes for it.

import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { SSE_EVENT_NAME, type Unsubscribe } from '../shared/api.js';
import type { EngineEvent } from '../shared/model.js';
import { SECURITY_HEADERS } from './headers.js';

export interface EventStreamOptions {
  /** Longest time a state change, action or alert waits for its batch to be sent. */
  batchMs?: number;
  /** Longest time a check result waits, when nothing more urgent is pending. */
  checkBatchMs?: number;
  /** Comment lines keep proxies and browsers from closing an idle stream. */
  pingMs?: number;
  /** Bytes a client may have unsent before it is dropped. */
  maxBufferedBytes?: number;
  /** Open streams one token may hold (default 32): more get a 429 instead of a stream. */
  maxClientsPerToken?: number;
}

export interface EventSource {
  subscribe(listener: (event: EngineEvent) => void): Unsubscribe;
}

// A burst (an import, fifty pairs failing at once) goes out early instead of growing one message.
const MAX_BATCH_EVENTS = 2000;

export function formatBatch(events: readonly EngineEvent[]): string {
  return `event: ${SSE_EVENT_NAME}\ndata: ${JSON.stringify(events)}\n\n`;
}

export class EventHub {
  private readonly clients = new Set<ServerResponse>();
  /** The key each stream was attached with (the token's name), to close a revoked token's streams. */
  private readonly keyOf = new Map<ServerResponse, string>();
  private pending: EngineEvent[] = [];
  private batchTimer: NodeJS.Timeout | undefined;
  /** When the scheduled flush runs (monotonic ms), to bring it forward for urgent events. */
  private flushDue = 0;
  private readonly pingTimer: NodeJS.Timeout;
  private readonly unsubscribe: Unsubscribe;
  private readonly batchMs: number;
  private readonly checkBatchMs: number;
  private readonly maxBufferedBytes: number;
  private readonly maxClientsPerToken: number;
  /** Open streams per token: a leaked tab loop or a script cannot hold every socket. */
  private readonly perToken = new Map<string, number>();
  private closed = false;

  constructor(source: EventSource, opts: EventStreamOptions = {}) {
    this.batchMs = opts.batchMs ?? 150;
    this.checkBatchMs = Math.max(opts.checkBatchMs ?? 1000, this.batchMs);
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 1024 * 1024;
    this.maxClientsPerToken = opts.maxClientsPerToken ?? 32;
    this.unsubscribe = source.subscribe((event) => this.onEvent(event));
    this.pingTimer = setInterval(() => this.broadcast(': ping\n\n'), opts.pingMs ?? 15_000);
    this.pingTimer.unref();
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Take over the reply's socket and keep it as an event stream until either side closes. */
  attach(reply: FastifyReply, token = ''): void {
    reply.hijack();
    const res = reply.raw;
    if (this.closed) {
      res.writeHead(503, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: 'internal', message: 'the service is shutting down' }));
      return;
    }
    const open = this.perToken.get(token) ?? 0;
    if (open >= this.maxClientsPerToken) {
      const body = JSON.stringify({
        error: 'too-large',
        message: `this token already has ${open} open event streams (the limit is ${this.maxClientsPerToken}); close a dashboard tab or another client and retry`,
      });
      res.writeHead(429, {
        ...SECURITY_HEADERS,
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        'retry-after': '10',
        connection: 'close',
      });
      res.end(body);
      return;
    }
    this.perToken.set(token, open + 1);
    res.on('close', () => {
      const left = (this.perToken.get(token) ?? 1) - 1;
      if (left > 0) this.perToken.set(token, left);
      else this.perToken.delete(token);
    });
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    this.clients.add(res);
    this.keyOf.set(res, token);
    res.on('close', () => {
      this.clients.delete(res);
      this.keyOf.delete(res);
    });
    // Sent at once so the client's fetch() resolves and it knows it is live.
    this.send(res, 'retry: 2000\n: connected\n\n');
  }

  /** End every stream attached with this key (a revoked token): its client is told no more. */
  drop(key: string): number {
    let n = 0;
    for (const [res, k] of this.keyOf) {
      if (k !== key) continue;
      this.clients.delete(res);
      this.keyOf.delete(res);
      res.end();
      n++;
    }
    return n;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    clearInterval(this.pingTimer);
    this.flush();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private onEvent(event: EngineEvent): void {
    if (this.clients.size === 0) return;
    this.pending.push(event);
    if (this.pending.length >= MAX_BATCH_EVENTS) this.flush();
    else this.scheduleFlush(event.type === 'check' ? this.checkBatchMs : this.batchMs);
  }

  /** Flush within `withinMs`: keeps an earlier flush, brings a later one forward. */
  private scheduleFlush(withinMs: number): void {
    const due = performance.now() + withinMs;
    if (this.batchTimer !== undefined && this.flushDue <= due) return;
    clearTimeout(this.batchTimer);
    this.flushDue = due;
    this.batchTimer = setTimeout(() => this.flush(), withinMs);
  }

  private flush(): void {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    if (this.pending.length === 0) return;
    const message = formatBatch(this.pending);
    this.pending = [];
    this.broadcast(message);
  }

  private broadcast(chunk: string): void {
    for (const res of this.clients) this.send(res, chunk);
  }

  private send(res: ServerResponse, chunk: string): void {
    if (res.writableLength > this.maxBufferedBytes) {
      this.clients.delete(res);
      res.destroy();
      return;
    }
    res.write(chunk);
  }
}
