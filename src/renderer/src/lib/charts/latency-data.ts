import type { MinuteColumns } from '$shared/model';
import { firstAtOrAfter } from './minute-columns';

/** uPlot's aligned columns: x in seconds, then primary p50, primary max, standby p50 (null where no checks). */
export type LatencyColumns = [number[], (number | null)[], (number | null)[], (number | null)[]];

/** The primary's and the standby's buckets from `from - bucket` to `to`, merged on one time axis. */
export function latencyColumns(columns: MinuteColumns, from: number, to: number): LatencyColumns {
  const { primary: p, standby: s, bucketMs } = columns;
  const cols: LatencyColumns = [[], [], [], []];
  let i = firstAtOrAfter(p.t, from - bucketMs);
  let j = firstAtOrAfter(s.t, from - bucketMs);
  for (;;) {
    const tp = i < p.t.length && p.t[i]! <= to ? p.t[i]! : Infinity;
    const ts = j < s.t.length && s.t[j]! <= to ? s.t[j]! : Infinity;
    const t = Math.min(tp, ts);
    if (t === Infinity) break;
    const fromPrimary = tp === t && p.checks[i]! > 0;
    const fromStandby = ts === t && s.checks[j]! > 0;
    if (fromPrimary || fromStandby) {
      cols[0].push(t / 1000);
      cols[1].push(fromPrimary ? p.p50Ms[i]! : null);
      cols[2].push(fromPrimary ? p.maxMs[i]! : null);
      cols[3].push(fromStandby ? s.p50Ms[j]! : null);
    }
    if (tp === t) i++;
    if (ts === t) j++;
  }
  return cols;
}
