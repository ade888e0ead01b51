// Row 7: how long a state change of one pair takes to be on disk while every pair is being
// checked, at 1,000 and 10,000 pairs. The real openMonitor runs here on a serverdir whose
// pbxctrl-failover.xml holds every pair (the loopback servers in their own process); a worker
// thread watches the file (fs.watch plus a 5 ms stat poll) and reads it whenever it changes, until
// the pair's <state> shows the move (its since, or a later one's: a coalesced write may take in the
// next move too). Three kinds of change: an operator's pause (written at once), the pair's move
// back to waiting after it is resumed (a coalesced state write, persistSoon), and a primary that
// stops answering (its move to verifying is written with the failover's action progress). Beside it,
// the floor, measured meanwhile: the steps of writeFileAtomic for a file of the same size. And the event-loop time one state write
// takes, before (the whole file serialized, parsed back and hashed, as every state write did) and
// after (only the changed pair serialized and read back).

import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { createConfigStore } from '../src/core/config-store.js';
import { parseConfigXml, serializeConfigXml } from '../src/core/config-xml.js';
import { openMonitor } from '../src/core/monitor.js';
import { silentLogger, type FailoverConfig } from '../src/core/ports.js';
import type { EngineEvent } from '../src/shared/model.js';
import { LoopbackServers } from './loopback.js';
import { benchPairs, writePairsFile, type BenchPair } from './pairs-xml.js';
import { percentile, sleep } from './schedule-stats.js';
import { count, ms, row, times, verdict, type Row } from './table.js';

export interface StateWriteOptions {
  sizes: number[];
  /** Pauses of one pair, one after the other. */
  pauses: number;
  /** Primaries stopped, one after the other (each pair on its own port). */
  failures: number;
  /** After every pair reached waiting, before the first change (the start-up writes settle). */
  settleMs: number;
  /** Every pair's check interval. */
  intervalS: number;
}

const TARGET_MS = 1000;
/** A move not seen (or not on disk) within this long counts as never. */
const GIVE_UP_MS = 60_000;
/** The file shows the new state, the time it was seen (epoch ms, performance.timeOrigin based). */
type Seen = { pair: string; at: number } | { pair: string; error: string };

// The watcher: plain JavaScript, run in a worker thread so that it does not wait for the engine's loop.
const WATCHER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const file = workerData.file;
let wanted = [];
let last = '';
function look() {
  if (wanted.length === 0) return;
  let st;
  try { st = fs.statSync(file, { bigint: true }); } catch { return; }
  const stamp = st.ino + ':' + st.size + ':' + st.mtimeNs;
  if (stamp === last) return;
  last = stamp;
  let text;
  try { text = fs.readFileSync(file, 'utf8'); } catch { last = ''; return; }
  const at = performance.timeOrigin + performance.now();
  wanted = wanted.filter((w) => {
    const start = text.indexOf('<pair id="' + w.pair + '"');
    if (start < 0) return true;
    const end = text.indexOf('</pair>', start);
    const pair = text.slice(start, end);
    // The move, or a later one that a coalesced write took in with it (verifying -> failover).
    const m = /<state since="([^"]*)"/.exec(pair);
    const shown = m !== null && m[1] >= w.since;
    if (shown) parentPort.postMessage({ pair: w.pair, at });
    return !shown;
  });
}
try { fs.watch(require('node:path').dirname(file), () => look()); } catch {}
setInterval(look, 5);
parentPort.on('message', (w) => { wanted.push(w); last = ''; look(); });
`;

// The floor, run while the changes are measured (same disk, same load): the steps of writeFileAtomic
// (temp, write, fsync, rename, directory fsync) for a file of the size of pbxctrl-failover.xml, every
// 500 ms, in a worker thread; each span is posted back.
const FLOOR = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const data = Buffer.alloc(workerData.bytes, 'x');
const target = path.join(workerData.dir, 'floor.xml');
let n = 0;
setInterval(() => {
  const t0 = performance.now();
  const temp = target + '.' + ++n + '.tmp';
  const fd = fs.openSync(temp, 'wx', 0o600);
  fs.writeSync(fd, data);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(temp, target);
  const dir = fs.openSync(workerData.dir, 'r');
  fs.fsyncSync(dir);
  fs.closeSync(dir);
  parentPort.postMessage(performance.now() - t0);
}, 500);
`;

class FileWatcher {
  private readonly worker: Worker;
  private readonly waiting = new Map<string, (seen: Seen) => void>();

  constructor(file: string) {
    this.worker = new Worker(WATCHER, { eval: true, workerData: { file } });
    this.worker.on('message', (seen: Seen) => {
      this.waiting.get(seen.pair)?.(seen);
      this.waiting.delete(seen.pair);
    });
  }

  /** Resolves with the epoch time at which the file first showed the pair in `state` since `since`. */
  seen(pair: string, state: string, since: string, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${pair} ${state} not on disk within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiting.set(pair, (seen) => {
        clearTimeout(timer);
        if ('error' in seen) reject(new Error(seen.error));
        else resolve(seen.at);
      });
      this.worker.postMessage({ pair, state, since });
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

const epochNow = (): number => performance.timeOrigin + performance.now();
const progress = (what: string): void => {
  if (process.env.BENCH_PROGRESS) console.error(`state writes: ${what}`);
};

export async function stateWriteRows(opts: StateWriteOptions): Promise<Row[]> {
  const rows: Row[] = [];
  for (const size of opts.sizes) rows.push(...(await measureSize(size, opts)));
  return rows;
}

async function measureSize(size: number, opts: StateWriteOptions): Promise<Row[]> {
  const group = `7. State writes, ${count(size)} pairs`;
  const servers = await LoopbackServers.start();
  const serverdir = await mkdtemp(join(tmpdir(), 'pbx-bench-state-'));
  const file = join(serverdir, 'pbxctrl-failover.xml');
  const watcher = new FileWatcher(file);
  let monitor: Awaited<ReturnType<typeof openMonitor>> | undefined;
  try {
    const ports = await servers.listen(Math.min(50, size));
    const receiver = await servers.receiver();
    const victims: BenchPair[] = [];
    for (let i = 0; i < opts.failures; i++) {
      const id = `victim-${i}`;
      victims.push({ id, primaryUrl: `http://127.0.0.1:${await servers.primary(id)}/` });
    }
    const shared = benchPairs(size - victims.length, ports);
    await writePairsFile(serverdir, {
      pairs: [...shared, ...victims],
      intervalS: opts.intervalS,
      toleratedFailures: 2,
      validationUrl: `http://127.0.0.1:${ports[0]}/validation`,
      actionUrlBase: `http://127.0.0.1:${receiver}/action/`,
    });

    const waiting = new Set<string>();
    const changes = new Map<string, { to?: string; moved: (e: { at: string; to: string; seenAt: number }) => void }>();
    const opened = performance.now();
    monitor = await openMonitor({ serverdir, version: 'bench', log: silentLogger });
    progress(`${count(size)} pairs open in ${ms(performance.now() - opened)}`);
    monitor.subscribe((event: EngineEvent) => {
      if (event.type !== 'state') return;
      if (event.to === 'waiting') waiting.add(event.pair);
      const wanted = changes.get(event.pair);
      if (wanted && (wanted.to === undefined || wanted.to === event.to)) {
        changes.delete(event.pair);
        wanted.moved({ at: event.at, to: event.to, seenAt: epochNow() });
      }
    });
    // A machine too busy to check every pair in time is measured all the same, and says so.
    const started = performance.now();
    const deadline = started + 60_000 + size * 10;
    while (waiting.size < size && performance.now() < deadline) await sleep(100);
    const reached = waiting.size;
    const startNote =
      reached < size
        ? `; only ${count(reached)} of ${count(size)} pairs reached waiting in ${ms(performance.now() - started)}`
        : '';
    await sleep(opts.settleMs);
    progress(`${count(reached)} of ${count(size)} pairs waiting; measuring`);

    /** From the state event of the pair's next move (to `to`, if given) to the file showing it; Infinity if never. */
    const measure = async (pair: string, trigger: () => Promise<unknown>, to?: string): Promise<number> => {
      let giveUp: NodeJS.Timeout | undefined;
      const moved = new Promise<{ at: string; to: string; seenAt: number }>((resolve, reject) => {
        changes.set(pair, { ...(to !== undefined ? { to } : {}), moved: resolve });
        giveUp = setTimeout(() => reject(new Error(`${pair} did not move within ${GIVE_UP_MS} ms`)), GIVE_UP_MS);
      }).finally(() => clearTimeout(giveUp));
      // An operator move resolves once it is written; the span is timed from its state event all the same.
      trigger().catch(() => undefined);
      try {
        const e = await moved;
        const onDisk = await watcher.seen(pair, e.to, e.at, GIVE_UP_MS);
        progress(`${pair} ${e.to}: on disk after ${ms(onDisk - e.seenAt)}`);
        return onDisk - e.seenAt;
      } catch (error) {
        progress(`${pair}: ${(error as Error).message}`);
        changes.delete(pair);
        return Number.POSITIVE_INFINITY;
      }
    };
    const floorDir = join(serverdir, 'floor');
    await mkdir(floorDir);
    const floorSpans: number[] = [];
    const floorWorker = new Worker(FLOOR, {
      eval: true,
      workerData: { dir: floorDir, bytes: (await stat(file)).size },
    });
    floorWorker.on('message', (span: number) => floorSpans.push(span));
    // How late the engine's own event loop runs meanwhile: every step of a write waits for it.
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const pauses: number[] = [];
    const coalesced: number[] = [];
    for (let i = 0; i < opts.pauses; i++) {
      const ready = shared.filter((p) => waiting.has(p.id));
      const pair = ready[Math.floor(((i + 0.5) * ready.length) / opts.pauses)]!.id;
      pauses.push(await measure(pair, () => monitor!.pause(pair, { reason: 'bench', operator: 'bench' })));
      await sleep(200 + Math.random() * 300);
      // Resumed, the pair starts again; its first good check moves it to waiting: a coalesced state write.
      coalesced.push(
        await measure(pair, () => monitor!.resume(pair, { reason: 'bench', operator: 'bench' }), 'waiting'),
      );
      await sleep(200 + Math.random() * 300);
    }
    const failures: number[] = [];
    for (const v of victims)
      failures.push(await measure(v.id, () => servers.stop(v.id, Math.random() * opts.intervalS * 1000)));

    lag.disable();
    await floorWorker.terminate();
    const bytes = (await stat(file)).size;
    await monitor.close();
    monitor = undefined;
    const floors = Float64Array.from(floorSpans).sort();
    const floor = percentile(floors, 50);
    const loop = await loopTimeOfStateWrite(serverdir, file);
    const floorText = `atomic write of ${(bytes / 2 ** 20).toFixed(1)} MiB meanwhile: p50 ${ms(floor)}, max ${ms(floors[floors.length - 1] ?? Number.NaN)} (${floors.length})`;
    return [
      changeRow(group, 'pause -> on disk (operator move, written at once)', pauses, floor, floorText + startNote),
      changeRow(group, 'starting -> waiting -> on disk (coalesced state write)', coalesced, floor, floorText),
      changeRow(group, 'primary fails -> on disk (with the action progress)', failures, floor, floorText),
      row({
        group,
        measure: "the engine's event-loop delay while measuring",
        engine: `p50 ${ms(lag.percentile(50) / 1e6)}, p99 ${ms(lag.percentile(99) / 1e6)}, max ${ms(lag.max / 1e6)}`,
        limit: '-',
        target: '-',
        verdict: 'info',
      }),
      row({
        group,
        measure: 'event-loop time of one state write',
        engine: `${ms(loop.after)} (the changed pair serialized and checked; the whole write alone, no checks running: ${ms(loop.alone)})`,
        limit: `before: ${ms(loop.before)} (whole file serialized, parsed back, hashed)`,
        ratio: times(loop.after / loop.before),
        target: 'no whole-file work on the loop',
        verdict: verdict(loop.after < loop.before / 10),
      }),
    ];
  } finally {
    await monitor?.close().catch(() => undefined);
    await watcher.close();
    await servers.close();
    await rm(serverdir, { recursive: true, force: true });
  }
}

function changeRow(group: string, measure: string, spans: number[], floor: number, floorText: string): Row {
  const sorted = Float64Array.from(spans.filter(Number.isFinite)).sort();
  const lost = spans.length - sorted.length;
  const max = lost > 0 ? Number.POSITIVE_INFINITY : (sorted[sorted.length - 1] ?? Number.NaN);
  const never = lost > 0 ? `, ${lost} not on disk within ${GIVE_UP_MS / 1000} s` : '';
  return row({
    group,
    measure,
    engine: `p50 ${ms(percentile(sorted, 50))}, max ${ms(sorted[sorted.length - 1] ?? Number.NaN)} (${spans.length} changes${never})`,
    limit: floorText,
    ratio: times(percentile(sorted, 50) / floor),
    target: `max <= ${TARGET_MS / 1000} s`,
    verdict: verdict(max <= TARGET_MS),
  });
}

/**
 * The event-loop time of one state write, through a store of its own on a copy of the file: after
 * is what the store reports for a write of one changed state (median of five); before is what
 * every state write did until now, timed here the same way: the whole file serialized, parsed
 * back, and the file's bytes hashed for the hand-edit check (median of three).
 */
async function loopTimeOfStateWrite(
  dir: string,
  file: string,
): Promise<{ before: number; after: number; alone: number }> {
  const copyDir = join(dir, 'copy');
  await rm(copyDir, { recursive: true, force: true });
  await mkdir(copyDir);
  await copyFile(file, join(copyDir, 'pbxctrl-failover.xml'));
  const store = createConfigStore(copyDir);
  let config: FailoverConfig = await store.load();
  const after: number[] = [];
  const alone: number[] = [];
  for (let i = 0; i < 5; i++) {
    const k = Math.floor((i * config.pairs.length) / 5);
    config = {
      ...config,
      pairs: config.pairs.map((p, j) =>
        j === k ? { settings: p.settings, persisted: { state: 'paused', since: new Date().toISOString() } } : p,
      ),
    };
    const t0 = performance.now();
    await store.save(config);
    alone.push(performance.now() - t0);
    after.push(store.expectedWriteLoopMs ?? Number.NaN);
  }
  const text = await readFile(join(copyDir, 'pbxctrl-failover.xml'), 'utf8');
  const parsed = parseConfigXml(text);
  if (!parsed.ok) throw new Error('the written file does not parse');
  const before: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const written = serializeConfigXml(config, { base: parsed.document });
    parseConfigXml(written);
    createHash('sha256').update(Buffer.from(written, 'utf8')).digest('hex');
    before.push(performance.now() - t0);
  }
  const median = (xs: number[]) => percentile(Float64Array.from(xs).sort(), 50);
  return { before: median(before), after: median(after), alone: median(alone) };
}
