// The seams inside the engine: what the watchers and the controller need from
// storage (config file, history, lock) and from the outside world (clock,
// logger). Each is implemented once in src/core and passed in, so tests build
// the pieces with real files and real sockets, and nothing reaches for globals.

import type { MonitorApi, Unsubscribe } from '../shared/api.js';
import type { HttpClient } from './http-client.js';
import type {
  ActionStatus,
  EngineEvent,
  HistoryEvent,
  PairHistory,
  PairSettings,
  PairState,
  Problem,
} from '../shared/model.js';
import type { DnsRecordType } from '../shared/pbx-health.js';

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
}

export interface PairRecord {
  settings: PairSettings;
  persisted?: PersistedState;
}

export interface FailoverConfig {
  pairs: PairRecord[];
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
  parse(xml: string, opts?: { existing?: (id: string) => PairSettings | undefined }): ParseResult;
  /** The XML this configuration would be written as; secrets replaced by SECRET_MASK when masked. */
  serialize(config: FailoverConfig, opts?: { masked?: boolean }): string;
  /** True when the file on disk is no longer what this store last read or wrote (edited by hand). */
  changedOnDisk(): Promise<boolean>;
}

/** `<serverdir>/history/`: append-only events per pair plus per-minute check aggregates. */
export interface HistoryStore {
  /** Record an engine event: successful checks only count in the minute aggregates; all else is appended. */
  record(event: EngineEvent): void;
  query(pair: string, fromMs: number, toMs: number): Promise<PairHistory>;
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

/** What every part of the engine shares, built once by openMonitor and passed down unchanged (never repacked). */
export interface EngineContext {
  client: HttpClient;
  clock: Clock;
  timers: Timers;
  log: Logger;
  /** Milliseconds to wait after failed action attempt n (1-based). */
  backoff: (attempt: number) => number;
  /** Questions to DNS servers (the `<dns-verify>` rounds after an action, readiness). */
  dns: DnsClient;
}

/** The running engine on one serverdir: what the headless service and the Electron shell start. */
export interface Monitor extends MonitorApi {
  readonly serverdir: string;
  /** Every engine event, one at a time, in order. */
  subscribe(listener: (event: EngineEvent) => void): Unsubscribe;
  /** Stop checks, finish writes, flush history, release the lock. Idempotent. */
  close(): Promise<void>;
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
