// Which engine events open a condition, which clear it, and what is sent for each: the pairing of
// alert kinds (standby-down -> standby-up, …), acknowledgements and silences. Pure bookkeeping,
// no I/O: the dispatcher asks `onEvent` what to send and queues it.

import type { AlertKind, EngineEvent, PairStatus, Severity } from '../../shared/model.js';
import type { AlertAck, NotifyAction } from '../../shared/notify.js';

/** An alert of the key kind clears the open condition of the value kind. */
export const RESOLVED_BY: Partial<Record<AlertKind, AlertKind>> = {
  'standby-up': 'standby-down',
  'state-write-recovered': 'state-write-failed',
  ready: 'not-ready',
  'action-succeeded': 'action-failed',
  'coordinator-reachable': 'coordinator-unreachable',
  'notify-recovered': 'notify-failing',
};

/** Conditions that end with the pair's status rather than an alert of their own. */
const ENDS_WITH_STATUS: Partial<Record<AlertKind, (s: PairStatus) => boolean>> = {
  isolated: (s) => s.isolated,
  'primary-answering': (s) => s.primaryAnswering,
};

export interface Condition {
  key: string;
  pair: string;
  alert: AlertKind;
  alertId: string;
  severity: Severity;
  text: string;
  at: string;
  acked?: AlertAck;
  /** A status since the alert showed the condition (ends-with-status kinds end only after that). */
  seenActive?: boolean;
}

/** What the dispatcher is to send: one message, before the channels' filters. */
export interface Outgoing {
  action: NotifyAction;
  pair: string;
  alert: AlertKind;
  alertId: string;
  severity: Severity;
  text: string;
  at: string;
  dedupKey: string;
  /** Set for the dispatcher's own notify-failing / notify-recovered: not sent through that channel. */
  exceptChannel?: string;
  ack?: { operator: string; reason: string };
}

export function conditionKey(pair: string, alert: AlertKind, channel?: string): string {
  return channel === undefined ? `${pair}:${alert}` : `${pair}:${alert}:${channel}`;
}

const MAX_ACKS = 10_000;

export class Conditions {
  readonly open = new Map<string, Condition>();
  /** Acknowledgements by alert id, newest last. */
  readonly acks = new Map<string, AlertAck>();
  /** Silenced pairs: until (epoch ms), who and why. */
  readonly silences = new Map<string, { until: number; operator: string; reason: string }>();

  /**
   * The messages this event calls for. `channelOf` names the channel of the dispatcher's own
   * notify-failing / notify-recovered alerts (their condition is per channel).
   */
  onEvent(e: EngineEvent, channelOf: (alertId: string) => string | undefined): Outgoing[] {
    switch (e.type) {
      case 'alert':
        return this.onAlert(e.alert, e.id ?? '', e.pair, e.severity, e.message, e.at, channelOf(e.id ?? ''));
      case 'state': {
        const out: Outgoing[] = [];
        if (e.from === 'failover' && e.to !== 'failover') {
          out.push(...this.resolve(conditionKey(e.pair, 'failover'), `left failover (${e.to}): ${e.reason}`, e.at));
          out.push(...this.resolve(conditionKey(e.pair, 'primary-answering'), `left failover (${e.to})`, e.at));
        }
        if (e.status) out.push(...this.statusEnds(e.pair, e.status, e.at));
        return out;
      }
      case 'check':
        return e.status ? this.statusEnds(e.pair, e.status, e.at) : [];
      case 'operator':
        return this.onOperator(e);
      default:
        return [];
    }
  }

  /** A change into failover without a `failover` alert of its own (opened unless the alert did). */
  intoFailover(pair: string, alertId: string, text: string, at: string): Outgoing[] {
    const key = conditionKey(pair, 'failover');
    if (this.open.has(key)) return [];
    return this.onAlert('failover', alertId, pair, 'critical', text, at, undefined);
  }

  isSilenced(pair: string, nowMs: number): boolean {
    const s = this.silences.get(pair);
    if (!s) return false;
    if (s.until > nowMs) return true;
    this.silences.delete(pair);
    return false;
  }

  private onAlert(
    alert: AlertKind,
    id: string,
    pair: string,
    severity: Severity,
    text: string,
    at: string,
    channel: string | undefined,
  ): Outgoing[] {
    const cleared = RESOLVED_BY[alert];
    if (cleared) {
      const key = conditionKey(pair, cleared, alert === 'notify-recovered' ? channel : undefined);
      if (this.open.has(key)) return this.resolve(key, text, at);
      // A recovery with nothing open here (before a restart, or not alerted) is not news for a channel.
      if (alert === 'notify-recovered' || alert === 'standby-up' || alert === 'ready') return [];
    }
    const key = conditionKey(pair, alert, alert === 'notify-failing' ? channel : undefined);
    const existing = this.open.get(key);
    if (existing) {
      // The same condition again (the failover alert after its state change): not news, unless unacknowledged.
      if (existing.alertId === '' || existing.acked || existing.alert === 'failover') {
        if (existing.alertId === '') existing.alertId = id;
        return [];
      }
    }
    const condition: Condition = { key, pair, alert, alertId: id, severity, text, at };
    // Only kinds that something clears stay open; the rest are notices (sent once each).
    if (opens(alert)) this.open.set(key, condition);
    const out: Outgoing = { action: 'trigger', pair, alert, alertId: id, severity, text, at, dedupKey: key };
    if (channel !== undefined) out.exceptChannel = channel;
    return [out];
  }

  private resolve(key: string, text: string, at: string): Outgoing[] {
    const c = this.open.get(key);
    if (!c) return [];
    this.open.delete(key);
    const channel = c.alert === 'notify-failing' ? key.split(':').slice(2).join(':') : undefined;
    const out: Outgoing = {
      action: 'resolve',
      pair: c.pair,
      alert: c.alert,
      alertId: c.alertId,
      severity: c.severity,
      text,
      at,
      dedupKey: key,
    };
    if (channel) out.exceptChannel = channel;
    return [out];
  }

  private statusEnds(pair: string, status: PairStatus, at: string): Outgoing[] {
    const out: Outgoing[] = [];
    for (const [kind, active] of Object.entries(ENDS_WITH_STATUS) as [AlertKind, (s: PairStatus) => boolean][]) {
      const key = conditionKey(pair, kind);
      const c = this.open.get(key);
      if (!c) continue;
      // A status may be emitted before the flag is set: the condition ends only once it was seen, then cleared.
      if (active(status)) c.seenActive = true;
      else if (c.seenActive) out.push(...this.resolve(key, endedText(kind), at));
    }
    return out;
  }

  private onOperator(e: Extract<EngineEvent, { type: 'operator' }>): Outgoing[] {
    if (e.outcome !== 'ok') return [];
    if (e.action === 'silence' && e.until !== undefined) {
      const until = Date.parse(e.until);
      if (until > Date.parse(e.at)) this.silences.set(e.pair, { until, operator: e.operator, reason: e.reason });
      else this.silences.delete(e.pair);
      return [];
    }
    if (e.action !== 'ack' || e.alertId === undefined) return [];
    const ack: AlertAck = { operator: e.operator, reason: e.reason, at: e.at };
    this.acks.set(e.alertId, ack);
    if (this.acks.size > MAX_ACKS) this.acks.delete(this.acks.keys().next().value!);
    const c = [...this.open.values()].find((x) => x.alertId === e.alertId);
    if (!c || c.acked) return [];
    c.acked = ack;
    return [
      {
        action: 'acknowledge',
        pair: c.pair,
        alert: c.alert,
        alertId: c.alertId,
        severity: c.severity,
        text: `acknowledged by ${e.operator}: ${e.reason}`,
        at: e.at,
        dedupKey: c.key,
        ack: { operator: e.operator, reason: e.reason },
      },
    ];
  }
}

function opens(alert: AlertKind): boolean {
  return (
    Object.values(RESOLVED_BY).includes(alert) ||
    alert in ENDS_WITH_STATUS ||
    alert === 'failover' ||
    alert === 'lock-lost'
  );
}

function endedText(kind: AlertKind): string {
  switch (kind) {
    case 'isolated':
      return 'the watcher reaches its validation URLs again';
    default:
      return 'the primary no longer answers while in failover';
  }
}
