// The minute in progress of every pair's checks, kept in memory: checks, failures and latencies
// of the primary and the standby per minute, built into a MinuteRow (the one place rows are built)
// when the minute is over or asked for; and which failed checks in a long run are worth keeping.

import { MINUTE_MS, median, roundMs, type MinuteRow, type MinuteTarget } from './history-format.js';

/** Latencies kept per pair, target and minute for the median (a 0.1 s interval gives 600). */
const MAX_SAMPLES = 1_200;
/** Failed checks in a row kept one by one; beyond that one per slot (the minute aggregates keep the count). */
const FAILURE_RUN_DETAIL = 20;
const FAILURE_SLOT_MS = 10 * MINUTE_MS;

interface MinuteAcc {
  minute: number;
  checks: number;
  failures: number;
  maxMs: number;
  samples: number[];
  seen: number;
}

interface FailureRun {
  count: number;
  lastError: string;
  lastSlot: number;
}

interface PairTrack {
  minutes: Partial<Record<MinuteTarget, MinuteAcc>>;
  runs: Partial<Record<MinuteTarget, FailureRun>>;
}

/** A finished minute of one pair, ready to be written. */
export interface FinishedMinute {
  pair: string;
  row: MinuteRow;
}

export class CheckMinutes {
  private readonly tracks = new Map<string, PairTrack>();

  /**
   * Counts one check of the primary or standby. Returns the minute it ended, if the check is
   * the first of a new minute, and whether this check, when failed, is worth keeping as an event.
   */
  add(
    pair: string,
    target: MinuteTarget,
    at: number,
    result: { ok: boolean; latencyMs: number; error: string },
  ): { finished?: MinuteRow; keep: boolean } {
    const track = this.track(pair);
    const finished = this.aggregate(track, target, at, result.ok, result.latencyMs);
    let keep = false;
    if (result.ok) delete track.runs[target];
    else keep = keepFailure(track, target, at, result.error);
    return finished ? { finished, keep } : { keep };
  }

  /** Takes out the minutes before `beforeMinute` (Infinity: all of them) as rows. */
  finish(beforeMinute: number): FinishedMinute[] {
    const done: FinishedMinute[] = [];
    for (const [pair, track] of this.tracks) {
      for (const target of ['primary', 'standby'] as const) {
        const acc = track.minutes[target];
        if (acc && acc.minute < beforeMinute) {
          done.push({ pair, row: rowOf(target, acc) });
          delete track.minutes[target];
        }
      }
      if (!track.minutes.primary && !track.minutes.standby && !track.runs.primary && !track.runs.standby)
        this.tracks.delete(pair);
    }
    return done;
  }

  /** The minutes in progress of one pair, as rows (they stay in progress). */
  current(pair: string): MinuteRow[] {
    const track = this.tracks.get(pair);
    if (!track) return [];
    const rows: MinuteRow[] = [];
    for (const target of ['primary', 'standby'] as const) {
      const acc = track.minutes[target];
      if (acc) rows.push(rowOf(target, acc));
    }
    return rows;
  }

  private track(pair: string): PairTrack {
    let track = this.tracks.get(pair);
    if (!track) {
      track = { minutes: {}, runs: {} };
      this.tracks.set(pair, track);
    }
    return track;
  }

  private aggregate(
    track: PairTrack,
    target: MinuteTarget,
    at: number,
    ok: boolean,
    latencyMs: number,
  ): MinuteRow | undefined {
    const minute = Math.floor(at / MINUTE_MS);
    let acc = track.minutes[target];
    let finished: MinuteRow | undefined;
    if (acc && acc.minute !== minute) {
      finished = rowOf(target, acc);
      acc = undefined;
    }
    if (!acc) {
      acc = { minute, checks: 0, failures: 0, maxMs: 0, samples: [], seen: 0 };
      track.minutes[target] = acc;
    }
    acc.checks++;
    if (!ok) acc.failures++;
    const latency = Number.isFinite(latencyMs) && latencyMs > 0 ? latencyMs : 0;
    if (latency > acc.maxMs) acc.maxMs = latency;
    acc.seen++;
    if (acc.samples.length < MAX_SAMPLES) acc.samples.push(latency);
    else {
      // Reservoir sampling keeps the median fair when a minute holds more checks than we keep.
      const slot = Math.floor(Math.random() * acc.seen);
      if (slot < MAX_SAMPLES) acc.samples[slot] = latency;
    }
    return finished;
  }
}

function rowOf(target: MinuteTarget, acc: MinuteAcc): MinuteRow {
  return [acc.minute, target, acc.checks, acc.failures, roundMs(median(acc.samples)), roundMs(acc.maxMs)];
}

/**
 * A primary that stays down (a pair in failover) fails every check for days; keeping each
 * one would cost megabytes a day for nothing the minute aggregates do not already say.
 */
function keepFailure(track: PairTrack, target: MinuteTarget, at: number, error: string): boolean {
  const slot = Math.floor(at / FAILURE_SLOT_MS);
  const run = track.runs[target];
  if (!run) {
    track.runs[target] = { count: 1, lastError: error, lastSlot: slot };
    return true;
  }
  run.count++;
  const keep = run.count <= FAILURE_RUN_DETAIL || run.lastError !== error || run.lastSlot !== slot;
  run.lastError = error;
  if (keep) run.lastSlot = slot;
  return keep;
}
