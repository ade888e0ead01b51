// Every outgoing request of the engine goes through one long-lived undici
// Agent with keep-alive: thousands of pairs polled every second must reuse
// connections, not open one per check. Redirects are never followed (a 30x
// from a primary is an answer, not a hop), and answer bodies are drained up to
// a small cap and then dropped, so a primary streaming a huge body costs
// neither memory nor time.

import { createRequire } from 'node:module';
import { Agent } from 'undici';
import type { Dispatcher } from 'undici';

// undici's own request object: constructing one runs exactly the checks `send` would hit (header
// names and values, method, path), without a connection.
const UndiciRequest = createRequire(import.meta.url)('undici/lib/core/request.js') as new (
  origin: string,
  opts: { path: string; method: string; headers: Record<string, string>; body?: string },
  handler: object,
) => unknown;

/** A URL split once per pair, so the hot path does not parse it on every check. */
export interface PreparedUrl {
  readonly url: string;
  readonly origin: string;
  readonly path: string;
}

export interface ProbeOutcome {
  /** The status of the answer, when one arrived. */
  status?: number;
  /** Milliseconds from sending to the answer's headers (or to the failure). */
  latencyMs: number;
  /** The failure in words when no answer arrived ("connection refused", "timed out after 2 s"). */
  error?: string;
}

export interface OutgoingRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** A check in flight. */
export interface ProbeCall {
  /** Settles when the answer's status is known and its body drained (capped), or on failure. Never rejects. */
  readonly result: Promise<ProbeOutcome>;
  /**
   * The caller's deadline passed: settle now as "timed out" (unless the status is already known) and
   * drop the request. The caller owns the timer, so that a pair needs only one.
   */
  cancel(): void;
}

export interface HttpClient {
  /** One GET of `target`; `timeoutMs` only names the deadline in the words of a timeout. */
  probe(target: PreparedUrl, timeoutMs: number): ProbeCall;
  /** One request with its own deadline (actions, "test now"). Never rejects. */
  send(request: OutgoingRequest, timeoutMs: number): Promise<ProbeOutcome>;
  close(): Promise<void>;
}

/** How much of an answer body is read before the rest is dropped. */
export const BODY_CAP_BYTES = 64 * 1024;

export interface HttpClientOptions {
  /** Keep-alive of idle connections, ms (default 30 s, longer than any sane interval). */
  keepAliveTimeoutMs?: number;
  /**
   * Connections per origin (default 64). A primary is polled by one pair, one check at a time, but a
   * validation site is often shared by every pair: when many pairs verify at once, their checks must
   * not queue behind each other until their deadlines pass (a false "isolated").
   */
  connectionsPerOrigin?: number;
}

export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const agent = new Agent({
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    keepAliveMaxTimeout: 600_000,
    connections: options.connectionsPerOrigin ?? 64,
    // The caller's deadline is what counts; this only stops a connect from hanging forever.
    connect: { timeout: 30_000 },
  });
  let closed = false;

  async function request(
    origin: string,
    path: string,
    method: Dispatcher.HttpMethod,
    headers: Record<string, string> | undefined,
    body: string | undefined,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<ProbeOutcome> {
    const started = performance.now();
    try {
      const answer = await agent.request({
        origin,
        path,
        method,
        headers: headers ?? {},
        body: body ?? null,
        signal,
        // Backstops only: the caller's deadline aborts first. They are generous so that an event
        // loop stall (which delays the caller's own timer check) is not turned into a failure here.
        headersTimeout: timeoutMs * 2 + 1000,
        bodyTimeout: timeoutMs * 2 + 1000,
      });
      const latencyMs = performance.now() - started;
      // The status decides; the body is only drained (capped, then the connection is dropped) so that
      // the connection is free for the next check. The caller's deadline bounds this too.
      await answer.body.dump({ limit: BODY_CAP_BYTES }).catch(ignore);
      return { status: answer.statusCode, latencyMs };
    } catch (error) {
      const latencyMs = performance.now() - started;
      return { latencyMs, error: signal.aborted ? timedOut(timeoutMs) : describeNetworkError(error) };
    }
  }

  return {
    probe(target, timeoutMs) {
      const call = new Check(timeoutMs);
      if (closed) {
        call.settle(undefined, 'monitor is shutting down');
        return call;
      }
      // A raw dispatch: no response stream, no promise per step, no abort-signal listeners. This is
      // the path every check of every pair takes.
      agent.dispatch(
        {
          origin: target.origin,
          path: target.path,
          method: 'GET',
          headersTimeout: timeoutMs * 2 + 1000,
          bodyTimeout: timeoutMs * 2 + 1000,
        },
        call,
      );
      return call;
    },
    async send(req, timeoutMs) {
      if (closed) return { latencyMs: 0, error: 'monitor is shutting down' };
      let target: PreparedUrl;
      try {
        target = prepareUrl(req.url);
      } catch {
        return { latencyMs: 0, error: 'not a valid http(s) URL' };
      }
      const controller = new AbortController();
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      // undici only acts on an abort once the connection exists: a host that drops our packets would
      // hold the attempt until the connect backstop (30 s). The deadline settles the attempt itself;
      // the aborted request is never written if its connection comes up later.
      const deadline = new Promise<ProbeOutcome>((resolve) => {
        timer = setTimeout(() => {
          controller.abort();
          resolve({ latencyMs: performance.now() - started, error: timedOut(timeoutMs) });
        }, timeoutMs);
      });
      try {
        return await Promise.race([
          request(
            target.origin,
            target.path,
            req.method as Dispatcher.HttpMethod,
            req.headers,
            req.body,
            timeoutMs,
            controller.signal,
          ),
          deadline,
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await agent.close().catch(() => agent.destroy());
    },
  };
}

/**
 * The undici handler of one check. The status decides; the body is read up to BODY_CAP_BYTES and then
 * the connection is dropped, so that an endless body costs nothing.
 */
class Check implements Dispatcher.DispatchHandler, ProbeCall {
  readonly result: Promise<ProbeOutcome>;
  private resolve!: (outcome: ProbeOutcome) => void;
  private readonly started = performance.now();
  private controller: Dispatcher.DispatchController | undefined;
  private status: number | undefined;
  private latencyMs = 0;
  private bytes = 0;
  private done = false;
  private cancelled = false;

  constructor(private readonly timeoutMs: number) {
    this.result = new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  cancel(): void {
    if (this.done) return;
    this.cancelled = true;
    if (this.status !== undefined) this.settle(this.status);
    else this.settle(undefined, timedOut(this.timeoutMs));
    this.controller?.abort(new Error('deadline passed'));
  }

  settle(status: number | undefined, error?: string): void {
    if (this.done) return;
    this.done = true;
    if (status !== undefined) this.resolve({ status, latencyMs: this.latencyMs });
    else this.resolve({ latencyMs: performance.now() - this.started, error: error ?? 'request failed' });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Dispatched after the deadline (it waited for a connection): not worth sending any more.
    if (this.cancelled) controller.abort(new Error('deadline passed'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    if (statusCode < 200) return; // informational answers come before the real one
    this.status = statusCode;
    this.latencyMs = performance.now() - this.started;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.bytes > BODY_CAP_BYTES) {
      this.settle(this.status);
      controller.abort(new Error('answer body over the cap'));
    }
  }

  onResponseEnd(): void {
    this.settle(this.status);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    // After the status arrived, a failure while draining the body does not change the answer.
    if (this.status !== undefined) this.settle(this.status);
    else this.settle(undefined, describeNetworkError(error));
  }
}

/**
 * Why undici would refuse to send this request (a header value it cannot carry, …), in its own
 * words; undefined when it can be sent. Nothing is sent.
 */
export function unsendableReason(req: OutgoingRequest): string | undefined {
  let target: PreparedUrl;
  try {
    target = prepareUrl(req.url);
  } catch {
    return 'not a valid http(s) URL';
  }
  try {
    const opts = {
      path: target.path,
      method: req.method,
      headers: req.headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
    };
    new UndiciRequest(target.origin, opts, { onRequestStart() {} });
    return undefined;
  } catch (error) {
    return (error as Error).message || 'refused by the HTTP client';
  }
}

/** Throws on anything but an absolute http(s) URL. */
export function prepareUrl(url: string): PreparedUrl {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`not an http(s) URL: ${parsed.protocol}`);
  }
  return { url, origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
}

export function timedOut(timeoutMs: number): string {
  return `timed out after ${secondsText(timeoutMs)} s`;
}

/** Milliseconds as seconds, rounded to 0.01 s, without a unit: 1234 → "1.23". */
export function secondsText(ms: number): string {
  return String(Math.round(ms / 10) / 100);
}

const ERROR_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ENOTFOUND: 'DNS lookup failed',
  EAI_AGAIN: 'DNS lookup failed',
  EAI_FAIL: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EHOSTDOWN: 'host down',
  ENETDOWN: 'network down',
  ETIMEDOUT: 'connection timed out',
  EADDRNOTAVAIL: 'address not available',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer (headers timed out)',
  UND_ERR_BODY_TIMEOUT: 'answer body timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CLOSED: 'connection closed',
  UND_ERR_DESTROYED: 'connection closed',
  UND_ERR_INFO: 'invalid answer',
  HPE_INVALID_CONSTANT: 'not an HTTP answer',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate is self-signed',
  CERT_HAS_EXPIRED: 'TLS certificate has expired',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate cannot be verified',
};

/** An undici/Node error in the operator's words; never includes the URL (it may carry a secret). */
export function describeNetworkError(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      const words = ERROR_WORDS[code];
      if (words) return words;
      if (code.startsWith('HPE_')) return 'not an HTTP answer';
    }
    current = (current as { cause?: unknown }).cause;
  }
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? `request failed (${code})` : 'request failed';
}

function ignore(): void {}
