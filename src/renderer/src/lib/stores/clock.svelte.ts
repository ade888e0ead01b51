// One ticking clock for every "time in state", so a thousand rows share one timer.

export class Clock {
  now = $state(Date.now());
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastBatchTick = 0;

  start(periodMs = 1000): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.idleTick(periodMs), periodMs);
  }

  /** Move on if a second has (nearly) passed; called with every batch of live events. */
  tick(nowMs = Date.now()): void {
    this.lastBatchTick = nowMs;
    this.advance(nowMs);
  }

  /**
   * While batches arrive they move the clock in their own render pass; the timer only steps in
   * when they stop, so a tick of its own never costs a second render pass in the same second.
   */
  private idleTick(periodMs: number): void {
    const nowMs = Date.now();
    if (nowMs - this.lastBatchTick >= periodMs * 1.5) this.advance(nowMs);
  }

  private advance(nowMs: number): void {
    if (nowMs - this.now >= 900) this.now = nowMs;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

export const clock = new Clock();
