// One ticking clock for every "time in state", so a thousand rows share one timer.

export class Clock {
  now = $state(Date.now());
  private timer: ReturnType<typeof setInterval> | undefined;

  start(periodMs = 1000): void {
    if (this.timer) return;
    this.timer = setInterval(() => (this.now = Date.now()), periodMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

export const clock = new Clock();
