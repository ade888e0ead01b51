// `npm run bench` (full, a few minutes, writes docs/PERFORMANCE.md) and
// `npm run bench:smoke` (small N, seconds, for CI: proves the benchmark still
// runs end to end). Targets are reported, never asserted: the smoke fails only
// when a measurement could not be taken at all.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { dashboardRows, type DashboardOptions } from './dashboard.js';
import { detectionRows, type DetectionOptions } from './detection.js';
import { engineScale, type ScaleOptions } from './engine-scale.js';
import { historyRows, type HistoryOptions } from './history.js';
import { metricsRows, type MetricsOptions } from './metrics.js';
import { clusterRows, type ClusterBenchOptions } from './cluster.js';
import { stateWriteRows, type StateWriteOptions } from './state-write.js';
import { machine, markdownTable, notMeasured, textTable, type Row } from './table.js';

const smoke = process.argv.includes('--smoke');
// `--only 3,5`, `--only=3,5` or `--only engine` (repeatable): just the sections whose number is one of
// those or whose group name contains one of the words; their rows are printed as Markdown and
// docs/PERFORMANCE.md is left as it is.
const only = process.argv
  .flatMap((a, i, all) => (a.startsWith('--only=') ? [a.slice('--only='.length)] : all[i - 1] === '--only' ? [a] : []))
  .flatMap((a) => a.split(','))
  .map((w) => w.trim().toLowerCase())
  .filter((w) => w !== '');
// Other work on the machine moves every absolute figure; the report says how busy it was.
const loadBefore = loadavg()
  .map((l) => l.toFixed(1))
  .join(' / ');

export interface Plan {
  smoke: boolean;
  scale: ScaleOptions;
  detection: DetectionOptions;
  history: HistoryOptions;
  dashboard: DashboardOptions;
  metrics: MetricsOptions;
  cluster: ClusterBenchOptions;
  stateWrite: StateWriteOptions;
}

const plan: Plan = smoke
  ? {
      smoke,
      scale: {
        sizes: [20],
        targetSizes: [],
        rounds: 1,
        intervalMs: 500,
        warmupMs: 100,
        durationMs: 1000,
        sipSize: 20,
        // Two pairs per port: the smoke also runs the shared-port layout of the 10,000-pair row.
        maxPorts: 10,
      },
      detection: { trials: 2, intervalS: 0.3, toleratedFailures: 2, spacingMs: 100 },
      history: { days: 1, intervalS: 1 },
      dashboard: { pairs: 50, sampleS: 1, timelineDays: 7, timelineChecks: 5_000, settleMs: 0 },
      metrics: { pairs: 50, scrapes: 2 },
      cluster: { pairs: 20, intervalMs: 500, warmupMs: 100, durationMs: 1000 },
      stateWrite: { sizes: [20], pauses: 1, failures: 1, settleMs: 0, intervalS: 0.5 },
    }
  : {
      smoke,
      scale: {
        sizes: [100, 1000, 5000, 10_000],
        targetSizes: [1000, 10_000],
        rounds: 2,
        intervalMs: 1000,
        warmupMs: 2000,
        durationMs: 15_000,
        sipSize: 1000,
      },
      detection: { trials: 20, intervalS: 1, toleratedFailures: 2, spacingMs: 300 },
      history: { days: 30, intervalS: 1 },
      dashboard: { pairs: 1000, sampleS: 10, timelineDays: 30, timelineChecks: 100_000, settleMs: 2_000, rounds: 2 },
      metrics: { pairs: 5000, scrapes: 10 },
      cluster: { pairs: 1000, intervalMs: 1000, warmupMs: 2000, durationMs: 15_000 },
      stateWrite: { sizes: [1000, 10_000], pauses: 6, failures: 4, settleMs: 5_000, intervalS: 1 },
    };

interface Section {
  group: string;
  measure: () => Promise<Row[]>;
}

const sections: Section[] = [
  { group: '1. Engine scale', measure: () => engineScale(plan.scale) },
  { group: '2. Detection', measure: () => detectionRows(plan.detection) },
  { group: '3. History', measure: () => historyRows(plan.history) },
  { group: '4. Dashboard', measure: () => dashboardRows(plan.dashboard) },
  { group: '5. Metrics', measure: () => metricsRows(plan.metrics) },
  { group: '6. Cluster', measure: () => clusterRows(plan.cluster) },
  { group: '7. State writes', measure: () => stateWriteRows(plan.stateWrite) },
];

async function main(): Promise<void> {
  const started = performance.now();
  const date = new Date().toISOString();
  const rows: Row[] = [];
  let broken = 0;
  for (const section of sections) {
    const number = section.group.split('.')[0]!;
    if (
      only.length > 0 &&
      !only.some((w) => (/^\d+$/.test(w) ? w === number : section.group.toLowerCase().includes(w)))
    )
      continue;
    const t0 = performance.now();
    try {
      const measured = await section.measure();
      rows.push(...measured);
      // A full run reports what it could not measure; the smoke exists to catch exactly that.
      if (smoke && measured.some((r) => r.broken)) broken++;
    } catch (err) {
      broken++;
      const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      rows.push(notMeasured(section.group, `error: ${message}`, true));
      console.error(`${section.group} failed:`, err);
    }
    console.error(`${section.group}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `\nPBX Failover Monitor benchmark${smoke ? ' (smoke)' : ''}, ${date}\n${machine()}, load average ${loadBefore}\n`,
  );
  console.log(textTable(rows));
  console.log(`\n${seconds.toFixed(0)} s in all`);
  if (only.length > 0) console.log(`\n${markdownTable(rows)}`);
  else if (!smoke) await writeReport(rows, date, seconds);
  process.exitCode = broken ? 1 : 0;
}

const METHOD = `## How each row is measured

Each figure stands next to the limit for the same work measured in the same run, so that the ratio
holds on a busy machine; targets are reported here and never asserted in tests.

1. **Engine scale.** The loopback servers run in their own process, one port per pair up to 1,000
   pairs (every primary is its own host in a NOC, so every pair holds its own keep-alive
   connection); past that the pairs share 1,000 ports with distinct paths (10,000 pairs: 10 pairs
   per port), the same targets for both sides. The engine (the real
   \`openMonitor\` on a serverdir whose pbxctrl-failover.xml holds every pair) and the bare loop (one
   undici dispatcher called with each primary's origin and path, one timer per pair on a fixed
   grid, a timeout per request, bodies drained) each run alone in a child
   process, one after the other, as plain JavaScript bundled by esbuild (no TypeScript loader in the
   measured process). The window opens once every pair has been checked twice (connections open)
   plus a settling time. CPU is user + system time of the process in the window; peak RSS is the
   process's VmHWM (and RSS at the end of the window). The engine's check events carry no scheduled
   time, so **lag is the gap between the starts of two consecutive checks of a pair minus the
   interval** (start = time of the check event minus its latency), for both sides alike; a gap of
   more than 1.5 intervals counts as missed checks, as does a slot more than half an interval
   overdue when the window closes. At the target size the two sides alternate for two rounds: CPU
   is the least of a side's rounds (other work on the machine only adds to it), every other figure
   the worst.
   **1b** runs the engine once more on the same pairs with \`<primary-sip transport="udp">\` on every
   pair, all aimed at one UDP responder in the servers' process that answers every OPTIONS 200 OK:
   each check is then the HTTP request and a SIP OPTIONS together, over the engine's one shared UDP
   socket. Its CPU is compared with the engine's HTTP-only figure of the same size (the bare loop
   sends no SIP), and "checks done" counts checks in which both halves answered or failed.
2. **Detection.** Real engine, one pair per trial, each primary on its own port; the primary is
   stopped (listener closed, connections cut) at a random moment of the interval. The servers'
   process times both the stop and the arrival of the action request, so one clock measures the
   span. The bound is interval x (tolerated + 1) + timeout + the pair's own validation check
   latency as the engine measured it.
3. **History.** Days of 1 s checks of the primary and the standby, with short runs of failed checks,
   fed through the real HistoryStore onto real files; bytes are what is on disk divided by the days.
   The timeline is queried as the dashboard asks for it (\`shape=columns\`, the bucket \`auto\` picks)
   through a fresh store (nothing cached from writing): the first read of the finished days, which
   also writes their five-minute summaries (the service writes them after midnight), then a fresh
   store again (after a restart: the figure against the target), then again (cached); the
   one-object-per-minute shape through a store of its own. The floor is reading the pair's files
   without parsing.
4. **Dashboard.** The real headless service (own process) with every pair checked once a second,
   the built dashboard in headless Chromium (1920 x 1080, software rendering). The limit is a plain
   page (bench/dashboard-floor.ts) doing the same work in the same browser against the same service:
   it lists every pair, reads the same event stream and updates each pair's state and latency as
   text, and draws the same history as one coloured column per pixel. Main-thread time is Chrome's
   own TaskDuration (CDP Performance metrics) in each second of live updates, with the app's
   script, layout and style time and its own timing of its event batches beside it.
   "Interactive" is the \`pairs-rendered\` mark, extended past any long task that starts within
   50 ms of it. The timeline is the \`timeline-draw\` measure of the first draw after the
   history of the chosen range arrived; click-to-drawn includes fetching that history. The two pages
   alternate for two rounds, each in a fresh browser context, and each measure is a page's best round.
   \`node --import tsx bench/dashboard-only.ts\` runs this row alone (printed, not written here);
   BENCH_TRACE=1 adds what arrived when and the app's marks on its way to the first screen.
5. **Metrics.** The exporter of GET /metrics (src/server/metrics.ts on prom-client) in process, with
   every pair's primary, standby and validation checks counted and timed (40 each), scraped after a
   warm-up; between two scrapes every pair is checked once more and every fiftieth pair's failure
   count changes, so nothing kept from the last scrape is still true. The limit is writing the same
   sample lines by hand from the same statuses (a template string per line, joined).
6. **Cluster.** One etcd member (Debian's) on loopback, the pairs of row 1 on the same loopback
   servers. The engine worker of row 1 runs once alone (no cluster), then twice at the same time as
   two nodes of one cluster (\`openMonitor\` with \`cluster\`, lease TTL 5 s): the first node's file
   seeds etcd, both check every pair, one leads. CPU per node is measured as in row 1, in each node's
   own window; etcd's CPU is user + system time of its process (/proc) from the start of both
   nodes until both finished, their start (and the seeding of 1,000 pairs) included.
7. **State writes.** The real \`openMonitor\` in the benchmark's process on a serverdir whose
   pbxctrl-failover.xml holds every pair (bench/pairs-xml.ts; the primaries share 50 loopback ports,
   every pair checked once a second), after every pair reached waiting and the start-up writes
   settled. A worker thread watches the file (fs.watch and a 5 ms stat poll; it reads the file when
   its stamp changes) and notes when the pair's \`<state since>\` shows the move. Each span runs from
   the pair's \`state\` event, timed in the engine's process, to that moment. Three kinds of move:
   an operator's pause (written at once), the pair's move to waiting after it is resumed (a
   coalesced state write: at least the 200 ms coalescing window), and a primary that stops
   answering (its own port; the move to verifying, which is written together with the failover's
   action progress). The limit is measured meanwhile in another worker thread: the steps of
   writeFileAtomic (temp file, write, fsync, rename, directory fsync) for a file of the same size
   every 500 ms, on the same disk. The event-loop time of one state write is what the store reports
   for a write of one changed state (median of five, through a store of its own on a copy of the
   file); "before" times, the same way, what every state write did until now: the whole file
   serialized, parsed back and its bytes hashed.
`;

/**
 * What the last report held between NOTES_START and NOTES_END (where the misses are explained: what
 * costs what, and the next step), carried into the new report as it is; written by hand.
 */
const NOTES_START = '<!-- notes: kept by npm run bench -->';
const NOTES_END = '<!-- /notes -->';

async function keptNotes(file: string): Promise<string> {
  const old = await readFile(file, 'utf8').catch(() => '');
  const start = old.indexOf(NOTES_START);
  const end = old.indexOf(NOTES_END, start);
  return start >= 0 && end > start ? `\n${old.slice(start, end + NOTES_END.length)}\n` : '';
}

async function writeReport(rows: Row[], date: string, seconds: number): Promise<void> {
  const file = join(import.meta.dirname, '..', 'docs', 'PERFORMANCE.md');
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
  const text = `# Performance

Generated by \`npm run bench\` on ${date} in ${seconds.toFixed(0)} s. Run it again to refresh this file.

Machine: ${machine()}; load average before the run ${loadBefore}, after ${load} (1 / 5 / 15 min).

${markdownTable(rows)}
${await keptNotes(file)}
${METHOD}`;
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
  console.log(`written to ${file}`);
}

await main();
// A section that leaves a handle open must not hold the run (and CI) once the report is written: say
// which handles were left, then exit.
const left = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
if (left.length > 0) console.error(`still open after the run, closed by exiting: ${left.join(', ')}`);
process.exit(process.exitCode ?? 0);
