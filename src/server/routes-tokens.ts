// GET/POST/DELETE /api/tokens (admin only, see roles.ts) and GET /api/whoami (any token). A new token
// is in the POST's answer once and never again; the list shows names, roles, created and last used.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { API_PATHS } from '../shared/api.js';
import { checkRole, checkTokenName, type TokenStore } from './tokens.js';

export interface TokenRouteDeps {
  store: TokenStore;
  /** Audit of token changes (operator actions token-add, token-revoke). */
  audit: (request: FastifyRequest, action: 'token-add' | 'token-revoke', detail: string) => void;
}

const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

const addBody = {
  type: 'object',
  required: ['name', 'role'],
  properties: { name: { type: 'string', maxLength: 64 }, role: { type: 'string', maxLength: 16 } },
} as const;

export function registerTokenRoutes(api: FastifyInstance, deps: TokenRouteDeps): void {
  api.get(API_PATHS.tokens, async () => deps.store.list());
  api.post(API_PATHS.tokens, { schema: { body: addBody } }, async (request, reply) => {
    const body = request.body as { name: string; role: string };
    const added = await deps.store.add(checkTokenName(body.name), checkRole(body.role));
    deps.audit(request, 'token-add', `added token "${added.info.name}" (${added.info.role})`);
    return reply.code(201).send({ ...added.info, token: added.token });
  });
  api.delete('/api/tokens/:name', { schema: { params: nameParams } }, async (request, reply) => {
    const { name } = request.params as { name: string };
    await deps.store.revoke(name);
    deps.audit(request, 'token-revoke', `revoked token "${name}"`);
    return reply.code(204).send();
  });
}
