// openMonitor: the engine on one serverdir, composed from its parts. The
// headless service and the Electron shell both start exactly this.

import { MonitorError } from '../shared/api.js';
import { createConfigStore } from './config-store.js';
import { Controller } from './controller.js';
import { createHistoryStore } from './history.js';
import { engineContext } from './engine-context.js';
import { createHttpClient } from './http-client.js';
import { acquireLock } from './lock.js';
import { silentLogger, systemClock, type Monitor, type MonitorOptions } from './ports.js';

/** Knobs for tests and benchmarks; the defaults are what the product runs with. */
export interface EngineTuning {
  /** Milliseconds to wait after failed action attempt n (default 0.5 s doubling, capped at 30 s). */
  actionBackoff?: (attempt: number) => number;
  /** How often pbxctrl-failover.xml is checked for hand edits, ms (default 3000; 0 = never). */
  configPollMs?: number;
  /** Window in which state writes are coalesced, ms (default 200). */
  saveCoalesceMs?: number;
  /** How long close() waits for an action attempt in flight, ms (default: the longest action timeout + 2 s). */
  closeGraceMs?: number;
  /** How often the serverdir lock's heartbeat is written, ms (default 5000). */
  lockHeartbeatMs?: number;
  /** How long a lock's content must stay unchanged before it is taken over, ms (default 30000). */
  lockStaleMs?: number;
  /** Milliseconds between the DNS verification rounds after an action (default 2000). */
  dnsRoundMs?: number;
  /** Milliseconds from a pair's start to its first readiness round (default 10 s). */
  readinessFirstDelayMs?: number;
}

/**
 * Takes the serverdir's lock, loads and validates pbxctrl-failover.xml, and starts every pair's
 * watcher: pairs persisted in failover or paused stay there, the others begin at starting, and an
 * action series interrupted by a crash resumes its remaining attempts.
 *
 * When another instance takes the lock over (this one was frozen past the stale limit), every watcher
 * and action run stops at once, nothing is written any more, `health()` reports the `lock` problem
 * and subscribers get a critical alert `lock-lost` (pair `*`); the owner of the process should close
 * the monitor (the headless service exits 1).
 *
 * Throws MonitorError('conflict') when another instance holds the serverdir (the message names the
 * holder) and MonitorError('invalid', …, problems) when the file is invalid; in both cases nothing
 * has been written and no lock is left behind.
 */
export async function openMonitor(opts: MonitorOptions & EngineTuning): Promise<Monitor> {
  const log = opts.log ?? silentLogger;
  const clock = opts.clock ?? systemClock;
  const lock = await acquireLock(opts.serverdir, {
    clock,
    log,
    ...(opts.lockHeartbeatMs !== undefined ? { heartbeatMs: opts.lockHeartbeatMs } : {}),
    ...(opts.lockStaleMs !== undefined ? { staleMs: opts.lockStaleMs } : {}),
  });
  let controller: Controller;
  let lockLost: string | undefined;
  try {
    const store = createConfigStore(opts.serverdir, {
      log,
      // A write whose new file was ready when the loss was learned is not renamed over the other instance's file.
      beforeReplace: async () => {
        if (lockLost !== undefined) throw new MonitorError('conflict', lockLost);
      },
    });
    const config = await store.load();
    const history = createHistoryStore(opts.serverdir, { retentionDays: opts.historyRetentionDays ?? 90, clock, log });
    const controllerOptions: ConstructorParameters<typeof Controller>[0] = {
      serverdir: opts.serverdir,
      version: opts.version,
      store,
      history,
      // The one context every part of the engine shares, passed down as it is.
      ctx: engineContext({ client: createHttpClient(), clock, log, timers: opts.timers, backoff: opts.actionBackoff }),
      defaultOperator: opts.defaultOperator ?? 'api',
      onClose: () => lock.release(),
    };
    if (opts.configPollMs !== undefined) controllerOptions.configPollMs = opts.configPollMs;
    if (opts.saveCoalesceMs !== undefined) controllerOptions.saveCoalesceMs = opts.saveCoalesceMs;
    if (opts.closeGraceMs !== undefined) controllerOptions.closeGraceMs = opts.closeGraceMs;
    if (opts.dnsRoundMs !== undefined) controllerOptions.dnsRoundMs = opts.dnsRoundMs;
    if (opts.readinessFirstDelayMs !== undefined) controllerOptions.readinessFirstDelayMs = opts.readinessFirstDelayMs;
    controller = new Controller(controllerOptions, config);
  } catch (error) {
    await lock.release().catch(() => undefined);
    throw error instanceof MonitorError
      ? error
      : new MonitorError('internal', `cannot open ${opts.serverdir}: ${(error as Error).message}`);
  }
  // Another instance owns the serverdir now: stop acting at once (an alert `lock-lost` tells the shell).
  lock.onLost((message) => {
    lockLost = message;
    controller.lockLost(message);
  });
  controller.start();
  log.info('monitor started', { serverdir: opts.serverdir, pairs: (await controller.listPairs()).length });
  return controller;
}
