// The state of one pair and what it says about it: the fields the state
// machine moves (state, counts, isolation, the action episode), the events each
// move emits with the status it leaves, the status and persisted state, and the
// restore after a restart. The rules that decide the moves are the Watcher's
// (watcher.ts), which extends this.

import { pairLabel } from '../shared/pair-label.js';
import type {
  ActionEvent,
  AlertKind,
  CheckEvent,
  CheckResult,
  Decision,
  PairSettings,
  PairState,
  PairStatus,
  Severity,
  StateEvent,
} from '../shared/model.js';
import { settingsWarnings } from '../shared/hints.js';
import { ActionEpisode } from './action-episode.js';
import type { PersistedState } from './ports.js';
import type { WatcherDeps } from './watcher.js';

/** The fields of a status that a check event does not carry, as last sent. */
interface Overview {
  state: PairState | undefined;
  since: number;
  reason: string | undefined;
  pausedBy: 'schedule' | undefined;
  primaryAnswering: boolean;
  standbyDown: boolean;
  isolated: boolean;
  isolatedSince: number | undefined;
  phase: string | undefined;
  attempts: number;
  decisionAt: string | undefined;
}

export class PairMachine {
  settings: PairSettings;
  protected readonly deps: WatcherDeps;

  protected state: PairState = 'starting';
  private since: number;
  private reason: string | undefined;
  /** Set while a maintenance window holds the pair paused; any other move clears it. */
  protected pausedBy: 'schedule' | undefined;
  protected failures = 0;
  /** The failed primary checks of the current run of failures (what decides a failover). */
  protected recentFailures: CheckResult[] = [];
  protected lastPrimary: CheckResult | undefined;
  protected lastStandby: CheckResult | undefined;
  protected lastValidation: CheckResult[] | undefined;
  protected primaryAnswering = false;
  /** The primary has answered since the pair last entered starting (persisted: a restart resumes counting). */
  protected primaryHasAnswered = false;
  /** Monotonic time the current stay in starting began, and whether it was alerted as stuck. */
  protected startingSince = 0;
  private stuckAlerted = false;
  protected answeringAlerted = false;
  protected standbyDown = false;
  protected isolated = false;
  /** Wall-clock start of the current isolation episode (while `isolated`). */
  private isolatedSince: number | undefined;
  protected lastDecision: Decision | undefined;
  protected readonly episode: ActionEpisode;
  /** What the overview was last sent of the status (see `overviewChanged`). */
  private readonly sent: Overview = {
    state: undefined,
    since: 0,
    reason: undefined,
    pausedBy: undefined,
    primaryAnswering: false,
    standbyDown: false,
    isolated: false,
    isolatedSince: undefined,
    phase: undefined,
    attempts: -1,
    decisionAt: undefined,
  };
  /** Bumped on every state change, so that a check started before an operator's move is not judged. */
  protected generation = 0;

  constructor(settings: PairSettings, deps: WatcherDeps, persisted?: PersistedState) {
    this.settings = settings;
    this.deps = deps;
    this.since = deps.ctx.clock.now();
    this.episode = new ActionEpisode({
      ctx: deps.ctx,
      emit: (event) => this.deps.hooks.emit(event.type === 'action' ? this.withStatus(event) : event),
      alert: (alert, severity, message) => this.alert(alert, severity, message),
      persistSoon: () => this.deps.hooks.persistSoon(),
      persistNow: () => this.deps.hooks.persistNow(),
      label: () => this.label(),
    });
    if (persisted) this.restore(persisted);
  }

  // ---------------------------------------------------------------------------------------------
  // What the rest of the engine reads

  get id(): string {
    return this.settings.id;
  }

  get currentState(): PairState {
    return this.state;
  }

  status(): PairStatus {
    const s: PairStatus = {
      id: this.settings.id,
      name: this.settings.name,
      state: this.state,
      since: new Date(this.since).toISOString(),
      consecutiveFailures: this.failures,
      toleratedFailures: this.settings.toleratedFailures,
      interval: this.settings.interval,
      primaryAnswering: this.primaryAnswering,
      standbyDown: this.standbyDown,
      isolated: this.isolated,
    };
    if (this.lastPrimary) s.lastPrimary = this.lastPrimary;
    if (this.lastStandby) s.lastStandby = this.lastStandby;
    if (this.lastValidation) s.lastValidation = this.lastValidation;
    const action = this.episode.copy();
    if (action) s.action = action;
    if (this.lastDecision) s.lastDecision = this.lastDecision;
    if (this.reason !== undefined) s.reason = this.reason;
    if (this.pausedBy) s.pausedBy = this.pausedBy;
    if (this.isolated && this.isolatedSince !== undefined) s.isolatedSince = new Date(this.isolatedSince).toISOString();
    const warnings = settingsWarnings(this.settings);
    if (warnings.length > 0) s.warnings = warnings;
    const certificates = this.deps.ctx.certificates.summary(this.id);
    if (certificates.daysLeft !== undefined) s.certificateDaysLeft = certificates.daysLeft;
    if (certificates.level !== undefined) s.certificateLevel = certificates.level;
    return s;
  }

  persisted(): PersistedState {
    const p: PersistedState = { state: this.state, since: new Date(this.since).toISOString() };
    if (this.reason !== undefined) p.reason = this.reason;
    if (this.primaryHasAnswered) p.primaryAnswered = true;
    if (this.pausedBy) p.pausedBy = this.pausedBy;
    const action = this.episode.copy();
    if (action) p.action = action;
    return p;
  }

  // ---------------------------------------------------------------------------------------------
  // Cluster mode (core/cluster/): a follower counts its own view and takes the leader's state

  /** Whether this node may change the pair's state now (always without a cluster). */
  protected leading(): boolean {
    return this.deps.ctx.coordinator.leading();
  }

  /** `<vantage quorum>`: enough live nodes each see the primary down (always true for the default 1). */
  protected vantageAgrees(): boolean {
    const quorum = this.settings.vantageQuorum ?? 1;
    return quorum <= 1 || this.deps.ctx.coordinator.vantage(this.id, true) >= quorum;
  }

  /** A follower's check of the primary: its own count of failures (its view), no move. */
  protected observe(primary: CheckResult): void {
    if (primary.ok) {
      this.failures = 0;
      if (this.recentFailures.length > 0) this.recentFailures = [];
    } else this.failures++;
    if (this.state === 'failover') this.primaryAnswering = primary.ok;
    this.emitCheck(primary);
  }

  /**
   * The leader's state of this pair, as committed in the cluster: taken as it is (no rule re-applied),
   * with a state event and an action event when they changed, so every node's stream and history
   * carries the leader's moves. A run of this node's own is stopped (it could not send anyway).
   */
  follow(p: PersistedState): void {
    const from = this.state;
    const before = JSON.stringify(this.episode.current ?? null);
    void this.episode.stop(0);
    this.state = p.state;
    const since = Date.parse(p.since);
    if (Number.isFinite(since)) this.since = since;
    this.reason = p.reason;
    this.pausedBy = p.pausedBy;
    this.primaryHasAnswered = p.primaryAnswered === true;
    this.generation++;
    if (p.action) this.episode.restore(p.action);
    else this.episode.clear();
    if (from !== this.state) {
      const event: StateEvent = {
        type: 'state',
        pair: this.id,
        at: new Date(this.since).toISOString(),
        from,
        to: this.state,
        reason: this.reason ?? '',
        manual: false,
      };
      this.deps.hooks.emit(this.withStatus(event));
    }
    const action = this.episode.current;
    if (action && JSON.stringify(action) !== before) {
      const event: ActionEvent = {
        type: 'action',
        pair: this.id,
        at: action.finishedAt ?? action.inFlight?.at ?? action.startedAt,
        kind: action.kind,
        phase: action.phase,
      };
      const last = action.attempts[action.attempts.length - 1];
      if (last) event.attempt = last;
      this.deps.hooks.emit(this.withStatus(event));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Moves and the events they emit

  /**
   * `startsIsolation`: the move back to waiting begins an isolation episode (its state event says so).
   * `pausedBy`: a maintenance window makes this pause (any move clears it otherwise).
   */
  protected transition(
    to: PairState,
    reason: string,
    manual: boolean,
    operator?: string,
    startsIsolation = false,
    pausedBy?: 'schedule',
  ): void {
    const from = this.state;
    this.state = to;
    this.since = this.deps.ctx.clock.now();
    this.generation++;
    this.pausedBy = pausedBy;
    if (to === 'starting') this.enterStarting();
    // The reason shown is the reason of the move into the state, manual or not.
    this.reason = reason;
    if (to !== 'waiting' && to !== 'verifying') {
      this.isolated = false;
      this.isolatedSince = undefined;
    }
    if (startsIsolation) {
      this.isolated = true;
      this.isolatedSince = this.since;
    }
    const event: StateEvent = {
      type: 'state',
      pair: this.id,
      at: new Date(this.since).toISOString(),
      from,
      to,
      reason,
      manual,
    };
    if (operator !== undefined) event.operator = operator;
    this.deps.hooks.emit(this.withStatus(event));
    this.deps.hooks.persistSoon();
  }

  protected alert(alert: AlertKind, severity: Severity, message: string): void {
    this.deps.hooks.emit({
      type: 'alert',
      pair: this.id,
      at: new Date(this.deps.ctx.clock.now()).toISOString(),
      alert,
      severity,
      message,
    });
  }

  protected emitCheck(result: CheckResult): void {
    const event: CheckEvent = {
      type: 'check',
      pair: this.id,
      at: result.at,
      result,
      consecutiveFailures: this.failures,
    };
    // Check events are the bulk of the stream: the status rides along only when the overview would
    // otherwise miss something (the check's own result and count it takes from the event itself).
    this.deps.hooks.emit(this.overviewChanged() ? this.withStatus(event) : event);
  }

  /** The event with the status it leaves the pair in, so that no client re-applies these rules. */
  private withStatus<E extends StateEvent | ActionEvent | CheckEvent>(event: E): E {
    event.status = this.status();
    this.markSent();
    return event;
  }

  /**
   * Whether the part of the status a check event does not carry by itself changed since a status was
   * last sent. Compared field by field: this runs for every check of every pair.
   */
  private overviewChanged(): boolean {
    const sent = this.sent;
    const action = this.episode.current;
    return (
      sent.state !== this.state ||
      sent.since !== this.since ||
      sent.reason !== this.reason ||
      sent.pausedBy !== this.pausedBy ||
      sent.primaryAnswering !== this.primaryAnswering ||
      sent.standbyDown !== this.standbyDown ||
      sent.isolated !== this.isolated ||
      sent.isolatedSince !== this.isolatedSince ||
      sent.phase !== action?.phase ||
      sent.attempts !== (action ? action.attempts.length : -1) ||
      sent.decisionAt !== this.lastDecision?.at
    );
  }

  private markSent(): void {
    const sent = this.sent;
    const action = this.episode.current;
    sent.state = this.state;
    sent.since = this.since;
    sent.reason = this.reason;
    sent.pausedBy = this.pausedBy;
    sent.primaryAnswering = this.primaryAnswering;
    sent.standbyDown = this.standbyDown;
    sent.isolated = this.isolated;
    sent.isolatedSince = this.isolatedSince;
    sent.phase = action?.phase;
    sent.attempts = action ? action.attempts.length : -1;
    sent.decisionAt = this.lastDecision?.at;
  }

  /** Starting waits for a first answer again (after re-arm, resume or new detection settings). */
  private enterStarting(): void {
    this.primaryHasAnswered = false;
    this.startingSince = this.deps.ctx.clock.monotonic();
    this.stuckAlerted = false;
  }

  /** A pair that never leaves starting would never fail over: say so once per stay. */
  protected alertIfStuckStarting(primary: CheckResult): void {
    if (this.stuckAlerted) return;
    const limitMs = this.settings.interval * 1000 * (this.settings.toleratedFailures + 1) * 3;
    const stayedMs = this.deps.ctx.clock.monotonic() - this.startingSince;
    if (stayedMs <= limitMs) return;
    this.stuckAlerted = true;
    this.alert(
      'stuck-starting',
      'warning',
      `${this.label()}: still starting after ${Math.round(stayedMs / 1000)} s: the primary has not answered once (${primary.error}), so its failures are not counted and it cannot fail over`,
    );
  }

  protected resetCounting(): void {
    this.failures = 0;
    this.recentFailures = [];
  }

  /** The isolation episode is over: the primary answered (the watcher is connected). */
  protected endIsolation(reason: string): void {
    this.isolated = false;
    this.isolatedSince = undefined;
    this.reason = reason;
  }

  /** For a manual failover: who asked and why, with what was last seen of the primary and the validation URLs. */
  protected manualDecision(operator: string, reason: string): Decision {
    const primary =
      this.recentFailures.length > 0 ? this.recentFailures.slice() : this.lastPrimary ? [this.lastPrimary] : [];
    return {
      at: new Date(this.deps.ctx.clock.now()).toISOString(),
      to: 'failover',
      primary,
      validation: this.lastValidation ?? [],
      manual: { operator, reason },
    };
  }

  protected answeringMessage(): string {
    const manual = this.episode.current?.kind === 'failover' && this.episode.current.manual;
    if (manual) {
      return `${this.label()}: the primary answers again after a manual failover: risk of two active PBXs; stop the primary (a planned failover leaves it running), then re-arm when it is safe`;
    }
    return `${this.label()}: the primary answers again while in failover: risk of two active PBXs; re-arm when the primary is safe`;
  }

  protected label(): string {
    return pairLabel(this.settings);
  }

  private restore(persisted: PersistedState): void {
    const sinceMs = Date.parse(persisted.since);
    // Files written before primary-answered existed: waiting and verifying imply an answer.
    const answered = persisted.primaryAnswered ?? (persisted.state === 'waiting' || persisted.state === 'verifying');
    // A restart begins at starting, except in failover or paused, which only an operator leaves, and
    // except a pair whose primary has answered before: it resumes counting at once, in waiting with
    // no failures (the guide: "unless the primary server has been working before"), so a restart
    // during an outage still fails over.
    if (persisted.state === 'failover' || persisted.state === 'paused') {
      this.state = persisted.state;
      if (Number.isFinite(sinceMs)) this.since = sinceMs;
      this.primaryHasAnswered = answered;
    } else if (answered) {
      this.state = 'waiting';
      if (persisted.state === 'waiting' && Number.isFinite(sinceMs)) this.since = sinceMs;
      this.primaryHasAnswered = true;
    }
    // The reason belongs to the state it was given for; a pair starting afresh has none yet.
    if (persisted.reason !== undefined && this.state === persisted.state) this.reason = persisted.reason;
    if (persisted.pausedBy && this.state === 'paused') this.pausedBy = persisted.pausedBy;
    if (persisted.action) this.episode.restore(persisted.action);
  }
}
