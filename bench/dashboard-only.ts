// `node --import tsx bench/dashboard-only.ts [--pairs N] [--seconds S] [--rounds R]`: row 4 alone (the dashboard
// against the plain page), printed and not written to docs/PERFORMANCE.md, to measure a change to
// the dashboard without running the whole benchmark. BENCH_DASHBOARD_PROFILE and BENCH_TRACE apply.

import { loadavg } from 'node:os';
import { dashboardRows } from './dashboard.js';
import { machine, textTable } from './table.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} needs a positive number, not ${process.argv[i + 1]}`);
  return value;
}

const load = loadavg()
  .map((l) => l.toFixed(1))
  .join(' / ');
const rows = await dashboardRows({
  pairs: flag('--pairs', 1000),
  sampleS: flag('--seconds', 10),
  timelineDays: 30,
  timelineChecks: 100_000,
  settleMs: 2_000,
  rounds: flag('--rounds', 2),
});
console.log(`\n${machine()}, load average ${load}\n`);
console.log(textTable(rows));
