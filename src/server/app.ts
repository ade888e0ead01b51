// The fastify application around one running engine: security headers, error shapes, the API
// behind the token, live events and the dashboard. Listening and the engine's lifetime belong to
// service.ts, so tests and benchmarks can build this on any MonitorApi.

import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from '../core/ports.js';
import type { MonitorApi } from '../shared/api.js';
import { installErrorHandlers } from './errors.js';
import { SECURITY_HEADERS } from './headers.js';
import { JSON_BODY_LIMIT, apiRoutes, registerHealthRoute } from './routes.js';
import { EventHub, type EventSource, type EventStreamOptions } from './sse.js';
import { registerDashboard } from './static.js';

export interface TlsFiles {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface AppOptions {
  monitor: MonitorApi & EventSource;
  token: string;
  log: Logger;
  rendererDir: string;
  tls?: TlsFiles;
  events?: EventStreamOptions;
}

export interface ServiceApp {
  app: FastifyInstance;
  hub: EventHub;
}

export async function createApp(opts: AppOptions): Promise<ServiceApp> {
  const common = {
    // No access log: request lines carry nothing useful that is not also a risk.
    logger: false,
    bodyLimit: JSON_BODY_LIMIT,
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } },
  } as const;
  const app = (opts.tls ? Fastify({ ...common, https: opts.tls }) : Fastify(common)) as unknown as FastifyInstance;

  app.addHook('onRequest', async (_request, reply) => {
    void reply.headers(SECURITY_HEADERS);
  });
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
  await registerDashboard(app, opts.rendererDir);
  return { app, hub };
}
