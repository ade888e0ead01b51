// Row 1: the engine polling N pairs at a 1 s interval next to the bare undici
// loop doing the same requests on the same schedule. Each runs alone in its own
// process, one after the other, so CPU and RSS are per process and the two
// cores are shared the same way; the servers run in a third process.

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Child } from './child.js';
import { LoopbackServers } from './loopback.js';
import { benchPairs } from './pairs-xml.js';
import type { ScaleJob, ScaleResult } from './schedule-stats.js';
import { count, mb, ms, notMeasured, row, times, verdict, type Row } from './table.js';

export interface ScaleOptions {
  sizes: number[];
  /** The sizes at which the targets apply (see TARGETS). */
  targetSizes: number[];
  /** Rounds at a target size (each side runs once per round). */
  rounds: number;
  intervalMs: number;
  warmupMs: number;
  durationMs: number;
  /** The size at which the engine runs once more with a SIP OPTIONS (UDP) beside every HTTP check. */
  sipSize?: number;
  /**
   * Most listening ports for the primaries (default 1,000). Up to that, every pair has its own port;
   * past it, pairs share ports round-robin with distinct paths (10,000 pairs: 10 per port), the same
   * targets for the engine and the bare loop.
   */
  maxPorts?: number;
}

interface Target {
  cpuRatio: number;
  rssRatio: number;
  lagP99Ms: number;
}

/** Issue #17's targets, against the bare loop of the same run. */
const TARGETS: Record<number, Target> = {
  1000: { cpuRatio: 1.2, rssRatio: 1.1, lagP99Ms: 20 },
  10000: { cpuRatio: 1.2, rssRatio: 1.3, lagP99Ms: 50 },
};

export const engineWorkerMissing = (): string | undefined =>
  !existsSync(join(import.meta.dirname, '..', 'src', 'core', 'monitor.ts'))
    ? 'the engine (src/core/monitor.ts) is not in the repo'
    : !existsSync(join(import.meta.dirname, 'engine-worker.ts'))
      ? 'bench/engine-worker.ts is missing'
      : undefined;

async function runIn(entry: string, job: ScaleJob): Promise<ScaleResult> {
  const serverdir = await mkdtemp(join(tmpdir(), 'pbx-bench-scale-'));
  const child = await Child.start(entry);
  try {
    return await child.call<ScaleResult>('run', { ...job, serverdir }, job.warmupMs + job.durationMs + 180_000);
  } finally {
    await child.stop(15_000);
    await rm(serverdir, { recursive: true, force: true });
  }
}

/** The engine's result, or why there is none (the engine refusing its file is a finding, not a crash). */
async function runEngine(job: ScaleJob): Promise<ScaleResult | string> {
  const missing = engineWorkerMissing();
  if (missing) return missing;
  try {
    return await runIn('engine-worker.ts', job);
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    return `error: ${message}`;
  }
}

export async function engineScale(opts: ScaleOptions): Promise<Row[]> {
  const rows: Row[] = [];
  for (const size of opts.sizes) {
    // One port per pair up to maxPorts: in a NOC every primary is its own host, so every pair holds
    // its own connection. Past that, pairs share the ports (distinct paths), alike for both sides.
    const servers = await LoopbackServers.start();
    try {
      const ports = await servers.listen(Math.min(size, opts.maxPorts ?? 1000) + 1);
      const receiverPort = await servers.receiver();
      const job: ScaleJob = {
        pairs: benchPairs(size, ports.slice(1)),
        toleratedFailures: 3,
        validationUrl: `http://127.0.0.1:${ports[0]}/validation`,
        actionUrl: `http://127.0.0.1:${receiverPort}/action/`,
        intervalMs: opts.intervalMs,
        warmupMs: opts.warmupMs,
        durationMs: opts.durationMs,
      };
      const target = opts.targetSizes.includes(size) ? TARGETS[size] : undefined;
      const floors: ScaleResult[] = [];
      const engines: Array<ScaleResult | string> = [];
      // Alternating rounds: a burst of other work on the machine then hits both sides alike.
      for (let round = 0; round < (target ? opts.rounds : 1); round++) {
        floors.push(await runIn('bare-loop.ts', job));
        engines.push(await runEngine(job));
      }
      const failed = engines.find((e): e is string => typeof e === 'string');
      const engine = failed ?? combine(engines as ScaleResult[]);
      const shared = ports.length - 1 < size ? `, ${count(ports.length - 1)} ports` : '';
      const group = `1. Engine scale, ${count(size)} pairs${shared}${floors.length > 1 ? ` (${floors.length} rounds)` : ''}`;
      rows.push(...scaleRows(group, target, combine(floors), engine));
      if (size === opts.sipSize) {
        // The same pairs, each also sending a SIP OPTIONS over the one shared UDP socket every check.
        const sipUri = `sip:127.0.0.1:${await servers.sip()}`;
        const sipJob: ScaleJob = { ...job, pairs: job.pairs.map((p) => ({ ...p, primarySip: sipUri })) };
        const withSip = await runEngine(sipJob);
        rows.push(...sipRows(`1b. Engine scale, ${count(size)} pairs, HTTP + SIP OPTIONS (UDP)`, engine, withSip));
        rows.push(
          row({
            group: `1b. Engine scale, ${count(size)} pairs, HTTP + SIP OPTIONS (UDP)`,
            measure: 'OPTIONS answered by the responder',
            engine: count(await servers.sipAnswered()),
          }),
        );
      }
    } finally {
      await servers.close();
    }
  }
  return rows;
}

/**
 * Several rounds of one side: CPU is the least of them (other work on the machine only ever adds
 * to it); memory, missed checks and lag are the worst, so a bad round is never hidden.
 */
function combine(results: ScaleResult[]): ScaleResult {
  const worst = (pick: (r: ScaleResult) => number): number => Math.max(...results.map(pick));
  const least = results.reduce((a, b) => (b.cpuMs / b.windowMs < a.cpuMs / a.windowMs ? b : a));
  const sum = (pick: (r: ScaleResult) => number): number => results.reduce((a, r) => a + pick(r), 0);
  return {
    ...least,
    peakRssMb: worst((r) => r.peakRssMb),
    endRssMb: worst((r) => r.endRssMb),
    heapUsedMb: worst((r) => r.heapUsedMb),
    checksDone: sum((r) => r.checksDone),
    checksDue: sum((r) => r.checksDue),
    missed: sum((r) => r.missed),
    failed: sum((r) => r.failed),
    lagP50Ms: worst((r) => r.lagP50Ms),
    lagP99Ms: worst((r) => r.lagP99Ms),
    lagMaxMs: worst((r) => r.lagMaxMs),
    startupMs: worst((r) => r.startupMs),
    // The commonest failure of the round that failed most (the least-CPU round may have failed none).
    ...pick(results.reduce((a, b) => (b.failed > a.failed ? b : a)).topError),
    unsettled: worst((r) => r.unsettled),
    verifying: sum((r) => r.verifying ?? 0),
    failovers: sum((r) => r.failovers ?? 0),
  };
}

const pick = (topError: string | undefined): { topError?: string } => (topError ? { topError } : {});

function scaleRows(
  group: string,
  targets: Target | undefined,
  floor: ScaleResult,
  engine: ScaleResult | string,
): Row[] {
  const bare = (text: string): string => `bare loop ${text}`;
  const cpu = (r: ScaleResult): string =>
    `${(r.cpuMs / 1000).toFixed(2)} s (${((100 * r.cpuMs) / r.windowMs).toFixed(0)}% of a core)`;
  const alarms = (r: ScaleResult): string =>
    r.verifying || r.failovers
      ? `; false alarms: ${count(r.verifying ?? 0)} pairs to verifying, ${count(r.failovers ?? 0)} failed over`
      : '';
  const checks = (r: ScaleResult): string =>
    `${count(r.checksDone)} / ${count(r.checksDue)}, ${count(r.missed)} missed${r.failed ? `, ${count(r.failed)} failed (${r.topError})` : ''}${alarms(r)}` +
    (r.unsettled
      ? ` (window opened at the settling deadline with ${count(r.unsettled)} pairs not yet checked twice)`
      : '');
  const lag = (r: ScaleResult): string => `${ms(r.lagP50Ms)} / ${ms(r.lagP99Ms)} (max ${ms(r.lagMaxMs)})`;
  const seconds = (v: number): string => (Number.isFinite(v) ? `${(v / 1000).toFixed(1)} s` : 'never');
  const rss = (r: ScaleResult): string => `${mb(r.peakRssMb)} (${mb(r.endRssMb)}, JS heap ${mb(r.heapUsedMb)})`;
  const window = `${(floor.windowMs / 1000).toFixed(0)} s`;
  const cpuNote = group.includes('rounds') ? ', least of the rounds; other rows the worst' : '';
  if (typeof engine === 'string') {
    return [
      notMeasured(group, engine, engine.startsWith('error')),
      row({ group, measure: `CPU in ${window}`, engine: '-', limit: bare(cpu(floor)) }),
      row({ group, measure: 'peak RSS (at end, JS heap)', engine: '-', limit: bare(rss(floor)) }),
    ];
  }
  const note = engine.note ? [row({ group, measure: 'note', engine: engine.note })] : [];
  const target = (text: string): string => (targets ? text : '-');
  const judged = (met: boolean): Row['verdict'] => verdict(targets ? met : undefined);
  const goal: Target = targets ?? { cpuRatio: Number.NaN, rssRatio: Number.NaN, lagP99Ms: Number.NaN };
  const cpuRatio = engine.cpuMs / floor.cpuMs;
  const rssRatio = engine.peakRssMb / floor.peakRssMb;
  return [
    ...note,
    row({
      group,
      measure: `CPU in ${window}${cpuNote}`,
      engine: cpu(engine),
      limit: bare(cpu(floor)),
      ratio: times(cpuRatio),
      target: target(`<= ${goal.cpuRatio}x bare loop`),
      verdict: judged(cpuRatio <= goal.cpuRatio),
    }),
    row({
      group,
      measure: 'peak RSS (at end, JS heap)',
      engine: rss(engine),
      limit: bare(rss(floor)),
      ratio: times(rssRatio),
      target: target(`<= ${goal.rssRatio}x bare loop`),
      verdict: judged(rssRatio <= goal.rssRatio),
    }),
    row({
      group,
      measure: 'checks done / due',
      engine: checks(engine),
      limit: bare(checks(floor)),
      target: target('no check missed'),
      verdict: judged(engine.missed === 0 && !engine.failovers),
    }),
    row({
      group,
      measure: 'process start to every pair checked once',
      engine: seconds(engine.startupMs),
      limit: bare(seconds(floor.startupMs)),
      ratio: times(engine.startupMs / floor.startupMs),
    }),
    row({
      group,
      measure: 'lag p50 / p99',
      engine: lag(engine),
      limit: bare(lag(floor)),
      target: target(`p99 < ${goal.lagP99Ms} ms`),
      verdict: judged(engine.lagP99Ms < goal.lagP99Ms),
    }),
  ];
}

/** The SIP variant beside the engine's HTTP-only figures of the same size. */
function sipRows(group: string, http: ScaleResult | string, sip: ScaleResult | string): Row[] {
  if (typeof sip === 'string') return [notMeasured(group, sip, sip.startsWith('error'))];
  const cpu = (r: ScaleResult): string =>
    `${(r.cpuMs / 1000).toFixed(2)} s (${((100 * r.cpuMs) / r.windowMs).toFixed(0)}% of a core)`;
  const rss = (r: ScaleResult): string => `${mb(r.peakRssMb)} (${mb(r.endRssMb)}, JS heap ${mb(r.heapUsedMb)})`;
  const lag = (r: ScaleResult): string => `${ms(r.lagP50Ms)} / ${ms(r.lagP99Ms)} (max ${ms(r.lagMaxMs)})`;
  const checks = (r: ScaleResult): string =>
    `${count(r.checksDone)} / ${count(r.checksDue)}, ${count(r.missed)} missed${r.failed ? `, ${count(r.failed)} failed (${r.topError})` : ''}` +
    (r.verifying || r.failovers
      ? `; false alarms: ${count(r.verifying ?? 0)} to verifying, ${count(r.failovers ?? 0)} failed over`
      : '');
  const base = typeof http === 'string' ? undefined : http;
  const httpOnly = (text: string): string => (base ? `engine HTTP only ${text}` : '-');
  const window = `${(sip.windowMs / 1000).toFixed(0)} s`;
  return [
    ...(sip.note ? [row({ group, measure: 'note', engine: sip.note })] : []),
    row({
      group,
      measure: `CPU in ${window}`,
      engine: cpu(sip),
      limit: base ? httpOnly(cpu(base)) : '-',
      ...(base ? { ratio: times(sip.cpuMs / sip.windowMs / (base.cpuMs / base.windowMs)) } : {}),
    }),
    row({ group, measure: 'peak RSS (at end, JS heap)', engine: rss(sip), limit: base ? httpOnly(rss(base)) : '-' }),
    row({
      group,
      measure: 'checks (HTTP + SIP) done / due',
      engine: checks(sip),
      target: 'no check missed',
      verdict: verdict(sip.missed === 0 && !sip.failovers),
    }),
    row({ group, measure: 'lag p50 / p99', engine: lag(sip), limit: base ? httpOnly(lag(base)) : '-' }),
  ];
}
