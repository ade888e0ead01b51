// GET /metrics for Prometheus: behind the API token, or behind a scrape token of its own
// (--metrics-token-file) so that the scraper's credential can do nothing else.

import type { FastifyInstance } from 'fastify';
import { API_PATHS, MonitorError } from '../shared/api.js';
import { bearerToken, tokensMatch } from './auth.js';
import type { Metrics } from './metrics.js';

export interface MetricsRouteDeps {
  metrics: Metrics;
  /** Tokens that may scrape: the API token and, if given, the scrape token. */
  tokens: readonly string[];
}

export async function metricsRoutes(scope: FastifyInstance, deps: MetricsRouteDeps): Promise<void> {
  scope.addHook('onRequest', async (request, reply) => {
    const given = bearerToken(request.headers.authorization);
    // Every token is compared, so the time taken does not say which one nearly matched.
    let ok = false;
    if (given !== undefined) for (const token of deps.tokens) ok = tokensMatch(token, given) || ok;
    if (ok) return;
    reply.header('www-authenticate', 'Bearer');
    reply.header('connection', 'close');
    throw new MonitorError(
      'unauthorized',
      given === undefined ? 'missing Authorization: Bearer <token> header' : 'wrong API or scrape token',
    );
  });
  scope.get(API_PATHS.metrics, async (_request, reply) => {
    const text = await deps.metrics.render();
    return reply.header('cache-control', 'no-store').type(deps.metrics.contentType).send(text);
  });
}
