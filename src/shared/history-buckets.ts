// Bucket widths of the history API's columnar shape (`?shape=columns&bucket=`), shared by the
// engine (which answers `auto`) and the dashboard (which asks again, finer, when zoomed in).

/** Bucket widths a query may ask for, in seconds. */
export const BUCKET_SECONDS = [60, 300, 900, 3600] as const;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** About a pixel of a timeline a screen wide: minutes up to 3 days, 5 minutes up to 14, then 15. */
export function autoBucketMs(spanMs: number): number {
  if (spanMs <= 3 * DAY_MS) return MINUTE_MS;
  if (spanMs <= 14 * DAY_MS) return 5 * MINUTE_MS;
  return 15 * MINUTE_MS;
}
