// The two-person rule's requests: a held manual failover, re-arm with failback or removal waits here
// for a second operator. Kept in memory (a restart drops them: nothing fires), each lapses after 10
// minutes on the engine's Timers, and an approval fires the held move exactly once: the request leaves
// `pending` before anything is awaited, so a second approval racing it finds it decided.

import { randomUUID } from 'node:crypto';
import { MonitorError, type Reasoned } from '../shared/api.js';
import type { EngineEvent, OperatorAction } from '../shared/model.js';
import { REQUEST_LAPSE_MS, type TwoPersonAction, type TwoPersonRequest } from '../shared/two-person.js';
import type { Clock, Timers } from './ports.js';
import { readRequester } from './requests.js';

/** Decided requests are listed this long after their decision. */
const KEEP_DECIDED_MS = 60 * 60_000;
/** At most this many pending requests at once: a loop of requests cannot grow memory without bound. */
const MAX_PENDING = 500;

export interface TwoPersonDeps {
  clock: Clock;
  timers: Timers;
  emit(event: EngineEvent): void;
  /** Performs the approved move as the requester asked it; throwing makes the outcome `failed`. */
  perform(request: TwoPersonRequest, detail: string): Promise<void>;
  /** How long a request waits (default 10 minutes). */
  lapseMs?: number;
}

export interface NewRequest {
  pair: string;
  action: TwoPersonAction;
  requestedBy: string;
  reason: string;
  note?: string;
  force?: boolean;
}

const WORDS: Record<TwoPersonAction, string> = {
  failover: 'a manual failover',
  failback: 'a re-arm with the failback action',
  remove: 'the removal',
};

export class TwoPersonRequests {
  private readonly deps: TwoPersonDeps;
  private readonly requests = new Map<string, TwoPersonRequest>();
  private readonly timers = new Map<string, unknown>();

  constructor(deps: TwoPersonDeps) {
    this.deps = deps;
  }

  create(input: NewRequest): TwoPersonRequest {
    this.prune();
    if (this.pendingCount() >= MAX_PENDING) {
      throw new MonitorError('conflict', `${MAX_PENDING} requests are already waiting for a second operator`);
    }
    const now = this.deps.clock.now();
    const lapseMs = this.deps.lapseMs ?? REQUEST_LAPSE_MS;
    const request: TwoPersonRequest = {
      id: randomUUID(),
      pair: input.pair,
      action: input.action,
      requestedBy: input.requestedBy,
      reason: input.reason,
      at: iso(now),
      expires: iso(now + lapseMs),
      state: 'pending',
      ...(input.force ? { force: true } : {}),
    };
    this.requests.set(request.id, request);
    this.timers.set(
      request.id,
      this.deps.timers.setTimeout(() => this.lapse(request.id), lapseMs),
    );
    const what = `${WORDS[request.action]} of pair "${request.pair}"`;
    this.audit(
      request.pair,
      'request',
      request.requestedBy,
      request.reason,
      'ok',
      `${what} waits for a second operator (request ${request.id})`,
      input.note,
    );
    this.deps.emit({
      type: 'alert',
      pair: request.pair,
      at: request.at,
      alert: 'request-pending',
      severity: 'warning',
      message: `${request.requestedBy} asks for ${what}: "${request.reason}". A second operator must approve it within ${Math.round(lapseMs / 60_000)} minutes (request ${request.id}).`,
    });
    return { ...request };
  }

  /** Pending requests and those decided within the last hour, newest first. */
  list(): TwoPersonRequest[] {
    this.prune();
    return [...this.requests.values()].reverse().map((r) => ({ ...r }));
  }

  pendingFor(pair: string): TwoPersonRequest[] {
    return [...this.requests.values()].filter((r) => r.pair === pair && r.state === 'pending');
  }

  async approve(id: string, by: Reasoned): Promise<TwoPersonRequest> {
    const { request, who, reason } = this.decide(id, by, 'approve');
    const detail = `${WORDS[request.action]} asked by ${request.requestedBy}, approved by ${who}: ${reason}`;
    try {
      await this.deps.perform({ ...request }, detail);
      request.outcome = 'ok';
    } catch (error) {
      request.outcome = 'failed';
      request.detail = (error as Error).message;
      throw error;
    }
    return { ...request };
  }

  reject(id: string, by: Reasoned): TwoPersonRequest {
    return { ...this.decide(id, by, 'reject').request };
  }

  /** Stop the lapse timers (the monitor is closing); pending requests are dropped with it. */
  close(): void {
    for (const handle of this.timers.values()) this.deps.timers.clearTimeout(handle);
    this.timers.clear();
  }

  private decide(id: string, by: Reasoned, action: 'approve' | 'reject') {
    const request = this.requests.get(id);
    if (!request) throw new MonitorError('not-found', `there is no two-person request with id "${id}"`);
    const identity = by?.identity;
    const attempted = identity?.name ?? by?.operator ?? 'api';
    const refuse = (error: MonitorError): never => {
      this.audit(
        request.pair,
        action,
        attempted,
        typeof by?.reason === 'string' ? by.reason : '',
        'failed',
        error.message,
        by?.note,
      );
      throw error;
    };
    if (!identity) {
      refuse(
        new MonitorError(
          'forbidden',
          `to ${action} a two-person request use a named token of role operator or admin (pbx-failover-monitor token add), not the admin file token`,
        ),
      );
    }
    const person = identity!;
    if (person.role !== 'operator' && person.role !== 'admin')
      refuse(new MonitorError('forbidden', 'needs role operator'));
    if (request.state === 'pending' && this.deps.clock.now() >= Date.parse(request.expires)) this.lapse(id);
    if (request.state !== 'pending') {
      refuse(new MonitorError('conflict', `request ${id} is ${request.state} already; nothing was changed`));
    }
    if (action === 'approve' && person.name === request.requestedBy) {
      refuse(
        new MonitorError(
          'conflict',
          `${person.name} asked for this and cannot approve it too: a different operator must approve request ${id}`,
        ),
      );
    }
    const { reason } = readRequester(request.pair, by, true, person.name);
    // Decided before anything is awaited: exactly one approval fires the move.
    request.state = action === 'approve' ? 'approved' : 'rejected';
    request.decidedBy = person.name;
    request.decisionReason = reason;
    request.decidedAt = iso(this.deps.clock.now());
    this.clearTimer(id);
    this.audit(
      request.pair,
      action,
      person.name,
      reason,
      'ok',
      `${action === 'approve' ? 'approved' : 'rejected'} request ${id} of ${request.requestedBy} (${WORDS[request.action]}: ${request.reason})`,
      by.note,
    );
    return { request, who: person.name, reason };
  }

  private lapse(id: string): void {
    const request = this.requests.get(id);
    this.clearTimer(id);
    if (!request || request.state !== 'pending') return;
    request.state = 'lapsed';
    request.decidedAt = iso(this.deps.clock.now());
    this.audit(
      request.pair,
      'reject',
      'policy',
      'no second operator within the time allowed',
      'ok',
      `request ${id} of ${request.requestedBy} (${WORDS[request.action]}: ${request.reason}) lapsed; nothing was changed`,
    );
  }

  private clearTimer(id: string): void {
    const handle = this.timers.get(id);
    if (handle !== undefined) this.deps.timers.clearTimeout(handle);
    this.timers.delete(id);
  }

  private pendingCount(): number {
    let n = 0;
    for (const r of this.requests.values()) if (r.state === 'pending') n++;
    return n;
  }

  private prune(): void {
    const cutoff = this.deps.clock.now() - KEEP_DECIDED_MS;
    for (const [id, r] of this.requests) {
      if (r.state !== 'pending' && r.decidedAt !== undefined && Date.parse(r.decidedAt) < cutoff)
        this.requests.delete(id);
    }
  }

  private audit(
    pair: string,
    action: OperatorAction,
    operator: string,
    reason: string,
    outcome: 'ok' | 'failed',
    detail: string,
    note?: string,
  ): void {
    const event: EngineEvent = {
      type: 'operator',
      pair,
      at: iso(this.deps.clock.now()),
      action,
      operator,
      reason: reason.trim().slice(0, 1000),
      outcome,
      detail,
    };
    if (note) event.note = note;
    this.deps.emit(event);
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
