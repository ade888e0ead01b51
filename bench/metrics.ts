// Row 5: one Prometheus scrape of GET /metrics with thousands of pairs, each with checks of its
// primary, standby and validation sites counted and timed. The exporter (prom-client behind
// src/server/metrics.ts) is timed in process, after a warm-up scrape, with a round of checks of every
// pair between two scrapes; the floor is writing the same number of sample lines by hand from the
// same statuses (no registry, no label maps).

import { createMetrics } from '../src/server/metrics.js';
import type { MonitorApi } from '../src/shared/api.js';
import { PAIR_STATES, type CheckResult, type EngineEvent, type PairStatus } from '../src/shared/model.js';
import { ms, row, times, verdict, type Row } from './table.js';

export interface MetricsOptions {
  pairs: number;
  scrapes: number;
}

const TARGET_MS = 100;

function status(i: number): PairStatus {
  return {
    id: `pair-${i}`,
    name: `Pair ${i}`,
    state: i % 50 === 0 ? 'failover' : 'waiting',
    since: new Date().toISOString(),
    consecutiveFailures: i % 7,
    toleratedFailures: 3,
    interval: 1,
    primaryAnswering: false,
    standbyDown: false,
    isolated: false,
    ready: i % 9 !== 0,
    certificateDaysLeft: 30 + (i % 60),
  };
}

function check(pair: string, target: CheckResult['target'], latencyMs: number, ok: boolean): EngineEvent {
  const at = new Date().toISOString();
  return { type: 'check', pair, at, consecutiveFailures: 0, result: { target, url: 'x', ok, latencyMs, at } };
}

/** The same series written as plain text: the least any exporter must do. */
function handWritten(list: PairStatus[]): string {
  const out: string[] = [];
  for (const p of list) {
    for (const s of PAIR_STATES) out.push(`pbx_pair_state{pair="${p.id}",state="${s}"} ${p.state === s ? 1 : 0}`);
    out.push(`pbx_pair_consecutive_failures{pair="${p.id}"} ${p.consecutiveFailures}`);
    out.push(`pbx_pair_tolerated_failures{pair="${p.id}"} ${p.toleratedFailures}`);
    out.push(`pbx_pair_ready{pair="${p.id}"} ${p.ready ? 1 : 0}`);
    for (const target of p.state === 'failover' ? ['primary', 'standby', 'validation'] : ['primary', 'standby']) {
      for (const le of [0.01, 0.05, 0.25, 1, 5, '+Inf']) {
        out.push(`pbx_check_duration_seconds_bucket{le="${le}",pair="${p.id}",target="${target}"} 40`);
      }
      out.push(`pbx_check_duration_seconds_sum{pair="${p.id}",target="${target}"} 0.4`);
      out.push(`pbx_check_duration_seconds_count{pair="${p.id}",target="${target}"} 40`);
      out.push(`pbx_checks_total{pair="${p.id}",target="${target}",result="ok"} 39`);
      out.push(`pbx_checks_total{pair="${p.id}",target="${target}",result="failed"} 1`);
    }
  }
  return out.join('\n');
}

export async function metricsRows(opts: MetricsOptions): Promise<Row[]> {
  const statuses = Array.from({ length: opts.pairs }, (_, i) => status(i));
  let listener: ((e: EngineEvent) => void) | undefined;
  const monitor = {
    listPairs: async () => statuses,
    subscribe(l: (e: EngineEvent) => void) {
      listener = l;
      return () => (listener = undefined);
    },
  } as unknown as MonitorApi & { subscribe(l: (e: EngineEvent) => void): () => void };
  const metrics = createMetrics(monitor, { processMetrics: false });
  const checkRound = (k: number): void => {
    for (const p of statuses) {
      // Validation sites are only checked while a pair verifies: here the pairs in failover.
      const targets =
        p.state === 'failover' ? (['primary', 'standby', 'validation'] as const) : (['primary', 'standby'] as const);
      for (const target of targets) listener!(check(p.id, target, 2 + (k % 30), k !== 0));
    }
  };
  for (let k = 0; k < 40; k++) checkRound(k);
  await metrics.render();
  const took: number[] = [];
  let bytes = 0;
  for (let i = 0; i < opts.scrapes; i++) {
    // Between two scrapes every pair is checked (a 15 s scrape interval, 1 s checks) and a few pairs
    // change their failure count, so nothing an exporter keeps from the last scrape is simply still true.
    checkRound(i + 1);
    for (let j = i % 50; j < statuses.length; j += 50) statuses[j]!.consecutiveFailures = (i + j) % 4;
    const t0 = performance.now();
    bytes = (await metrics.render()).length;
    took.push(performance.now() - t0);
  }
  took.sort((a, b) => a - b);
  const median = took[Math.floor(took.length / 2)]!;
  const worst = took[took.length - 1]!;
  const floors: number[] = [];
  for (let i = 0; i < opts.scrapes; i++) {
    const t0 = performance.now();
    handWritten(statuses);
    floors.push(performance.now() - t0);
  }
  floors.sort((a, b) => a - b);
  const floor = floors[Math.floor(floors.length / 2)]!;
  metrics.close();
  return [
    row({
      group: '5. Metrics',
      measure: `one scrape of GET /metrics, ${opts.pairs.toLocaleString('en-US')} pairs (median of ${opts.scrapes})`,
      engine: `${ms(median)} (worst ${ms(worst)}; ${(bytes / 1e6).toFixed(1)} MB of text)`,
      limit: `the same lines written by hand: ${ms(floor)} (median)`,
      ratio: times(median / floor),
      target: `< ${TARGET_MS} ms`,
      verdict: verdict(median < TARGET_MS),
    }),
  ];
}
