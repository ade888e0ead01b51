// Every alert the engine raised, with the operator's acknowledgements. Alerts
// come from the service (so they survive a reload); which ones this operator has
// acknowledged is kept in localStorage.

import type { Backend } from '$shared/api';
import type { AlertEvent, EngineEvent } from '$shared/model';
import { errorMessage } from '../backend/errors';

const KEY = 'pbx-monitor-acknowledged';
const KEEP_ACKS = 5000;
const LOOKBACK_MS = 7 * 24 * 3600_000;

export function alertId(a: AlertEvent): string {
  return `${a.pair}|${a.at}|${a.alert}`;
}

export class NotificationsStore {
  /** Newest first. */
  alerts = $state.raw<AlertEvent[]>([]);
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- replaced whole in $state.raw, never changed in place
  acknowledged = $state.raw<ReadonlySet<string>>(new Set());
  error = $state<string | undefined>(undefined);
  loaded = $state(false);

  unread = $derived(this.alerts.reduce((n, a) => (this.acknowledged.has(alertId(a)) ? n : n + 1), 0));

  constructor(
    private readonly backend: Backend,
    private readonly storage: Storage | undefined = typeof localStorage === 'undefined' ? undefined : localStorage,
  ) {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- replaced whole in $state.raw, never changed in place
    this.acknowledged = new Set(this.readAcks());
  }

  async load(nowMs = Date.now()): Promise<void> {
    try {
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a timestamp for the request, not state
      const events = await this.backend.alerts({ from: new Date(nowMs - LOOKBACK_MS).toISOString() });
      this.alerts = events.filter((e): e is AlertEvent => e.type === 'alert').reverse();
      this.error = undefined;
    } catch (err) {
      this.error = errorMessage(err);
    } finally {
      this.loaded = true;
    }
  }

  apply(events: EngineEvent[]): void {
    const fresh = events.filter((e): e is AlertEvent => e.type === 'alert');
    if (fresh.length === 0) return;
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local lookup while computing, not state
    const known = new Set(this.alerts.map(alertId));
    const added = fresh.filter((a) => !known.has(alertId(a))).reverse();
    if (added.length > 0) this.alerts = [...added, ...this.alerts];
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
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local lookup while computing, not state
    const kept = [...new Set(ids)].slice(-KEEP_ACKS);
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- replaced whole in $state.raw, never changed in place
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
