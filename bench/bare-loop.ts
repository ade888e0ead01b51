// The floor for the engine-scale row: the least a program can do to poll the
// same primaries on the same schedule. One keep-alive undici dispatcher, one
// timer per pair on a fixed grid, first checks spread over the interval, each
// answer's body drained and its status checked. No state machine, no events,
// no history: whatever the engine costs above this is the engine's own cost.

import { Agent } from 'undici';
import { serveCommands } from './child.js';
import { CheckLog, measureWindow, type ScaleJob, type ScaleResult } from './schedule-stats.js';

const dispatcher = new Agent({ keepAliveTimeout: 30_000 });

async function checkOnce(target: URL, timeoutMs: number): Promise<string | undefined> {
  try {
    const res = await dispatcher.request({
      origin: target.origin,
      path: target.pathname,
      method: 'GET',
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    await res.body.dump();
    return res.statusCode === 200 ? undefined : `status ${res.statusCode}`;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function pollPair(pair: string, url: string, firstAt: number, job: ScaleJob, log: CheckLog): void {
  const timeoutMs = Math.min(job.intervalMs, 5_000);
  const target = new URL(url);
  let slot = 0;
  const tick = async (): Promise<void> => {
    const start = performance.now();
    const error = await checkOnce(target, timeoutMs);
    log.record(pair, start, error === undefined, error);
    // Next slot on the grid; skip slots already past so checks never overlap.
    do slot++;
    while (firstAt + slot * job.intervalMs < performance.now());
    setTimeout(tick, firstAt + slot * job.intervalMs - performance.now());
  };
  setTimeout(tick, firstAt - performance.now());
}

async function run(job: ScaleJob): Promise<ScaleResult> {
  const log = new CheckLog(job.pairs.length, job.intervalMs);
  const t0 = performance.now();
  job.pairs.forEach((pair, i) => {
    pollPair(pair.id, pair.primaryUrl, t0 + (i / job.pairs.length) * job.intervalMs, job, log);
  });
  return measureWindow(log, job);
}

serveCommands({ run }, () => dispatcher.close());
