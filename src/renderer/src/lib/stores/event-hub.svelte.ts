// Live engine events arrive in bursts (a thousand pairs checking every second).
// The hub queues them and hands each consumer one batch per animation frame,
// then updates the DOM once, so the cost is per frame, not per event.

import { flushSync } from 'svelte';
import type { Backend, ConnectionState } from '../../../../shared/api';
import type { EngineEvent } from '../../../../shared/model';
import { recordFlush } from '../perf';

export type Consumer = (events: EngineEvent[]) => void;
export type Scheduler = (run: () => void) => void;

/** requestAnimationFrame, with a timer as backstop: hidden tabs get no frames but must not pile up events. */
export const frameScheduler: Scheduler = (run) => {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    run();
  };
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(once);
  setTimeout(once, 250);
};

export class EventHub {
  connection = $state<ConnectionState>('connecting');
  /** True after the stream came back from 'lost': views refetch what they may have missed. */
  reconnects = $state(0);
  private queue: EngineEvent[] = [];
  private scheduled = false;
  private readonly consumers = new Set<Consumer>();
  private readonly unsubscribe: Array<() => void> = [];

  constructor(private readonly schedule: Scheduler = frameScheduler) {}

  connect(backend: Backend): void {
    this.unsubscribe.push(
      backend.onConnection((state) => {
        if (state === 'live' && this.connection === 'lost') this.reconnects++;
        this.connection = state;
      }),
      backend.subscribe((events) => this.push(events)),
    );
  }

  disconnect(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  on(consumer: Consumer): () => void {
    this.consumers.add(consumer);
    return () => this.consumers.delete(consumer);
  }

  push(events: EngineEvent[]): void {
    for (const e of events) this.queue.push(e);
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const start = performance.now();
    const batch = this.queue;
    this.queue = [];
    for (const c of this.consumers) c(batch);
    flushSync();
    recordFlush(batch.length, performance.now() - start);
  }
}
