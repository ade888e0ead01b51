// The standby's watcher of one pair: the rules of the seed's state machine
// (starting, waiting, verifying, failover) plus paused for maintenance, judging
// each round of checks and the operator's moves. What the pair's state is and
// what each move emits is PairMachine's (pair-machine.ts), when checks run
// CheckSchedule's (check-schedule.ts), the action of an episode ActionEpisode's
// (action-episode.ts); checks of one pair never overlap.

import { MonitorError } from '../shared/api.js';
import type { CheckResult, Decision, EngineEvent, PairSettings } from '../shared/model.js';
import { compileAcceptStatus, type StatusAcceptor } from '../shared/accept-status.js';
import { effectiveTimeout } from '../shared/rules.js';
import { maskUrl } from '../shared/secrets.js';
import { longestActionMs } from './action-episode.js';
import { CheckSchedule } from './check-schedule.js';
import type { PreparedUrl, ProbeCall } from './http-client.js';
import { prepareUrl } from './http-client.js';
import { PairMachine } from './pair-machine.js';
import type { EngineContext, PersistedState } from './ports.js';
import { toCheckResult } from './probe.js';
import { compileSip, planResult, runPlan, sameSip, type CheckPlan } from './sip-probe.js';

/** What a watcher needs from the rest of the engine; one object shared by every watcher. */
export interface WatcherHooks {
  emit(event: EngineEvent): void;
  /** Something in PersistedState changed; write it soon (writes may be coalesced). */
  persistSoon(): void;
  /** Write now and resolve when it is on disk (action progress: never delayed). */
  persistNow(): Promise<void>;
}

export interface WatcherDeps {
  ctx: EngineContext;
  hooks: WatcherHooks;
}

export class Watcher extends PairMachine {
  /** The primary's HTTP URL, with its SIP OPTIONS when `<primary-sip>` is set (sip-probe.ts). */
  private primaryPlan!: CheckPlan;
  private standbyPlan: CheckPlan | undefined;
  private validationTargets: PreparedUrl[] = [];
  private displayUrls!: { validation: string[] };
  private accept!: StatusAcceptor;
  private intervalMs = 1000;
  private timeoutMs = 1000;

  private running = false;
  private readonly schedule: CheckSchedule;
  private inFlight: Promise<void> | undefined;
  /** Every call of a round goes through the schedule, so that the round's deadline cancels it. */
  private readonly track = (call: ProbeCall): ProbeCall => this.schedule.track(call);

  constructor(settings: PairSettings, deps: WatcherDeps, persisted?: PersistedState) {
    super(settings, deps, persisted);
    this.schedule = new CheckSchedule(deps.ctx.clock, deps.ctx.timers, () => {
      if (this.running) this.inFlight = this.check();
    });
    this.compile(settings);
  }

  // ---------------------------------------------------------------------------------------------
  // Life cycle

  /** Begin checking after `firstDelayMs` (the supervisor spreads first checks over an interval). */
  start(firstDelayMs = 0): void {
    if (this.running) return;
    this.running = true;
    this.startingSince = this.deps.ctx.clock.monotonic();
    this.schedule.start(firstDelayMs);
    // A series interrupted by a restart resumes its remaining attempts (a cluster follower's waits for lead()).
    if (this.leading()) this.episode.resumeInterrupted(this.settings);
  }

  /**
   * This node became the cluster leader, with the shared state followed: a round of verification
   * another node began is judged again from waiting, and an interrupted series resumes as after a
   * crash (an attempt in flight is sent again only when the action is idempotent).
   */
  lead(): void {
    if (this.state === 'verifying') {
      this.resetCounting();
      this.transition('waiting', 'this node became the cluster leader: judging the primary afresh', false);
    }
    if (this.running) this.episode.resumeInterrupted(this.settings);
  }

  /** Stop checking; in-flight checks are cut short, an action attempt in flight is awaited up to `graceMs`. */
  async stop(graceMs = this.longestActionMs() + 2000): Promise<void> {
    this.running = false;
    this.schedule.stop();
    await Promise.all([this.inFlight, this.episode.stop(graceMs)]);
  }

  // ---------------------------------------------------------------------------------------------
  // Operator moves (the controller validates the request and records the OperatorEvent)

  failover(reason: string, operator: string): void {
    if (this.state === 'failover') throw new MonitorError('conflict', `pair "${this.id}" is already in failover`);
    this.episode.assertNoneRunning(this.id, 'fail over');
    const from = this.state;
    this.lastDecision = this.manualDecision(operator, reason);
    this.resetCounting();
    this.transition('failover', reason, true, operator);
    this.alert('failover', 'critical', `${this.label()}: manual failover by ${operator}: ${reason}`);
    this.episode.fire(this.settings, 'failover', from, true, reason);
  }

  rearm(reason: string, operator: string, failback: boolean): void {
    if (this.state !== 'failover') {
      throw new MonitorError(
        'conflict',
        `pair "${this.id}" is ${this.state}, not in failover: only a pair in failover can be re-armed`,
      );
    }
    this.episode.assertNoneRunning(this.id, 're-arm');
    if (failback && !this.settings.failbackAction) {
      throw new MonitorError(
        'conflict',
        `pair "${this.id}" has no failback action URL; re-arm without failback or add one`,
      );
    }
    this.resetCounting();
    this.primaryAnswering = false;
    this.answeringAlerted = false;
    this.episode.clear();
    this.transition('starting', reason, true, operator);
    if (failback) this.episode.fire(this.settings, 'failback', 'failover', true, reason);
  }

  pause(reason: string, operator: string): void {
    if (this.state === 'paused') throw new MonitorError('conflict', `pair "${this.id}" is already paused`);
    if (this.state === 'failover') {
      throw new MonitorError(
        'conflict',
        `pair "${this.id}" is in failover: re-arm it before pausing (resume would start watching again)`,
      );
    }
    this.resetCounting();
    this.transition('paused', reason, true, operator);
  }

  resume(reason: string, operator: string): void {
    if (this.state !== 'paused')
      throw new MonitorError(
        'conflict',
        `pair "${this.id}" is ${this.state}, not paused: only a paused pair can be resumed`,
      );
    this.resetCounting();
    this.transition('starting', reason, true, operator);
  }

  /**
   * A maintenance window begins (core/maintenance.ts): paused by "schedule", like an operator's pause.
   * False, and nothing changes, for a pair in failover or already paused.
   */
  schedulePause(reason: string): boolean {
    if (this.state === 'paused' || this.state === 'failover') return false;
    this.resetCounting();
    this.transition('paused', reason, false, 'schedule', false, 'schedule');
    return true;
  }

  /** The window is over: a pause the schedule set goes to starting; false for any other state or pause. */
  scheduleResume(reason: string): boolean {
    if (this.state !== 'paused' || this.pausedBy !== 'schedule') return false;
    this.resetCounting();
    this.transition('starting', reason, false, 'schedule');
    return true;
  }

  /** A failed action, or one whose outcome is unknown, fires again as a fresh series (a new `{action_id}`). */
  retryAction(): void {
    this.episode.retry(this.settings);
  }

  /** The operator checked the receiver: the action whose outcome was unknown did arrive. Nothing is sent. */
  markActionDone(): void {
    this.episode.markDone(this.id);
  }

  /** The longest an action attempt of this pair can take (its own timeout), ms. */
  longestActionMs(): number {
    return longestActionMs(this.settings);
  }

  /**
   * New settings for the same pair. Names, actions and the standby keep the pair where it is; a change
   * to what decides a failure (primary URL, interval, tolerated failures, timeout, accepted statuses,
   * validation) starts watching afresh, except that a pair in failover or paused stays there.
   */
  update(next: PairSettings): void {
    const prev = this.settings;
    const detectionChanged =
      prev.primaryUrl !== next.primaryUrl ||
      prev.interval !== next.interval ||
      prev.toleratedFailures !== next.toleratedFailures ||
      prev.timeout !== next.timeout ||
      prev.acceptStatus !== next.acceptStatus ||
      !sameSip(prev.primarySip, next.primarySip) ||
      prev.validation.quorum !== next.validation.quorum ||
      prev.validation.urls.join('\n') !== next.validation.urls.join('\n');
    this.settings = next;
    this.compile(next);
    if (prev.standbyUrl !== next.standbyUrl || !sameSip(prev.standbySip, next.standbySip)) {
      this.lastStandby = undefined;
      this.standbyDown = false;
    }
    if (prev.primaryUrl !== next.primaryUrl || !sameSip(prev.primarySip, next.primarySip)) {
      this.lastPrimary = undefined;
      this.primaryAnswering = false;
    }
    if (!detectionChanged) return;
    if (this.state !== 'failover' && this.state !== 'paused') {
      this.resetCounting();
      this.transition('starting', 'settings changed', false);
    }
    if (this.running && prev.interval !== next.interval) this.schedule.restartIfWaiting();
  }

  // ---------------------------------------------------------------------------------------------
  // Checks

  private async check(): Promise<void> {
    const generation = this.generation;
    const schedule = this.schedule;
    schedule.armDeadline(this.timeoutMs);
    const track = this.track;
    const standbyPlan = this.standbyPlan;
    const primaryRun = runPlan(this.deps.ctx, this.primaryPlan, this.timeoutMs, track);
    const standbyRun = standbyPlan ? runPlan(this.deps.ctx, standbyPlan, this.timeoutMs, track) : undefined;
    const primaryOutcome = await primaryRun;
    const standbyOutcome = standbyRun ? await standbyRun : undefined;
    schedule.clear();
    if (!this.running) return;
    const now = this.deps.ctx.clock.now();
    const primary = planResult('primary', this.primaryPlan, primaryOutcome, this.accept, now);
    const standby =
      standbyOutcome && standbyPlan ? planResult('standby', standbyPlan, standbyOutcome, this.accept, now) : undefined;

    const verify = generation === this.generation && this.judgePrimary(primary);
    if (standby) this.judgeStandby(standby);
    if (verify) await this.verify(primary);
    if (this.running) schedule.next(this.intervalMs);
  }

  /** Counts the primary's check in the current state; true when verification must start now. */
  private judgePrimary(primary: CheckResult): boolean {
    this.lastPrimary = primary;
    if (!this.leading()) {
      this.observe(primary);
      return false;
    }
    switch (this.state) {
      case 'starting':
        this.emitCheck(primary);
        if (primary.ok) {
          this.primaryHasAnswered = true;
          this.transition('waiting', 'primary answered', false);
        } else {
          this.alertIfStuckStarting(primary);
        }
        return false;
      case 'waiting':
        if (primary.ok) {
          this.failures = 0;
          if (this.recentFailures.length > 0) this.recentFailures = [];
          // Reaching the primary proves the watcher is connected again.
          if (this.isolated) this.endIsolation('the primary answered: the watcher is connected again');
          this.emitCheck(primary);
          return false;
        }
        this.failures++;
        this.recentFailures.push(primary);
        this.emitCheck(primary);
        if (this.failures <= this.settings.toleratedFailures) return false;
        // Cluster mode: too few nodes see it down (the path from here may be what is broken).
        if (!this.vantageAgrees()) return false;
        // While the watcher is known to be cut off, each new round is verified without leaving
        // waiting: one episode, one state change, one alert, "in state" counted from its start.
        if (this.isolated) return true;
        this.lastDecision = { at: primary.at, to: 'verifying', primary: this.recentFailures.slice(), validation: [] };
        if ((this.settings.vantageQuorum ?? 1) > 1) {
          const views = this.deps.ctx.coordinator.views?.(this.id, this.failures);
          if (views) this.lastDecision.vantage = views;
        }
        this.transition(
          'verifying',
          `${this.failures} failed checks in a row (${this.settings.toleratedFailures} tolerated): ${primary.error}`,
          false,
        );
        // While the watcher is known to be cut off, every round ends here; one alert per episode is enough.
        if (!this.isolated) {
          this.alert(
            'verifying',
            'warning',
            `${this.label()}: primary failed ${this.failures} times in a row (${primary.error}); verifying the watcher's own connectivity`,
          );
        }
        return true;
      case 'failover':
        this.primaryAnswering = primary.ok;
        this.emitCheck(primary);
        if (primary.ok && !this.answeringAlerted) {
          this.answeringAlerted = true;
          this.alert('primary-answering', 'critical', this.answeringMessage());
        }
        return false;
      case 'verifying':
      case 'paused':
        this.emitCheck(primary);
        return false;
    }
  }

  private judgeStandby(standby: CheckResult): void {
    this.lastStandby = standby;
    const changed = standby.ok === this.standbyDown;
    this.standbyDown = !standby.ok;
    this.emitCheck(standby);
    if (!changed || this.state === 'paused') return;
    if (this.standbyDown)
      this.alert('standby-down', 'warning', `${this.label()}: the standby does not answer (${standby.error})`);
    else this.alert('standby-up', 'info', `${this.label()}: the standby answers again`);
  }

  /** The validation URLs in parallel, and the primary once more: is it the primary or is it us? */
  private async verify(lastFailure: CheckResult): Promise<void> {
    const generation = this.generation;
    const { client } = this.deps.ctx;
    const schedule = this.schedule;
    schedule.armDeadline(this.timeoutMs);
    const primaryPlan = this.primaryPlan;
    const primaryRun = runPlan(this.deps.ctx, primaryPlan, this.timeoutMs, this.track);
    const calls = this.validationTargets.map((target) => schedule.track(client.probe(target, this.timeoutMs)).result);
    const [primaryOutcome, outcomes] = await Promise.all([primaryRun, Promise.all(calls)]);
    schedule.clear();
    if (!this.running) return;
    const now = this.deps.ctx.clock.now();
    const primary = planResult('primary', primaryPlan, primaryOutcome, this.accept, now);
    const validation = this.validationTargets.map((_, i) =>
      toCheckResult('validation', this.displayUrls.validation[i]!, outcomes[i]!, this.accept, now),
    );
    this.lastPrimary = primary;
    this.lastValidation = validation;
    // A round is judged in verifying, or in waiting while an isolation episode goes on.
    const isolatedRound = this.state === 'waiting' && this.isolated;
    if (generation !== this.generation || (this.state !== 'verifying' && !isolatedRound) || !this.leading()) {
      this.emitCheck(primary);
      for (const v of validation) this.emitCheck(v);
      return;
    }
    if (!primary.ok) {
      this.failures++;
      this.recentFailures.push(primary);
    }
    this.emitCheck(primary);
    for (const v of validation) this.emitCheck(v);

    if (primary.ok) {
      this.resetCounting();
      if (isolatedRound) {
        this.endIsolation('the primary answered during verification: the watcher is connected again');
        return;
      }
      this.isolated = false;
      this.transition('waiting', 'primary recovered during verification', false);
      this.alert('primary-recovered', 'info', `${this.label()}: the primary answered again during verification`);
      return;
    }
    const answered = validation.reduce((n, v) => (v.ok ? n + 1 : n), 0);
    const quorum = this.settings.validation.quorum;
    const decision: Decision = {
      at: new Date(now).toISOString(),
      to: 'failover',
      primary: this.recentFailures,
      validation,
    };
    if (this.lastDecision?.vantage) decision.vantage = this.lastDecision.vantage;
    if (answered >= quorum) {
      const from = this.state;
      this.lastDecision = decision;
      const reason = `primary failed ${this.failures} checks in a row (${lastFailure.error}); ${answered} of ${validation.length} validation URLs answered (quorum ${quorum})`;
      this.recentFailures = [];
      this.transition('failover', reason, false);
      this.alert('failover', 'critical', `${this.label()}: failing over: ${reason}`);
      this.episode.fire(this.settings, 'failover', from, false, reason);
      return;
    }
    decision.to = 'waiting';
    this.lastDecision = decision;
    this.resetCounting();
    // Another round of an episode already alerted: nothing new to say.
    if (isolatedRound) return;
    const words = `watcher isolated: cannot reach the validation URLs (${answered} of ${validation.length} answered, quorum ${quorum})`;
    this.transition('waiting', words, false, undefined, true);
    this.alert('isolated', 'warning', `${this.label()}: ${words}; not failing over`);
  }

  private compile(settings: PairSettings): void {
    this.validationTargets = settings.validation.urls.map(prepareUrl);
    this.displayUrls = { validation: settings.validation.urls.map(maskUrl) };
    this.primaryPlan = {
      http: prepareUrl(settings.primaryUrl),
      sip: compileSip(settings.primarySip),
      display: maskUrl(settings.primaryUrl),
    };
    const standbySip = compileSip(settings.standbySip);
    this.standbyPlan =
      settings.standbyUrl !== undefined || standbySip
        ? {
            http: settings.standbyUrl !== undefined ? prepareUrl(settings.standbyUrl) : undefined,
            sip: standbySip,
            display: settings.standbyUrl !== undefined ? maskUrl(settings.standbyUrl) : settings.standbySip!.uri,
          }
        : undefined;
    this.accept = compileAcceptStatus(settings.acceptStatus);
    this.intervalMs = settings.interval * 1000;
    this.timeoutMs = effectiveTimeout(settings) * 1000;
  }
}
