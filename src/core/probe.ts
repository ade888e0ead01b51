// One check of one URL, judged against the pair's accepted statuses and turned
// into a CheckResult the rest of the product understands.

import type { CheckResult, CheckTarget } from '../shared/model.js';
import { parseAcceptStatus } from '../shared/validate.js';
import type { HttpClient, PreparedUrl, ProbeOutcome } from './http-client.js';
import { prepareUrl } from './http-client.js';

export type StatusAcceptor = (status: number) => boolean;

/**
 * Compiles an accept-status spec ("200", "200-299", "200,204") into a table lookup, so the hot path
 * does not parse the spec on every check. The semantics are exactly those of `acceptsStatus`.
 */
export function compileAcceptStatus(spec: string): StatusAcceptor {
  const table = new Uint8Array(600);
  // Parsed once, not once per status: thousands of pairs compile this at start.
  const parsed = parseAcceptStatus(spec);
  if ('ranges' in parsed) for (const [lo, hi] of parsed.ranges) table.fill(1, Math.max(lo, 100), Math.min(hi, 599) + 1);
  return (status) => status >= 100 && status < 600 && table[status] === 1;
}

export const acceptOnly200: StatusAcceptor = (status) => status === 200;

export function toCheckResult(
  target: CheckTarget,
  url: string,
  outcome: ProbeOutcome,
  accept: StatusAcceptor,
  atMs: number,
): CheckResult {
  const latencyMs = Math.round(outcome.latencyMs * 10) / 10;
  const at = new Date(atMs).toISOString();
  if (outcome.status === undefined) {
    return { target, url, ok: false, latencyMs, error: outcome.error ?? 'request failed', at };
  }
  if (accept(outcome.status)) return { target, url, ok: true, status: outcome.status, latencyMs, at };
  return { target, url, ok: false, status: outcome.status, latencyMs, error: `status ${outcome.status}`, at };
}

/** A single check with its own deadline, for "test now" and one-off checks outside a watcher. */
export async function probeOnce(
  client: HttpClient,
  target: CheckTarget,
  url: string,
  timeoutMs: number,
  accept: StatusAcceptor,
  now: () => number = Date.now,
): Promise<CheckResult> {
  let prepared: PreparedUrl;
  try {
    prepared = prepareUrl(url);
  } catch {
    return { target, url, ok: false, latencyMs: 0, error: 'not a valid http(s) URL', at: new Date(now()).toISOString() };
  }
  const call = client.probe(prepared, timeoutMs);
  const timer = setTimeout(() => call.cancel(), timeoutMs);
  try {
    return toCheckResult(target, url, await call.result, accept, now());
  } finally {
    clearTimeout(timer);
  }
}
