// Which role each route needs: one table of "METHOD /route" → role. Parameters are written `:id`
// whatever a route calls them. A route not in the table needs viewer to read (GET, HEAD) and admin to
// write, so a route added later is closed to operators until it is listed here.

import { ROLES, type Role } from '../shared/api.js';

/** A role, or a rule that looks at the query (the export with secrets needs admin, the masked one viewer). */
export type RoleRule = Role | ((query: Record<string, unknown>) => Role);

const truthy = (v: unknown): boolean => typeof v === 'string' && /^(1|true|yes)$/i.test(v);

export const ROUTE_ROLES: Readonly<Record<string, RoleRule>> = {
  // Every read, the event stream and metrics: viewer (the default for GET). Listed where it matters.
  'GET /api/whoami': 'viewer',
  'GET /api/events': 'viewer',
  'GET /metrics': 'viewer',
  'GET /api/requests': 'viewer',
  'GET /api/config.xml': (query) => (truthy(query['masked']) ? 'viewer' : 'admin'),
  'GET /api/tokens': 'admin',
  // Operator: the moves of a shift.
  'POST /api/pairs/:id/failover': 'operator',
  'POST /api/pairs/:id/rearm': 'operator',
  'POST /api/pairs/:id/pause': 'operator',
  'POST /api/pairs/:id/resume': 'operator',
  'POST /api/pairs/:id/action/retry': 'operator',
  'POST /api/pairs/:id/action/mark-done': 'operator',
  'POST /api/alerts/:id/ack': 'operator',
  'POST /api/pairs/:id/silence': 'operator',
  'PUT /api/pairs/:id/silence': 'operator',
  'DELETE /api/pairs/:id/silence': 'operator',
  'POST /api/maintenance': 'operator',
  'PUT /api/maintenance/:id': 'operator',
  'PATCH /api/maintenance/:id': 'operator',
  'DELETE /api/maintenance/:id': 'operator',
  'POST /api/notify/:id/test': 'operator',
  'POST /api/requests/:id/approve': 'operator',
  'POST /api/requests/:id/reject': 'operator',
  // Admin (also the default for any other write): settings, import, tokens, test-urls (the editor's).
  'POST /api/pairs': 'admin',
  'PUT /api/pairs/:id': 'admin',
  'DELETE /api/pairs/:id': 'admin',
  'PUT /api/config.xml': 'admin',
  'POST /api/test-urls': 'admin',
  'POST /api/tokens': 'admin',
  'DELETE /api/tokens/:id': 'admin',
};

/** The route key of a method and a route pattern: `POST /api/pairs/:pair/silence` → `POST /api/pairs/:id/silence`. */
export function routeKey(method: string, route: string): string {
  return `${method.toUpperCase()} ${route.replace(/:[A-Za-z_][A-Za-z0-9_]*/g, ':id')}`;
}

export function requiredRole(method: string, route: string, query: Record<string, unknown> = {}): Role {
  const m = method.toUpperCase();
  const rule = ROUTE_ROLES[routeKey(m === 'HEAD' ? 'GET' : m, route)];
  if (rule !== undefined) return typeof rule === 'function' ? rule(query) : rule;
  return m === 'GET' || m === 'HEAD' ? 'viewer' : 'admin';
}

export function roleAllows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}
