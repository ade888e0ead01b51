import { STRIP_MINUTES, type StripBucket } from '../../stores/pairs.svelte';

export interface StripShape {
  /** SVG path data of the minutes whose checks all passed, and of those with a failure. */
  ok: string;
  fail: string;
  checks: number;
  failures: number;
}

/**
 * The last hour's minutes as bars in a 60 x 10 box: a passing minute is a half-height bar, a minute
 * with failures a taller one (full height when at least half failed).
 */
export function stripPaths(buckets: readonly StripBucket[], lastMinute: number): StripShape {
  let ok = '';
  let fail = '';
  let checks = 0;
  let failures = 0;
  for (const b of buckets) {
    if (b.minute <= lastMinute - STRIP_MINUTES || b.minute > lastMinute) continue;
    checks += b.checks;
    failures += b.failures;
    const x = STRIP_MINUTES - 1 - (lastMinute - b.minute) + 0.1;
    if (b.failures === 0) ok += `M${x} 5h0.8v5h-0.8z`;
    else if (b.failures / b.checks >= 0.5) fail += `M${x} 0h0.8v10h-0.8z`;
    else fail += `M${x} 3h0.8v7h-0.8z`;
  }
  return { ok, fail, checks, failures };
}
