// openMonitor: the engine on one serverdir, composed from its parts. The
// headless service and the Electron shell both start exactly this.

import { MonitorError } from '../shared/api.js';
import { createConfigStore } from './config-store.js';
import { Controller } from './controller.js';
import { createHistoryStore } from './history.js';
import { engineContext } from './engine-context.js';
import { createHttpClient } from './http-client.js';
import { createSipClient } from './sip-client.js';
import { acquireLock } from './lock.js';
import { clusterStore } from './cluster/cluster-store.js';
import type { ClusterOptions } from './cluster/options.js';
import type { EtcdCoordinator } from './cluster/etcd-coordinator.js';
import type { NotifyServiceDeps } from './notify/notify-service.js';
import { silentLogger, systemClock, type CertificateProbe, type Monitor, type MonitorOptions } from './ports.js';

type NotifyTuning = NonNullable<NotifyServiceDeps['tuning']>;

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
  /** Reads the certificates of `<certificates>` (default: TLS against the system store). */
  certificateProbe?: CertificateProbe;
  /** Retries and deadlines of the alert channels (default 6 attempts, 1 s doubling, 10 s deadline). */
  notifyTuning?: NotifyTuning;
  /** Milliseconds between the DNS verification rounds after an action (default 2000). */
  dnsRoundMs?: number;
  /** Milliseconds from a pair's start to its first readiness round (default 10 s). */
  readinessFirstDelayMs?: number;
  /**
   * Cluster mode (serve --cluster): several watchers on etcd, one leader that acts. The settings are
   * etcd's (taken from this serverdir's file when the prefix is empty) and the file is their export.
   */
  cluster?: ClusterOptions;
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
  let coordinator: EtcdCoordinator | undefined;
  try {
    const fileStore = createConfigStore(opts.serverdir, {
      log,
      // A write whose new file was ready when the loss was learned is not renamed over the other instance's file.
      beforeReplace: async () => {
        if (lockLost !== undefined) throw new MonitorError('conflict', lockLost);
      },
    });
    let config = await fileStore.load();
    let store = fileStore;
    if (opts.cluster) {
      // Loaded only in cluster mode: the etcd client (gRPC) stays out of the desktop app and single watchers.
      const { openCoordinator } = await import('./cluster/open.js');
      coordinator = await openCoordinator(opts.cluster, { clock, log });
      config = await coordinator.sharedConfig(config);
      store = clusterStore(fileStore, coordinator);
    }
    const history = createHistoryStore(opts.serverdir, { retentionDays: opts.historyRetentionDays ?? 90, clock, log });
    const controllerOptions: ConstructorParameters<typeof Controller>[0] = {
      serverdir: opts.serverdir,
      version: opts.version,
      store,
      history,
      // The one context every part of the engine shares, passed down as it is.
      ctx: engineContext({
        client: createHttpClient(),
        sip: createSipClient({ ...(opts.timers ? { timers: opts.timers } : {}), log }),
        clock,
        log,
        timers: opts.timers,
        backoff: opts.actionBackoff,
        coordinator,
      }),
      defaultOperator: opts.defaultOperator ?? 'api',
      onClose: async () => {
        await coordinator?.close();
        await lock.release();
      },
    };
    if (opts.configPollMs !== undefined) controllerOptions.configPollMs = opts.configPollMs;
    if (opts.saveCoalesceMs !== undefined) controllerOptions.saveCoalesceMs = opts.saveCoalesceMs;
    if (opts.closeGraceMs !== undefined) controllerOptions.closeGraceMs = opts.closeGraceMs;
    if (opts.certificateProbe !== undefined) controllerOptions.certificateProbe = opts.certificateProbe;
    if (opts.notifyTuning) controllerOptions.notifyTuning = opts.notifyTuning;
    if (opts.requestLapseMs !== undefined) controllerOptions.requestLapseMs = opts.requestLapseMs;
    if (opts.dnsRoundMs !== undefined) controllerOptions.dnsRoundMs = opts.dnsRoundMs;
    if (opts.readinessFirstDelayMs !== undefined) controllerOptions.readinessFirstDelayMs = opts.readinessFirstDelayMs;
    // In a cluster the file is an export of etcd's settings: hand edits are not read back.
    if (coordinator) controllerOptions.configPollMs = 0;
    controller = new Controller(controllerOptions, config);
  } catch (error) {
    await coordinator?.close().catch(() => undefined);
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
  await controller.prepare();
  controller.start();
  coordinator?.start(controller.clusterHooks());
  log.info('monitor started', { serverdir: opts.serverdir, pairs: (await controller.listPairs()).length });
  return controller;
}
