// Live engine events arrive in bursts (a thousand pairs checking every second).
// The hub queues them and hands each consumer one batch per animation frame,
// then updates the DOM once, so the cost is per frame, not per event.

import { flushSync } from 'svelte';
import type { Backend, ConnectionState } from '$shared/api';
import type { EngineEvent } from '$shared/model';
import { recordFlush } from '../perf';

export type Consumer = (events: EngineEvent[]) => void;
export type Scheduler = (run: () => void) => void;

/** requestAnimationFrame, with a timer as backstop: hidden tabs get no frames but must not pile up events. */
const frameScheduler: Scheduler = (run) => {
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
const CHECKS_ONLY_INTERVAL_MS = 1000;

/** A dropped stream usually comes back within a reconnect or two; after this the whole view says it is stale. */
export const STALE_GRACE_MS = 3000;

export class EventHub {
  connection = $state<ConnectionState>('connecting');
  /** True after the stream came back from 'lost': views refetch what they may have missed. */
  reconnects = $state(0);
  /** Epoch ms the stream was lost or the token rejected; undefined while live (or still connecting at start). */
  lostSince = $state<number | undefined>(undefined);
  /** No contact for longer than the grace (or the token was rejected): what is shown is only what was last known. */
  stale = $state(false);
  private staleTimer: ReturnType<typeof setTimeout> | undefined;
  private queue: EngineEvent[] = [];
  private frameRequested = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private urgent = false;
  /** No batch yet: the first one is shown in the next frame, whatever time performance.now() starts at. */
  private lastFlush = Number.NEGATIVE_INFINITY;
  private readonly consumers = new Set<Consumer>();
  private readonly beforeRender = new Set<() => void>();
  private readonly reconnected = new Set<() => void>();
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly schedule: Scheduler = frameScheduler,
    private readonly checksOnlyIntervalMs = CHECKS_ONLY_INTERVAL_MS,
    private readonly staleGraceMs = STALE_GRACE_MS,
  ) {}

  connect(backend: Backend): void {
    this.unsubscribe.push(
      backend.onConnection((state) => this.setConnection(state)),
      backend.subscribe((events) => this.push(events)),
    );
  }

  disconnect(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    clearTimeout(this.staleTimer);
    this.staleTimer = undefined;
  }

  private setConnection(state: ConnectionState): void {
    const before = this.connection;
    const back = state === 'live' && (before === 'lost' || before === 'rejected');
    if (back) this.reconnects++;
    this.connection = state;
    if (state === 'live') {
      clearTimeout(this.staleTimer);
      this.staleTimer = undefined;
      this.lostSince = undefined;
      this.stale = false;
    } else if (state === 'rejected') {
      // Reconnecting cannot help: no grace.
      clearTimeout(this.staleTimer);
      this.staleTimer = undefined;
      this.lostSince ??= Date.now();
      this.stale = true;
    } else if (state === 'lost' && this.lostSince === undefined) {
      this.lostSince = Date.now();
      this.staleTimer = setTimeout(() => {
        this.staleTimer = undefined;
        this.stale = true;
      }, this.staleGraceMs);
    }
    if (back) for (const hook of this.reconnected) hook();
  }

  on(consumer: Consumer): () => void {
    this.consumers.add(consumer);
    return () => this.consumers.delete(consumer);
  }

  /** Runs each time the stream comes back after a loss (or a rejected token was replaced). */
  onReconnect(hook: () => void): () => void {
    this.reconnected.add(hook);
    return () => this.reconnected.delete(hook);
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
