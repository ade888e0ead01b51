// The /api/ paths (a contract with tools outside the project, see API_PATHS) mapped onto the
// engine's MonitorApi. Schemas only check shapes; the engine's validation is the authority on
// settings and its problems are what a 400 lists.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  API_PATHS,
  MonitorError,
  type TwoPersonApi,
  type AuditApi,
  type WhoAmI,
  type ImportMode,
  type MonitorApi,
  type MoveResult,
  type Reasoned,
  type RearmRequest,
  type RemoveRequest,
  type TimeRange,
  type HistoryQuery,
} from '../shared/api.js';
import type { PairSettings } from '../shared/model.js';
import { PAIR_COLUMNS_FORMAT, toPairColumns } from '../shared/pair-columns.js';
import { callerOf, type ApiAuth } from './auth.js';
import type { EventHub } from './sse.js';
import type { Logger } from '../core/ports.js';
import type { TokenStore } from './tokens.js';
import { registerTokenRoutes } from './routes-tokens.js';
import { registerRequestRoutes } from './routes-requests.js';
import { DEFAULT_MAX_BYTES } from '../core/xml-tree.js';
import { MAX_REASON_LENGTH } from '../core/requests.js';
import { registerNotifyRoutes } from './routes-notify.js';
import { registerMaintenanceRoutes } from './routes-maintenance.js';
import { registerClusterRoutes, type ClusterSource } from './routes-cluster.js';

export const JSON_BODY_LIMIT = 256 * 1024;
// The same ceiling as pbxctrl-failover.xml on disk (DEFAULT_MAX_BYTES): an export can always be imported back.
const XML_BODY_LIMIT = DEFAULT_MAX_BYTES;

const REASON_LIMIT = MAX_REASON_LENGTH;

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

const rangeQuery = {
  type: 'object',
  properties: { from: { type: 'string', maxLength: 40 }, to: { type: 'string', maxLength: 40 } },
} as const;

/** The checks as `columns` (opt-in) and their bucket; the engine checks the values and names a wrong one. */
const historyQuery = {
  type: 'object',
  properties: {
    ...rangeQuery.properties,
    shape: { type: 'string', maxLength: 20 },
    bucket: { type: 'string', maxLength: 20 },
  },
} as const;

const pairListQuery = {
  type: 'object',
  properties: { format: { type: 'string', enum: [PAIR_COLUMNS_FORMAT] } },
} as const;

const whoQuery = {
  type: 'object',
  properties: { reason: { type: 'string', maxLength: REASON_LIMIT }, operator: { type: 'string', maxLength: 200 } },
} as const;

const removeQuery = {
  type: 'object',
  properties: { ...whoQuery.properties, force: { type: 'string', maxLength: 10 } },
} as const;

const reasonedBody = {
  type: 'object',
  required: ['reason'],
  properties: { reason: { type: 'string', maxLength: REASON_LIMIT }, operator: { type: 'string', maxLength: 200 } },
} as const;

const rearmBody = {
  ...reasonedBody,
  required: ['failback', 'reason'],
  properties: { ...reasonedBody.properties, failback: { type: 'boolean' } },
} as const;

const settingsBody = { type: 'object' } as const;

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

/**
 * Who asks, as the token says. A named token is the who (its name, and its identity for the two-person
 * rule), and a body's `operator` becomes a free-text note; the admin file token keeps the body's
 * `operator` (or "api") as the who, as before named tokens.
 */
export function asCaller<T extends Partial<Reasoned>>(request: FastifyRequest, by: T | undefined): T {
  const caller = callerOf(request);
  const given = (by ?? {}) as T;
  if (caller.fileToken) return given;
  const { operator, ...rest } = given;
  return {
    ...rest,
    operator: caller.name,
    identity: { name: caller.name, role: caller.role },
    ...(typeof operator === 'string' && operator.trim() !== '' ? { note: operator.trim() } : {}),
  } as T;
}

/** A manual transition must say why: the reason lands in the audit log. */
function reasoned(body: { reason?: unknown; operator?: unknown }): Reasoned {
  const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
  if (reason === '') {
    throw new MonitorError('invalid', 'a reason is required', [
      { field: 'reason', message: 'say why (it goes into the audit log)' },
    ]);
  }
  return typeof body.operator === 'string' && body.operator.trim() !== ''
    ? { reason, operator: body.operator.trim() }
    : { reason };
}

/** Who and why for changes whose body is the settings themselves: optional, from the query. */
function optionalWho(query: { reason?: string; operator?: string }): Reasoned | undefined {
  if (!query.reason && !query.operator) return undefined;
  return query.operator ? { reason: query.reason ?? '', operator: query.operator } : { reason: query.reason ?? '' };
}

type RemoveQuery = { reason?: string; operator?: string; force?: string };

/** DELETE takes who, why and force from the query or from a JSON body (the body wins). */
function removeRequest(query: RemoveQuery, body: unknown): RemoveRequest {
  if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
    throw new MonitorError('invalid', 'the body must be a JSON object such as {"reason": "…", "force": true}');
  }
  const fromBody = (body ?? {}) as { reason?: unknown; operator?: unknown; force?: unknown };
  if (fromBody.force !== undefined && typeof fromBody.force !== 'boolean') {
    throw new MonitorError('invalid', 'force must be true or false', [
      { field: 'force', message: 'must be true or false' },
    ]);
  }
  // The engine checks the reason (after the pair: an unknown pair is a 404 first).
  const reason = fromBody.reason ?? query.reason ?? '';
  const operator = fromBody.operator ?? query.operator;
  const who = { reason, ...(operator !== undefined ? { operator } : {}) } as RemoveRequest;
  return fromBody.force === true || flag(query.force) ? { ...who, force: true } : who;
}

function importModeOf(query: { mode?: string }): ImportMode {
  if (query.mode === undefined || query.mode === '') return 'replace';
  if (query.mode === 'merge' || query.mode === 'replace') return query.mode;
  throw new MonitorError('invalid', `mode must be merge or replace, not "${query.mode}"`, [
    {
      field: 'mode',
      message: 'must be merge (add and update only) or replace (also remove the pairs the file lacks; the default)',
    },
  ]);
}

function range(query: TimeRange): TimeRange {
  const out: TimeRange = {};
  if (query.from !== undefined) out.from = query.from;
  if (query.to !== undefined) out.to = query.to;
  return out;
}

function historyRange(query: HistoryQuery): HistoryQuery {
  const out: HistoryQuery = range(query);
  if (query.shape !== undefined) out.shape = query.shape;
  if (query.bucket !== undefined) out.bucket = query.bucket;
  return out;
}

function flag(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes)$/i.test(value);
}

export function registerHealthRoute(app: FastifyInstance, monitor: MonitorApi): void {
  app.get('/api/health', async (_request, reply) => {
    void reply.header('cache-control', 'no-store');
    return monitor.health();
  });
}

export interface ApiDeps {
  monitor: MonitorApi;
  hub: EventHub;
  auth: ApiAuth;
  /** Named tokens: GET/POST/DELETE /api/tokens (absent: those routes answer 404). */
  tokens?: TokenStore;
  log?: Logger;
}

/** Everything under /api/ except health, behind the token. */
export async function apiRoutes(api: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { monitor, hub } = deps;
  api.addHook('onRequest', deps.auth.guard());
  api.addHook('onSend', async (_request, reply) => {
    void reply.header('cache-control', 'no-store');
  });
  api.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );

  // Before every route: a follower forwards writes to the leader (cluster mode).
  registerClusterRoutes(api, monitor as ClusterSource, deps.log);
  registerPairRoutes(api, monitor);
  registerOperatorRoutes(api, monitor);
  registerLogRoutes(api, monitor);
  registerConfigRoutes(api, monitor);
  registerNotifyRoutes(api, monitor);
  registerMaintenanceRoutes(api, monitor);
  const twoPerson = monitor as Partial<TwoPersonApi>;
  registerRequestRoutes(api, twoPerson);
  api.get(API_PATHS.whoami, async (request): Promise<WhoAmI> => {
    const { name, role } = callerOf(request);
    return { name, role, twoPerson: (await twoPerson.twoPersonActions?.()) ?? [] };
  });
  if (deps.tokens) {
    const audit = monitor as Partial<AuditApi>;
    registerTokenRoutes(api, {
      store: deps.tokens,
      audit: (request, action, detail) => audit.recordOperator?.(action, asCaller(request, { reason: '' }), detail),
    });
  }

  // No HEAD twin: a HEAD request would otherwise hold a stream that can never carry an event.
  api.get('/api/events', { exposeHeadRoute: false }, (request, reply) =>
    hub.attach(reply, streamKey(callerOf(request).name)),
  );
  api.post('/api/test-urls', { schema: { body: settingsBody } }, async (request) =>
    monitor.testUrls(request.body as PairSettings),
  );
}

/** Event streams are counted and closed per token name (a revoked token's streams end at once). */
export function streamKey(name: string): string {
  return `token:${name}`;
}

function registerPairRoutes(api: FastifyInstance, monitor: MonitorApi): void {
  // ?format=columns: the same list in the compact form the dashboard's first screen reads (shared/pair-columns.ts).
  api.get('/api/pairs', { schema: { querystring: pairListQuery } }, async (request) => {
    const list = await monitor.listPairs();
    return (request.query as { format?: string }).format === PAIR_COLUMNS_FORMAT ? toPairColumns(list) : list;
  });
  api.post('/api/pairs', { schema: { body: settingsBody, querystring: whoQuery } }, async (request, reply) => {
    const detail = await monitor.addPair(
      request.body as PairSettings,
      asCaller(request, optionalWho(request.query as object)),
    );
    return reply.code(201).send(detail);
  });
  api.get('/api/pairs/:id', { schema: { params: idParams } }, async (request: IdRequest) =>
    monitor.getPair(request.params.id),
  );
  api.put(
    '/api/pairs/:id',
    { schema: { params: idParams, body: settingsBody, querystring: whoQuery } },
    async (request) => {
      const { id } = (request as IdRequest).params;
      return monitor.updatePair(
        id,
        request.body as PairSettings,
        asCaller(request, optionalWho(request.query as object)),
      );
    },
  );
  api.delete('/api/pairs/:id', { schema: { params: idParams, querystring: removeQuery } }, async (request, reply) => {
    const { id } = (request as IdRequest).params;
    const held = await monitor.removePair(
      id,
      asCaller(request, removeRequest(request.query as RemoveQuery, request.body)),
    );
    // Under the two-person rule the removal waits for a second operator: 202 with the request.
    if (held) return reply.code(202).send({ request: held });
    return reply.code(204).send();
  });
}

function registerOperatorRoutes(api: FastifyInstance, monitor: MonitorApi): void {
  const withReason = { schema: { params: idParams, body: reasonedBody } };
  const by = (request: FastifyRequest): Reasoned => asCaller(request, reasoned(request.body as object));
  // A move held by the two-person rule answers 202: nothing moved, the request waits for a second operator.
  const moved = (reply: FastifyReply, result: MoveResult) => reply.code(result.request ? 202 : 200).send(result);
  api.post('/api/pairs/:id/failover', withReason, async (request, reply) =>
    moved(reply, await monitor.failover((request as IdRequest).params.id, by(request))),
  );
  api.post('/api/pairs/:id/pause', withReason, async (request) =>
    monitor.pause((request as IdRequest).params.id, by(request)),
  );
  api.post('/api/pairs/:id/resume', withReason, async (request) =>
    monitor.resume((request as IdRequest).params.id, by(request)),
  );
  api.post('/api/pairs/:id/rearm', { schema: { params: idParams, body: rearmBody } }, async (request, reply) => {
    const body = request.body as RearmRequest;
    const req: RearmRequest = { ...by(request), failback: body.failback };
    return moved(reply, await monitor.rearm((request as IdRequest).params.id, req));
  });
  api.post('/api/pairs/:id/action/mark-done', withReason, async (request) =>
    monitor.markActionDone((request as IdRequest).params.id, by(request)),
  );
  // The body is optional here: retrying a failed action needs no new decision.
  api.post('/api/pairs/:id/action/retry', { schema: { params: idParams } }, async (request) => {
    const body = request.body;
    if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
      throw new MonitorError('invalid', 'the body must be a JSON object such as {"reason": "…"}');
    }
    const who = body && typeof (body as Reasoned).reason === 'string' ? reasoned(body as object) : undefined;
    return monitor.retryAction((request as IdRequest).params.id, asCaller(request, who));
  });
}

function registerLogRoutes(api: FastifyInstance, monitor: MonitorApi): void {
  api.get('/api/pairs/:id/history', { schema: { params: idParams, querystring: historyQuery } }, async (request) =>
    monitor.history((request as IdRequest).params.id, historyRange(request.query as HistoryQuery)),
  );
  api.get('/api/audit', { schema: { querystring: rangeQuery } }, async (request) =>
    monitor.audit(range(request.query as TimeRange)),
  );
  api.get('/api/alerts', { schema: { querystring: rangeQuery } }, async (request) =>
    monitor.alerts(range(request.query as TimeRange)),
  );
}

function registerConfigRoutes(api: FastifyInstance, monitor: MonitorApi): void {
  api.get('/api/config.xml', async (request, reply) => {
    const { masked } = request.query as { masked?: string };
    const xml = await monitor.exportXml({ masked: flag(masked) });
    return reply
      .type('application/xml; charset=utf-8')
      .header('content-disposition', 'attachment; filename="pbxctrl-failover.xml"')
      .send(xml);
  });
  api.put('/api/config.xml', { bodyLimit: XML_BODY_LIMIT }, async (request) => {
    const query = request.query as {
      'dry-run'?: string;
      dryRun?: string;
      reason?: string;
      operator?: string;
      mode?: string;
    };
    // Without mode the API replaces, as it always has: pairs the file lacks are removed.
    const mode = importModeOf(query);
    if (typeof request.body !== 'string') {
      throw new MonitorError(
        'invalid',
        'send pbxctrl-failover.xml as the body with Content-Type application/xml or text/plain',
      );
    }
    if (request.body.trim() === '') {
      throw new MonitorError('invalid', 'the body is empty; send the whole pbxctrl-failover.xml', [
        { field: 'body', message: 'is empty' },
      ]);
    }
    const who = asCaller(request, optionalWho(query));
    return monitor.importXml(request.body, { dryRun: flag(query['dry-run'] ?? query.dryRun), mode, ...who });
  });
}
