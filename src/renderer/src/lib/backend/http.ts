// Backend over the headless service's HTTP API, with live events from its SSE
// stream. Every /api/ call carries the bearer token.

import type { ClusterInfo } from '$shared/cluster';
import {
  API_PATHS,
  MonitorError,
  ROLES,
  type Role,
  SSE_EVENT_NAME,
  type Backend,
  type ConnectionState,
  type HealthInfo,
  type ImportOptions,
  type Reasoned,
  type RemoveRequest,
  type RearmRequest,
  type TimeRange,
  type Unsubscribe,
  type MoveResult,
  type TwoPersonRequest,
  type WhoAmI,
} from '$shared/api';
import type { NotifyOverview, NotifyTestResult, SilenceInfo, SilenceRequest } from '$shared/notify';
import type {
  AlertEvent,
  CheckResult,
  EngineEvent,
  HistoryEvent,
  ImportResult,
  PairDetail,
  PairHistory,
  PairSettings,
  PairStatus,
} from '$shared/model';
import type { MaintenanceInfo, MaintenanceWindow } from '$shared/maintenance';
import { fromPairColumns, PAIR_COLUMNS_FORMAT } from '$shared/pair-columns';
import { mark } from '../perf';
import { errorFromBody } from './errors';
import { SseParser } from './sse';

export interface HttpBackendOptions {
  baseUrl?: string;
  token: string | undefined;
  /** Delays between reconnection attempts, in ms; the last one repeats. */
  backoffMs?: number[];
  /**
   * A stream silent for this long is treated as lost (the service pings every 15 s): a cut network
   * keeps a TCP connection open without a word, and the dashboard must not look live meanwhile.
   */
  silenceMs?: number;
}

/** Thrown inside the stream reader for a 401: reconnecting with the same token cannot help. */
class TokenRejected extends Error {}

type Listener<T> = (value: T) => void;

export class HttpBackend implements Backend {
  readonly kind = 'http' as const;
  private readonly baseUrl: string;
  private token: string | undefined;
  private readonly backoffMs: number[];
  private readonly eventListeners = new Set<Listener<EngineEvent[]>>();
  private readonly connectionListeners = new Set<Listener<ConnectionState>>();
  private connection: ConnectionState = 'connecting';
  private stream: AbortController | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private readonly silenceMs: number;
  private silenceTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(opts: HttpBackendOptions) {
    this.baseUrl = opts.baseUrl ?? '';
    this.token = opts.token;
    this.backoffMs = opts.backoffMs ?? [500, 1000, 2000, 4000, 8000];
    this.silenceMs = opts.silenceMs ?? 40_000;
  }

  /** Whether a token was given at all (the dashboard then says it was rejected, not that one is needed). */
  get hasToken(): boolean {
    return !!this.token;
  }

  setToken(token: string): void {
    this.token = token;
    if (this.connection === 'rejected') this.setConnection('connecting');
    if (this.eventListeners.size > 0) this.restartStream();
  }

  health(): Promise<HealthInfo> {
    return this.request('GET', API_PATHS.health);
  }
  /** In the compact columns form (shared/pair-columns.ts); a service older than that form answers the plain array. */
  async listPairs(): Promise<PairStatus[]> {
    const path = `${API_PATHS.pairs}?format=${PAIR_COLUMNS_FORMAT}`;
    const early = this.takeFirstPairs();
    const body = await (early ? this.answer<unknown>(early, 'GET', path, 'json') : this.request<unknown>('GET', path));
    mark('pairs-parsed');
    return Array.isArray(body) ? (body as PairStatus[]) : fromPairColumns(body);
  }
  getPair(id: string): Promise<PairDetail> {
    return this.request('GET', API_PATHS.pair(id));
  }
  addPair(settings: PairSettings, by?: Reasoned): Promise<PairDetail> {
    return this.request('POST', API_PATHS.pairs + query(by), settings);
  }
  updatePair(id: string, settings: PairSettings, by?: Reasoned): Promise<PairDetail> {
    return this.request('PUT', API_PATHS.pair(id) + query(by), settings);
  }
  async removePair(id: string, by?: RemoveRequest): Promise<TwoPersonRequest | void> {
    const params = query({ reason: by?.reason, operator: by?.operator, force: by?.force ? 'true' : undefined });
    // 202 under the two-person rule: the removal waits for a second operator.
    const held = await this.request<{ request?: TwoPersonRequest } | undefined>('DELETE', API_PATHS.pair(id) + params);
    return held?.request;
  }
  failover(id: string, req: Reasoned): Promise<MoveResult> {
    return this.request('POST', API_PATHS.failover(id), req);
  }
  rearm(id: string, req: RearmRequest): Promise<MoveResult> {
    return this.request('POST', API_PATHS.rearm(id), req);
  }
  pause(id: string, req: Reasoned): Promise<PairStatus> {
    return this.request('POST', API_PATHS.pause(id), req);
  }
  resume(id: string, req: Reasoned): Promise<PairStatus> {
    return this.request('POST', API_PATHS.resume(id), req);
  }
  markActionDone(id: string, req: Reasoned): Promise<PairStatus> {
    return this.request('POST', API_PATHS.markActionDone(id), req);
  }

  retryAction(id: string, by?: Reasoned): Promise<PairStatus> {
    return this.request('POST', API_PATHS.retryAction(id), by ?? {});
  }
  history(id: string, range?: TimeRange): Promise<PairHistory> {
    return this.request('GET', API_PATHS.history(id) + query(range));
  }
  audit(range?: TimeRange): Promise<HistoryEvent[]> {
    return this.request('GET', API_PATHS.audit + query(range));
  }
  alerts(range?: TimeRange): Promise<HistoryEvent[]> {
    return this.request('GET', API_PATHS.alerts + query(range));
  }
  exportXml(opts?: { masked?: boolean }): Promise<string> {
    return this.request(
      'GET',
      API_PATHS.configXml + query({ masked: opts?.masked ? 'true' : undefined }),
      undefined,
      'text',
    );
  }
  importXml(xml: string, opts?: ImportOptions): Promise<ImportResult> {
    const params = query({
      dryRun: opts?.dryRun ? 'true' : undefined,
      mode: opts?.mode,
      reason: opts?.reason,
      operator: opts?.operator,
    });
    return this.request('PUT', API_PATHS.configXml + params, xml);
  }
  testUrls(settings: PairSettings): Promise<CheckResult[]> {
    return this.request('POST', API_PATHS.testUrls, settings);
  }
  notifyStatus(): Promise<NotifyOverview> {
    return this.request('GET', API_PATHS.notify);
  }
  testNotify(id: string, by?: Partial<Reasoned>): Promise<NotifyTestResult> {
    return this.request('POST', API_PATHS.notifyTest(id), by ?? {});
  }
  ackAlert(id: string, req: Reasoned): Promise<AlertEvent> {
    return this.request('POST', API_PATHS.ackAlert(id), req);
  }
  silencePair(id: string, req: SilenceRequest): Promise<SilenceInfo> {
    return this.request('POST', API_PATHS.silence(id), req);
  }
  listMaintenance(): Promise<MaintenanceInfo[]> {
    return this.request('GET', API_PATHS.maintenance);
  }
  addMaintenance(window: MaintenanceWindow, by?: Reasoned): Promise<MaintenanceInfo> {
    return this.request('POST', API_PATHS.maintenance + query(by), window);
  }
  updateMaintenance(id: string, window: MaintenanceWindow, by?: Reasoned): Promise<MaintenanceInfo> {
    return this.request('PUT', API_PATHS.maintenanceWindow(id) + query(by), window);
  }
  async removeMaintenance(id: string, by?: Reasoned): Promise<void> {
    await this.request('DELETE', API_PATHS.maintenanceWindow(id) + query(by));
  }
  /** The cluster this service is a node of; a service without --cluster answers 404: none. */
  async cluster(): Promise<ClusterInfo | undefined> {
    try {
      return await this.request<ClusterInfo>('GET', API_PATHS.cluster);
    } catch (err) {
      if (err instanceof MonitorError && err.code === 'not-found') return undefined;
      throw err;
    }
  }
  /** The token's name and role; a service without named tokens (404) means its one admin token. */
  async whoami(): Promise<WhoAmI> {
    try {
      const who = await this.request<Partial<WhoAmI>>('GET', API_PATHS.whoami);
      const role = ROLES.includes(who.role as Role) ? (who.role as Role) : 'viewer';
      return { name: typeof who.name === 'string' ? who.name : '', role, twoPerson: who.twoPerson ?? [] };
    } catch (err) {
      if (err instanceof MonitorError && err.code === 'not-found') return { name: '', role: 'admin', twoPerson: [] };
      throw err;
    }
  }
  listRequests(): Promise<TwoPersonRequest[]> {
    return this.request('GET', API_PATHS.requests);
  }
  approveRequest(id: string, by: Reasoned): Promise<TwoPersonRequest> {
    return this.request('POST', API_PATHS.approveRequest(id), by);
  }
  rejectRequest(id: string, by: Reasoned): Promise<TwoPersonRequest> {
    return this.request('POST', API_PATHS.rejectRequest(id), by);
  }

  subscribe(listener: (events: EngineEvent[]) => void): Unsubscribe {
    this.eventListeners.add(listener);
    if (!this.stream) this.openStream();
    return () => {
      this.eventListeners.delete(listener);
      if (this.eventListeners.size === 0) this.closeStream();
    };
  }

  onConnection(listener: (state: ConnectionState) => void): Unsubscribe {
    this.connectionListeners.add(listener);
    listener(this.connection);
    return () => this.connectionListeners.delete(listener);
  }

  close(): void {
    this.eventListeners.clear();
    this.closeStream();
  }

  private headers(extra?: Record<string, string>): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}`, ...extra } : { ...extra };
  }

  /**
   * The pair list boot.js asked for before the bundle ran, once, if it was asked with the token in
   * use now and for this service.
   */
  private takeFirstPairs(): Promise<Response> | undefined {
    if (typeof window === 'undefined') return undefined;
    const early = window.__pbxFirstPairs;
    // Taken (or, should boot.js run late, not to be asked for again): boot.js asks only while undefined.
    window.__pbxFirstPairs = null;
    if (!early) return undefined;
    return early.token === this.token && this.baseUrl === '' ? early.response : undefined;
  }

  private async request<T>(method: string, path: string, body?: unknown, expect: 'json' | 'text' = 'json'): Promise<T> {
    const isText = typeof body === 'string';
    const init: RequestInit = {
      method,
      headers: this.headers(
        body === undefined
          ? { accept: 'application/json' }
          : { 'content-type': isText ? 'application/xml' : 'application/json' },
      ),
      cache: 'no-store',
    };
    if (body !== undefined) init.body = isText ? body : JSON.stringify(body);
    return this.answer(fetch(this.baseUrl + path, init), method, path, expect);
  }

  private async answer<T>(sent: Promise<Response>, method: string, path: string, expect: 'json' | 'text'): Promise<T> {
    let res: Response;
    try {
      res = await sent;
    } catch (err) {
      throw new MonitorError(
        'internal',
        `The service cannot be reached (${err instanceof Error ? err.message : String(err)})`,
      );
    }
    if (res.status === 401) this.rejected();
    if (!res.ok) throw errorFromBody(await res.json().catch(() => undefined), `${method} ${path}: HTTP ${res.status}`);
    if (res.status === 204) return undefined as T;
    return (expect === 'text' ? await res.text() : await res.json()) as T;
  }

  private setConnection(state: ConnectionState): void {
    if (state === this.connection) return;
    this.connection = state;
    for (const l of this.connectionListeners) l(state);
  }

  private restartStream(): void {
    this.closeStream();
    this.openStream();
  }

  /** The service refused the token: stop retrying the stream until a new token is set. */
  private rejected(): void {
    this.closeStream();
    this.setConnection('rejected');
  }

  private closeStream(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    clearTimeout(this.silenceTimer);
    this.silenceTimer = undefined;
    this.stream?.abort();
    this.stream = undefined;
  }

  private openStream(): void {
    const controller = new AbortController();
    this.stream = controller;
    void this.readStream(controller).then(
      () => this.scheduleReconnect(controller),
      (err: unknown) => {
        if (err instanceof TokenRejected && this.stream === controller) this.rejected();
        else this.scheduleReconnect(controller);
      },
    );
  }

  /** (Re)arm the silence watchdog: every chunk, a ping included, proves the service is there. */
  private heard(controller: AbortController): void {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => {
      if (this.stream !== controller) return;
      controller.abort();
      this.reconnectLater(controller);
    }, this.silenceMs);
  }

  private async readStream(controller: AbortController): Promise<void> {
    // The watchdog runs from the request on: a request that is never answered (a stuck proxy, a
    // half-open connection) is given up like a silent stream, not waited on for ever.
    this.heard(controller);
    const res = await fetch(this.baseUrl + API_PATHS.events, {
      headers: this.headers({ accept: 'text/event-stream' }),
      signal: controller.signal,
      cache: 'no-store',
    });
    if (res.status === 401) throw new TokenRejected('events: HTTP 401');
    if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
    this.failures = 0;
    this.setConnection('live');
    this.heard(controller);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      this.heard(controller);
      for (const message of parser.feed(value)) this.deliver(message.event, message.data);
    }
  }

  private deliver(event: string, data: string): void {
    if (event !== SSE_EVENT_NAME) return;
    let events: EngineEvent[];
    try {
      const parsed: unknown = JSON.parse(data);
      events = Array.isArray(parsed) ? (parsed as EngineEvent[]) : [parsed as EngineEvent];
    } catch {
      return;
    }
    for (const l of this.eventListeners) l(events);
  }

  private scheduleReconnect(controller: AbortController): void {
    if (this.stream !== controller || controller.signal.aborted) return;
    this.reconnectLater(controller);
  }

  private reconnectLater(controller: AbortController): void {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = undefined;
    this.setConnection('lost');
    const delay = this.backoffMs[Math.min(this.failures, this.backoffMs.length - 1)]!;
    this.failures++;
    this.stream = controller;
    this.retryTimer = setTimeout(() => {
      if (this.stream === controller) this.openStream();
    }, delay);
  }
}

function query(params?: object): string {
  if (!params) return '';
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (typeof v === 'string' && v !== '') search.set(k, v);
  const s = search.toString();
  return s ? `?${s}` : '';
}
