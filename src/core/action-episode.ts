// The failover or failback action of one pair's current episode: fires it,
// resumes a series a restart interrupted, retries it or marks it done for the
// operator, and tells whether one is still running. The attempts themselves
// are ActionRun's (action-runner.ts).

import { MonitorError } from '../shared/api.js';
import type {
  ActionKind,
  ActionStatus,
  AlertKind,
  EngineEvent,
  PairSettings,
  PairState,
  Severity,
} from '../shared/model.js';
import { maskRecordedRequest } from '../shared/secrets.js';
import { ActionRun, type ActionRunnerDeps, maskedActionRequest, newActionStatus } from './action-runner.js';
import type { EngineContext, Timers } from './ports.js';

export interface ActionEpisodeDeps {
  ctx: EngineContext;
  /** The action's own events, and the runner's alerts. */
  emit(event: EngineEvent): void;
  alert(alert: AlertKind, severity: Severity, message: string): void;
  persistSoon(): void;
  persistNow(): Promise<void>;
  /** How operators call the pair, for messages. */
  label(): string;
}

export class ActionEpisode {
  /** The action of the current episode, if any (persisted with the pair's state). */
  current: ActionStatus | undefined;
  private from: PairState | undefined;
  private run: ActionRun | undefined;

  constructor(private readonly deps: ActionEpisodeDeps) {}

  /** The action persisted before a restart. */
  restore(action: ActionStatus): void {
    this.current = copyAction(action);
    // A request recorded by an older version may show more than today's masking allows.
    if (this.current.request) this.current.request = maskRecordedRequest(this.current.request);
  }

  /** A re-arm ends the episode. */
  clear(): void {
    this.current = undefined;
  }

  copy(): ActionStatus | undefined {
    return this.current ? copyAction(this.current) : undefined;
  }

  fire(settings: PairSettings, kind: ActionKind, from: PairState, manual: boolean, reason: string): void {
    const actionSettings = kind === 'failover' ? settings.action : settings.failbackAction;
    if (!actionSettings) return;
    const to: PairState = kind === 'failover' ? 'failover' : 'starting';
    const status = newActionStatus(kind, manual, reason, this.deps.ctx.clock.now());
    // Persisted with the progress, so that `{from}` of a resumed series is still the state it left.
    status.from = from;
    status.request = maskedActionRequest(settings, actionSettings, status, from, to);
    this.current = status;
    this.from = from;
    this.start(settings);
  }

  /** A series interrupted by a restart resumes its remaining attempts. */
  resumeInterrupted(settings: PairSettings): void {
    const phase = this.current?.phase;
    if (phase === 'pending' || phase === 'running') this.start(settings);
  }

  /** A failed action, or one whose outcome is unknown, fires again as a fresh series (a new `{action_id}`). */
  retry(settings: PairSettings): void {
    const action = this.current;
    if (!action || (action.phase !== 'failed' && action.phase !== 'unknown')) {
      const what = action ? `its ${action.kind} action is ${action.phase}` : 'it has no action to retry';
      throw new MonitorError(
        'conflict',
        `pair "${settings.id}": ${what}; only a failed action or one whose outcome is unknown can be retried`,
      );
    }
    const from = action.from ?? this.from ?? (action.kind === 'failover' ? 'verifying' : 'failover');
    this.fire(settings, action.kind, from, action.manual, action.reason);
  }

  /** The operator checked the receiver: the action whose outcome was unknown did arrive. Nothing is sent. */
  markDone(id: string): void {
    const action = this.current;
    if (!action || action.phase !== 'unknown') {
      const what = action ? `its ${action.kind} action is ${action.phase}` : 'it has no action';
      throw new MonitorError(
        'conflict',
        `pair "${id}": ${what}; only an action whose outcome is unknown can be marked done`,
      );
    }
    action.phase = 'succeeded';
    action.finishedAt = new Date(this.deps.ctx.clock.now()).toISOString();
    delete action.inFlight;
    this.deps.emit({ type: 'action', pair: id, at: action.finishedAt, kind: action.kind, phase: 'succeeded' });
    this.deps.persistSoon();
  }

  /** An operator's move (`what`) must wait while an action runs or its outcome is unknown. */
  assertNoneRunning(id: string, what: string): void {
    const phase = this.current?.phase;
    if (phase === 'unknown') {
      throw new MonitorError(
        'conflict',
        `pair "${id}": whether its ${this.current?.kind ?? ''} action reached the receiver is unknown; retry the action or mark it done first, then ${what}`,
      );
    }
    if (this.run && !this.run.finished && (phase === 'pending' || phase === 'running')) {
      throw new MonitorError(
        'conflict',
        `pair "${id}": its ${this.current?.kind ?? ''} action is still running; wait until it succeeds or fails, then ${what}`,
      );
    }
  }

  /** Stop after the attempt in flight, waiting for it up to `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    const run = this.run;
    if (!run) return;
    run.stop();
    await withTimeout(run.done, graceMs, this.deps.ctx.timers);
  }

  private start(settings: PairSettings): void {
    const status = this.current;
    if (!status) return;
    const actionSettings = status.kind === 'failover' ? settings.action : settings.failbackAction;
    if (!actionSettings) {
      status.phase = 'failed';
      status.finishedAt = new Date(this.deps.ctx.clock.now()).toISOString();
      this.deps.alert(
        'action-failed',
        'critical',
        `${this.deps.label()}: the ${status.kind} action cannot be resumed: the pair has no ${status.kind} action any more`,
      );
      this.deps.persistSoon();
      return;
    }
    const from = status.from ?? this.from ?? (status.kind === 'failover' ? 'verifying' : 'failover');
    const runnerDeps: ActionRunnerDeps = {
      ctx: this.deps.ctx,
      emit: (event) => this.deps.emit(event),
      persistNow: () => this.deps.persistNow(),
    };
    const run = new ActionRun(runnerDeps, settings, actionSettings, status, from);
    this.run = run;
    void run.done.finally(() => {
      if (this.run === run) this.run = undefined;
    });
  }
}

/** The longest an action attempt of this pair can take (its own timeout), ms. */
export function longestActionMs(settings: PairSettings): number {
  return Math.max(settings.action.timeout, settings.failbackAction?.timeout ?? 0) * 1000;
}

function copyAction(action: ActionStatus): ActionStatus {
  const copy = { ...action, attempts: action.attempts.slice() };
  if (action.inFlight) copy.inFlight = { ...action.inFlight };
  return copy;
}

function withTimeout(promise: Promise<unknown>, ms: number, timers: Timers): Promise<unknown> {
  return new Promise((resolve) => {
    const timer = timers.setTimeout(() => resolve(undefined), ms);
    promise.then(
      () => {
        timers.clearTimeout(timer);
        resolve(undefined);
      },
      () => {
        timers.clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}
