// The alert channels' /api/ paths: the channels (masked), "Send test", the team's acknowledgement
// of an alert and the silence of a pair. Registered from routes.ts behind the token.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MonitorError, type MonitorApi, type Reasoned } from '../shared/api.js';
import { MAX_REASON_LENGTH } from '../core/requests.js';

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

const who = { reason: { type: 'string', maxLength: MAX_REASON_LENGTH }, operator: { type: 'string', maxLength: 200 } };

const ackBody = { type: 'object', required: ['reason'], properties: who } as const;
const silenceBody = {
  type: 'object',
  required: ['duration', 'reason'],
  properties: { ...who, duration: { type: 'number' } },
} as const;
const testBody = { type: ['object', 'null'], properties: who } as const;

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

function reasonedOf(body: { reason?: unknown; operator?: unknown } | null | undefined, required: boolean): Reasoned {
  const reason = typeof body?.reason === 'string' ? body.reason.trim() : '';
  if (required && reason === '')
    throw new MonitorError('invalid', 'a reason is required', [
      { field: 'reason', message: 'say why (it goes into the audit log and is shown with the alert)' },
    ]);
  const operator = typeof body?.operator === 'string' ? body.operator.trim() : '';
  return operator ? { reason, operator } : { reason };
}

export function registerNotifyRoutes(api: FastifyInstance, monitor: MonitorApi): void {
  api.get('/api/notify', async () => monitor.notifyStatus());
  api.post('/api/notify/:id/test', { schema: { params: idParams, body: testBody } }, async (request) =>
    monitor.testNotify((request as IdRequest).params.id, reasonedOf(request.body as object | null, false)),
  );
  api.post('/api/alerts/:id/ack', { schema: { params: idParams, body: ackBody } }, async (request) =>
    monitor.ackAlert((request as IdRequest).params.id, reasonedOf(request.body as object, true)),
  );
  api.post('/api/pairs/:id/silence', { schema: { params: idParams, body: silenceBody } }, async (request) => {
    const body = request.body as { duration: number };
    return monitor.silencePair((request as IdRequest).params.id, {
      ...reasonedOf(body as object, true),
      duration: body.duration,
    });
  });
}
