// The alert channels at run time: subscribed to the engine's events, it asks Conditions what to
// send, filters by each channel's min-severity and pairs, and queues one delivery per channel. Each
// channel has its own queue, worked one message at a time in order, retried with backoff through
// the Timers port: a slow or dead receiver never holds up the watchers or another channel. Every
// attempt is a `notify` event in the history; a channel that keeps failing raises notify-failing
// (sent through the others), and notify-recovered once it delivers again.

import type { AlertEvent, EngineEvent, HistoryEvent, NotifyEvent } from '../../shared/model.js';
import {
  channelTakesPair,
  maskNotify,
  severityAtLeast,
  type AlertAck,
  type NotifyChannelInfo,
  type NotifyMessage,
  type NotifySettings,
  type NotifyTestResult,
  type SilenceInfo,
} from '../../shared/notify.js';
import { maskUrl } from '../../shared/secrets.js';
import { newAlertId } from '../alert-id.js';
import type { HttpClient } from '../http-client.js';
import type { Clock, Logger, NotifyChannel, Timers } from '../ports.js';
import { createChannel } from './channels.js';
import { Conditions, conditionKey, type Outgoing } from './conditions.js';

export interface DispatcherDeps {
  client: HttpClient;
  clock: Clock;
  timers: Timers;
  log: Logger;
  /** Into the engine's event stream (Supervisor.emit): notify events and notify-failing/-recovered. */
  emit(event: EngineEvent): void;
  /** Name, primary and standby of a pair, for the message and the webhook's variables. */
  pairInfo(pair: string): { name: string; primaryUrl?: string; standbyUrl?: string } | undefined;
  /** Milliseconds before attempt n + 1 of a message (default 1 s doubling, capped at 60 s). */
  backoff?: (attempt: number) => number;
  /** Attempts per message (default 6). */
  attempts?: number;
  /** Deadline of one delivery, ms (default 10 s). */
  timeoutMs?: number;
  /** Failed attempts in a row after which a channel raises notify-failing (default 3). */
  failingAfter?: number;
  /** Messages kept waiting per channel; older ones are dropped beyond it (default 500). */
  queueLimit?: number;
  /** Build a channel (tests); default createChannel. */
  channelFactory?: (s: NotifySettings, client: HttpClient) => NotifyChannel;
}

interface Delivery {
  message: NotifyMessage;
  attempt: number;
}

interface ChannelState {
  settings: NotifySettings;
  channel: NotifyChannel;
  queue: Delivery[];
  busy: boolean;
  timer: unknown;
  failures: number;
  failing: boolean;
  last?: NotifyChannelInfo['lastDelivery'];
}

const MAX_RECENT_ALERTS = 5000;

export class NotifyDispatcher {
  private readonly states = new Map<string, ChannelState>();
  readonly conditions = new Conditions();
  /** Alert ids the dispatcher raised itself, with the channel they are about. */
  private readonly ownAlerts = new Map<string, string>();
  private readonly recent = new Map<string, AlertEvent>();
  private closed = false;
  private replaying = false;

  constructor(private readonly deps: DispatcherDeps) {}

  /** The channels of the configuration; a channel whose settings did not change keeps its queue. */
  setChannels(list: readonly NotifySettings[]): void {
    const next = new Map<string, ChannelState>();
    for (const s of list) {
      const old = this.states.get(s.id);
      if (old && JSON.stringify(old.settings) === JSON.stringify(s)) {
        next.set(s.id, old);
        continue;
      }
      if (old) this.stopState(old);
      const factory = this.deps.channelFactory ?? createChannel;
      next.set(s.id, {
        settings: s,
        channel: factory(s, this.deps.client),
        queue: [],
        busy: false,
        timer: undefined,
        failures: 0,
        failing: false,
      });
    }
    for (const [id, old] of this.states) if (!next.has(id)) this.stopState(old);
    this.states.clear();
    for (const [id, st] of next) this.states.set(id, st);
  }

  settings(): NotifySettings[] {
    return [...this.states.values()].map((s) => s.settings);
  }

  /** The channels with every secret masked, and how their deliveries go. */
  info(): NotifyChannelInfo[] {
    return [...this.states.values()].map((s) => {
      const out: NotifyChannelInfo = { settings: maskNotify(s.settings), failures: s.failures, failing: s.failing };
      if (s.last) out.lastDelivery = { ...s.last };
      return out;
    });
  }

  /**
   * Rebuild open conditions, acknowledgements and silences from the history (alerts, state changes
   * and operator events, in time order) without sending anything: they survive a restart.
   */
  restore(events: readonly HistoryEvent[]): void {
    this.replaying = true;
    try {
      for (const e of events) this.handle(e);
    } finally {
      this.replaying = false;
    }
    // A channel that was failing when the monitor stopped still is until it delivers (then notify-recovered).
    for (const st of this.states.values())
      if (this.conditions.open.has(conditionKey('*', 'notify-failing', st.settings.id))) st.failing = true;
  }

  /** The subscriber: never blocks, never throws for a channel's sake. */
  handle(event: EngineEvent): void {
    if (this.closed || event.type === 'notify') return;
    if (event.type === 'alert' && event.id) {
      this.recent.set(event.id, event);
      if (this.recent.size > MAX_RECENT_ALERTS) this.recent.delete(this.recent.keys().next().value!);
    }
    const out = this.conditions.onEvent(event, (id) => this.ownAlerts.get(id) ?? channelNamedIn(event));
    if (event.type === 'state' && event.to === 'failover' && event.from !== 'failover') {
      // The watcher raises a `failover` alert with the change; a change without one is sent on its own.
      const text = `${this.pairName(event.pair)}: ${event.manual ? 'manual ' : ''}failover: ${event.reason}`;
      const open = () => this.conditions.intoFailover(event.pair, '', text, event.at);
      // Replayed history is read in order at once (a later change out of failover must find it open);
      // live, the alert that follows in the same turn gets to speak first.
      if (this.replaying) open();
      else queueMicrotask(() => open().forEach((o) => this.enqueue(o)));
    }
    if (!this.replaying) for (const o of out) this.enqueue(o);
  }

  alert(id: string): AlertEvent | undefined {
    return this.recent.get(id);
  }

  ackOf(id: string): AlertAck | undefined {
    return this.conditions.acks.get(id);
  }

  silences(): SilenceInfo[] {
    const now = this.deps.clock.now();
    return [...this.conditions.silences.entries()]
      .filter(([pair]) => this.conditions.isSilenced(pair, now))
      .map(([pair, s]) => ({ pair, until: new Date(s.until).toISOString(), operator: s.operator, reason: s.reason }));
  }

  /** "Send test": one delivery now, outside the queue and without retries; recorded like any other. */
  async test(id: string, operator: string): Promise<NotifyTestResult> {
    const st = this.states.get(id);
    if (!st) throw new Error(`there is no <notify> channel "${id}"`);
    const at = this.iso();
    const message = this.messageOf({
      action: 'trigger',
      pair: '*',
      alert: 'notify-recovered',
      alertId: `test-${newAlertId(this.deps.clock.now())}`,
      severity: 'info',
      text: `Test message from PBX Failover Monitor, sent by ${operator}`,
      at,
      dedupKey: `*:test:${id}`,
    });
    message.alert = 'test';
    const outcome = await st.channel.send(message, this.deps.timeoutMs ?? 10_000);
    this.record(st, message, 1, outcome);
    const result: NotifyTestResult = { channel: id, ok: outcome.ok, latencyMs: outcome.latencyMs };
    if (outcome.status !== undefined) result.status = outcome.status;
    if (outcome.error !== undefined) result.error = outcome.error;
    return result;
  }

  /** Stops retries; deliveries in flight finish on their own deadline. */
  async close(): Promise<void> {
    this.closed = true;
    for (const st of this.states.values()) this.stopState(st);
    await Promise.all([...this.states.values()].map((s) => s.channel.close?.().catch(() => undefined)));
  }

  // ---------------------------------------------------------------------------------------------

  private enqueue(o: Outgoing): void {
    if (o.pair !== '*' && this.conditions.isSilenced(o.pair, this.deps.clock.now())) return;
    if (o.action === 'acknowledge') this.dropQueued(o.alertId);
    const message = this.messageOf(o);
    for (const st of this.states.values()) {
      if (st.settings.id === o.exceptChannel) continue;
      if (!severityAtLeast(o.severity, st.settings.minSeverity) || !channelTakesPair(st.settings, o.pair)) continue;
      if (!st.channel.handles(o.action)) continue;
      st.queue.push({ message, attempt: 1 });
      const limit = this.deps.queueLimit ?? 500;
      if (st.queue.length > limit) {
        const dropped = st.queue.splice(st.busy ? 1 : 0, st.queue.length - limit);
        this.deps.log.warn(`alert channel "${st.settings.id}": ${dropped.length} waiting message(s) dropped`, {
          channel: st.settings.id,
        });
      }
      this.pump(st);
    }
  }

  /** An acknowledged alert is not sent again: its waiting triggers and retries are dropped. */
  private dropQueued(alertId: string): void {
    for (const st of this.states.values()) {
      st.queue = st.queue.filter(
        (d, i) => (i === 0 && st.busy) || d.message.alertId !== alertId || d.message.action !== 'trigger',
      );
    }
  }

  private pump(st: ChannelState): void {
    if (st.busy || this.closed || st.queue.length === 0 || this.states.get(st.settings.id) !== st) return;
    st.busy = true;
    const delivery = st.queue[0]!;
    void st.channel
      .send(delivery.message, this.deps.timeoutMs ?? 10_000)
      .catch((error: unknown) => ({ ok: false, latencyMs: 0, error: String((error as Error)?.message ?? error) }))
      .then((outcome) => {
        if (this.closed) return;
        this.record(st, delivery.message, delivery.attempt, outcome);
        if (outcome.ok) {
          st.queue.shift();
          st.failures = 0;
          if (st.failing) this.recovered(st);
          st.busy = false;
          this.pump(st);
          return;
        }
        st.failures++;
        if (!st.failing && st.failures >= (this.deps.failingAfter ?? 3)) this.failing(st, outcome.error);
        const acked = delivery.message.action === 'trigger' && this.conditions.acks.has(delivery.message.alertId);
        if (delivery.attempt >= (this.deps.attempts ?? 6) || acked) {
          st.queue.shift();
          this.deps.log.warn(
            `alert channel "${st.settings.id}": gave up on a message after ${delivery.attempt} attempt(s)`,
            {
              channel: st.settings.id,
              alert: delivery.message.alert,
            },
          );
          st.busy = false;
          this.pump(st);
          return;
        }
        const wait = (this.deps.backoff ?? defaultBackoff)(delivery.attempt);
        delivery.attempt++;
        st.timer = this.deps.timers.setTimeout(() => {
          st.timer = undefined;
          st.busy = false;
          this.pump(st);
        }, wait);
      });
  }

  private record(
    st: ChannelState,
    m: NotifyMessage,
    attempt: number,
    outcome: { ok: boolean; status?: number; latencyMs: number; error?: string },
  ): void {
    const at = this.iso();
    st.last = { at, ok: outcome.ok };
    if (outcome.status !== undefined) st.last.status = outcome.status;
    if (outcome.error !== undefined) st.last.error = outcome.error;
    const event: NotifyEvent = {
      type: 'notify',
      pair: m.pair,
      at,
      channel: st.settings.id,
      ok: outcome.ok,
      latencyMs: outcome.latencyMs,
      alert: m.alert,
      action: m.action,
      attempt,
    };
    if (m.alertId) event.alertId = m.alertId;
    if (outcome.status !== undefined) event.status = outcome.status;
    if (outcome.error !== undefined) event.error = outcome.error;
    this.deps.emit(event);
  }

  private failing(st: ChannelState, error: string | undefined): void {
    st.failing = true;
    this.ownAlert(
      st,
      'notify-failing',
      'warning',
      `alert channel "${st.settings.id}" (${st.settings.type}) keeps failing: ${error ?? 'no answer'}`,
    );
  }

  private recovered(st: ChannelState): void {
    st.failing = false;
    this.ownAlert(
      st,
      'notify-recovered',
      'info',
      `alert channel "${st.settings.id}" (${st.settings.type}) delivers again`,
    );
  }

  private ownAlert(
    st: ChannelState,
    alert: 'notify-failing' | 'notify-recovered',
    severity: AlertEvent['severity'],
    message: string,
  ): void {
    const id = newAlertId(this.deps.clock.now());
    this.ownAlerts.set(id, st.settings.id);
    if (this.ownAlerts.size > 1000) this.ownAlerts.delete(this.ownAlerts.keys().next().value!);
    this.deps.emit({ type: 'alert', id, pair: '*', at: this.iso(), alert, severity, message });
  }

  private messageOf(o: Outgoing): NotifyMessage {
    const info = o.pair === '*' ? undefined : this.deps.pairInfo(o.pair);
    const ms = Date.parse(o.at);
    const values: Record<string, string> = {
      pair: o.pair,
      name: info?.name ?? o.pair,
      from: '',
      to: '',
      reason: o.text,
      manual: 'false',
      time: o.at,
      epoch: String(Math.floor(ms / 1000)),
      primary: info?.primaryUrl ? maskUrl(info.primaryUrl) : '',
      standby: info?.standbyUrl ? maskUrl(info.standbyUrl) : '',
      user: '',
      pass: '',
      action_id: o.alertId,
    };
    const m: NotifyMessage = {
      alertId: o.alertId,
      pair: o.pair,
      pairName: info?.name ?? o.pair,
      alert: o.alert,
      severity: o.severity,
      text: o.text,
      action: o.action,
      dedupKey: o.dedupKey,
      at: o.at,
      values,
    };
    if (o.ack) m.ack = o.ack;
    return m;
  }

  private pairName(pair: string): string {
    return this.deps.pairInfo(pair)?.name ?? pair;
  }

  private stopState(st: ChannelState): void {
    if (st.timer !== undefined) this.deps.timers.clearTimeout(st.timer);
    st.timer = undefined;
    st.queue = [];
  }

  private iso(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }
}

/** The channel a notify-failing / notify-recovered read back from the history is about (its message names it). */
function channelNamedIn(event: EngineEvent): string | undefined {
  if (event.type !== 'alert' || (event.alert !== 'notify-failing' && event.alert !== 'notify-recovered'))
    return undefined;
  return /^alert channel "([^"]+)"/.exec(event.message)?.[1];
}

/** 1 s doubling, capped at 60 s. */
export function defaultBackoff(attempt: number): number {
  return Math.min(1000 * 2 ** (attempt - 1), 60_000);
}
