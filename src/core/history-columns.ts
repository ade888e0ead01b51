// The columnar shape of a pair's checks (`GET /api/pairs/:id/history?shape=columns`): the minute
// rows of the day files, read straight into typed arrays (history-format.ts parseMinuteColumns),
// added up into buckets of one minute, or coarser for long ranges, and sent as one array per field.
// A 30-day timeline is then 2 x 2,880 buckets of five numbers instead of 86,400 objects.

import { MonitorError, type HistoryQuery } from '../shared/api.js';
import type { MinuteColumns, TargetColumns } from '../shared/model.js';
import { BUCKET_SECONDS, autoBucketMs } from '../shared/history-buckets.js';
import { MINUTE_MS, roundMs, type RawMinuteColumns } from './history-format.js';

export { BUCKET_SECONDS, autoBucketMs };

/**
 * The bucket width a history query asks for, in ms, or undefined for the `minutes` shape.
 * Throws MonitorError('invalid') naming the parameter for anything else.
 */
export function bucketOfQuery(query: HistoryQuery | undefined, spanMs: number): number | undefined {
  const shape = query?.shape ?? 'minutes';
  const bucket = query?.bucket;
  if (shape !== 'minutes' && shape !== 'columns') {
    throw new MonitorError('invalid', 'shape must be minutes or columns', [
      { field: 'shape', message: `must be "minutes" or "columns", not "${String(shape).slice(0, 40)}"` },
    ]);
  }
  if (shape === 'minutes') {
    if (bucket !== undefined && bucket !== '') {
      throw new MonitorError('invalid', 'bucket needs shape=columns', [
        { field: 'bucket', message: 'only with shape=columns: minutes are always one minute' },
      ]);
    }
    return undefined;
  }
  if (bucket === undefined || bucket === '' || bucket === 'auto') return autoBucketMs(spanMs);
  const seconds = /^\d{1,5}$/.test(bucket) ? Number(bucket) : NaN;
  if (!(BUCKET_SECONDS as readonly number[]).includes(seconds)) {
    throw new MonitorError('invalid', 'bucket is not a bucket width', [
      { field: 'bucket', message: `must be auto or seconds: ${BUCKET_SECONDS.join(', ')}` },
    ]);
  }
  return seconds * 1000;
}

/**
 * The rows of `parts` whose minute lies in [fromMs, toMs] (by the minute's start, as the `minutes`
 * shape selects them), added up per target into buckets of `bucketMs` aligned to the epoch: checks and
 * failures summed, the maximum the largest, the median the mean of the minutes' medians weighted by
 * their checks. Rows of the same minute in several parts (a restart mid-minute) add up the same way.
 */
export function bucketColumns(
  parts: readonly RawMinuteColumns[],
  fromMs: number,
  toMs: number,
  bucketMs: number,
): MinuteColumns {
  const firstKey = Math.floor(fromMs / MINUTE_MS) * 2;
  const lastKey = Math.floor(toMs / MINUTE_MS) * 2 + 1;
  const firstBucket = Math.floor((Math.floor(fromMs / MINUTE_MS) * MINUTE_MS) / bucketMs);
  const slots = Math.max(0, Math.floor((Math.floor(toMs / MINUTE_MS) * MINUTE_MS) / bucketMs) - firstBucket + 1);
  const perMinute = bucketMs / MINUTE_MS;
  // Slot s of target k is index s * 2 + k.
  const checks = new Float64Array(slots * 2);
  const failures = new Float64Array(slots * 2);
  const weighted = new Float64Array(slots * 2);
  const max = new Float64Array(slots * 2);
  const rows = new Uint32Array(slots * 2);
  for (const part of parts) {
    const { key } = part;
    for (let i = 0; i < part.length; i++) {
      const k = key[i]!;
      if (k < firstKey || k > lastKey) continue;
      const minute = Math.floor(k / 2);
      const slot = (Math.floor(minute / perMinute) - firstBucket) * 2 + (k - minute * 2);
      const c = part.checks[i]!;
      checks[slot]! += c;
      failures[slot]! += part.failures[i]!;
      weighted[slot]! += part.p50Ms[i]! * c;
      if (part.maxMs[i]! > max[slot]!) max[slot] = part.maxMs[i]!;
      rows[slot]!++;
    }
  }
  const target = (k: number): TargetColumns => {
    const out: TargetColumns = { t: [], checks: [], failures: [], p50Ms: [], maxMs: [] };
    for (let s = k; s < rows.length; s += 2) {
      if (rows[s] === 0) continue;
      const c = checks[s]!;
      out.t.push((firstBucket + (s >> 1)) * bucketMs);
      out.checks.push(c);
      out.failures.push(failures[s]!);
      // Medians are kept to 0.1 ms (what the minute files hold), whatever the bucket.
      out.p50Ms.push(c > 0 ? roundMs(weighted[s]! / c) : 0);
      out.maxMs.push(max[s]!);
    }
    return out;
  };
  return { bucketMs, primary: target(0), standby: target(1) };
}
