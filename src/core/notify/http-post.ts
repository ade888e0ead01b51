// The one way the HTTP channels deliver: through the engine's HttpClient (`send`), so alert
// channels share its connection pool, deadline and error words. An answer 2xx counts as delivered.

import type { HttpClient, OutgoingRequest } from '../http-client.js';
import type { NotifyOutcome } from '../ports.js';

export async function deliver(client: HttpClient, req: OutgoingRequest, timeoutMs: number): Promise<NotifyOutcome> {
  const outcome = await client.send(req, timeoutMs);
  const ok = outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300;
  const out: NotifyOutcome = { ok, latencyMs: Math.round(outcome.latencyMs) };
  if (outcome.status !== undefined) out.status = outcome.status;
  if (outcome.error !== undefined) out.error = outcome.error;
  else if (!ok) out.error = `status ${outcome.status}`;
  return out;
}

export function jsonPost(url: string, payload: unknown): OutgoingRequest {
  return { method: 'POST', url, headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) };
}

/** The message's title in words: "RESOLVED: acme standby-down" / "CRITICAL: acme failover". */
export function titleOf(m: {
  action: string;
  severity: string;
  alert: string;
  pairName: string;
  pair: string;
}): string {
  const who = m.pair === '*' ? 'PBX Failover Monitor' : m.pairName || m.pair;
  const head =
    m.action === 'resolve' ? 'RESOLVED' : m.action === 'acknowledge' ? 'ACKNOWLEDGED' : m.severity.toUpperCase();
  return `${head}: ${who} ${m.alert}`;
}
