// Row 2: from the moment a primary stops to the moment its action request
// arrives, against the bound interval x (tolerated + 1) + timeout + validation
// time. Stop and arrival are both timed by the loopback servers' process, so
// one clock measures the whole span; the validation time is the engine's own
// measured validation check for that pair.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMonitor } from '../src/core/monitor.js';
import { silentLogger } from '../src/core/ports.js';
import type { EngineEvent } from '../src/shared/model.js';
import { LoopbackServers } from './loopback.js';
import { pairSettings } from './pairs-xml.js';
import { percentile, sleep } from './schedule-stats.js';
import { ms, row, times, verdict, type Row } from './table.js';

export interface DetectionOptions {
  trials: number;
  intervalS: number;
  toleratedFailures: number;
  /** Stops are staggered by this much, plus a random moment of the interval. */
  spacingMs: number;
}

const SLACK_MS = 50;

interface Trial {
  pair: string;
  detectionMs: number;
  boundMs: number;
}

async function waitFor(condition: () => boolean | Promise<boolean>, deadlineMs: number, what: string): Promise<void> {
  const deadline = performance.now() + deadlineMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export async function detectionRows(opts: DetectionOptions): Promise<Row[]> {
  const servers = await LoopbackServers.start();
  const serverdir = await mkdtemp(join(tmpdir(), 'pbx-bench-detection-'));
  const monitor = await openMonitor({ serverdir, version: 'bench', log: silentLogger });
  try {
    const [validationPort] = await servers.listen(1);
    const receiverPort = await servers.receiver();
    const waiting = new Set<string>();
    const validationMs = new Map<string, number>();
    monitor.subscribe((event: EngineEvent) => {
      if (event.type === 'state' && event.to === 'waiting') waiting.add(event.pair);
      if (event.type === 'check' && event.result.target === 'validation') {
        validationMs.set(event.pair, Math.max(validationMs.get(event.pair) ?? 0, event.result.latencyMs));
      }
    });
    const file = {
      intervalS: opts.intervalS,
      toleratedFailures: opts.toleratedFailures,
      validationUrl: `http://127.0.0.1:${validationPort}/`,
      actionUrlBase: `http://127.0.0.1:${receiverPort}/action/`,
    };
    const ids = Array.from({ length: opts.trials }, (_, i) => `trial-${i}`);
    for (const id of ids) {
      const port = await servers.primary(id);
      await monitor.addPair(pairSettings({ id, primaryUrl: `http://127.0.0.1:${port}/` }, file));
    }
    await waitFor(() => waiting.size === ids.length, 30_000, 'every pair to reach waiting');

    const intervalMs = opts.intervalS * 1000;
    const stops = await Promise.all(
      ids.map((id, i) => servers.stop(id, i * opts.spacingMs + Math.random() * intervalMs)),
    );
    const timeoutMs = Math.min(intervalMs, 5_000);
    const baseBoundMs = intervalMs * (opts.toleratedFailures + 1) + timeoutMs;
    const arrivedFor = async (): Promise<Map<string, number>> =>
      new Map((await servers.arrivals()).map((a) => [a.path.replace('/action/', ''), a.at]));
    await waitFor(async () => (await arrivedFor()).size >= ids.length, baseBoundMs + 15_000, 'every action request');
    const arrived = await arrivedFor();
    const trials: Trial[] = ids.map((id, i) => ({
      pair: id,
      detectionMs: arrived.get(id)! - stops[i]!,
      boundMs: baseBoundMs + (validationMs.get(id) ?? Number.NaN),
    }));
    return [trialsRow(trials, opts, timeoutMs)];
  } finally {
    await monitor.close();
    await servers.close();
    await rm(serverdir, { recursive: true, force: true });
  }
}

function trialsRow(trials: Trial[], opts: DetectionOptions, timeoutMs: number): Row {
  const detections = Float64Array.from(trials.map((t) => t.detectionMs)).sort();
  const worst = trials.reduce((a, b) => (b.detectionMs / b.boundMs > a.detectionMs / a.boundMs ? b : a));
  const within = trials.filter((t) => t.detectionMs <= t.boundMs + SLACK_MS).length;
  const maxValidation =
    Math.max(...trials.map((t) => t.boundMs)) - (opts.intervalS * 1000 * (opts.toleratedFailures + 1) + timeoutMs);
  return row({
    group: `2. Detection, ${trials.length} trials`,
    measure: `stop -> action request, ${opts.intervalS} s interval, ${opts.toleratedFailures} tolerated`,
    engine: `p50 ${ms(percentile(detections, 50))}, max ${ms(detections[detections.length - 1]!)}; ${within}/${trials.length} within bound + ${SLACK_MS} ms`,
    limit: `bound ${ms(worst.boundMs)} = ${opts.intervalS} s x ${opts.toleratedFailures + 1} + ${timeoutMs / 1000} s timeout + validation (max ${ms(maxValidation)})`,
    ratio: times(worst.detectionMs / worst.boundMs),
    target: `every trial <= bound + ${SLACK_MS} ms`,
    verdict: verdict(within === trials.length),
  });
}
