// The engine side of the engine-scale row: the real monitor on a fresh
// serverdir holding every pair, measured with the same yardstick as the bare
// loop (bench/bare-loop.ts), from the engine's own check events.

import { openMonitor } from '../src/core/monitor.js';
import { silentLogger, type Monitor } from '../src/core/ports.js';
import { serveCommands } from './child.js';
import { writePairsFile } from './pairs-xml.js';
import { CheckLog, measureWindow, type ScaleJob, type ScaleResult } from './schedule-stats.js';

let monitor: Monitor | undefined;

/** The parent made `serverdir` and removes it, also when this process has to be killed. */
async function run(job: ScaleJob & { serverdir: string }): Promise<ScaleResult> {
  const { serverdir } = job;
  await writePairsFile(serverdir, {
    pairs: job.pairs,
    intervalS: job.intervalMs / 1000,
    toleratedFailures: job.toleratedFailures,
    validationUrl: job.validationUrl,
    actionUrlBase: job.actionUrl,
  });
  const log = new CheckLog(job.pairs.length, job.intervalMs);
  monitor = await openMonitor({ serverdir, version: 'bench', log: silentLogger });
  monitor.subscribe((event) => {
    // Emitted when the check completes; its start is that moment minus its latency.
    if (event.type === 'check' && event.result.target === 'primary') {
      log.record(event.pair, performance.now() - event.result.latencyMs, event.result.ok);
    }
  });
  return measureWindow(log, job);
}

async function shutDown(): Promise<void> {
  await monitor?.close();
}

serveCommands({ run }, shutDown);
