// One kind of engine event as a list, newest first: loaded from the service for a look-back window,
// then kept current by putting live events in front. The audit log and the notifications are two.

import type { TimeRange } from '$shared/api';
import type { EngineEvent, HistoryEvent } from '$shared/model';
import { errorMessage } from '../backend/errors';

export interface EventListSource<E extends HistoryEvent> {
  /** The service's answer for a range, oldest first (MonitorApi.audit or .alerts). */
  fetch(range: TimeRange): Promise<HistoryEvent[]>;
  /** Which events belong in the list. */
  accepts(e: EngineEvent): e is E;
  lookbackMs: number;
  /** Given a key, a live event the list already holds (it came from the load too) is not added twice. */
  keyOf?: (e: E) => string;
}

export class EventList<E extends HistoryEvent> {
  /** Newest first. */
  #items = $state.raw<E[]>([]);
  #error = $state<string | undefined>(undefined);
  #loaded = $state(false);

  constructor(private readonly source: EventListSource<E>) {}

  get items(): E[] {
    return this.#items;
  }
  get error(): string | undefined {
    return this.#error;
  }
  /** True once a load has answered, even with an error. */
  get loaded(): boolean {
    return this.#loaded;
  }

  async load(nowMs = Date.now()): Promise<void> {
    try {
      const events = await this.source.fetch({ from: new Date(nowMs - this.source.lookbackMs).toISOString() });
      this.#items = events.filter((e): e is E => this.source.accepts(e)).reverse();
      this.#error = undefined;
    } catch (err) {
      this.#error = errorMessage(err);
    } finally {
      this.#loaded = true;
    }
  }

  apply(events: EngineEvent[]): void {
    let fresh = events.filter((e): e is E => this.source.accepts(e));
    const keyOf = this.source.keyOf;
    if (keyOf && fresh.length > 0) {
      const known = new Set(this.#items.map(keyOf));
      fresh = fresh.filter((e) => !known.has(keyOf(e)));
    }
    if (fresh.length > 0) this.#items = [...fresh.reverse(), ...this.#items];
  }
}
