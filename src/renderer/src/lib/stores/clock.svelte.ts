// One ticking clock for every "time in state", so a thousand rows share one timer.

export class Clock {
  now = $state(Date.now());
  private timer: ReturnType<typeof setInterval> | undefined;

  start(periodMs = 1000): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), periodMs);
  }

  /** Move on if a second has (nearly) passed; called by the timer and with every batch of live events. */
  tick(nowMs = Date.now()): void {
    if (nowMs - this.now >= 900) this.now = nowMs;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

export const clock = new Clock();
