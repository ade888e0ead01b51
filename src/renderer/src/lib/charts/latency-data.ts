import type { MinuteAggregate } from '$shared/model';

/** uPlot's aligned columns: x in seconds, then primary p50, primary max, standby p50 (null where no checks). */
export type LatencyColumns = [number[], (number | null)[], (number | null)[], (number | null)[]];

export function latencyColumns(minutes: MinuteAggregate[], from: number, to: number): LatencyColumns {
  const rows = new Map<number, [number | null, number | null, number | null]>();
  for (const m of minutes) {
    const t = Date.parse(m.minute);
    if (t < from - 60_000 || t > to || m.checks === 0) continue;
    const row = rows.get(t) ?? [null, null, null];
    if (m.target === 'primary') {
      row[0] = m.p50Ms;
      row[1] = m.maxMs;
    } else row[2] = m.p50Ms;
    rows.set(t, row);
  }
  const times = [...rows.keys()].sort((a, b) => a - b);
  const cols: LatencyColumns = [[], [], [], []];
  for (const t of times) {
    const r = rows.get(t)!;
    cols[0].push(t / 1000);
    cols[1].push(r[0]);
    cols[2].push(r[1]);
    cols[3].push(r[2]);
  }
  return cols;
}
