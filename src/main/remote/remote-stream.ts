// The one event stream of the desktop in remote mode: GET /api/events with the bearer token, on the
// first node that answers, parsed as the dashboard parses it. A stream that ends, breaks or stays
// silent past the service's pings is reconnected with backoff, trying every node in order; a 401
// stops it for good (a new token is needed).

import { API_PATHS, SSE_EVENT_NAME } from '../../shared/api.js';
import type { EngineEvent } from '../../shared/model.js';
import { SseParser } from '../../shared/sse-parser.js';
import type { RemoteHttp, FetchLike } from './remote-http.js';

export type StreamState = 'connecting' | 'live' | 'lost' | 'rejected';

export interface RemoteStreamOptions {
  http: RemoteHttp;
  fetch?: FetchLike;
  onEvents(events: EngineEvent[]): void;
  onState(state: StreamState, url: string): void;
  /** Delays between reconnection rounds, in ms; the last one repeats. */
  backoffMs?: number[];
  /** No byte for this long (the service pings every 15 s) and the stream is treated as lost. */
  silenceMs?: number;
  /** Longest wait for a node to open the stream. */
  connectTimeoutMs?: number;
}

class Rejected extends Error {}

export class RemoteStream {
  private readonly fetch: FetchLike;
  private readonly backoffMs: number[];
  private readonly silenceMs: number;
  private readonly connectTimeoutMs: number;
  private controller: AbortController | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private silenceTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = true;
  private state: StreamState = 'connecting';
  private url: string;

  constructor(private readonly o: RemoteStreamOptions) {
    this.fetch = o.fetch ?? fetch;
    this.backoffMs = o.backoffMs ?? [500, 1000, 2000, 4000, 8000];
    this.silenceMs = o.silenceMs ?? 40_000;
    this.connectTimeoutMs = o.connectTimeoutMs ?? 10_000;
    this.url = o.http.url;
  }

  get current(): { state: StreamState; url: string } {
    return { state: this.state, url: this.url };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.open();
  }

  /** The token was refused (here or by a request): no more reconnecting. */
  reject(): void {
    this.halt();
    this.set('rejected');
  }

  stop(): void {
    this.halt();
  }

  private halt(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.silenceTimer);
    this.retryTimer = this.silenceTimer = undefined;
    this.controller?.abort();
    this.controller = undefined;
  }

  private set(state: StreamState): void {
    if (state === this.state) return;
    this.state = state;
    this.o.onState(state, this.url);
  }

  private open(): void {
    const controller = new AbortController();
    this.controller = controller;
    void this.run(controller).then(
      () => this.lost(controller),
      (err: unknown) => {
        if (this.controller !== controller) return;
        if (err instanceof Rejected) this.reject();
        else this.lost(controller);
      },
    );
  }

  private lost(controller: AbortController): void {
    if (this.stopped || this.controller !== controller) return;
    controller.abort();
    clearTimeout(this.silenceTimer);
    this.set('lost');
    const delay = this.backoffMs[Math.min(this.failures, this.backoffMs.length - 1)]!;
    this.failures++;
    this.retryTimer = setTimeout(() => {
      if (!this.stopped && this.controller === controller) this.open();
    }, delay);
  }

  /** Every byte (a ping included) proves the service is there. */
  private heard(controller: AbortController): void {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => this.lost(controller), this.silenceMs);
  }

  private async connect(controller: AbortController): Promise<Response> {
    const http = this.o.http;
    let last: unknown;
    for (const index of http.order()) {
      const base = http.urls[index]!;
      this.url = base;
      const attempt = attemptSignal(controller.signal, this.connectTimeoutMs);
      try {
        const res = await this.fetch(base + API_PATHS.events, {
          headers: http.headers({ accept: 'text/event-stream' }),
          signal: attempt.signal,
        }).finally(attempt.answered);
        if (res.status === 401) {
          await res.body?.cancel().catch(() => {});
          throw new Rejected(`${base}: HTTP 401`);
        }
        if (res.ok && res.body) {
          http.settle(index);
          return res;
        }
        attempt.drop();
        await res.body?.cancel().catch(() => {});
        last = new Error(`${base}: HTTP ${res.status}`);
      } catch (err) {
        attempt.drop();
        if (err instanceof Rejected || controller.signal.aborted) throw err;
        last = err;
      }
    }
    throw last;
  }

  private async run(controller: AbortController): Promise<void> {
    const res = await this.connect(controller);
    this.failures = 0;
    this.set('live');
    this.heard(controller);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || this.controller !== controller) return;
        this.heard(controller);
        for (const message of parser.feed(value)) this.deliver(message.event, message.data);
      }
    } finally {
      reader.releaseLock();
    }
  }

  private deliver(event: string, data: string): void {
    if (event !== SSE_EVENT_NAME) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return;
    }
    this.o.onEvents(Array.isArray(parsed) ? (parsed as EngineEvent[]) : [parsed as EngineEvent]);
  }
}

/**
 * The signal of one attempt to open the stream: aborted when the stream stops, or when no answer
 * (the response's headers) came within `timeoutMs`. Once the answer is there only a stop aborts it:
 * a timeout still armed would cut a healthy stream `timeoutMs` after it opened (a signal passed to
 * fetch aborts the body too), and the stream would reconnect and resync every 10 s.
 */
function attemptSignal(stop: AbortSignal, timeoutMs: number) {
  const attempt = new AbortController();
  const onStop = (): void => attempt.abort(stop.reason);
  stop.addEventListener('abort', onStop, { once: true });
  const timer = setTimeout(
    () => attempt.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')),
    timeoutMs,
  );
  return {
    signal: attempt.signal,
    /** The answer came (or the fetch failed): the timeout no longer applies. */
    answered: (): void => clearTimeout(timer),
    /** The attempt is over without a stream: nothing of it is left listening. */
    drop: (): void => {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
    },
  };
}
