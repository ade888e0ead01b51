// /api/maintenance: the maintenance windows (see shared/maintenance.ts). The body of POST and PUT is
// the window itself; who made the change and why come from the query (`?operator=…&reason=…`), as
// for a pair's settings. Validation and the 400 listing every problem are the engine's.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MonitorError, type MonitorApi, type Reasoned } from '../shared/api.js';
import type { MaintenanceWindow } from '../shared/maintenance.js';
import { MAX_REASON_LENGTH } from '../core/requests.js';

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

const whoQuery = {
  type: 'object',
  properties: {
    reason: { type: 'string', maxLength: MAX_REASON_LENGTH },
    operator: { type: 'string', maxLength: 200 },
  },
} as const;

type IdRequest = FastifyRequest<{ Params: { id: string }; Querystring: WhoQuery }>;
type WhoQuery = { reason?: string; operator?: string };

function who(query: WhoQuery): Reasoned | undefined {
  if (!query.reason && !query.operator) return undefined;
  return query.operator ? { reason: query.reason ?? '', operator: query.operator } : { reason: query.reason ?? '' };
}

function windowBody(body: unknown): MaintenanceWindow {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new MonitorError('invalid', 'the body must be a JSON object: the maintenance window', [
      { field: 'maintenance', message: 'must be an object with id, reason, pairs and once or every' },
    ]);
  return body as MaintenanceWindow;
}

export function registerMaintenanceRoutes(api: FastifyInstance, monitor: MonitorApi): void {
  api.get('/api/maintenance', async () => monitor.listMaintenance());
  api.post('/api/maintenance', { schema: { querystring: whoQuery } }, async (request, reply) => {
    const info = await monitor.addMaintenance(windowBody(request.body), who(request.query as WhoQuery));
    return reply.code(201).send(info);
  });
  api.put('/api/maintenance/:id', { schema: { params: idParams, querystring: whoQuery } }, async (request) => {
    const { params, query } = request as IdRequest;
    return monitor.updateMaintenance(params.id, windowBody(request.body), who(query));
  });
  api.delete(
    '/api/maintenance/:id',
    { schema: { params: idParams, querystring: whoQuery } },
    async (request, reply) => {
      const { params, query } = request as IdRequest;
      await monitor.removeMaintenance(params.id, who(query));
      return reply.code(204).send();
    },
  );
}
