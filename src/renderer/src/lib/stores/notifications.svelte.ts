// Every alert the engine raised, with the operator's acknowledgements. Alerts
// come from the service (so they survive a reload); which ones this operator has
// acknowledged is kept in localStorage.

import type { Backend } from '$shared/api';
import type { AlertEvent } from '$shared/model';
import { EventList } from './event-list.svelte';

const KEY = 'pbx-monitor-acknowledged';
const KEEP_ACKS = 5000;
const LOOKBACK_MS = 7 * 24 * 3600_000;

export function alertId(a: AlertEvent): string {
  return `${a.pair}|${a.at}|${a.alert}`;
}

export class NotificationsStore extends EventList<AlertEvent> {
  acknowledged = $state.raw<ReadonlySet<string>>(new Set());

  unread = $derived(this.items.reduce((n, a) => (this.acknowledged.has(alertId(a)) ? n : n + 1), 0));

  constructor(
    backend: Backend,
    private readonly storage: Storage | undefined = typeof localStorage === 'undefined' ? undefined : localStorage,
  ) {
    // An alert can arrive live and in the loaded list both: it is counted once.
    super({
      fetch: (range) => backend.alerts(range),
      accepts: (e): e is AlertEvent => e.type === 'alert',
      lookbackMs: LOOKBACK_MS,
      keyOf: alertId,
    });
    this.acknowledged = new Set(this.readAcks());
  }

  /** Newest first. */
  get alerts(): AlertEvent[] {
    return this.items;
  }

  isAcknowledged(a: AlertEvent): boolean {
    return this.acknowledged.has(alertId(a));
  }

  acknowledge(a: AlertEvent): void {
    this.setAcks([...this.acknowledged, alertId(a)]);
  }

  acknowledgeAll(): void {
    this.setAcks([...this.acknowledged, ...this.alerts.map(alertId)]);
  }

  private setAcks(ids: string[]): void {
    const kept = [...new Set(ids)].slice(-KEEP_ACKS);
    this.acknowledged = new Set(kept);
    this.storage?.setItem(KEY, JSON.stringify(kept));
  }

  private readAcks(): string[] {
    try {
      const parsed: unknown = JSON.parse(this.storage?.getItem(KEY) ?? '[]');
      return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
    } catch {
      return [];
    }
  }
}
