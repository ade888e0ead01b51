// The operator's vocabulary: pairs, their settings, their live status and the
// events the engine emits. Plain data only: everything here crosses IPC, HTTP
// and SSE as JSON, so no classes, no Dates (ISO 8601 strings instead), no Maps.

import type {
  CertificateLevel,
  CertificateSettings,
  CertificateStatus,
  DnsPhase,
  DnsServerAnswer,
  DnsStatus,
  DnsVerifySettings,
  Readiness,
  SipCheckResult,
  SipSettings,
} from './pbx-health.js';

export const PAIR_STATES = ['starting', 'waiting', 'verifying', 'failover', 'paused'] as const;
export type PairState = (typeof PAIR_STATES)[number];

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export const BODY_ENCODINGS = ['json', 'xml', 'form', 'plain'] as const;
export type BodyEncoding = (typeof BODY_ENCODINGS)[number];

export const AUTH_KINDS = ['none', 'basic', 'bearer'] as const;
export type AuthKind = (typeof AUTH_KINDS)[number];

/** What the UI and API show instead of a secret. Sending it back means "keep the stored secret". */
export const SECRET_MASK = '••••••••';

/** Template variables the app fills in when it fires an action URL. */
export const TEMPLATE_VARIABLES = [
  'pair',
  'name',
  'from',
  'to',
  'reason',
  'manual',
  'time',
  'epoch',
  'primary',
  'standby',
  'user',
  'pass',
  /** The same for every attempt of one series, different between series: receivers deduplicate on it. */
  'action_id',
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

export interface ActionHeader {
  name: string;
  value: string;
  /** Written `secret="true"`: masked even when the name is on the harmless list. */
  secret?: boolean;
}

/** A request fired on failover (or failback), modelled on Vodia's action URLs. */
export interface ActionSettings {
  method: HttpMethod;
  url: string;
  encoding: BodyEncoding;
  auth: AuthKind;
  /** Basic auth user name; also the `{user}` variable. */
  user?: string;
  /** Basic auth password or Bearer token; also the `{pass}` variable. A secret. */
  pass?: string;
  headers: ActionHeader[];
  body?: string;
  /** Written `<body secret="true">`: the body is masked in every answer and export, and never logged. */
  bodySecret?: boolean;
  /** Attempts in all (the XML attribute is called `retries`), default 5. */
  retries: number;
  /** Connect and read timeout in seconds, default 10. */
  timeout: number;
  /**
   * Whether sending the request twice does no harm, so an attempt whose outcome a crash left unknown
   * may be resent. Absent: true for GET, PUT and DELETE, false for POST and PATCH (`isIdempotent`).
   */
  idempotent?: boolean;
}

export interface ValidationSettings {
  /**
   * How many of `urls` must answer with an accepted status. 0 only when `urls` is empty and it was
   * written explicitly (`quorum="0"`): the pair then has no isolation protection.
   */
  quorum: number;
  urls: string[];
}

/** Settings of one primary/standby pair, as `<pair>` in pbxctrl-failover.xml. */
export interface PairSettings {
  /** Lower-case letters, digits, `-` and `_`. */
  id: string;
  name: string;
  primaryUrl: string;
  standbyUrl?: string;
  /** Seconds between checks of the primary, at least 0.1. */
  interval: number;
  /** Failed checks in a row that are tolerated; the next one is the failure event. */
  toleratedFailures: number;
  /** Seconds a check may take; when left out, min(interval, 5). */
  timeout?: number;
  /** Accepted statuses: "200", "200-299", "200,204" (default "200"). */
  acceptStatus: string;
  validation: ValidationSettings;
  action: ActionSettings;
  failbackAction?: ActionSettings;
  /** `<primary-sip>`: with it, a check of the primary is the HTTP check and a SIP OPTIONS together. */
  primarySip?: SipSettings;
  /** `<standby-sip>`: health only, like the standby URL. */
  standbySip?: SipSettings;
  /** `<certificates>`: expiry of the pair's TLS certificates. */
  certificates?: CertificateSettings;
  /** `<dns-verify>`: after an action, the authoritative servers must answer the expected set. */
  dnsVerify?: DnsVerifySettings;
  /** `<readiness interval="300"/>`: seconds between failover-readiness checks, default 300. */
  readinessInterval?: number;
  /** `<vantage quorum="2"/>` (cluster mode): live nodes that must each see the primary down; default 1. */
  vantageQuorum?: number;
}

/** A problem with input: which pair, which field, what is wrong. */
export interface Problem {
  pair?: string;
  /** Dotted path in the operator's terms, e.g. `action.url`, `validation.quorum`, `interval`. */
  field: string;
  message: string;
}

export type CheckTarget = 'primary' | 'standby' | 'validation';

export interface CheckResult {
  target: CheckTarget;
  url: string;
  ok: boolean;
  status?: number;
  latencyMs: number;
  /**
   * Why the check failed, in words: "timed out after 5 s", "connection refused", "status 503". With `sip`,
   * each failed half is named: "HTTP: status 503", "SIP OPTIONS: no SIP answer in 2 s", both joined by "; ".
   */
  error?: string;
  /** ISO 8601 time the check completed. */
  at: string;
  /**
   * With `<primary-sip>` / `<standby-sip>`: the SIP OPTIONS sent together with the HTTP check; `ok` above is
   * then true only when both answered as accepted, and `status`/`latencyMs` stay the HTTP answer's. A
   * `<standby-sip>` without `<standby-url>` is checked by SIP alone: `url` is then the SIP URI, with no `status`.
   */
  sip?: SipCheckResult;
}

export type ActionKind = 'failover' | 'failback';
/** `unknown`: an attempt was in flight at a crash and the action is not idempotent; waits for retry or mark-done. */
export type ActionPhase = 'pending' | 'running' | 'succeeded' | 'failed' | 'unknown';

export interface ActionAttempt {
  attempt: number;
  at: string;
  ok: boolean;
  status?: number;
  latencyMs: number;
  error?: string;
}

export interface ActionStatus {
  kind: ActionKind;
  phase: ActionPhase;
  manual: boolean;
  reason: string;
  startedAt: string;
  finishedAt?: string;
  attempts: ActionAttempt[];
  /** The request as it will be / was sent, secrets masked (for the confirmation dialog and the log). */
  request?: MaskedRequest;
  /** `{action_id}`: one value per series, kept across restarts so a resumed series sends the same. */
  actionId?: string;
  /** The state the pair left when the action fired (`{from}`). */
  from?: PairState;
  /** An attempt being sent now, recorded before it is sent: after a crash its outcome is unknown. */
  inFlight?: { attempt: number; at: string };
}

export interface MaskedRequest {
  method: HttpMethod;
  url: string;
  headers: ActionHeader[];
  body?: string;
}

/** What decided the last transition out of waiting/verifying (shown by the dashboard). */
export interface Decision {
  at: string;
  to: PairState;
  primary: CheckResult[];
  validation: CheckResult[];
  /** For an operator's move (manual failover): who asked and why; the checks are then what was last seen. */
  manual?: { operator: string; reason: string };
  /**
   * Cluster mode with `<vantage quorum>` above 1: what each live node saw of the primary when the leader
   * went to verifying (its consecutive failures; down means more than the tolerated).
   */
  vantage?: Array<{ node: string; consecutiveFailures: number; down: boolean }>;
}

/** Live status of one pair, as in GET /api/pairs. */
export interface PairStatus {
  id: string;
  name: string;
  state: PairState;
  /** ISO 8601 time the pair entered `state`. */
  since: string;
  consecutiveFailures: number;
  toleratedFailures: number;
  interval: number;
  lastPrimary?: CheckResult;
  lastStandby?: CheckResult;
  lastValidation?: CheckResult[];
  /** The failover or failback action of the current episode, if any. */
  action?: ActionStatus;
  /** In failover, the primary answers again: risk of two active PBXs. */
  primaryAnswering: boolean;
  /** The standby URL is configured and its last check failed. */
  standbyDown: boolean;
  /** The last verification found the watcher cut off from its validation URLs. */
  isolated: boolean;
  /** ISO 8601 start of the current isolation episode (while `isolated`). */
  isolatedSince?: string;
  lastDecision?: Decision;
  /** Reason of the move into `state`: the operator's for a manual move, the engine's (the failed checks) otherwise. */
  reason?: string;
  /** `schedule` while a maintenance window holds the pair paused (see shared/maintenance.ts). */
  pausedBy?: 'schedule';
  /** Settings that weaken protection, in words (e.g. no validation URL: no isolation protection). */
  warnings?: string[];
  /** Failover readiness (GET /api/pairs carries it per pair); absent until first checked. */
  ready?: boolean;
  /** Fewest days left of the pair's watched certificates; absent when none is watched or read yet. */
  certificateDaysLeft?: number;
  /** The worst level of the pair's certificates read (`critical` and `expired` count in the tray). */
  certificateLevel?: CertificateLevel;
  /** Phase of the DNS verification of the last action (`<dns-verify>` only). */
  dnsPhase?: DnsPhase;
}

/** GET /api/pairs/:id: status plus settings with every secret masked. */
export interface PairDetail extends PairStatus {
  settings: PairSettings;
  /** Every watched certificate, as last read. */
  certificates?: CertificateStatus[];
  /** DNS verification of the last action (`<dns-verify>` only). */
  dns?: DnsStatus;
  readiness?: Readiness;
}

export const ALERT_KINDS = [
  'verifying',
  'failover',
  'action-failed',
  'action-succeeded',
  'isolated',
  'primary-recovered',
  'primary-answering',
  'standby-down',
  'standby-up',
  'config-problem',
  /** Pair states could not be written: a restart would forget decisions. Critical. */
  'state-write-failed',
  /** States are written again after a failure. */
  'state-write-recovered',
  /** Another instance took the serverdir lock: this one stops acting. Critical. */
  'lock-lost',
  /** An action attempt was in flight at a crash and the action is not idempotent: an operator must decide. Critical. */
  'action-outcome-unknown',
  /** A pair stayed in `starting` longer than interval x (tolerated + 1) x 3. */
  'stuck-starting',
  /** A certificate crossed a threshold (warn, critical, expired), or a renewed one was seen. */
  'certificate',
  /** After an action, the DNS servers did not all answer the expected set within `within`. */
  'dns-not-converged',
  /** The pair turned not ready to fail over (one per episode). */
  'not-ready',
  /** The pair is ready to fail over again. */
  'ready',
  /** A maintenance window ended and the primary has not answered within interval x (tolerated + 1). */
  'maintenance-primary-down',
  /** An alert channel keeps failing to deliver. */
  'notify-failing',
  /** An alert channel delivers again. */
  'notify-recovered',
  /** A two-person request is waiting for a second operator. */
  'request-pending',
  /** Cluster mode: etcd cannot be reached; this node stops acting. Critical. */
  'coordinator-unreachable',
  /** Cluster mode: etcd is reachable again. */
  'coordinator-reachable',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export type Severity = 'info' | 'warning' | 'critical';

export const OPERATOR_ACTIONS = [
  'failover',
  'rearm',
  'pause',
  'resume',
  'retry-action',
  'add',
  'update',
  'remove',
  'import',
  /** An action whose outcome is unknown, marked done by an operator (nothing is sent). */
  'mark-action-done',
  'ack',
  'silence',
  'maintenance-add',
  'maintenance-update',
  'maintenance-remove',
  'notify-test',
  'token-add',
  'token-revoke',
  /** A two-person request was made, approved or rejected. */
  'request',
  'approve',
  'reject',
] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];

interface EventBase {
  /** Pair id; `*` for events about the whole configuration (import). */
  pair: string;
  at: string;
}

export interface StateEvent extends EventBase {
  type: 'state';
  from: PairState;
  to: PairState;
  reason: string;
  manual: boolean;
  operator?: string;
  /** The pair's status after the move (live events only: the history does not keep it). */
  status?: PairStatus;
}

export interface CheckEvent extends EventBase {
  type: 'check';
  result: CheckResult;
  consecutiveFailures: number;
  /**
   * The pair's status after the check, only when the check changed more of it than the check's own
   * result and count (e.g. the standby went down, an isolation episode ended); live events only.
   */
  status?: PairStatus;
}

export interface ActionEvent extends EventBase {
  type: 'action';
  kind: ActionKind;
  phase: ActionPhase;
  attempt?: ActionAttempt;
  /** The pair's status with this progress of its action (live events only: the history does not keep it). */
  status?: PairStatus;
}

export interface AlertEvent extends EventBase {
  type: 'alert';
  /**
   * Stable id of this alert (`POST /api/alerts/:id/ack`), given by the engine when the alert is
   * emitted and kept in the history. Absent only on alerts recorded before ids existed.
   */
  id?: string;
  alert: AlertKind;
  severity: Severity;
  message: string;
  /** Who acknowledged it and why (GET /api/alerts fills it in; live, an operator event `ack` says so). */
  acknowledged?: { operator: string; reason: string; at: string };
}

export interface OperatorEvent extends EventBase {
  type: 'operator';
  action: OperatorAction;
  operator: string;
  reason: string;
  outcome: 'ok' | 'failed';
  detail?: string;
  /** Free text a named token's request gave as `operator`: kept beside the token's name, never as the who. */
  note?: string;
  /** `ack`: the id of the acknowledged alert. */
  alertId?: string;
  /** `silence`: ISO 8601 end of the silence (the time of the event when a silence was ended). */
  until?: string;
}

/** One delivery attempt of an alert channel (`<notify>`). */
export interface NotifyEvent extends EventBase {
  type: 'notify';
  /** The channel's id. */
  channel: string;
  ok: boolean;
  /** HTTP status of the answer, when one arrived (e-mail: the SMTP reply code). */
  status?: number;
  /** Milliseconds the delivery took. */
  latencyMs: number;
  error?: string;
  /** The alert kind delivered (`test` for "Send test"). */
  alert: AlertKind | 'test';
  /** trigger, resolve or acknowledge. */
  action: 'trigger' | 'resolve' | 'acknowledge';
  /** Attempt number of this message, from 1. */
  attempt: number;
  alertId?: string;
}

/**
 * One round of the DNS verification after an action (`<dns-verify>`): what each listed server
 * answered. The round that ends it carries `message`: "DNS converged in N s", or why not.
 */
export interface DnsEvent extends EventBase {
  type: 'dns';
  /** The action whose effect is verified. */
  kind: ActionKind;
  phase: DnsPhase;
  expected: string[];
  servers: DnsServerAnswer[];
  /** Seconds since the action succeeded. */
  elapsed: number;
  message?: string;
  /** The pair's status with this round's `dnsPhase` (live events only: the history does not keep it). */
  status?: PairStatus;
}

/** The pair list changed (added, updated, removed): clients refetch the pair. */
export interface ConfigEvent extends EventBase {
  type: 'config';
  change: 'added' | 'updated' | 'removed';
}

/** The pair's certificates were read (at start, every 6 hours, on "Test now"); live only, not kept in the history. */
export interface CertificatesEvent extends EventBase {
  type: 'certificates';
  certificates: CertificateStatus[];
  /** The pair's status with these readings (certificateDaysLeft, certificateLevel). */
  status?: PairStatus;
}

/** A readiness round of a pair ended (every few minutes, and on "Test now"). */
export interface ReadinessEvent extends EventBase {
  type: 'readiness';
  readiness: Readiness;
  /** The pair's status with its `ready` (live events only: the history does not keep it). */
  status?: PairStatus;
}

export type EngineEvent =
  | StateEvent
  | CheckEvent
  | ActionEvent
  | AlertEvent
  | OperatorEvent
  | ConfigEvent
  | NotifyEvent
  | CertificatesEvent
  | DnsEvent
  | ReadinessEvent;
export type EngineEventType = EngineEvent['type'];

/**
 * History keeps every event except successful checks, which only count in the minute aggregates, and
 * certificate readings (live only: the `certificate` alerts are what the history keeps of them).
 */
export type HistoryEvent = EngineEvent;

/** One minute of checks of one target of one pair, for timelines. */
export interface MinuteAggregate {
  /** Start of the minute, ISO 8601. */
  minute: string;
  target: 'primary' | 'standby';
  checks: number;
  failures: number;
  p50Ms: number;
  maxMs: number;
}

/**
 * One target's minute aggregates as columns (`?shape=columns`): entry i of every array is one bucket,
 * in time order, buckets without checks left out.
 */
export interface TargetColumns {
  /** Start of each bucket, epoch milliseconds. */
  t: number[];
  checks: number[];
  failures: number[];
  /** The minute's median; for a longer bucket the mean of its minutes' medians weighted by their checks. */
  p50Ms: number[];
  maxMs: number[];
}

/** A pair's checks over a range as columns: compact to send, quick to draw. */
export interface MinuteColumns {
  /** Width of one bucket in ms: 60,000 (one minute), or coarser for ranges over a few days. */
  bucketMs: number;
  primary: TargetColumns;
  standby: TargetColumns;
}

export interface PairHistory {
  pair: string;
  from: string;
  to: string;
  events: HistoryEvent[];
  /** One aggregate per minute and target; empty when the query asked for `columns`. */
  minutes: MinuteAggregate[];
  /** Only with `?shape=columns`: the same checks as columns, in buckets of `bucketMs`. */
  columns?: MinuteColumns;
}

export interface ImportChange {
  pair: string;
  change: 'added' | 'changed' | 'removed' | 'unchanged';
  /** The pair's live state, for pairs that exist now (an import that removes a pair in failover says so). */
  state?: PairState;
  /** Changed fields, by dotted path. */
  fields?: string[];
}

export interface ImportResult {
  applied: boolean;
  changes: ImportChange[];
}
