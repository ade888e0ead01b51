// The one contract between the engine and every view of it. The controller in
// src/core implements MonitorApi; the headless service maps it onto /api/
// paths; the Electron shell maps it onto IPC channels; the renderer codes
// against Backend, which is MonitorApi plus a live event subscription.

import type { ClusterInfo } from './cluster.js';
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
  Problem,
} from './model.js';
import type { DesktopPreferences, ExportWithSecretsResult } from './ipc.js';
import type { NotifyOverview, NotifyTestResult, SilenceInfo, SilenceRequest } from './notify.js';
import type { MaintenanceInfo, MaintenanceWindow } from './maintenance.js';
import type { TwoPersonAction, TwoPersonRequest } from './two-person.js';

export type { TwoPersonRequest } from './two-person.js';
import type { AttachRequest, RemoteConnection, RemoteSettings } from './remote.js';

export interface Reasoned {
  reason: string;
  /**
   * Who did it; the desktop fills in the OS user. The service sets it to a named token's name, and for
   * the admin file token (`<serverdir>/api-token`) takes it from the body or says "api".
   */
  operator?: string;
  /** A named token's body `operator`, recorded as free text beside the token's name (never as the who). */
  note?: string;
  /**
   * Set by the service only, for a named token: who is calling, as the token store says. A two-person
   * approval needs it (the requester and the approver are told apart by it).
   */
  identity?: Identity;
}

/** Roles of named API tokens, weakest first: each may do everything the ones before it may. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who an API token is (GET /api/whoami). The admin file token is `{ name: "api", role: "admin" }`. */
export interface Identity {
  name: string;
  role: Role;
}

export interface RearmRequest extends Reasoned {
  /** Fire the pair's failback action URL (controlled failback). */
  failback: boolean;
}

export interface TimeRange {
  /** ISO 8601 or epoch milliseconds; defaults: the last 24 hours. */
  from?: string;
  to?: string;
}

/** A pair's history: a time range, and how its checks are to come back. */
export interface HistoryQuery extends TimeRange {
  /**
   * `minutes` (the default): one `MinuteAggregate` object per minute and target in `minutes`.
   * `columns`: the same in `columns` (arrays per field; `minutes` is empty), in buckets of `bucket`.
   */
  shape?: 'minutes' | 'columns';
  /**
   * With `shape=columns`: seconds per bucket, `60`, `300`, `900` or `3600`; `auto` (the default) picks
   * one minute up to 3 days, 5 minutes up to 14 days and 15 minutes beyond (about a pixel of a timeline).
   */
  bucket?: string;
}

/** Something that makes the engine untrustworthy right now; `/api/health` answers `ok: false` while any is present. */
export interface HealthProblem {
  /** `state-write`: pair states cannot be written (disk, blocked file); `lock`: the serverdir lock was lost. */
  kind: 'state-write' | 'lock';
  /** What is wrong and what it means, for a person. */
  message: string;
  /** ISO 8601 time the problem began. */
  since: string;
}

export interface HealthInfo {
  /** False while any problem is present: the engine's decisions may not survive a restart. */
  ok: boolean;
  version: string;
  problems: HealthProblem[];
  /** Present and true on a node of a cluster (serve --cluster): GET /api/cluster answers. */
  cluster?: true;
}

/**
 * How an import treats pairs the file lacks: `merge` adds and updates only; `replace` also removes them.
 * The HTTP API defaults to `replace` (compatibility); the dashboard defaults to `merge`.
 */
export type ImportMode = 'merge' | 'replace';

export interface ImportOptions extends Partial<Reasoned> {
  dryRun?: boolean;
  mode?: ImportMode;
}

export interface RemoveRequest extends Reasoned {
  /** Remove even a pair in failover or with an action in flight. */
  force?: boolean;
}

export type ApiErrorCode =
  'invalid' | 'not-found' | 'conflict' | 'unauthorized' | 'forbidden' | 'too-large' | 'internal';

/** An error as it crosses HTTP and IPC: a message for a person plus, for invalid input, every problem. */
export interface ApiErrorBody {
  error: ApiErrorCode;
  message: string;
  problems?: Problem[];
}

export const HTTP_STATUS_OF: Record<ApiErrorCode, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'too-large': 413,
  internal: 500,
};

/** Thrown by the controller; carried as ApiErrorBody over HTTP and IPC. */
export class MonitorError extends Error {
  readonly code: ApiErrorCode;
  readonly problems: Problem[] | undefined;
  constructor(code: ApiErrorCode, message: string, problems?: Problem[]) {
    super(message);
    this.name = 'MonitorError';
    this.code = code;
    this.problems = problems;
  }
  toBody(): ApiErrorBody {
    return this.problems
      ? { error: this.code, message: this.message, problems: this.problems }
      : { error: this.code, message: this.message };
  }
}

/** Everything an operator can ask of the engine. */
export interface MonitorApi {
  health(): Promise<HealthInfo>;
  listPairs(): Promise<PairStatus[]>;
  getPair(id: string): Promise<PairDetail>;
  /** Validated like the XML; secrets equal to SECRET_MASK keep the stored value (update only). */
  addPair(settings: PairSettings, by?: Reasoned): Promise<PairDetail>;
  updatePair(id: string, settings: PairSettings, by?: Reasoned): Promise<PairDetail>;
  /**
   * Needs a reason; refuses a pair in failover or with an action in flight unless `force`. Under
   * `<policy two-person="remove">` nothing is removed: the pending request is the answer.
   */
  removePair(id: string, req?: RemoveRequest): Promise<TwoPersonRequest | void>;
  /**
   * Controlled failover: state -> failover and the action fired, from starting, waiting, verifying or paused.
   * Under `<policy two-person="failover">` nothing moves: the answer carries the pending `request`.
   */
  failover(id: string, req: Reasoned): Promise<MoveResult>;
  /** failover -> starting, optionally firing the failback action (held like failover under two-person "failback"). */
  rearm(id: string, req: RearmRequest): Promise<MoveResult>;
  pause(id: string, req: Reasoned): Promise<PairStatus>;
  resume(id: string, req: Reasoned): Promise<PairStatus>;
  /**
   * An action whose outcome is unknown (phase `unknown`: an attempt was in flight at a crash and the
   * action is not idempotent) is marked done without sending anything; audited with the reason.
   */
  markActionDone(id: string, req: Reasoned): Promise<PairStatus>;
  /** Fire a failed action again (a fresh series of attempts). */
  retryAction(id: string, by?: Reasoned): Promise<PairStatus>;
  history(id: string, range?: HistoryQuery): Promise<PairHistory>;
  /** Operator events of every pair (manual failover, re-arm, pause, resume, settings changes, import). */
  audit(range?: TimeRange): Promise<HistoryEvent[]>;
  /** Alert events of every pair, newest last. */
  alerts(range?: TimeRange): Promise<HistoryEvent[]>;
  /** pbxctrl-failover.xml as it would be written; secrets masked when `masked`. */
  exportXml(opts?: { masked?: boolean }): Promise<string>;
  /** Validate the whole file first; with dryRun only report the changes. Throws MonitorError('invalid') listing every problem. */
  importXml(xml: string, opts?: ImportOptions): Promise<ImportResult>;
  /** One check of each URL of these settings (primary, standby, validation), for the editor's "test now". */
  testUrls(settings: PairSettings): Promise<CheckResult[]>;
  /** The alert channels (`<notify>`, secrets masked) with their last delivery, and the pairs silenced now. */
  notifyStatus(): Promise<NotifyOverview>;
  /** "Send test": one message through this channel now; audited (`notify-test`). */
  testNotify(id: string, by?: Partial<Reasoned>): Promise<NotifyTestResult>;
  /**
   * Acknowledge an alert for the whole team, with a reason: it is not sent again, every client hears
   * of it (an operator event `ack`), PagerDuty's incident is acknowledged. 409 when already acknowledged.
   */
  ackAlert(id: string, req: Reasoned): Promise<AlertEvent>;
  /** Nothing is sent for this pair for `duration` seconds (0 ends a silence); audited (`silence`). */
  silencePair(id: string, req: SilenceRequest): Promise<SilenceInfo>;
  /** The maintenance windows, each with its current or next occurrence. */
  listMaintenance(): Promise<MaintenanceInfo[]>;
  /** Validated like the XML (a 400 lists every problem), written to the file, audited as maintenance-add. */
  addMaintenance(window: MaintenanceWindow, by?: Reasoned): Promise<MaintenanceInfo>;
  /** Replaces window `id` (the id cannot change); audited as maintenance-update. */
  updateMaintenance(id: string, window: MaintenanceWindow, by?: Reasoned): Promise<MaintenanceInfo>;
  /** Audited as maintenance-remove; pairs it paused go to starting. */
  removeMaintenance(id: string, by?: Reasoned): Promise<void>;
}

/** The two-person rule's requests (the engine and the HTTP backend have them; the desktop's IPC does not yet). */
export interface TwoPersonApi {
  /** Pending requests and those decided in the last hour, newest first. */
  listRequests(): Promise<TwoPersonRequest[]>;
  /**
   * A second operator approves (the held move fires, exactly once) or rejects a pending request.
   * `by.identity` must name a token other than the requester's, of role operator or admin.
   */
  approveRequest(id: string, by: Reasoned): Promise<TwoPersonRequest>;
  rejectRequest(id: string, by: Reasoned): Promise<TwoPersonRequest>;
  /** The moves `<policy two-person>` holds for a second operator (empty without a policy). */
  twoPersonActions(): Promise<TwoPersonAction[]>;
}

/** Operator actions the service makes outside the engine (token changes), recorded in the engine's audit log. */
export interface AuditApi {
  recordOperator(action: 'token-add' | 'token-revoke', by: Reasoned, detail: string): void;
}

/** GET /api/whoami: the token's name and role, and the moves that need a second operator. */
export interface WhoAmI extends Identity {
  /** The moves `<policy two-person>` holds for a second operator (absent from a service without the rule). */
  twoPerson?: TwoPersonAction[];
}

/** What a failover or re-arm answers: the pair's status, plus the pending request when the move was held. */
export type MoveResult = PairStatus & { request?: TwoPersonRequest };

export type Unsubscribe = () => void;

/** `rejected`: the service refused the token (401): reconnecting will not help, a new token is needed. */
export type ConnectionState = 'connecting' | 'live' | 'lost' | 'rejected';

/** What the renderer talks to: IPC in the desktop app, HTTP + SSE in a browser. */
export interface Backend extends MonitorApi {
  readonly kind: 'desktop' | 'http';
  /** Engine events; delivered in order, possibly batched. */
  subscribe(listener: (events: EngineEvent[]) => void): Unsubscribe;
  onConnection(listener: (state: ConnectionState) => void): Unsubscribe;
  // Host-only hooks: present where the host has them, so the renderer asks `backend.x?.()` instead of probing types.
  /** Desktop: main asks to show a pair (a notification or tray item was clicked). */
  onShowPair?(listener: (pairId: string) => void): Unsubscribe;
  /** Desktop: main's own save dialog writes the unmasked file; only where it went comes back, never the XML. */
  exportWithSecrets?(): Promise<ExportWithSecretsResult>;
  /** Desktop: the app's preferences (operator name, start at login, close to tray, muting), kept by main. */
  getPreferences?(): Promise<DesktopPreferences>;
  /** Desktop: change some preferences; answers all of them as saved, or throws MonitorError('invalid'). */
  setPreferences?(patch: Partial<DesktopPreferences>): Promise<DesktopPreferences>;
  /** Who this screen acts as (GET /api/whoami; the desktop in local mode is admin). */
  whoami?(): Promise<WhoAmI>;
  /** HTTP: the cluster this service is a node of (GET /api/cluster); undefined without --cluster. */
  cluster?(): Promise<ClusterInfo | undefined>;
  /** Desktop: its own watchers ('local') or the service it is attached to, and whether the stream is live. */
  onRemote?(listener: (connection: RemoteConnection) => void): Unsubscribe;
  /** Desktop: the remote-mode settings (never the token). */
  getRemote?(): Promise<RemoteSettings>;
  /** Desktop: attach to a service (the token is encrypted and kept by main); the app restarts in remote mode. */
  attach?(req: AttachRequest): Promise<RemoteSettings>;
  /** Desktop: back to local mode (the stored token is deleted); the app restarts running its own watchers. */
  detach?(): Promise<RemoteSettings>;
  /** HTTP: whether a token was given at all (a 401 then means it was rejected, not missing). */
  readonly hasToken?: boolean;
  /** HTTP: use this token from now on (the stream reconnects with it). */
  setToken?(token: string): void;
  listRequests?: TwoPersonApi['listRequests'];
  approveRequest?: TwoPersonApi['approveRequest'];
  rejectRequest?: TwoPersonApi['rejectRequest'];
}

/** The HTTP paths of the headless service (a contract with tools outside the project). */
export const API_PATHS = {
  health: '/api/health',
  pairs: '/api/pairs',
  pair: (id: string) => `/api/pairs/${encodeURIComponent(id)}`,
  failover: (id: string) => `/api/pairs/${encodeURIComponent(id)}/failover`,
  rearm: (id: string) => `/api/pairs/${encodeURIComponent(id)}/rearm`,
  pause: (id: string) => `/api/pairs/${encodeURIComponent(id)}/pause`,
  resume: (id: string) => `/api/pairs/${encodeURIComponent(id)}/resume`,
  retryAction: (id: string) => `/api/pairs/${encodeURIComponent(id)}/action/retry`,
  markActionDone: (id: string) => `/api/pairs/${encodeURIComponent(id)}/action/mark-done`,
  history: (id: string) => `/api/pairs/${encodeURIComponent(id)}/history`,
  audit: '/api/audit',
  alerts: '/api/alerts',
  events: '/api/events',
  configXml: '/api/config.xml',
  testUrls: '/api/test-urls',
  // PBX health, operations, operators, cluster (issues 12-16).
  maintenance: '/api/maintenance',
  maintenanceWindow: (id: string) => `/api/maintenance/${encodeURIComponent(id)}`,
  notify: '/api/notify',
  notifyTest: (id: string) => `/api/notify/${encodeURIComponent(id)}/test`,
  ackAlert: (id: string) => `/api/alerts/${encodeURIComponent(id)}/ack`,
  silence: (id: string) => `/api/pairs/${encodeURIComponent(id)}/silence`,
  tokens: '/api/tokens',
  whoami: '/api/whoami',
  token: (name: string) => `/api/tokens/${encodeURIComponent(name)}`,
  requests: '/api/requests',
  approveRequest: (id: string) => `/api/requests/${encodeURIComponent(id)}/approve`,
  rejectRequest: (id: string) => `/api/requests/${encodeURIComponent(id)}/reject`,
  cluster: '/api/cluster',
  metrics: '/metrics',
} as const;

/**
 * GET /api/events is Server-Sent Events. Each message is `event: events` with `data:` a JSON array of
 * EngineEvent (batched, in order); comment lines (`: ping`) keep the connection alive. Browsers read it
 * with fetch() and a stream reader, because EventSource cannot send the Authorization header.
 */
export const SSE_EVENT_NAME = 'events';
