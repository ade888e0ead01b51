// The two-person rule over HTTP: GET /api/requests, POST /api/requests/:id/approve and /reject. The
// approver is the calling token (its name and role come from the token store, never from the body).

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { API_PATHS, MonitorError, type TwoPersonApi } from '../shared/api.js';
import { MAX_REASON_LENGTH } from '../core/requests.js';
import { asCaller } from './routes.js';

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;

const decisionBody = {
  type: 'object',
  required: ['reason'],
  properties: {
    reason: { type: 'string', maxLength: MAX_REASON_LENGTH },
    operator: { type: 'string', maxLength: 200 },
  },
} as const;

function decision(request: FastifyRequest) {
  const body = request.body as { reason: string; operator?: string };
  if (body.reason.trim() === '') {
    throw new MonitorError('invalid', 'a reason is required', [
      { field: 'reason', message: 'say why (it goes into the audit log)' },
    ]);
  }
  return asCaller(request, { reason: body.reason.trim(), ...(body.operator ? { operator: body.operator } : {}) });
}

export function registerRequestRoutes(api: FastifyInstance, monitor: Partial<TwoPersonApi>): void {
  const engine = (): TwoPersonApi => {
    if (!monitor.listRequests || !monitor.approveRequest || !monitor.rejectRequest) {
      throw new MonitorError('not-found', 'this engine has no two-person requests');
    }
    return monitor as TwoPersonApi;
  };
  const opts = { schema: { params: idParams, body: decisionBody } };
  api.get(API_PATHS.requests, async () => engine().listRequests());
  api.post('/api/requests/:id/approve', opts, async (request) =>
    engine().approveRequest((request.params as { id: string }).id, decision(request)),
  );
  api.post('/api/requests/:id/reject', opts, async (request) =>
    engine().rejectRequest((request.params as { id: string }).id, decision(request)),
  );
}
