// The headless service: one engine on one serverdir, the HTTP API and the dashboard on one port.
// Used by the command line, the end-to-end tests and the benchmarks alike.

import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { openMonitor } from '../core/monitor.js';
import type { Logger, Monitor } from '../core/ports.js';
import { DEFAULT_HOST, DEFAULT_PORT, displayHost } from './address.js';
import { createApp, type ConnectionLimits, type TlsFiles } from './app.js';
import { assertTokenDirectory, defaultTokenFile, loadOrCreateToken } from './auth.js';
import { logEvents } from './event-log.js';
import { TokenStore } from './tokens.js';
import { HostAllowList } from './host-check.js';
import { createLogger, type ServiceLogger } from './log.js';
import { listenError, reservePort } from './port-reservation.js';
import { packageVersion, rendererDir as builtRendererDir } from './package-info.js';
import type { EventStreamOptions } from './sse.js';
import type { ClusterOptions } from '../core/cluster/options.js';

export interface ServiceOptions {
  serverdir: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8480; 0 picks a free port (tests). */
  port?: number;
  /** Default `<serverdir>/api-token`, created with mode 0600 when missing. */
  tokenFile?: string;
  /** A token that may only scrape GET /metrics (created with mode 0600 when missing). */
  metricsTokenFile?: string;
  /** Serve HTTPS with this certificate and key (PEM contents). */
  tls?: TlsFiles;
  /** Days of history kept, default 90. */
  retentionDays?: number;
  /** Default out/renderer of this package. */
  rendererDir?: string;
  /** Default: logfmt lines on stdout at level info. */
  log?: Logger;
  events?: EventStreamOptions;
  /** Host header names answered besides loopback names, IP literals and `host` (--allowed-host). */
  allowedHosts?: string[];
  limits?: ConnectionLimits;
  /** How long a two-person request waits for its second operator (default 10 minutes; tests shorten it). */
  requestLapseMs?: number;
  /** Cluster mode (--cluster): several watchers on etcd, one leader (core/cluster/). */
  cluster?: ClusterOptions;
}

export interface RunningService {
  /** Base address without a trailing slash, e.g. `http://127.0.0.1:8480`. */
  url: string;
  /** The address to click: the dashboard with the token in the fragment (never sent to a server). */
  dashboardUrl: string;
  port: number;
  token: string;
  tokenFile: string;
  /** The token file was created by this start. */
  tokenCreated: boolean;
  /** Mode of the token file when group or others may read it. */
  tokenFileLooseMode?: number;
  monitor: Monitor;
  /**
   * Settles with the message when another instance took the serverdir lock over (alert `lock-lost`):
   * this service no longer checks or fires anything and should be closed and exit non-zero.
   */
  lockLost: Promise<string>;
  /** Stop serving, stop checks, finish writes, release the lock. Idempotent. */
  close(): Promise<void>;
}

export async function startService(opts: ServiceOptions): Promise<RunningService> {
  const log = opts.log ?? createLogger();
  const host = opts.host ?? DEFAULT_HOST;
  const port = opts.port ?? DEFAULT_PORT;
  // What can be refused without the engine is refused before it starts: no lock taken, no
  // "monitor started" line for a service that never serves.
  if (opts.tokenFile !== undefined) await assertTokenDirectory(opts.tokenFile);
  if (opts.metricsTokenFile !== undefined) await assertTokenDirectory(opts.metricsTokenFile);
  const reserved = await reservePort(host, port);
  let monitor: Monitor;
  try {
    monitor = await openMonitor({
      serverdir: opts.serverdir,
      version: packageVersion,
      log,
      historyRetentionDays: opts.retentionDays ?? 90,
      defaultOperator: 'api',
      ...(opts.requestLapseMs !== undefined ? { requestLapseMs: opts.requestLapseMs } : {}),
      ...(opts.cluster ? { cluster: opts.cluster } : {}),
    });
  } catch (err) {
    await reserved.release();
    throw err;
  }
  const stopLogging = logEvents(monitor, withDebug(log));
  let app: FastifyInstance | undefined;
  try {
    const tokenFile = opts.tokenFile ?? defaultTokenFile(monitor.serverdir);
    const loaded = await loadOrCreateToken(tokenFile);
    const scrape = opts.metricsTokenFile !== undefined ? await loadOrCreateToken(opts.metricsTokenFile) : undefined;
    const built = await createApp({
      monitor,
      token: loaded.token,
      ...(scrape ? { metricsToken: scrape.token } : {}),
      tokens: new TokenStore(monitor.serverdir),
      log,
      rendererDir: opts.rendererDir ?? builtRendererDir,
      hosts: new HostAllowList(host, opts.allowedHosts ?? []),
      ...(opts.tls ? { tls: opts.tls } : {}),
      ...(opts.events ? { events: opts.events } : {}),
      ...(opts.limits ? { limits: opts.limits } : {}),
    });
    app = built.app;
    await reserved.release();
    await listen(app, host, port);
    const bound = (app.server.address() as AddressInfo).port;
    const url = `${opts.tls ? 'https' : 'http'}://${displayHost(host)}:${bound}`;
    // Cluster mode without --advertise-url: the other nodes forward writes to this address.
    (monitor as { advertise?(url: string): void }).advertise?.(url);
    const running = app;
    let closing: Promise<void> | undefined;
    const lockLost = new Promise<string>((resolveLost) => {
      monitor.subscribe((event) => {
        if (event.type === 'alert' && event.alert === 'lock-lost') resolveLost(event.message);
      });
    });
    return {
      url,
      dashboardUrl: `${url}/#token=${loaded.token}`,
      port: bound,
      token: loaded.token,
      tokenFile,
      tokenCreated: loaded.created,
      ...(loaded.looseMode !== undefined ? { tokenFileLooseMode: loaded.looseMode } : {}),
      monitor,
      lockLost,
      close: () => (closing ??= shutDown(running, monitor).finally(stopLogging)),
    };
  } catch (err) {
    await reserved.release();
    await app?.close().catch(() => undefined);
    await monitor.close();
    stopLogging();
    throw err;
  }
}

function withDebug(log: Logger): ServiceLogger {
  return 'debug' in log && typeof log.debug === 'function'
    ? (log as ServiceLogger)
    : Object.assign(Object.create(log) as Logger, { debug() {} });
}

async function listen(app: FastifyInstance, host: string, port: number): Promise<void> {
  try {
    await app.listen({ host, port, listenTextResolver: () => '' });
  } catch (err) {
    throw listenError(err, host, port);
  }
}

// Requests in flight finish first (a save they started completes), then the engine stops its
// checks, flushes history and releases the lock.
async function shutDown(app: FastifyInstance, monitor: Monitor): Promise<void> {
  try {
    await app.close();
  } finally {
    await monitor.close();
  }
}
