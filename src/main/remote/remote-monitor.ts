// The desktop in remote mode: the shell's MonitorApi & subscribe, forwarded to a headless service
// instead of a local engine. Each MonitorApi method is the service's /api/ path (API_PATHS); the
// events come from one stream. The shell drives the tray and the notifications from it exactly as
// from the local Monitor. Plain Node: tested without Electron.

import {
  API_PATHS,
  type HealthInfo,
  type ImportOptions,
  type MonitorApi,
  type Reasoned,
  type RearmRequest,
  type RemoveRequest,
  type TimeRange,
  type Unsubscribe,
} from '../../shared/api.js';
import type { MaintenanceInfo, MaintenanceWindow } from '../../shared/maintenance.js';
import type { NotifyOverview, NotifyTestResult, SilenceInfo, SilenceRequest } from '../../shared/notify.js';
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
} from '../../shared/model.js';
import { Agent, fetch as undiciFetch } from 'undici';
import { MonitorError } from '../../shared/api.js';
import { ROLES, type RemoteConnection, type Role, type WhoAmI } from '../../shared/remote.js';
import { RemoteHttp, type FetchLike } from './remote-http.js';
import { RemoteStream, type StreamState } from './remote-stream.js';

export interface RemoteMonitorOptions {
  /** The service's node addresses (checkServiceUrls), tried in order. */
  urls: readonly string[];
  token: string;
  fetch?: FetchLike;
  timeoutMs?: number;
  backoffMs?: number[];
  silenceMs?: number;
  /** Longest wait for a node to answer the stream's request before the next is tried. */
  connectTimeoutMs?: number;
}

/** What the shell needs of either a local engine or a service: see Monitor in core/ports.ts. */
export interface ShellMonitor extends MonitorApi {
  /** The serverdir (local) or the service's addresses (remote), for messages. */
  readonly serverdir: string;
  subscribe(listener: (event: EngineEvent) => void): Unsubscribe;
  close(): Promise<void>;
}

export class RemoteMonitor implements ShellMonitor {
  readonly serverdir: string;
  private readonly http: RemoteHttp;
  private readonly stream: RemoteStream;
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  private readonly connectionListeners = new Set<(c: RemoteConnection) => void>();
  private closed = false;
  /** The app's own connections to the service: closed with it, so nothing lingers after a quit or a detach. */
  private readonly agent = new Agent({ keepAliveTimeout: 2_000, keepAliveMaxTimeout: 2_000 });

  constructor(opts: RemoteMonitorOptions) {
    const viaAgent: FetchLike = (input, init) =>
      undiciFetch(input as string, { ...(init as object), dispatcher: this.agent }) as unknown as Promise<Response>;
    const fetchImpl = opts.fetch ?? viaAgent;
    this.http = new RemoteHttp({
      urls: opts.urls,
      token: opts.token,
      fetch: fetchImpl,
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    });
    this.serverdir = opts.urls.join(' ');
    this.stream = new RemoteStream({
      http: this.http,
      fetch: fetchImpl,
      ...(opts.backoffMs ? { backoffMs: opts.backoffMs } : {}),
      ...(opts.silenceMs !== undefined ? { silenceMs: opts.silenceMs } : {}),
      ...(opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
      onEvents: (events) => {
        for (const e of events) for (const l of [...this.listeners]) l(e);
      },
      onState: (state, url) => this.announce(state, url),
    });
    // A request refused for the token stops the stream too: it would only be refused again.
    this.http.onRejected = () => this.stream.reject();
  }

  /** The node that answered last (a request or the stream). */
  get url(): string {
    return this.http.url;
  }

  get connection(): RemoteConnection {
    return connectionOf(this.stream.current.state, this.stream.current.url);
  }

  /** Engine events from the service's stream, one at a time, in order; the first subscriber opens it. */
  subscribe(listener: (event: EngineEvent) => void): Unsubscribe {
    this.listeners.add(listener);
    if (!this.closed) this.stream.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stream.stop();
    };
  }

  onConnection(listener: (c: RemoteConnection) => void): Unsubscribe {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  /** The token's name and role; a service without named tokens (404) means its admin token. */
  async whoami(): Promise<WhoAmI> {
    try {
      const who = await this.http.request<{ name?: unknown; role?: unknown }>('GET', API_PATHS.whoami);
      const role = ROLES.includes(who?.role as Role) ? (who.role as Role) : 'viewer';
      const twoPerson = (who as { twoPerson?: WhoAmI['twoPerson'] }).twoPerson ?? [];
      return { name: typeof who?.name === 'string' ? who.name : '', role, twoPerson };
    } catch (err) {
      if (err instanceof MonitorError && err.code === 'not-found') return { name: '', role: 'admin', twoPerson: [] };
      throw err;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.stream.stop();
    await this.agent.destroy().catch(() => {});
  }

  private announce(state: StreamState, url: string): void {
    const c = connectionOf(state, url);
    for (const l of [...this.connectionListeners]) l(c);
  }

  private req<T>(method: string, path: string, body?: unknown, expect: 'json' | 'text' = 'json'): Promise<T> {
    return this.http.request<T>(method, path, body, expect);
  }

  health(): Promise<HealthInfo> {
    return this.req('GET', API_PATHS.health);
  }
  listPairs(): Promise<PairStatus[]> {
    return this.req('GET', API_PATHS.pairs);
  }
  getPair(id: string): Promise<PairDetail> {
    return this.req('GET', API_PATHS.pair(id));
  }
  addPair(settings: PairSettings, by?: Reasoned): Promise<PairDetail> {
    return this.req('POST', API_PATHS.pairs + query(by), settings);
  }
  updatePair(id: string, settings: PairSettings, by?: Reasoned): Promise<PairDetail> {
    return this.req('PUT', API_PATHS.pair(id) + query(by), settings);
  }
  async removePair(id: string, req?: RemoveRequest): Promise<void> {
    await this.req('DELETE', API_PATHS.pair(id) + query({ ...req, force: req?.force ? 'true' : undefined }));
  }
  failover(id: string, req: Reasoned): Promise<PairStatus> {
    return this.req('POST', API_PATHS.failover(id), req);
  }
  rearm(id: string, req: RearmRequest): Promise<PairStatus> {
    return this.req('POST', API_PATHS.rearm(id), req);
  }
  pause(id: string, req: Reasoned): Promise<PairStatus> {
    return this.req('POST', API_PATHS.pause(id), req);
  }
  resume(id: string, req: Reasoned): Promise<PairStatus> {
    return this.req('POST', API_PATHS.resume(id), req);
  }
  markActionDone(id: string, req: Reasoned): Promise<PairStatus> {
    return this.req('POST', API_PATHS.markActionDone(id), req);
  }
  retryAction(id: string, by?: Reasoned): Promise<PairStatus> {
    return this.req('POST', API_PATHS.retryAction(id), by ?? {});
  }
  history(id: string, range?: TimeRange): Promise<PairHistory> {
    return this.req('GET', API_PATHS.history(id) + query(range));
  }
  audit(range?: TimeRange): Promise<HistoryEvent[]> {
    return this.req('GET', API_PATHS.audit + query(range));
  }
  alerts(range?: TimeRange): Promise<HistoryEvent[]> {
    return this.req('GET', API_PATHS.alerts + query(range));
  }
  exportXml(opts?: { masked?: boolean }): Promise<string> {
    return this.req(
      'GET',
      API_PATHS.configXml + query({ masked: opts?.masked ? 'true' : undefined }),
      undefined,
      'text',
    );
  }
  importXml(xml: string, opts?: ImportOptions): Promise<ImportResult> {
    const { dryRun, mode, reason, operator } = opts ?? {};
    return this.req(
      'PUT',
      API_PATHS.configXml + query({ dryRun: dryRun ? 'true' : undefined, mode, reason, operator }),
      xml,
    );
  }
  testUrls(settings: PairSettings): Promise<CheckResult[]> {
    return this.req('POST', API_PATHS.testUrls, settings);
  }
  notifyStatus(): Promise<NotifyOverview> {
    return this.req('GET', API_PATHS.notify);
  }
  testNotify(id: string, by?: Partial<Reasoned>): Promise<NotifyTestResult> {
    return this.req('POST', API_PATHS.notifyTest(id), by ?? {});
  }
  ackAlert(id: string, req: Reasoned): Promise<AlertEvent> {
    return this.req('POST', API_PATHS.ackAlert(id), req);
  }
  silencePair(id: string, req: SilenceRequest): Promise<SilenceInfo> {
    return this.req('POST', API_PATHS.silence(id), req);
  }
  listMaintenance(): Promise<MaintenanceInfo[]> {
    return this.req('GET', API_PATHS.maintenance);
  }
  addMaintenance(window: MaintenanceWindow, by?: Reasoned): Promise<MaintenanceInfo> {
    return this.req('POST', API_PATHS.maintenance + query(by), window);
  }
  updateMaintenance(id: string, window: MaintenanceWindow, by?: Reasoned): Promise<MaintenanceInfo> {
    return this.req('PUT', API_PATHS.maintenanceWindow(id) + query(by), window);
  }
  async removeMaintenance(id: string, by?: Reasoned): Promise<void> {
    await this.req('DELETE', API_PATHS.maintenanceWindow(id) + query(by));
  }
}

export function connectionOf(state: StreamState, url: string): RemoteConnection {
  return state === 'rejected' ? { url, live: false, rejected: true } : { url, live: state === 'live' };
}

function query(params?: object): string {
  if (!params) return '';
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (typeof v === 'string' && v !== '') search.set(k, v);
  const s = search.toString();
  return s ? `?${s}` : '';
}
