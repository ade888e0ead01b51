// Days of history for one pair, written through the real HistoryStore exactly
// as the engine would feed it: a check event per interval for the primary (and
// the standby), with a short run of failed checks and an alert now and then.

import type { HistoryStore } from '../src/core/ports.js';
import type { AlertEvent, CheckEvent, CheckTarget } from '../src/shared/model.js';

export interface HistoryShape {
  pair: string;
  days: number;
  intervalS: number;
  /** Epoch ms the history ends at (now, usually). */
  endMs: number;
  standby: boolean;
  /** Short outages (three failed checks in a row) per day. */
  blipsPerDay: number;
}

const DAY_MS = 86_400_000;

export function checkEvent(
  pair: string,
  target: CheckTarget,
  atMs: number,
  ok: boolean,
  consecutiveFailures: number,
): CheckEvent {
  const at = new Date(atMs).toISOString();
  const latencyMs = ok ? 0.5 + Math.random() * 3 : 1000;
  const url = target === 'primary' ? 'http://192.0.2.10/' : 'http://198.51.100.20/';
  return {
    type: 'check',
    pair,
    at,
    result: ok
      ? { target, url, ok, status: 200, latencyMs, at }
      : { target, url, ok, latencyMs, error: 'timed out after 1 s', at },
    consecutiveFailures,
  };
}

function alertEvent(pair: string, atMs: number): AlertEvent {
  return {
    type: 'alert',
    pair,
    at: new Date(atMs).toISOString(),
    alert: 'standby-down',
    severity: 'warning',
    message: 'standby does not answer',
  };
}

/** Feed the store day by day (flushing in between, as its timer would) and return the checks recorded. */
export async function generateHistory(store: HistoryStore, shape: HistoryShape): Promise<number> {
  const stepMs = shape.intervalS * 1000;
  const startMs = shape.endMs - shape.days * DAY_MS;
  let checks = 0;
  for (let day = 0; day < shape.days; day++) {
    const dayStart = startMs + day * DAY_MS;
    const blips = Array.from(
      { length: shape.blipsPerDay },
      () => dayStart + Math.floor(Math.random() * (DAY_MS - 10 * stepMs)),
    );
    let failing = 0;
    for (let t = dayStart; t < dayStart + DAY_MS; t += stepMs) {
      const down = blips.some((b) => t >= b && t < b + 3 * stepMs);
      failing = down ? failing + 1 : 0;
      store.record(checkEvent(shape.pair, 'primary', t, !down, failing));
      checks++;
      if (shape.standby) {
        store.record(checkEvent(shape.pair, 'standby', t + 1, true, 0));
        checks++;
      }
    }
    if (shape.blipsPerDay > 0) store.record(alertEvent(shape.pair, blips[0]!));
    await store.flush();
  }
  return checks;
}
