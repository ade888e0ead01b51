// Collects items for a fixed window after the first one, then hands them on as
// one batch, in order. A failover storm can produce thousands of check events a
// second: the renderer gets them in batches rather than one IPC message each,
// and the notifications of a burst become one summary (./coalescing.ts).

import { systemTimers, type Timers } from '../../core/ports.js';

const EVENT_BATCH_MS = 100;

export class Batcher<T> {
  private pending: T[] = [];
  private timer: unknown;

  constructor(
    private readonly send: (batch: T[]) => void,
    private readonly intervalMs: number = EVENT_BATCH_MS,
    private readonly timers: Timers = systemTimers,
  ) {}

  push(item: T): void {
    this.pending.push(item);
    if (this.timer === undefined) this.timer = this.timers.setTimeout(() => this.flush(), this.intervalMs);
  }

  /** Hand on what is pending now (also on quit, so nothing raised is silently lost). */
  flush(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length) this.send(batch);
  }
}
