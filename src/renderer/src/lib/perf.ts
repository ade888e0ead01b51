// Timings the benchmark reads from the page (window.__pbxPerf) and as
// performance marks: when the first pairs were on screen, what each batch of
// live events cost (applying it and updating the DOM), how long a timeline took to draw.

export interface FlushTiming {
  events: number;
  ms: number;
}

export interface PerfRecord {
  /** performance.now() when the first pairs were on screen (also mark 'pairs-rendered'). */
  pairsRenderedAt?: number;
  /** The last flushes of batched events, newest last (at most 600). */
  flushes: FlushTiming[];
  /** The last timeline draw (also measure 'timeline-draw'). */
  timelineDrawMs?: number;
  timelineDraws: number;
}

export const perf: PerfRecord = { flushes: [], timelineDraws: 0 };
if (typeof window !== 'undefined') window.__pbxPerf = perf;

export function markPairsRendered(): void {
  if (perf.pairsRenderedAt !== undefined) return;
  perf.pairsRenderedAt = performance.now();
  performance.mark('pairs-rendered');
}

export function recordFlush(events: number, ms: number): void {
  perf.flushes.push({ events, ms });
  if (perf.flushes.length > 600) perf.flushes.splice(0, perf.flushes.length - 600);
}

export function recordTimelineDraw(start: number): void {
  const end = performance.now();
  perf.timelineDrawMs = end - start;
  perf.timelineDraws++;
  performance.measure('timeline-draw', { start, end });
}

/** A named moment of the first screen's way (bundle running, pair list parsed, stored), for the benchmark's trace. */
export function mark(name: string): void {
  if (perf.pairsRenderedAt === undefined && typeof performance.mark === 'function') performance.mark(name);
}
