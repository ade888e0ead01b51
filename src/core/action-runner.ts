// Fires a pair's action URL (failover or failback): the request rendered from
// its template, retried with exponential backoff, every attempt recorded and
// persisted before and after it, so that a restart resumes the series and an
// action that succeeded is never fired again.

import { pairLabel } from '../shared/pair-label.js';
import { randomUUID } from 'node:crypto';
import {
  type ActionAttempt,
  type ActionKind,
  type ActionSettings,
  type ActionStatus,
  type AlertKind,
  type EngineEvent,
  type MaskedRequest,
  type PairSettings,
  type PairState,
  type Problem,
  SECRET_MASK,
  type Severity,
  TEMPLATE_VARIABLES,
} from '../shared/model.js';
import { bodyContext, contentTypeOf, renderTemplate } from '../shared/template.js';
import { isSecretHeader, maskUrl } from '../shared/secrets.js';
import { type OutgoingRequest, unsendableReason } from './http-client.js';
import type { EngineContext } from './ports.js';

export interface ActionRunnerDeps {
  /** The attempts go out on `ctx.client`; the waits between them are `ctx.backoff` on `ctx.timers`. */
  ctx: EngineContext;
  emit(event: EngineEvent): void;
  /** Persist the pair's state (with this action's progress); resolves when it is on disk. */
  persistNow(): Promise<void>;
}

/** 0.5 s, 1 s, 2 s, 4 s, … capped at 30 s. */
export function defaultBackoff(attempt: number): number {
  return Math.min(500 * 2 ** (attempt - 1), 30_000);
}

/** A fresh series: its own `{action_id}`, kept for every attempt of it (also after a restart). */
export function newActionStatus(kind: ActionKind, manual: boolean, reason: string, nowMs: number): ActionStatus {
  return {
    kind,
    phase: 'pending',
    manual,
    reason,
    startedAt: new Date(nowMs).toISOString(),
    attempts: [],
    actionId: randomUUID(),
  };
}

/** May an attempt whose outcome a crash left unknown be sent again? Absent: GET, PUT and DELETE may. */
export function isIdempotent(action: ActionSettings): boolean {
  return action.idempotent ?? (action.method === 'GET' || action.method === 'PUT' || action.method === 'DELETE');
}

/**
 * The values of the template variables. `{time}` and `{epoch}` are the start of the series, so that
 * every attempt (also one resumed after a restart) sends the same request.
 */
export function actionVariables(
  pair: PairSettings,
  action: ActionSettings,
  status: ActionStatus,
  from: PairState,
  to: PairState,
): Record<string, string> {
  const startedMs = Date.parse(status.startedAt);
  return {
    pair: pair.id,
    name: pair.name,
    from,
    to,
    reason: status.reason,
    manual: status.manual ? 'true' : 'false',
    time: status.startedAt,
    epoch: String(Math.floor(startedMs / 1000)),
    primary: pair.primaryUrl,
    standby: pair.standbyUrl ?? '',
    user: action.user ?? '',
    pass: action.pass ?? '',
    action_id: status.actionId ?? '',
  };
}

// A reason an operator may well type, with what a header cannot carry as it is.
const SAMPLE_REASON = 'Wartung – RZ “Süd” 🚧';

/**
 * Problems that would make every attempt of this action fail before anything leaves: literal header
 * names and values undici refuses, and the request rendered once with sample values (the pair's own
 * name, a reason full of non-ASCII) passed through undici's own validation. Engine side only.
 */
export function actionSendProblems(
  pair: PairSettings,
  action: ActionSettings,
  prefix: 'action' | 'failbackAction',
): Problem[] {
  const problems: Problem[] = [];
  const add = (field: string, message: string) =>
    problems.push({ pair: pair.id, field: `${prefix}.${field}`, message });
  const nothing = Object.fromEntries(TEMPLATE_VARIABLES.map((v) => [v, '']));
  action.headers.forEach((h, i) => {
    const probe = (headers: Record<string, string>) =>
      unsendableReason({ method: action.method, url: 'http://127.0.0.1/', headers });
    if (probe({ [h.name.toLowerCase()]: 'x' }))
      return add(`headers[${i}].name`, `"${h.name}" cannot be sent as a header name`);
    const literal = renderTemplate(h.value, nothing, 'header');
    if (probe({ [h.name.toLowerCase()]: literal })) {
      add(
        `headers[${i}].value`,
        'contains characters a header cannot carry (only Latin-1 text can be sent); write them through a template variable or leave them out',
      );
    }
  });
  if (
    action.auth === 'bearer' &&
    unsendableReason({
      method: action.method,
      url: 'http://127.0.0.1/',
      headers: { authorization: `Bearer ${action.pass ?? ''}` },
    })
  ) {
    add('pass', 'a Bearer token can only be sent as Latin-1 text (it goes into the Authorization header as it is)');
  }
  if (problems.length > 0) return problems;
  const status = newActionStatus(prefix === 'action' ? 'failover' : 'failback', true, SAMPLE_REASON, Date.now());
  const from: PairState = prefix === 'action' ? 'verifying' : 'failover';
  const to: PairState = prefix === 'action' ? 'failover' : 'starting';
  const why = unsendableReason(buildActionRequest(action, actionVariables(pair, action, status, from, to)));
  if (why) add('url', `this request could never be sent (rendered with sample values, the HTTP client says: ${why})`);
  return problems;
}

/** actionSendProblems for the failover and the failback action of a pair. */
export function pairSendProblems(pair: PairSettings): Problem[] {
  const problems = actionSendProblems(pair, pair.action, 'action');
  if (pair.failbackAction) problems.push(...actionSendProblems(pair, pair.failbackAction, 'failbackAction'));
  return problems;
}

/** The request exactly as it goes on the wire (with secrets): never log or emit it. */
export function buildActionRequest(action: ActionSettings, values: Record<string, string>): OutgoingRequest {
  const headers: Record<string, string> = {};
  let hasContentType = false;
  for (const h of action.headers) {
    const name = h.name.toLowerCase();
    if (name === 'content-type') hasContentType = true;
    headers[name] = renderTemplate(h.value, values, 'header');
  }
  if (action.auth === 'basic') {
    headers['authorization'] =
      `Basic ${Buffer.from(`${action.user ?? ''}:${action.pass ?? ''}`, 'utf8').toString('base64')}`;
  } else if (action.auth === 'bearer') {
    headers['authorization'] = `Bearer ${action.pass ?? ''}`;
  }
  const request: OutgoingRequest = {
    method: action.method,
    url: renderTemplate(action.url, values, 'url'),
    headers,
  };
  if (action.body !== undefined && action.body !== '' && action.method !== 'GET') {
    request.body = renderTemplate(action.body, values, bodyContext(action.encoding));
    if (!hasContentType) headers['content-type'] = contentTypeOf(action.encoding);
  }
  return request;
}

// Letters and digits only, so every escaping (URL, JSON, XML, form) leaves it as it is and it can be
// replaced by the mask after rendering.
const PASS_PLACEHOLDER = 'x9SECRETx7placeholderx3';

/** The request as it will be sent, with every secret replaced by SECRET_MASK: for the UI and the log. */
export function maskedActionRequest(
  pair: PairSettings,
  action: ActionSettings,
  status: ActionStatus,
  from: PairState,
  to: PairState,
): MaskedRequest {
  const values = actionVariables(pair, action, status, from, to);
  if (values['pass']) values['pass'] = PASS_PLACEHOLDER;
  // {primary} and {standby} carry the URLs' own credentials and tokens: rendered masked too.
  values['primary'] = maskUrl(pair.primaryUrl).split(SECRET_MASK).join(PASS_PLACEHOLDER);
  values['standby'] = maskUrl(pair.standbyUrl ?? '')
    .split(SECRET_MASK)
    .join(PASS_PLACEHOLDER);
  const wire = buildActionRequest(action, values);
  const unplaceholder = (text: string): string => text.split(PASS_PLACEHOLDER).join(SECRET_MASK);
  const marked = new Set(action.headers.filter((h) => h.secret).map((h) => h.name.toLowerCase()));
  const headers = Object.entries(wire.headers).map(([name, value]) => ({
    name,
    value: isSecretHeader(name) || marked.has(name) ? SECRET_MASK : unplaceholder(value),
  }));
  const masked: MaskedRequest = { method: action.method, url: maskUrl(unplaceholder(wire.url)), headers };
  if (wire.body !== undefined) masked.body = action.bodySecret ? SECRET_MASK : unplaceholder(wire.body);
  return masked;
}

/** One series of attempts of one action, mutating `status` as it goes. */
export class ActionRun {
  readonly done: Promise<void>;
  finished = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private sleepTimer: unknown;

  constructor(
    private readonly deps: ActionRunnerDeps,
    private readonly pair: PairSettings,
    private readonly action: ActionSettings,
    private readonly status: ActionStatus,
    private readonly from: PairState,
  ) {
    this.done = this.run().finally(() => {
      this.finished = true;
    });
  }

  /** Stop after the attempt in flight; the series stays pending/running and resumes on the next start. */
  stop(): void {
    this.stopped = true;
    if (this.sleepTimer) this.deps.ctx.timers.clearTimeout(this.sleepTimer);
    this.wake?.();
  }

  private async run(): Promise<void> {
    const { status, action } = this;
    const { ctx } = this.deps;
    const to: PairState = status.kind === 'failover' ? 'failover' : 'starting';
    // A series written by an older version has no id yet: it gets one now, kept from here on.
    status.actionId ??= randomUUID();
    if (status.inFlight && !(await this.resumeInFlight())) return;
    const request = buildActionRequest(action, actionVariables(this.pair, action, status, this.from, to));
    if (!status.request) status.request = maskedActionRequest(this.pair, action, status, this.from, to);
    const total = Math.max(1, action.retries);
    if (status.attempts.length === 0) this.emit('pending');

    for (let attempt = status.attempts.length + 1; attempt <= total; attempt++) {
      if (this.stopped) return;
      status.phase = 'running';
      // On disk before anything leaves: after a crash, this attempt's outcome is known to be unknown.
      status.inFlight = { attempt, at: new Date(ctx.clock.now()).toISOString() };
      await this.persist();
      if (this.stopped) {
        delete status.inFlight;
        return;
      }
      // Fencing (cluster mode): sent only when this node committed the record above as the leader and
      // still leads; otherwise the leader's shared state replaces this run's.
      if (!ctx.coordinator.maySend(this.pair.id, status)) {
        this.stopped = true;
        ctx.log.warn('action attempt not sent: this node is not the cluster leader (or could not record it)', {
          pair: this.pair.id,
          attempt,
        });
        return;
      }

      const outcome = await ctx.client.send(request, action.timeout * 1000);
      delete status.inFlight;
      const ok = outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300;
      const record: ActionAttempt = {
        attempt,
        at: new Date(ctx.clock.now()).toISOString(),
        ok,
        latencyMs: Math.round(outcome.latencyMs * 10) / 10,
      };
      if (outcome.status !== undefined) record.status = outcome.status;
      if (!ok) record.error = outcome.error ?? `status ${outcome.status}`;
      status.attempts.push(record);

      if (ok) {
        status.phase = 'succeeded';
        status.finishedAt = record.at;
        await this.persist();
        this.emit('succeeded', record);
        if (attempt >= 2) {
          this.alert('action-succeeded', 'info', `the ${status.kind} action succeeded after ${attempt} attempts`);
        }
        return;
      }
      if (attempt === total) {
        status.phase = 'failed';
        status.finishedAt = record.at;
        await this.persist();
        this.emit('failed', record);
        this.alert(
          'action-failed',
          'critical',
          `the ${status.kind} action failed ${total === 1 ? 'its only attempt' : `all ${total} attempts`} (last: ${record.error}); retry it when the receiver is fixed`,
        );
        return;
      }
      await this.persist();
      this.emit('running', record);
      await this.sleep(ctx.backoff(attempt));
    }
  }

  /**
   * The last run crashed with an attempt in flight: whether the receiver got it is unknown. An
   * idempotent action sends it again (once per crash); any other waits for an operator's decision.
   */
  private async resumeInFlight(): Promise<boolean> {
    const { status, action } = this;
    const inFlight = status.inFlight!;
    if (isIdempotent(action)) {
      this.deps.ctx.log.warn(
        'resending an action attempt whose outcome a crash left unknown (the action is idempotent)',
        {
          pair: this.pair.id,
          attempt: inFlight.attempt,
        },
      );
      delete status.inFlight;
      return true;
    }
    status.phase = 'unknown';
    await this.persist();
    this.emit('unknown');
    this.alert(
      'action-outcome-unknown',
      'critical',
      `attempt ${inFlight.attempt} of the ${status.kind} action was being sent at ${inFlight.at} when the monitor stopped unexpectedly; whether the receiver got it is unknown and the ${action.method} action is not idempotent, so it is not sent again: check the receiver, then retry the action or mark it done`,
    );
    return false;
  }

  private async persist(): Promise<void> {
    try {
      await this.deps.persistNow();
    } catch (error) {
      // Firing the action matters more than recording it; the log says why the record may be stale.
      this.deps.ctx.log.error('could not persist action progress', {
        pair: this.pair.id,
        error: (error as Error).message,
      });
    }
  }

  private emit(phase: ActionStatus['phase'], attempt?: ActionAttempt): void {
    const event: EngineEvent = {
      type: 'action',
      pair: this.pair.id,
      at: new Date(this.deps.ctx.clock.now()).toISOString(),
      kind: this.status.kind,
      phase,
    };
    if (attempt) event.attempt = attempt;
    this.deps.emit(event);
  }

  private alert(alert: AlertKind, severity: Severity, message: string): void {
    const label = pairLabel(this.pair);
    this.deps.emit({
      type: 'alert',
      pair: this.pair.id,
      at: new Date(this.deps.ctx.clock.now()).toISOString(),
      alert,
      severity,
      message: `${label}: ${message}`,
    });
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = undefined;
        resolve();
      };
      this.sleepTimer = this.deps.ctx.timers.setTimeout(() => this.wake?.(), ms);
    });
  }
}
