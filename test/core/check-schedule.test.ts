// CheckSchedule on a manual clock and manual timers: when checks are due, when a round's calls are
// cancelled, and that a finished round's calls are let go.

import { describe, expect, it } from 'vitest';
import { CheckSchedule } from '../../src/core/check-schedule.js';
import type { ProbeCall } from '../../src/core/http-client.js';
import type { Clock, Timers } from '../../src/core/ports.js';

function harness() {
  let now = 0;
  const pending = new Map<number, { fn: () => void; at: number }>();
  let next = 1;
  const clock: Clock = { now: () => now, monotonic: () => now };
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      const id = next++;
      pending.set(id, { fn, at: now + ms });
      return id;
    },
    clearTimeout: (id) => void pending.delete(id as number),
  };
  const due: number[] = [];
  const schedule = new CheckSchedule(clock, timers, () => due.push(now));
  /** Moves the clock to `to`, firing the timers due on the way in order. */
  const advance = (to: number): void => {
    for (;;) {
      const first = [...pending.entries()].sort((a, b) => a[1].at - b[1].at)[0];
      if (!first || first[1].at > to) break;
      pending.delete(first[0]);
      now = first[1].at;
      first[1].fn();
    }
    now = to;
  };
  const call = (): ProbeCall & { cancelled: number } => {
    const c = {
      cancelled: 0,
      result: new Promise<never>(() => {}),
      cancel() {
        c.cancelled++;
      },
    };
    return c;
  };
  return { schedule, due, advance, call, pending, setNow: (t: number) => (now = t) };
}

describe('CheckSchedule', () => {
  it('runs checks on the interval grid and skips slots a long check ran past', () => {
    const h = harness();
    h.schedule.start(100);
    h.advance(100);
    expect(h.due).toEqual([100]);
    h.schedule.armDeadline(500);
    h.setNow(150);
    h.schedule.clear();
    h.schedule.next(1000);
    h.advance(1100);
    expect(h.due).toEqual([100, 1100]);
    // This round ran until 3,000: the slots at 2,100 (and 3,100, only 0.1 s off) are not made up in a burst.
    h.schedule.armDeadline(5000);
    h.setNow(3000);
    h.schedule.clear();
    h.schedule.next(1000);
    h.advance(3099);
    expect(h.due).toEqual([100, 1100]);
    h.advance(3100);
    expect(h.due).toEqual([100, 1100, 3100]);
  });

  it("cancels the round's calls when its deadline passes, and cuts them short on stop", () => {
    const h = harness();
    h.schedule.armDeadline(1000);
    const a = h.schedule.track(h.call()) as ReturnType<typeof h.call>;
    h.advance(1000);
    expect(a.cancelled).toBe(1);

    h.schedule.armDeadline(1000);
    const b = h.schedule.track(h.call()) as ReturnType<typeof h.call>;
    h.schedule.stop();
    expect(b.cancelled).toBe(1);
    expect(h.pending.size).toBe(0);
  });

  it("lets a finished round's calls go: a stop afterwards cancels nothing", () => {
    const h = harness();
    h.schedule.armDeadline(1000);
    const done = h.schedule.track(h.call()) as ReturnType<typeof h.call>;
    h.schedule.clear();
    h.schedule.stop();
    expect(done.cancelled).toBe(0);
    expect(h.pending.size).toBe(0);
  });
});
