// Every alert the engine raised, with the team's acknowledgements. Alerts come from the service (so
// they survive a reload) carrying who acknowledged them; an acknowledgement made anywhere (another
// browser, the desktop, the API) arrives live as an operator event `ack` and shows at once.

import type { Backend } from '$shared/api';
import type { AlertEvent, EngineEvent } from '$shared/model';
import type { AlertAck } from '$shared/notify';
import { EventList } from './event-list.svelte';

const LOOKBACK_MS = 7 * 24 * 3600_000;

/** The engine's id of the alert; alerts recorded before ids existed get one from their content. */
export function alertId(a: AlertEvent): string {
  return a.id ?? `${a.pair}|${a.at}|${a.alert}`;
}

export class NotificationsStore extends EventList<AlertEvent> {
  /** Acknowledgements by alert id, as the service knows them. */
  acknowledged = $state.raw<ReadonlyMap<string, AlertAck>>(new Map());

  unread = $derived(this.items.reduce((n, a) => (this.acknowledged.has(alertId(a)) ? n : n + 1), 0));

  constructor(private readonly backend: Backend) {
    // An alert can arrive live and in the loaded list both: it is counted once.
    super({
      fetch: (range) => backend.alerts(range),
      accepts: (e): e is AlertEvent => e.type === 'alert',
      lookbackMs: LOOKBACK_MS,
      keyOf: alertId,
    });
  }

  /** Newest first. */
  get alerts(): AlertEvent[] {
    return this.items;
  }

  override async load(nowMs = Date.now()): Promise<void> {
    await super.load(nowMs);
    const acks = new Map(this.acknowledged);
    for (const a of this.items) if (a.acknowledged) acks.set(alertId(a), a.acknowledged);
    this.acknowledged = acks;
  }

  override apply(events: EngineEvent[]): void {
    super.apply(events);
    let acks: Map<string, AlertAck> | undefined;
    for (const e of events) {
      if (e.type !== 'operator' || e.action !== 'ack' || e.outcome !== 'ok' || e.alertId === undefined) continue;
      acks ??= new Map(this.acknowledged);
      acks.set(e.alertId, { operator: e.operator, reason: e.reason, at: e.at });
    }
    if (acks) this.acknowledged = acks;
  }

  isAcknowledged(a: AlertEvent): boolean {
    return this.acknowledged.has(alertId(a));
  }

  ackOf(a: AlertEvent): AlertAck | undefined {
    return this.acknowledged.get(alertId(a));
  }

  /** Alerts without an id (recorded before ids existed) cannot be acknowledged for the team. */
  canAcknowledge(a: AlertEvent): boolean {
    return a.id !== undefined && !this.isAcknowledged(a);
  }

  /** Acknowledged for the whole team through the service; throws the service's error (shown by the dialog). */
  async acknowledge(a: AlertEvent, reason: string, operator?: string): Promise<void> {
    if (a.id === undefined) throw new Error('this alert was recorded without an id and cannot be acknowledged');
    const done = await this.backend.ackAlert(a.id, operator ? { reason, operator } : { reason });
    if (done.acknowledged) this.acknowledged = new Map(this.acknowledged).set(a.id, done.acknowledged);
  }

  /** Every alert still unacknowledged, with one reason; answers how many were acknowledged. */
  async acknowledgeAll(reason: string, operator?: string): Promise<number> {
    let n = 0;
    for (const a of this.alerts.filter((x) => this.canAcknowledge(x))) {
      try {
        await this.acknowledge(a, reason, operator);
        n++;
      } catch {
        // Acknowledged meanwhile by someone else (409): the live event shows who.
      }
    }
    return n;
  }
}
