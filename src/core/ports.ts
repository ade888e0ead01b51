// The seams inside the engine: what the watchers and the controller need from
// storage (config file, history, lock) and from the outside world (clock,
// logger). Each is implemented once in src/core and passed in, so tests build
// the pieces with real files and real sockets, and nothing reaches for globals.

import type { AuditApi, MonitorApi, TwoPersonApi, Unsubscribe } from '../shared/api.js';
import type { Policy } from '../shared/two-person.js';
import type { HttpClient, ProbeCall } from './http-client.js';
import type { CertificateLevel, CertificateStatus, SipTransport } from '../shared/pbx-health.js';
import type { MaintenanceWindow } from '../shared/maintenance.js';
import type {
  ActionStatus,
  EngineEvent,
  HistoryEvent,
  PairHistory,
  PairSettings,
  PairState,
  PairStatus,
  Problem,
} from '../shared/model.js';
import type { NotifyMessage, NotifySettings, NotifyType } from '../shared/notify.js';
import type { DnsRecordType } from '../shared/pbx-health.js';
import type { ClusterInfo } from '../shared/cluster.js';

/** The state a pair carries across restarts, written as `<state>` (and `<action-progress>`) in the XML. */
export interface PersistedState {
  state: PairState;
  /** ISO 8601 */
  since: string;
  /** The operator's reason for the last manual transition, if any. */
  reason?: string;
  /**
   * The primary has answered since the pair last entered starting (`primary-answered="true"` on
   * `<state>`): after a restart the pair resumes counting at once, in waiting.
   */
  primaryAnswered?: boolean;
  /** The failover/failback action of the current episode, persisted before and after every attempt. */
  action?: ActionStatus;
  /**
   * Who paused the pair (`paused-by="schedule"` on `<state>`): a maintenance window ends only the
   * pauses it set; absent means an operator (or a file written before windows existed).
   */
  pausedBy?: 'schedule';
}

export interface PairRecord {
  settings: PairSettings;
  persisted?: PersistedState;
}

export interface FailoverConfig {
  pairs: PairRecord[];
  /** `<notify>` alert channels, in the file's order (absent: none). */
  notify?: NotifySettings[];
  /** The top-level <maintenance> windows; left out, the file's windows are kept as they are on write. */
  maintenance?: MaintenanceWindow[];
  /** Top-level `<policy>` (the two-person rule); absent when the file has none. */
  policy?: Policy;
}

export type ParseResult = { ok: true; config: FailoverConfig } | { ok: false; problems: Problem[] };

/** `<serverdir>/pbxctrl-failover.xml`: read, validated as a whole, written atomically. */
export interface ConfigStore {
  readonly path: string;
  /**
   * Read and validate the file. A missing or empty file is a configuration with no pairs.
   * Throws MonitorError('invalid', …, problems) naming pair and field for anything wrong;
   * never modifies the file it could not read.
   */
  load(): Promise<FailoverConfig>;
  /**
   * Write atomically and durably (temp file, fsync, rename, fsync dir), keeping the previous
   * good file as `.bak`, and keeping unknown elements/attributes from what was last read.
   * Writes are serialized; the promise settles when this one is on disk.
   */
  save(config: FailoverConfig): Promise<void>;
  /**
   * Parse and validate XML text without touching the disk (for import and `validate`). With
   * `existing`, a secret written as SECRET_MASK in a pair keeps that stored pair's secret (import of
   * a masked export).
   */
  parse(
    xml: string,
    opts?: {
      existing?: (id: string) => PairSettings | undefined;
      existingNotify?: (id: string) => NotifySettings | undefined;
    },
  ): ParseResult;
  /** The XML this configuration would be written as; secrets replaced by SECRET_MASK when masked. */
  serialize(config: FailoverConfig, opts?: { masked?: boolean }): string;
  /** True when the file on disk is no longer what this store last read or wrote (edited by hand). */
  changedOnDisk(): Promise<boolean>;
  /**
   * Event-loop time (serializing and checking what is written, not waiting for the disk) the next
   * save is expected to take: what the last one made the same way took (a save of changed states
   * rewrites only those pairs, other saves the whole file). Undefined when the store does not tell.
   */
  readonly expectedWriteLoopMs?: number | undefined;
}

/** `<serverdir>/history/`: append-only events per pair plus per-minute check aggregates. */
export interface HistoryStore {
  /** Record an engine event: successful checks only count in the minute aggregates; all else is appended. */
  record(event: EngineEvent): void;
  /** With `bucketMs`, the checks come as `columns` in buckets that wide (and `minutes` is empty). */
  query(pair: string, fromMs: number, toMs: number, bucketMs?: number): Promise<PairHistory>;
  /** Events of every pair whose type is one of `types`, in time order. */
  queryAll(types: ReadonlyArray<HistoryEvent['type']>, fromMs: number, toMs: number): Promise<HistoryEvent[]>;
  /** Delete what is older than the retention. */
  prune(nowMs: number): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** One writer per serverdir. */
export interface ServerdirLock {
  readonly path: string;
  /**
   * Called once when a heartbeat finds another holder's content in the lock file: this instance
   * must stop acting at once. Called at once when the lock is already lost.
   */
  onLost(listener: (message: string) => void): void;
  release(): Promise<void>;
}

/** What one delivery of an alert channel came to. */
export interface NotifyOutcome {
  ok: boolean;
  /** HTTP status (e-mail: the SMTP reply code), when an answer arrived. */
  status?: number;
  latencyMs: number;
  /** Why it failed, in words, never carrying a secret. */
  error?: string;
}

/**
 * One alert channel (`<notify type=…>`): turns a message into its service's own format and delivers
 * it once. Retries, filters and queueing are the dispatcher's (core/notify/dispatcher.ts).
 */
export interface NotifyChannel {
  readonly id: string;
  readonly type: NotifyType;
  /** Whether this channel has anything to send for this action (only PagerDuty acknowledges). */
  handles(action: NotifyMessage['action']): boolean;
  /** One delivery; never rejects. */
  send(message: NotifyMessage, timeoutMs: number): Promise<NotifyOutcome>;
  close?(): Promise<void>;
}

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface Clock {
  /** Monotonic milliseconds (performance.now()), for scheduling and latency. */
  monotonic(): number;
  /** Wall-clock epoch milliseconds, for timestamps. */
  now(): number;
}

export const systemClock: Clock = {
  monotonic: () => performance.now(),
  now: () => Date.now(),
};

/**
 * The engine's timers, passed with the clock: every wait in the watchers goes through it, so tests
 * can drive the schedule with fake timers while the HTTP stays real.
 */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** Where a SIP OPTIONS goes: parsed once per pair from `<primary-sip>` / `<standby-sip>` (sip-message.ts). */
export interface SipTarget {
  /** The URI as written, `sip:host[:port]` or `sips:host[:port]`. */
  readonly uri: string;
  readonly host: string;
  readonly port: number;
  readonly transport: SipTransport;
  /** TLS only: verify the server's chain and name. */
  readonly verify: boolean;
}

/**
 * SIP OPTIONS pings (sip-client.ts): one UDP socket for every pair, one TCP/TLS connection per target.
 * A call's outcome is a final response's status (provisional 1xx are skipped) or the failure in words;
 * it is given up at `timeoutMs` as "no SIP answer in N s" (never a made-up 408), and `cancel` settles it so
 * at once, like HttpClient.probe's calls.
 */
export interface SipClient {
  options(target: SipTarget, timeoutMs: number): ProbeCall;
  close(): Promise<void>;
}

/** Where `<certificates>` connects: a host:port and the name sent with SNI and matched against the certificate. */
export interface CertificateTarget {
  name: string;
  /** host:port, or [v6]:port. */
  address: string;
}

/** What one TLS handshake showed of a server's certificate (times are epoch ms). */
export type CertificateReading =
  | {
      ok: true;
      /** The leaf's notAfter. */
      notAfter: number;
      /** The earliest notAfter of the chain as the server sent it (leaf included). */
      chainNotAfter: number;
      subject: string;
      issuer: string;
      altNames: string[];
      nameMatches: boolean;
      /** The chain verifies against the system store (or the probe's own CA list). */
      trusted: boolean;
      trustError?: string;
    }
  | { ok: false; error: string };

/** Reads a server's certificate: `core/certificate-check.ts`. Never rejects. */
export interface CertificateProbe {
  read(target: CertificateTarget, timeoutMs: number): Promise<CertificateReading>;
}

/** The certificates last read per pair (written by the certificate watch, read by every pair's status). */
export interface CertificateBook {
  list(pair: string): CertificateStatus[];
  /** Fewest days left and the worst level over the pair's readings; empty when none was read. */
  summary(pair: string): { daysLeft?: number; level?: CertificateLevel };
  set(pair: string, list: CertificateStatus[]): void;
  delete(pair: string): void;
}

/**
 * Who may act (change pair states, send actions): the local coordinator (core/cluster/local.ts, the
 * default) always may, and its commit is the state-file write; the etcd coordinator
 * (core/cluster/etcd-coordinator.ts) only while this node holds the leader key, and every write it
 * makes is fenced on that key.
 */
export interface Coordinator {
  /** This node's name (`local` without a cluster). */
  readonly node: string;
  /** Whether this node may change pair states and send actions now (a leader whose lease may expire soon may not). */
  leading(): boolean;
  /**
   * Whether this attempt of `action` may go out now: its record (`inFlight`) was committed by this node
   * as leader and it still leads. Local: always (firing matters more than recording).
   */
  maySend(pair: string, action: ActionStatus): boolean;
  /**
   * How many live nodes see the primary of `pair` down (more than the tolerated failures in a row),
   * this node counted when `ownDown` (`<vantage quorum>`). Local: this node alone.
   */
  vantage(pair: string, ownDown: boolean): number;
  /** What every live node saw of `pair` (cluster mode; the leader's own count is `own`), for the decision. */
  views?(pair: string, own: number): Array<{ node: string; consecutiveFailures: number; down: boolean }>;
  /** GET /api/cluster; undefined without a cluster. */
  cluster(): ClusterInfo | undefined;
  /** The service's own address, published for the other nodes when no --advertise-url was given. */
  advertise?(url: string): void;
}

/** What every part of the engine shares, built once by openMonitor and passed down unchanged (never repacked). */
export interface EngineContext {
  /** Who may act: the local coordinator, or the etcd cluster's (cluster mode). */
  coordinator: Coordinator;
  client: HttpClient;
  /** SIP OPTIONS checks of pairs with `<primary-sip>` / `<standby-sip>`. */
  sip: SipClient;
  clock: Clock;
  timers: Timers;
  log: Logger;
  /** Milliseconds to wait after failed action attempt n (1-based). */
  backoff: (attempt: number) => number;
  /** The certificates last read, for the pairs' statuses. */
  certificates: CertificateBook;
  /** Questions to DNS servers (the `<dns-verify>` rounds after an action, readiness). */
  dns: DnsClient;
}

/** A pair as a maintenance window drives it (the Watcher is one). */
export interface SchedulablePair {
  readonly id: string;
  readonly settings: PairSettings;
  status(): PairStatus;
  /** Pause by "schedule"; false (nothing changed) in failover or when already paused. */
  schedulePause(reason: string): boolean;
  /** End a pause the schedule set, to starting; false for anything else. */
  scheduleResume(reason: string): boolean;
}

/** The maintenance windows in force, applied to the pairs at their starts and ends (core/maintenance.ts). */
export interface MaintenanceSchedule {
  list(): MaintenanceWindow[];
  /** Replaces the windows (already validated and written) and applies them at once. */
  set(windows: MaintenanceWindow[]): void;
  /** Applies the windows now (after pairs were added or changed). */
  apply(): void;
  start(): void;
  stop(): void;
}

/** The running engine on one serverdir: what the headless service and the Electron shell start. */
export interface Monitor extends MonitorApi, TwoPersonApi, AuditApi {
  readonly serverdir: string;
  /** Every engine event, one at a time, in order. */
  subscribe(listener: (event: EngineEvent) => void): Unsubscribe;
  /** Stop checks, finish writes, flush history, release the lock. Idempotent. */
  close(): Promise<void>;
  /** Cluster mode: the leader, the term and every live node (GET /api/cluster); undefined without a cluster. */
  cluster?(): ClusterInfo | undefined;
}

export interface MonitorOptions {
  serverdir: string;
  version: string;
  log?: Logger;
  clock?: Clock;
  /** Timers of the watchers (default the global ones). */
  timers?: Timers;
  /** Days of history kept, default 90. */
  historyRetentionDays?: number;
  /** Operator name recorded when a request names none ("api" for the service, the OS user for the desktop). */
  defaultOperator?: string;
  /** How long a two-person request waits for its second operator (default 10 minutes). */
  requestLapseMs?: number;
}

/** What one DNS server said to one question (core/dns-client.ts). */
export interface DnsQueryResult {
  /** The server as written in the settings (`host` or `host:port`). */
  server: string;
  /**
   * Records of the asked type at the asked name, normalised (shared/dns-values.ts): A dotted quads, AAAA
   * compressed lower case, CNAME targets lower case with the final dot; for SOA the primary name server.
   */
  answers: string[];
  /** Smallest TTL of those records, seconds. */
  ttl?: number;
  /** The AA flag of the answer. */
  authoritative: boolean;
  /** NOERROR, NXDOMAIN, REFUSED, SERVFAIL…; absent when no answer arrived. */
  rcode?: string;
  /** SOA serial of the zone, from the answer (SOA question) or the authority section. */
  serial?: number;
  /** How the answer came: UDP, or TCP after a truncated UDP answer. */
  transport?: 'udp' | 'tcp';
  latencyMs: number;
  /** Why no answer arrived, in words: "no answer in 2 s", "connection refused". */
  error?: string;
}

/**
 * Asks one DNS server directly, recursion off, over UDP and again over TCP when the answer is
 * truncated. Never rejects: a failure is a result with `error`.
 */
export interface DnsClient {
  query(server: string, name: string, type: DnsRecordType | 'SOA', timeoutMs: number): Promise<DnsQueryResult>;
}
