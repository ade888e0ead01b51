// The engine side of the engine-scale row: the real monitor on a fresh
// serverdir holding every pair, measured with the same yardstick as the bare
// loop (bench/bare-loop.ts), from the engine's own check events.

import { createConfigStore } from '../src/core/config-store.js';
import { DEFAULT_MAX_BYTES } from '../src/core/config-xml.js';
import { Controller } from '../src/core/controller.js';
import { createHistoryStore } from '../src/core/history.js';
import { engineContext } from '../src/core/engine-context.js';
import { createHttpClient } from '../src/core/http-client.js';
import { acquireLock } from '../src/core/lock.js';
import { openMonitor } from '../src/core/monitor.js';
import { silentLogger, type Monitor } from '../src/core/ports.js';
import { serveCommands } from './child.js';
import { pairsXml, writePairsFile, type PairsFile } from './pairs-xml.js';
import { CheckLog, measureWindow, type ScaleJob, type ScaleResult } from './schedule-stats.js';

let monitor: Monitor | undefined;

/**
 * openMonitor() as it composes the engine, but with a configuration file limit that fits the
 * pairs: past about 2,000 pairs pbxctrl-failover.xml outgrows the engine's 1 MiB limit, and
 * adding pairs one by one through the API rewrites the whole file for each (minutes for
 * thousands), so the running engine could not be measured at all otherwise.
 */
async function openWithFileLimit(serverdir: string, maxBytes: number): Promise<Monitor> {
  const lock = await acquireLock(serverdir, { log: silentLogger });
  const store = createConfigStore(serverdir, { maxBytes });
  const controller = new Controller(
    {
      serverdir,
      version: 'bench',
      store,
      history: createHistoryStore(serverdir, { retentionDays: 90 }),
      ctx: engineContext({ client: createHttpClient() }),
      defaultOperator: 'api',
      onClose: () => lock.release(),
    },
    await store.load(),
  );
  controller.start();
  return controller;
}

/** The parent made `serverdir` and removes it, also when this process has to be killed. */
async function run(job: ScaleJob & { serverdir: string }): Promise<ScaleResult> {
  const file: PairsFile = {
    pairs: job.pairs,
    intervalS: job.intervalMs / 1000,
    toleratedFailures: job.toleratedFailures,
    validationUrl: job.validationUrl,
    actionUrlBase: job.actionUrl,
  };
  const xml = pairsXml(file);
  const bytes = Buffer.byteLength(xml);
  await writePairsFile(job.serverdir, file, xml);
  const log = new CheckLog(job.pairs.length, job.intervalMs);
  const fits = bytes <= DEFAULT_MAX_BYTES;
  monitor = fits
    ? await openMonitor({
        serverdir: job.serverdir,
        version: 'bench',
        log: silentLogger,
        ...(job.cluster ? { cluster: job.cluster } : {}),
      })
    : await openWithFileLimit(job.serverdir, 2 * bytes);
  let inWindow = false;
  const verifying = new Set<string>();
  const failovers = new Set<string>();
  monitor.subscribe((event) => {
    // Emitted when the check completes; its start is that moment minus its latency.
    if (event.type === 'check' && event.result.target === 'primary') {
      log.record(event.pair, performance.now() - event.result.latencyMs, event.result.ok, event.result.error);
    }
    // Every primary answers: any of these is a false alarm caused by load.
    if (event.type === 'state' && inWindow && event.to === 'verifying') verifying.add(event.pair);
    if (event.type === 'state' && inWindow && event.to === 'failover') failovers.add(event.pair);
  });
  const result = {
    ...(await measureWindow(log, job, () => (inWindow = true))),
    verifying: verifying.size,
    failovers: failovers.size,
  };
  const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;
  return fits
    ? result
    : {
        ...result,
        note: `openMonitor() refuses this pbxctrl-failover.xml (${mib(bytes)}, limit ${mib(DEFAULT_MAX_BYTES)}); measured with the engine composed as openMonitor() does, file limit raised`,
      };
}

async function shutDown(): Promise<void> {
  await monitor?.close();
}

serveCommands({ run }, shutDown);
