// Writing every pair's state to pbxctrl-failover.xml: state writes coalesced and spaced, action
// progress and operator moves written at once, disk work taking turns, a failed write retried with
// a capped backoff and reported once as the `state-write` health problem with its alerts. Nothing is
// written while the file is an invalid hand edit (blocked) or after the serverdir lock was lost.

import { MonitorError } from '../shared/api.js';
import { SerialQueue } from '../node/serial-queue.js';
import type { EngineEvent, Problem } from '../shared/model.js';
import { errnoCode, explainFsError, messageOf } from './fs-errors.js';
import type { HealthProblems } from './health-problems.js';
import type { Clock, ConfigStore, FailoverConfig, Logger } from './ports.js';

/** Coalesced state writes take at most about 1 / (1 + WRITE_SPACING) of the event loop. */
const WRITE_SPACING = 4;
/** A slow disk must not leave the states in the file stale for long. */
const MAX_WRITE_SPACING_MS = 30_000;

export interface StateWriterDeps {
  store: ConfigStore;
  clock: Clock;
  log: Logger;
  problems: HealthProblems;
  /** Every pair's settings and state as they are now. */
  snapshot: () => FailoverConfig;
  emit: (event: EngineEvent) => void;
  /** The file changed on disk since we read it: look at the edit now. */
  onConflict: () => void;
  /** True once the monitor is closing: no more retries are scheduled. */
  closing: () => boolean;
  /** State writes within this window are coalesced into one (default 200 ms). */
  saveCoalesceMs?: number | undefined;
  /** Milliseconds before retrying failed state write n; default 1 s doubling, capped at 30 s. */
  writeRetryBackoff?: ((attempt: number) => number) | undefined;
}

export class StateWriter {
  private readonly deps: StateWriterDeps;
  private readonly disk = new SerialQueue();
  private saveTimer: NodeJS.Timeout | undefined;
  private savingNow: Promise<void> | undefined;
  private queuedSave: Promise<void> | undefined;
  /** Set while the file on disk is an invalid hand edit: nothing is written until it is fixed. */
  private blockedBy: Problem[] | undefined;
  /** Event-loop time the next write of the file is expected to take, ms (spaces out coalesced state writes). */
  private lastWriteMs = 0;
  /** Retries a failed state write; set while one is due. */
  private writeRetryTimer: NodeJS.Timeout | undefined;
  private writeRetries = 0;
  /** The last state-write failure logged, so that retries failing the same way do not flood the log. */
  private lastWriteFailure = '';
  /** Set when another instance took the serverdir lock: nothing is written any more. */
  private lostLock: string | undefined;

  constructor(deps: StateWriterDeps) {
    this.deps = deps;
  }

  /** Why nothing may be written any more (the lock was lost), if so. */
  get lockLostMessage(): string | undefined {
    return this.lostLock;
  }

  get blocked(): boolean {
    return this.blockedBy !== undefined;
  }

  /** Another instance owns the file now: never write it again. */
  lockLost(message: string): void {
    this.lostLock = message;
    this.stopTimers();
  }

  /** Settles when no write is running or waiting its turn (a write queued now does not write any more once the lock is lost). */
  settled(): Promise<void> {
    return this.disk.idle();
  }

  /** Stops the coalescing timer and any retry (on close, before the final write). */
  stopTimers(): void {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
    }
    this.stopWriteRetry();
  }

  /** The file on disk is an invalid hand edit: nothing is written until it is fixed. */
  block(problems: Problem[]): void {
    this.blockedBy = problems;
  }

  /** Reports writing blocked by the invalid file, as loudly as a full disk. */
  reportBlocked(): void {
    this.stateWriteFailed(this.blockedError());
  }

  /** The file on disk is valid again; true when it was blocked. */
  unblock(): boolean {
    const wasBlocked = this.blockedBy !== undefined;
    this.blockedBy = undefined;
    return wasBlocked;
  }

  /** Disk work (writes, hand-edit checks of the file) takes turns. */
  onDisk<T>(work: () => Promise<T>): Promise<T> {
    return this.disk.run(work);
  }

  /** Refuses a change (409) while the file is blocked by an invalid hand edit or the last state write failed. */
  assertWritable(): void {
    if (this.blockedBy) {
      throw new MonitorError(
        'conflict',
        `pbxctrl-failover.xml was edited by hand and is invalid; fix the file first (${this.blockedBy.map(describeProblem).join('; ')})`,
        this.blockedBy,
      );
    }
    const failed = this.stateWriteProblem();
    if (failed) {
      throw new MonitorError(
        'conflict',
        `${failed.message} Changes are refused until pair states can be written again, so that nothing decided now is lost.`,
      );
    }
  }

  /** assertWritable, after trying the write once more when the last one failed (the disk may have been fixed). */
  async writableNow(): Promise<void> {
    this.assertWritable();
    if (!this.deps.problems.has('state-write')) return;
    await this.persistNow().catch(() => undefined);
    this.assertWritable();
  }

  /** The message of the state-write problem now, if writing fails. */
  failureMessage(): string | undefined {
    return this.stateWriteProblem()?.message;
  }

  persistSoon(): void {
    if (this.saveTimer || this.queuedSave || this.lostLock !== undefined) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      // A failure is reported (problem, alert, retry) by write().
      this.persistNow().catch(() => undefined);
    }, this.coalesceMs());
  }

  /**
   * A state write serializes and reads back only the pairs that changed (a few ms of event loop at
   * 10,000 pairs), but a full write (a pair added, a window edited) serializes and re-reads every
   * pair (about 1 s for 5,000). State writes are spaced by a multiple of the event-loop time the last
   * write took (not the time waiting for the disk, which does not hold up checks), so that
   * thousands of pairs going starting -> waiting do not keep the loop busy writing while checks fall
   * due. Action progress and operator moves write at once (persistNow), as before.
   */
  private coalesceMs(): number {
    return Math.max(this.deps.saveCoalesceMs ?? 200, Math.min(WRITE_SPACING * this.lastWriteMs, MAX_WRITE_SPACING_MS));
  }

  /**
   * Writes the configuration with every pair's state now. Callers that arrive while a write is running
   * share the next one, whose snapshot is taken when it starts, so it includes all of their changes.
   */
  persistNow(): Promise<void> {
    // The file belongs to the instance that took the lock over.
    if (this.lostLock !== undefined) return Promise.reject(new MonitorError('conflict', this.lostLock));
    if (this.queuedSave) return this.queuedSave;
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
    }
    const previous = this.savingNow ?? Promise.resolve();
    const next: Promise<void> = previous
      .catch(() => undefined)
      .then(() => {
        if (this.queuedSave === next) this.queuedSave = undefined;
        const write = this.write();
        this.savingNow = write;
        void write
          .catch(() => undefined)
          .finally(() => {
            if (this.savingNow === write) this.savingNow = undefined;
          });
        return write;
      });
    this.queuedSave = next;
    return next;
  }

  /** One write of every pair's state. Every way it can fail is reported through stateWriteFailed(). */
  private async write(): Promise<void> {
    try {
      await this.onDisk(async () => {
        // Asked for before the lock was lost, its turn came after: the file is the other instance's now.
        if (this.lostLock !== undefined) throw new MonitorError('conflict', this.lostLock);
        if (this.blockedBy) throw this.blockedError();
        const started = performance.now();
        try {
          await this.deps.store.save(this.deps.snapshot());
        } finally {
          this.lastWriteMs = this.deps.store.expectedWriteLoopMs ?? performance.now() - started;
        }
      });
    } catch (error) {
      // Not written because the lock was lost: not a failure to report, retry or look into.
      if (this.lostLock !== undefined) throw new MonitorError('conflict', this.lostLock);
      if (this.blockedBy) {
        const blocked = this.blockedError();
        this.stateWriteFailed(blocked);
        throw blocked;
      }
      if (error instanceof MonitorError && error.code === 'conflict') {
        // Edited by hand since we read it: look at the edit now rather than at the next poll. The
        // check either applies the edit and writes, or finds it invalid and reports writing blocked.
        setImmediate(() => this.deps.onConflict());
        throw error;
      }
      this.stateWriteFailed(error);
      throw error;
    }
    this.stateWriteSucceeded();
  }

  /**
   * The one path for a state write that failed, whatever the cause: the health problem, one critical
   * alert per episode, and a retry with a capped backoff. Automatic moves go on regardless (refusing a
   * failover because the disk is full would turn a disk problem into a telephony outage).
   */
  private stateWriteFailed(error: unknown): void {
    const blocked = this.blockedBy !== undefined;
    const next = blocked ? 'fix the file and writing resumes.' : 'the write is retried until it succeeds.';
    const message = `pair states cannot be written to ${this.deps.store.path}: ${this.causeOf(error)}. Decisions made now are lost on a restart; ${next}`;
    const isNew = this.deps.problems.set('state-write', message, this.isoNow());
    if (message !== this.lastWriteFailure) {
      this.lastWriteFailure = message;
      this.deps.log.error('pair states cannot be written', { error: message });
    }
    if (isNew) {
      this.deps.emit({
        type: 'alert',
        pair: '*',
        at: this.isoNow(),
        alert: 'state-write-failed',
        severity: 'critical',
        message,
      });
    }
    if (!blocked) this.scheduleWriteRetry();
  }

  private stateWriteSucceeded(): void {
    const episode = this.stateWriteProblem();
    if (!episode || !this.deps.problems.clear('state-write')) return;
    this.stopWriteRetry();
    this.lastWriteFailure = '';
    const message = `pair states are written to ${this.deps.store.path} again; what was decided while writing failed (since ${episode.since}) is now on disk.`;
    this.deps.log.info('pair states are written again', { since: episode.since });
    this.deps.emit({
      type: 'alert',
      pair: '*',
      at: this.isoNow(),
      alert: 'state-write-recovered',
      severity: 'info',
      message,
    });
  }

  private scheduleWriteRetry(): void {
    if (this.writeRetryTimer || this.deps.closing()) return;
    this.writeRetries++;
    const delay = (this.deps.writeRetryBackoff ?? defaultWriteRetryBackoff)(this.writeRetries);
    this.writeRetryTimer = setTimeout(() => {
      this.writeRetryTimer = undefined;
      this.persistNow().catch(() => undefined);
    }, delay);
    this.writeRetryTimer.unref();
  }

  private stopWriteRetry(): void {
    if (this.writeRetryTimer) clearTimeout(this.writeRetryTimer);
    this.writeRetryTimer = undefined;
    this.writeRetries = 0;
  }

  /** Why a write failed, in words: "the disk is full (ENOSPC)". */
  private causeOf(error: unknown): string {
    if (error instanceof MonitorError && this.blockedBy && error.problems === this.blockedBy) {
      return `it was edited by hand and is invalid (${this.blockedBy.map(describeProblem).join('; ')})`;
    }
    const cause = (error as { cause?: unknown } | null)?.cause;
    if (errnoCode(cause) !== undefined) return explainFsError(cause);
    if (error instanceof MonitorError && error.code === 'invalid' && error.problems) {
      return `what would be written does not read back (${error.problems.map(describeProblem).join('; ')}), so nothing was written`;
    }
    return messageOf(error);
  }

  private blockedError(): MonitorError {
    return new MonitorError(
      'conflict',
      `${this.deps.store.path} was edited by hand and is invalid; it is not written until it is fixed`,
      this.blockedBy,
    );
  }

  private stateWriteProblem(): { message: string; since: string } | undefined {
    return this.deps.problems.list().find((p) => p.kind === 'state-write');
  }

  private isoNow(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }
}

/** A change whose write failed was undone: the caller hears that nothing was changed, and why. */
export function writeFailed(error: unknown): MonitorError {
  if (error instanceof MonitorError) {
    return new MonitorError(
      error.code === 'invalid' ? 'internal' : error.code,
      `nothing was changed: ${error.message}`,
      error.problems,
    );
  }
  return new MonitorError('internal', `nothing was changed: could not write pbxctrl-failover.xml: ${messageOf(error)}`);
}

export function describeProblem(p: Problem): string {
  return `${p.pair ? `pair "${p.pair}", ` : ''}${p.field}: ${p.message}`;
}

function defaultWriteRetryBackoff(attempt: number): number {
  return Math.min(1000 * 2 ** (attempt - 1), 30_000);
}
