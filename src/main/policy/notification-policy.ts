// Which engine event deserves a desktop notification. The engine reports a
// failover both as a state change and as an alert; whichever arrives first
// raises the notification and the other is recognised as the same news.

import type { ActionEvent, AlertEvent, EngineEvent, Severity, StateEvent } from '../../shared/model.js';

export const NOTIFY_KINDS = [
  'verifying',
  'failover',
  'action-failed',
  'action-retried',
  'isolated',
  'primary-answering',
  'standby-down',
  'certificate',
  /** An alert channel (<notify>) keeps failing: alerts may not reach the team. */
  'notify-failing',
  /** A two-person request waits for a second operator. */
  'request-pending',
] as const;
export type NotifyKind = (typeof NOTIFY_KINDS)[number];

export interface NotificationIntent {
  pair: string;
  pairName: string;
  kind: NotifyKind;
  severity: Severity;
  title: string;
  body: string;
  /** Epoch ms the intent was raised. */
  at: number;
}

export interface NotificationPolicyOptions {
  /** The pair's display name; events carry only the id. */
  nameOf: (pairId: string) => string;
  /** The same news for the same pair within this time is not raised again (default 30 s). */
  dedupeMs?: number;
}

const SEVERITY: Record<NotifyKind, Severity> = {
  verifying: 'warning',
  failover: 'critical',
  'action-failed': 'critical',
  'action-retried': 'info',
  isolated: 'warning',
  'primary-answering': 'critical',
  'standby-down': 'warning',
  certificate: 'warning',
  'notify-failing': 'warning',
  'request-pending': 'warning',
};

const HEADLINE: Record<NotifyKind, string> = {
  verifying: 'verifying',
  failover: 'failover',
  'action-failed': 'action URL failed',
  'action-retried': 'action URL succeeded after retries',
  isolated: 'watcher isolated',
  'primary-answering': 'primary answers again',
  'standby-down': 'standby down',
  certificate: 'certificate',
  'notify-failing': 'alert channel failing',
  'request-pending': 'waiting for a second operator',
};

/** Most urgent first: what a coalesced notification leads with. */
const URGENCY: readonly NotifyKind[] = [
  'failover',
  'primary-answering',
  'action-failed',
  'verifying',
  'isolated',
  'request-pending',
  'standby-down',
  'certificate',
  'notify-failing',
  'action-retried',
];
export const KIND_RANK = Object.fromEntries(URGENCY.map((k, i) => [k, i])) as Record<NotifyKind, number>;
export const SEVERITY_RANK_OF: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

export function headline(kind: NotifyKind): string {
  return HEADLINE[kind];
}

export class NotificationPolicy {
  private readonly nameOf: (id: string) => string;
  private readonly dedupeMs: number;
  private readonly lastRaised = new Map<string, number>();
  /** Highest failed attempt number of the running action, per pair. */
  private readonly failedAttempts = new Map<string, number>();

  constructor(opts: NotificationPolicyOptions) {
    this.nameOf = opts.nameOf;
    this.dedupeMs = opts.dedupeMs ?? 30_000;
  }

  /** The notification this event raises, or null. */
  intentFor(event: EngineEvent, nowMs: number): NotificationIntent | null {
    const raised = this.classify(event);
    if (!raised) return null;
    const key = `${event.pair}\u0000${raised.kind}`;
    const last = this.lastRaised.get(key);
    if (last !== undefined && nowMs - last < this.dedupeMs) return null;
    this.lastRaised.set(key, nowMs);
    // `*`: about the whole monitor (an alert channel failing), not a pair.
    const pairName = event.pair === '*' ? 'PBX Failover Monitor' : this.nameOf(event.pair);
    return {
      pair: event.pair,
      pairName,
      kind: raised.kind,
      severity: raised.severity ?? SEVERITY[raised.kind],
      title: `${pairName}: ${HEADLINE[raised.kind]}`,
      body: raised.body,
      at: nowMs,
    };
  }

  private classify(event: EngineEvent): { kind: NotifyKind; body: string; severity?: Severity } | null {
    switch (event.type) {
      case 'state':
        return this.fromState(event);
      case 'alert':
        return this.fromAlert(event);
      case 'action':
        return this.fromAction(event);
      default:
        return null;
    }
  }

  private fromState(e: StateEvent): { kind: NotifyKind; body: string } | null {
    if (e.to === 'verifying') {
      return { kind: 'verifying', body: e.reason || 'The primary stopped answering; checking the validation URLs.' };
    }
    if (e.to === 'failover') {
      this.failedAttempts.delete(e.pair);
      const body = e.manual
        ? `Manual failover${e.operator ? ` by ${e.operator}` : ''}: ${e.reason || 'no reason given'}`
        : `Automatic failover: ${e.reason || 'the primary is down and the validation URLs answer'}. The action URL is being fired.`;
      return { kind: 'failover', body };
    }
    return null;
  }

  private fromAlert(e: AlertEvent): { kind: NotifyKind; body: string; severity?: Severity } | null {
    switch (e.alert) {
      // Warning, critical (or expired) and renewed (info) carry their own severity.
      case 'certificate':
        return { kind: e.alert, body: this.withoutLabel(e.pair, e.message), severity: e.severity };
      case 'verifying':
      case 'failover':
      case 'action-failed':
      case 'isolated':
      case 'primary-answering':
      case 'standby-down':
      case 'notify-failing':
      case 'request-pending':
        return { kind: e.alert, body: this.withoutLabel(e.pair, e.message) };
      case 'action-succeeded':
        return this.succeeded(e.pair, this.withoutLabel(e.pair, e.message), (this.failedAttempts.get(e.pair) ?? 0) > 0);
      default:
        return null;
    }
  }

  private fromAction(e: ActionEvent): { kind: NotifyKind; body: string } | null {
    const attempt = e.attempt;
    if (attempt && !attempt.ok) {
      this.failedAttempts.set(e.pair, Math.max(this.failedAttempts.get(e.pair) ?? 0, attempt.attempt));
      return null;
    }
    if (e.phase === 'succeeded' || attempt?.ok) {
      const failed = this.failedAttempts.get(e.pair) ?? 0;
      const n = attempt?.attempt ?? failed + 1;
      return this.succeeded(e.pair, `The ${e.kind} action URL succeeded at attempt ${n}.`, n > 1 || failed > 0);
    }
    return null;
  }

  /** The title already names the pair; the engine's messages start with its label ("ACME Corp (acme): …"). */
  private withoutLabel(pair: string, message: string): string {
    const name = this.nameOf(pair);
    for (const label of [`${name} (${pair}): `, `${pair}: `, `${name}: `]) {
      if (message.startsWith(label)) return message.slice(label.length);
    }
    return message;
  }

  /** Only a success that needed retries is news; a first-time success is what the operator expects. */
  private succeeded(pair: string, body: string, retried: boolean): { kind: NotifyKind; body: string } | null {
    this.failedAttempts.delete(pair);
    return retried ? { kind: 'action-retried', body } : null;
  }
}
