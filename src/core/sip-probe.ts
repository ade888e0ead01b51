// One check of a target that may carry a SIP OPTIONS beside its HTTP check (`<primary-sip>`,
// `<standby-sip>`): both are sent together, and the check is ok only when both answered as accepted;
// the failure names which half failed. Without SIP settings this is exactly the HTTP check.

import type { StatusAcceptor } from '../shared/accept-status.js';
import { compileAcceptStatus } from '../shared/accept-status.js';
import type { CheckResult, CheckTarget } from '../shared/model.js';
import type { SipCheckResult, SipSettings } from '../shared/pbx-health.js';
import type { PreparedUrl, ProbeCall, ProbeOutcome } from './http-client.js';
import type { EngineContext, SipTarget } from './ports.js';
import { toCheckResult } from './probe.js';
import { sipTarget } from './sip-message.js';

/** A target's SIP half, compiled once per settings change. */
export interface CompiledSip {
  target: SipTarget;
  accept: StatusAcceptor;
}

export function compileSip(settings: SipSettings | undefined): CompiledSip | undefined {
  return settings ? { target: sipTarget(settings), accept: compileAcceptStatus(settings.accept) } : undefined;
}

/** A target to check: its HTTP URL (absent for a SIP-only standby), its SIP half, and what is shown. */
export interface CheckPlan {
  http: PreparedUrl | undefined;
  sip: CompiledSip | undefined;
  /** The URL shown (masked), or the SIP URI when there is no HTTP URL. */
  display: string;
}

export interface PlanOutcome {
  http?: ProbeOutcome;
  sip?: ProbeOutcome;
}

/** Starts both halves at once; every call goes through `track` (the round's deadline cancels them). */
export function runPlan(
  ctx: Pick<EngineContext, 'client' | 'sip'>,
  plan: CheckPlan,
  timeoutMs: number,
  track: (call: ProbeCall) => ProbeCall = (c) => c,
): Promise<PlanOutcome> {
  // The common case (HTTP only) without a second promise and the spreads: it runs for every check.
  if (!plan.sip && plan.http) return track(ctx.client.probe(plan.http, timeoutMs)).result.then(httpOnly);
  return runBoth(ctx, plan, timeoutMs, track);
}

async function runBoth(
  ctx: Pick<EngineContext, 'client' | 'sip'>,
  plan: CheckPlan,
  timeoutMs: number,
  track: (call: ProbeCall) => ProbeCall,
): Promise<PlanOutcome> {
  const http = plan.http ? track(ctx.client.probe(plan.http, timeoutMs)).result : undefined;
  const sip = plan.sip ? track(ctx.sip.options(plan.sip.target, timeoutMs)).result : undefined;
  const [h, s] = await Promise.all([http, sip]);
  return { ...(h ? { http: h } : {}), ...(s ? { sip: s } : {}) };
}

function httpOnly(http: ProbeOutcome): PlanOutcome {
  return { http };
}

export function sipCheckResult(sip: CompiledSip, outcome: ProbeOutcome): SipCheckResult {
  const latencyMs = Math.round(outcome.latencyMs * 10) / 10;
  const base = { uri: sip.target.uri, transport: sip.target.transport, latencyMs };
  if (outcome.status === undefined) return { ...base, ok: false, error: outcome.error ?? 'no SIP answer' };
  if (sip.accept(outcome.status)) return { ...base, ok: true, code: outcome.status };
  return { ...base, ok: false, code: outcome.status, error: `status ${outcome.status}` };
}

/** The CheckResult of one round of a plan: the HTTP result with the SIP half beside it. */
export function planResult(
  target: CheckTarget,
  plan: CheckPlan,
  outcome: PlanOutcome,
  accept: StatusAcceptor,
  atMs: number,
): CheckResult {
  if (!plan.sip || !outcome.sip) return toCheckResult(target, plan.display, outcome.http!, accept, atMs);
  const sip = sipCheckResult(plan.sip, outcome.sip);
  if (!outcome.http) {
    const at = new Date(atMs).toISOString();
    const r: CheckResult = { target, url: plan.display, ok: sip.ok, latencyMs: sip.latencyMs, at, sip };
    if (!sip.ok) r.error = `SIP OPTIONS: ${sip.error}`;
    return r;
  }
  const http = toCheckResult(target, plan.display, outcome.http, accept, atMs);
  const errors: string[] = [];
  if (!http.ok) errors.push(`HTTP: ${http.error}`);
  if (!sip.ok) errors.push(`SIP OPTIONS: ${sip.error}`);
  const { error: _httpError, ...rest } = http;
  const result: CheckResult = { ...rest, ok: http.ok && sip.ok, sip };
  if (errors.length > 0) result.error = errors.join('; ');
  return result;
}

/** Whether two SIP settings check the same thing (a change restarts counting, like a new primary URL). */
export function sameSip(a: SipSettings | undefined, b: SipSettings | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.uri === b.uri &&
    a.transport === b.transport &&
    a.accept === b.accept &&
    (a.verify ?? false) === (b.verify ?? false)
  );
}

/** One check of a plan with its own deadline, outside a watcher ("test now"). */
export async function planOnce(
  ctx: Pick<EngineContext, 'client' | 'sip'>,
  target: CheckTarget,
  plan: CheckPlan,
  timeoutMs: number,
  accept: StatusAcceptor,
  now: () => number,
): Promise<CheckResult> {
  const calls: ProbeCall[] = [];
  const timer = setTimeout(() => calls.forEach((c) => c.cancel()), timeoutMs);
  try {
    const outcome = await runPlan(ctx, plan, timeoutMs, (c) => (calls.push(c), c));
    return planResult(target, plan, outcome, accept, now());
  } finally {
    clearTimeout(timer);
  }
}
