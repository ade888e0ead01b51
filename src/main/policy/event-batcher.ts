// A failover storm can produce thousands of check events a second; the
// renderer gets them in batches (in order) rather than one IPC message each.

import { realTimers, type Timers } from './coalescing.js';

export const EVENT_BATCH_MS = 100;

export class Batcher<T> {
  private pending: T[] = [];
  private timer: unknown;

  constructor(
    private readonly send: (batch: T[]) => void,
    private readonly intervalMs: number = EVENT_BATCH_MS,
    private readonly timers: Timers = realTimers,
  ) {}

  push(item: T): void {
    this.pending.push(item);
    if (this.timer === undefined) this.timer = this.timers.setTimeout(() => this.flush(), this.intervalMs);
  }

  flush(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length) this.send(batch);
  }
}
