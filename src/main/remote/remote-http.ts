// The requests of the desktop in remote mode: each goes to the service node that answered last, and
// moves on to the next node of the list when that one cannot be reached. Errors come back as the
// service's own MonitorError (code, message, problems), so the window shows what it would show
// against the local engine. Plain Node (fetch is undici): no electron here.

import { HTTP_STATUS_OF, MonitorError, type ApiErrorCode } from '../../shared/api.js';
import type { Problem } from '../../shared/model.js';

export type FetchLike = typeof fetch;

export interface RemoteHttpOptions {
  /** The service's node addresses without a trailing slash, tried in order. */
  urls: readonly string[];
  token: string;
  fetch?: FetchLike;
  /** Longest wait for one answer (default 30 s: "test now" probes several URLs). */
  timeoutMs?: number;
}

const CODES = new Set<string>(Object.keys(HTTP_STATUS_OF));

/** The MonitorError code a status means when the body names none (a proxy's page, an old service). */
export function codeOfStatus(status: number): ApiErrorCode {
  for (const [code, s] of Object.entries(HTTP_STATUS_OF)) if (s === status) return code as ApiErrorCode;
  return status >= 400 && status < 500 ? 'invalid' : 'internal';
}

/** The service's error body as a MonitorError: its code, message and problems, kept as they are. */
export function errorOfResponse(status: number, body: unknown, what: string): MonitorError {
  const b = (body && typeof body === 'object' ? body : {}) as {
    error?: unknown;
    message?: unknown;
    problems?: unknown;
  };
  const code = typeof b.error === 'string' && CODES.has(b.error) ? (b.error as ApiErrorCode) : codeOfStatus(status);
  const message = typeof b.message === 'string' && b.message !== '' ? b.message : `${what}: HTTP ${status}`;
  const problems = Array.isArray(b.problems) ? (b.problems as Problem[]) : undefined;
  return new MonitorError(code, message, problems);
}

/** Failures where the request cannot have reached the service: safe to send to another node. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

function causeCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

function reason(err: unknown): string {
  const code = causeCode(err);
  if (err instanceof Error && err.name === 'TimeoutError') return 'no answer in time';
  return code ?? (err instanceof Error ? err.message : String(err));
}

export class RemoteHttp {
  readonly urls: readonly string[];
  private readonly token: string;
  private readonly fetch: FetchLike;
  private readonly timeoutMs: number;
  private active = 0;
  /** Called on every 401: the token was refused (revoked, wrong). */
  onRejected: (message: string) => void = () => {};

  constructor(opts: RemoteHttpOptions) {
    if (opts.urls.length === 0) throw new Error('remote mode needs at least one service address');
    this.urls = opts.urls;
    this.token = opts.token;
    this.fetch = opts.fetch ?? fetch;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** The node that answered last (the first one before any answered). */
  get url(): string {
    return this.urls[this.active]!;
  }

  /** The nodes in the order to try them: the one that answered last first. */
  order(): number[] {
    return this.urls.map((_, i) => (this.active + i) % this.urls.length);
  }

  /** Use this node from now on (the stream found it alive). */
  settle(index: number): void {
    this.active = index;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.token}`, ...extra };
  }

  /**
   * One request, on the first node that answers. A GET moves on after any network failure or a
   * 502/503/504; a change moves on only when it cannot have been sent, or on a 503 (not taken), so a
   * failover is never sent twice.
   */
  async request<T>(method: string, path: string, body?: unknown, expect: 'json' | 'text' = 'json'): Promise<T> {
    const isText = typeof body === 'string';
    const failures: string[] = [];
    for (const index of this.order()) {
      const base = this.urls[index]!;
      let res: Response;
      try {
        res = await this.fetch(base + path, {
          method,
          headers: this.headers(
            body === undefined
              ? { accept: expect === 'json' ? 'application/json' : 'application/xml' }
              : { 'content-type': isText ? 'application/xml' : 'application/json' },
          ),
          ...(body !== undefined ? { body: isText ? body : JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        failures.push(`${base}: ${reason(err)}`);
        if (method === 'GET' || NOT_SENT.has(causeCode(err) ?? '')) continue;
        throw new MonitorError(
          'internal',
          `The service at ${base} did not answer (${reason(err)}); it may or may not have done it`,
        );
      }
      const retry = method === 'GET' ? [502, 503, 504] : [503];
      if (retry.includes(res.status) && index !== this.order().at(-1)) {
        failures.push(`${base}: HTTP ${res.status}`);
        await res.body?.cancel().catch(() => {});
        continue;
      }
      this.active = index;
      return this.answer<T>(res, base, `${method} ${path}`, expect);
    }
    throw new MonitorError('internal', `The service cannot be reached (${failures.join('; ')})`);
  }

  private async answer<T>(res: Response, base: string, what: string, expect: 'json' | 'text'): Promise<T> {
    const text = await res.text();
    if (!res.ok) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const err = errorOfResponse(res.status, parsed, what);
      if (res.status === 401) {
        const message = `Token rejected by ${base}: ${err.message}`;
        this.onRejected(message);
        throw new MonitorError('unauthorized', message);
      }
      throw err;
    }
    if (res.status === 204 || text === '') return undefined as T;
    return (expect === 'text' ? text : JSON.parse(text)) as T;
  }
}
