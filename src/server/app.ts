// The fastify application around one running engine: security headers, error shapes, the API
// behind the token, live events and the dashboard. Listening and the engine's lifetime belong to
// service.ts, so tests and benchmarks can build this on any MonitorApi.

import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from '../core/ports.js';
import type { MonitorApi } from '../shared/api.js';
import { frameworkErrorHandler, installErrorHandlers } from './errors.js';
import { HostAllowList } from './host-check.js';
import { SECURITY_HEADERS } from './headers.js';
import { createMetrics } from './metrics.js';
import { metricsRoutes } from './routes-metrics.js';
import { JSON_BODY_LIMIT, apiRoutes, registerHealthRoute } from './routes.js';
import { EventHub, type EventSource, type EventStreamOptions } from './sse.js';
import { registerDashboard } from './static.js';

export interface TlsFiles {
  cert: string | Buffer;
  key: string | Buffer;
}

/** Limits on slow or idle clients; the defaults suit the product, tests shorten them. */
export interface ConnectionLimits {
  /** Whole request (headers and body) must arrive within this (default 60 s: a 16 MiB import on a slow link). */
  requestTimeoutMs?: number;
  /** Headers must arrive within this (default 10 s). */
  headersTimeoutMs?: number;
  /** A socket with no traffic either way is closed (default 60 s; event streams ping every 15 s). */
  connectionTimeoutMs?: number;
  /** How often Node looks for requests past their timeout (default 1 s). */
  checkEveryMs?: number;
}

const DEFAULT_LIMITS: Required<ConnectionLimits> = {
  requestTimeoutMs: 60_000,
  headersTimeoutMs: 10_000,
  connectionTimeoutMs: 60_000,
  checkEveryMs: 1000,
};

export interface AppOptions {
  monitor: MonitorApi & EventSource;
  token: string;
  log: Logger;
  rendererDir: string;
  tls?: TlsFiles;
  events?: EventStreamOptions;
  /** Host header names answered besides loopback names and IP literals (see host-check.ts). */
  hosts?: HostAllowList;
  limits?: ConnectionLimits;
  /** A second token that may read GET /metrics and nothing else (--metrics-token-file). */
  metricsToken?: string;
}

export interface ServiceApp {
  app: FastifyInstance;
  hub: EventHub;
}

export async function createApp(opts: AppOptions): Promise<ServiceApp> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  // Node's own server options: without them a client trickling a body holds its socket for 5 minutes.
  const nodeServer = {
    headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: limits.checkEveryMs,
  };
  const common = {
    // No access log: request lines carry nothing useful that is not also a risk.
    logger: false,
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.connectionTimeoutMs,
    frameworkErrors: frameworkErrorHandler,
    bodyLimit: JSON_BODY_LIMIT,
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } },
  } as const;
  const app = (opts.tls
    ? Fastify({ ...common, https: { ...nodeServer, ...opts.tls } })
    : Fastify({ ...common, http: nodeServer })) as unknown as FastifyInstance;

  app.addHook('onRequest', async (_request, reply) => {
    void reply.headers(SECURITY_HEADERS);
  });
  app.addHook('onRequest', (opts.hosts ?? new HostAllowList('127.0.0.1')).hook());
  // Keep-alive connections that were busy when close() began would otherwise stay open after
  // their answer and hold the shutdown (and a SIGTERM) forever.
  let closing = false;
  app.addHook('onSend', async (_request, reply) => {
    if (closing) void reply.header('connection', 'close');
  });
  app.addHook('preClose', async () => {
    closing = true;
  });
  installErrorHandlers(app, opts.log);

  const hub = new EventHub(opts.monitor, opts.events);
  app.addHook('onClose', async () => hub.close());
  // Live event streams never end on their own; close them before the server waits for requests.
  app.addHook('preClose', async () => hub.close());

  registerHealthRoute(app, opts.monitor);
  await app.register(apiRoutes, { monitor: opts.monitor, hub, token: opts.token });
  const metrics = createMetrics(opts.monitor);
  app.addHook('onClose', async () => metrics.close());
  const scrapeTokens = opts.metricsToken !== undefined ? [opts.token, opts.metricsToken] : [opts.token];
  await app.register(metricsRoutes, { metrics, tokens: scrapeTokens });
  await registerDashboard(app, opts.rendererDir);
  return { app, hub };
}
