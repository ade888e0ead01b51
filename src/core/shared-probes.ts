// Readiness rounds of many pairs ask the same things: most pairs of a NOC share their validation
// sites, and many share one DNS provider's API as their action receiver. A probe asked again within
// a few seconds, by any pair, takes the answer of the one already made (or still in flight) instead
// of sending another request; at 1,000 pairs a round of validation URLs costs a handful of requests,
// not a thousand. A round the operator asks for (check now) always probes afresh.

import type { Clock } from './ports.js';

/** How long an answer is shared: well under the shortest readiness interval (10 s). */
export const SHARED_PROBE_TTL_MS = 5_000;

interface Entry {
  readonly startedAt: number;
  readonly result: Promise<unknown>;
}

export class SharedProbes {
  private readonly entries = new Map<string, Entry>();
  private sweptAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly clock: Pick<Clock, 'monotonic'>,
    private readonly ttlMs = SHARED_PROBE_TTL_MS,
  ) {}

  /**
   * The result of `run` for `key`, shared with every caller within ttlMs of its start. `fresh` runs it
   * anyway (and shares that newer answer). A rejection is never shared.
   */
  get<T>(key: string, run: () => Promise<T>, fresh = false): Promise<T> {
    const now = this.clock.monotonic();
    this.sweep(now);
    const hit = this.entries.get(key);
    if (!fresh && hit && now - hit.startedAt < this.ttlMs) return hit.result as Promise<T>;
    const result = run();
    const entry: Entry = { startedAt: now, result };
    this.entries.set(key, entry);
    result.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return result;
  }

  /** How many answers are kept (for tests and the benchmark's accounting). */
  get size(): number {
    return this.entries.size;
  }

  /** Old answers are dropped at most once per ttlMs, so a key asked once does not stay for good. */
  private sweep(now: number): void {
    if (now - this.sweptAt < this.ttlMs) return;
    this.sweptAt = now;
    for (const [key, entry] of this.entries) if (now - entry.startedAt >= this.ttlMs) this.entries.delete(key);
  }
}
