// One check of one URL, judged against the pair's accepted statuses and turned
// into a CheckResult the rest of the product understands.

import type { CheckResult, CheckTarget } from '../shared/model.js';
import type { StatusAcceptor } from '../shared/accept-status.js';
import type { HttpClient, PreparedUrl, ProbeOutcome } from './http-client.js';
import { prepareUrl } from './http-client.js';

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
    return {
      target,
      url,
      ok: false,
      latencyMs: 0,
      error: 'not a valid http(s) URL',
      at: new Date(now()).toISOString(),
    };
  }
  const call = client.probe(prepared, timeoutMs);
  const timer = setTimeout(() => call.cancel(), timeoutMs);
  try {
    return toCheckResult(target, url, await call.result, accept, now());
  } finally {
    clearTimeout(timer);
  }
}
