// The headless service: one engine on one serverdir, the HTTP API and the dashboard on one port.
// Used by the command line, the end-to-end tests and the benchmarks alike.

import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { openMonitor } from '../core/monitor.js';
import type { Logger, Monitor } from '../core/ports.js';
import { DEFAULT_HOST, DEFAULT_PORT, displayHost } from './address.js';
import { createApp, type TlsFiles } from './app.js';
import { defaultTokenFile, loadOrCreateToken } from './auth.js';
import { consoleLogger } from './console-logger.js';
import { packageVersion, rendererDir as builtRendererDir } from './package-info.js';
import type { EventStreamOptions } from './sse.js';

export interface ServiceOptions {
  serverdir: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8480; 0 picks a free port (tests). */
  port?: number;
  /** Default `<serverdir>/api-token`, created with mode 0600 when missing. */
  tokenFile?: string;
  /** Serve HTTPS with this certificate and key (PEM contents). */
  tls?: TlsFiles;
  /** Days of history kept, default 90. */
  retentionDays?: number;
  /** Default out/renderer of this package. */
  rendererDir?: string;
  log?: Logger;
  events?: EventStreamOptions;
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
  const log = opts.log ?? consoleLogger();
  const host = opts.host ?? DEFAULT_HOST;
  const port = opts.port ?? DEFAULT_PORT;
  const monitor = await openMonitor({
    serverdir: opts.serverdir,
    version: packageVersion,
    log,
    historyRetentionDays: opts.retentionDays ?? 90,
    defaultOperator: 'api',
  });
  let app: FastifyInstance | undefined;
  try {
    const tokenFile = opts.tokenFile ?? defaultTokenFile(monitor.serverdir);
    const loaded = await loadOrCreateToken(tokenFile);
    const built = await createApp({
      monitor,
      token: loaded.token,
      log,
      rendererDir: opts.rendererDir ?? builtRendererDir,
      ...(opts.tls ? { tls: opts.tls } : {}),
      ...(opts.events ? { events: opts.events } : {}),
    });
    app = built.app;
    await listen(app, host, port);
    const bound = (app.server.address() as AddressInfo).port;
    const url = `${opts.tls ? 'https' : 'http'}://${displayHost(host)}:${bound}`;
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
      close: () => (closing ??= shutDown(running, monitor)),
    };
  } catch (err) {
    await app?.close().catch(() => undefined);
    await monitor.close();
    throw err;
  }
}

async function listen(app: FastifyInstance, host: string, port: number): Promise<void> {
  try {
    await app.listen({ host, port, listenTextResolver: () => '' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new Error(`port ${port} on ${host} is already in use; choose another with --port`);
    if (code === 'EADDRNOTAVAIL') throw new Error(`cannot listen on ${host}: no such address on this machine`);
    if (code === 'EACCES') throw new Error(`not allowed to listen on ${host} port ${port}`);
    throw err;
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
