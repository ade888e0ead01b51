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

/**
 * Check results only move latencies and strips, so they are shown once a second (the pace of the
 * checks and of the "in state" clock); a state change, an action attempt or an alert is shown in
 * the next frame. Each render pass costs script, style, layout, paint and commit for the visible
 * rows, so fewer passes is most of the saving.
 */
export const CHECKS_ONLY_INTERVAL_MS = 1000;

export class EventHub {
  connection = $state<ConnectionState>('connecting');
  /** True after the stream came back from 'lost': views refetch what they may have missed. */
  reconnects = $state(0);
  private queue: EngineEvent[] = [];
  private frameRequested = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private urgent = false;
  /** No batch yet: the first one is shown in the next frame, whatever time performance.now() starts at. */
  private lastFlush = Number.NEGATIVE_INFINITY;
  private readonly consumers = new Set<Consumer>();
  private readonly beforeRender = new Set<() => void>();
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly schedule: Scheduler = frameScheduler,
    private readonly checksOnlyIntervalMs = CHECKS_ONLY_INTERVAL_MS,
  ) {}

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

  /** Runs in the same render pass as each batch (the shared clock ticks here, so it costs no pass of its own). */
  onRender(hook: () => void): () => void {
    this.beforeRender.add(hook);
    return () => this.beforeRender.delete(hook);
  }

  push(events: EngineEvent[]): void {
    for (const e of events) {
      this.queue.push(e);
      if (e.type !== 'check') this.urgent = true;
    }
    if (this.frameRequested) return;
    const wait = this.urgent ? 0 : this.lastFlush + this.checksOnlyIntervalMs - performance.now();
    if (wait <= 0) this.requestFrame();
    else this.timer ??= setTimeout(() => this.requestFrame(), wait);
  }

  private requestFrame(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.frameRequested = true;
    this.schedule(() => this.flush());
  }

  flush(): void {
    this.frameRequested = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.urgent = false;
    if (this.queue.length === 0) return;
    const start = performance.now();
    this.lastFlush = start;
    const batch = this.queue;
    this.queue = [];
    for (const c of this.consumers) c(batch);
    for (const hook of this.beforeRender) hook();
    flushSync();
    recordFlush(batch.length, performance.now() - start);
  }
}
