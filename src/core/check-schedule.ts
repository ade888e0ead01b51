// When a pair's checks run. One timer per pair serves both as "next check due"
// and as the deadline of the round in flight, so thousands of pairs cost
// thousands of timers, not more. Slots are kept on the monotonic clock, missed
// slots are skipped, and a deadline that an event-loop stall delayed is extended.

import type { ProbeCall } from './http-client.js';
import type { Clock, Timers } from './ports.js';

/**
 * A deadline timer that fires this much later than planned means the event loop stalled; the check
 * then gets a fresh timeout instead of being failed for our own slowness.
 */
const STALL_MS = 100;

type TimerMode = 'idle' | 'due' | 'deadline';

export class CheckSchedule {
  private timer: unknown;
  private mode: TimerMode = 'idle';
  private nextDue = 0;
  private deadlineAt = 0;
  private deadlineExtended = false;
  private timeoutMs = 1000;
  /** The checks of the round in flight, cancelled together when its deadline passes. */
  private readonly calls: ProbeCall[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly timers: Timers,
    /** A check is due. */
    private readonly onDue: () => void,
  ) {}

  /** The first check after `delayMs`. */
  start(delayMs: number): void {
    this.nextDue = this.clock.monotonic() + delayMs;
    this.set('due', Math.max(0, delayMs));
  }

  /** The round is done: the next check at the next slot of `intervalMs`. */
  next(intervalMs: number): void {
    const now = this.clock.monotonic();
    this.nextDue += intervalMs;
    // A check that ran past its next slot: run now if only a little late, else skip to the next
    // slot in the future (missed slots are skipped, never made up in a burst).
    if (now - this.nextDue > intervalMs / 2) {
      this.nextDue += Math.ceil((now - this.nextDue) / intervalMs) * intervalMs;
    }
    this.set('due', Math.max(0, this.nextDue - now));
  }

  /** The interval changed: while waiting for the next check, check now and count slots from here. */
  restartIfWaiting(): void {
    if (this.mode !== 'due') return;
    this.nextDue = this.clock.monotonic();
    this.set('due', 0);
  }

  /** A round of checks begins: its calls are cancelled together when `timeoutMs` has passed. */
  armDeadline(timeoutMs: number): void {
    this.calls.length = 0;
    this.timeoutMs = timeoutMs;
    this.deadlineAt = this.clock.monotonic() + timeoutMs;
    this.deadlineExtended = false;
    this.set('deadline', timeoutMs);
  }

  /** A call of the round in flight. */
  track(call: ProbeCall): ProbeCall {
    this.calls.push(call);
    return call;
  }

  /**
   * The round's outcomes are in: no timer until the next is set, and the round's calls are let go
   * (a finished call still holds its answer's headers and its connection's handler until then).
   */
  clear(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.mode = 'idle';
    this.calls.length = 0;
  }

  /** Stop: the calls in flight cut short, no timer. */
  stop(): void {
    this.cancelCalls();
    this.clear();
  }

  private cancelCalls(): void {
    for (const call of this.calls) call.cancel();
    this.calls.length = 0;
  }

  private readonly onTimer = (): void => {
    const mode = this.mode;
    this.timer = undefined;
    this.mode = 'idle';
    if (mode === 'due') this.onDue();
    else if (mode === 'deadline') this.onDeadline();
  };

  private onDeadline(): void {
    const now = this.clock.monotonic();
    if (now - this.deadlineAt > STALL_MS && !this.deadlineExtended) {
      // The loop stalled: what arrived meanwhile has not been read yet. Judge the check by its own
      // outcome, with a fresh timeout, rather than by the wall time we lost.
      this.deadlineExtended = true;
      this.deadlineAt = now + this.timeoutMs;
      this.set('deadline', this.timeoutMs);
      return;
    }
    this.cancelCalls();
  }

  private set(mode: TimerMode, ms: number): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.mode = mode;
    this.timer = this.timers.setTimeout(this.onTimer, ms);
  }
}
