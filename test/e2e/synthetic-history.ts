// Writes a pair's history as the engine's history store lays it out on disk
// (history/<pair>/<day>.{minutes,events}.jsonl and the @all journal), so a
// timeline spanning days can be shown without waiting days: the screenshots
// and the benchmark's 30-day timeline use it.

import { mkdir, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HistoryEvent, PairState } from '../../src/shared/model.js';

const MINUTE = 60_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export interface Outage {
  /** Start and end, ms since the epoch. */
  from: number;
  to: number;
}

export interface SyntheticOptions {
  serverdir: string;
  pair: string;
  name: string;
  from: number;
  to: number;
  /** Checks per minute (60 for a 1 s interval). */
  checksPerMinute: number;
  /** Minutes in which every primary check failed. */
  primaryDown?: Outage[];
  /** Minutes in which a few primary checks failed (no failover). */
  flaps?: number[];
  /** State changes and operator/alert events to write as they are. */
  events?: HistoryEvent[];
  hasStandby?: boolean;
}

const JOURNAL_TYPES = new Set(['operator', 'alert', 'config']);

/** Returns the number of checks the minutes stand for. */
export async function writeSyntheticHistory(o: SyntheticOptions): Promise<number> {
  const dir = join(o.serverdir, 'history', o.pair);
  const journal = join(o.serverdir, 'history', '@all');
  await mkdir(dir, { recursive: true });
  await mkdir(journal, { recursive: true });
  const minutesByDay = new Map<string, string[]>();
  let checks = 0;
  const down = (t: number) => (o.primaryDown ?? []).some((d) => t >= d.from && t < d.to);
  const flaps = new Set((o.flaps ?? []).map((t) => Math.floor(t / MINUTE)));
  for (let t = Math.floor(o.from / MINUTE) * MINUTE; t < o.to; t += MINUTE) {
    const minute = t / MINUTE;
    const wave = 4 + 2 * Math.sin(minute / 37) + (minute % 7) * 0.3;
    const failures = down(t) ? o.checksPerMinute : flaps.has(minute) ? 2 : 0;
    const lines = minutesByDay.get(dayOf(t)) ?? [];
    lines.push(
      JSON.stringify([minute, 'primary', o.checksPerMinute, failures, round(wave), round(wave * 2.6 + (minute % 11))]) +
        '\n',
    );
    if (o.hasStandby)
      lines.push(
        JSON.stringify([minute, 'standby', o.checksPerMinute, 0, round(wave * 1.7), round(wave * 3.1)]) + '\n',
      );
    minutesByDay.set(dayOf(t), lines);
    checks += o.checksPerMinute;
  }
  for (const [day, lines] of minutesByDay) await appendFile(join(dir, `${day}.minutes.jsonl`), lines.join(''));
  for (const e of [...(o.events ?? [])].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))) {
    const line = JSON.stringify(e) + '\n';
    await appendFile(join(dir, `${dayOf(Date.parse(e.at))}.events.jsonl`), line);
    if (JOURNAL_TYPES.has(e.type)) await appendFile(join(journal, `${dayOf(Date.parse(e.at))}.events.jsonl`), line);
  }
  return checks;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** A state change as the engine records it. */
export function stateEvent(
  pair: string,
  at: number,
  from: PairState,
  to: PairState,
  reason: string,
  manual = false,
  operator?: string,
): HistoryEvent {
  return {
    type: 'state',
    pair,
    at: new Date(at).toISOString(),
    from,
    to,
    reason,
    manual,
    ...(operator ? { operator } : {}),
  };
}
