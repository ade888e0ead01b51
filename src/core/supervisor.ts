// Runs the watchers of every pair: adds, changes, pauses and removes them at
// run time without touching the others, spreads their first checks so that a
// thousand pairs do not fire in the same millisecond, and fans their events
// out to subscribers (history, the service's SSE, the desktop shell).

import type { Unsubscribe } from '../shared/api.js';
import type { EngineEvent, PairSettings, PairStatus } from '../shared/model.js';
import type { EngineContext, PersistedState } from './ports.js';
import { Watcher, type WatcherDeps, type WatcherHooks } from './watcher.js';

export interface SupervisorDeps {
  /** Passed to every watcher as it is. */
  ctx: EngineContext;
  /** A pair's persisted state changed; write it soon. */
  persistSoon(): void;
  /** Write now (action progress). */
  persistNow(): Promise<void>;
  /** Spread of the first check of a pair added at run time, as a share of its interval (default 0.1). */
  addedJitter?: number;
}

export type EngineListener = (event: EngineEvent) => void;

/** Fields of a pair's status that a module beside the watchers keeps (DNS verification's `dnsPhase`). */
export type StatusPart = (pair: string) => Partial<PairStatus> | undefined;

export class Supervisor {
  private readonly watchers = new Map<string, Watcher>();
  private readonly listeners = new Set<EngineListener>();
  private readonly statusParts: StatusPart[] = [];
  private readonly watcherDeps: WatcherDeps;
  private running = false;

  constructor(private readonly deps: SupervisorDeps) {
    const hooks: WatcherHooks = {
      emit: (event) => this.emit(event),
      persistSoon: () => deps.persistSoon(),
      persistNow: () => deps.persistNow(),
    };
    this.watcherDeps = { ctx: deps.ctx, hooks };
  }

  subscribe(listener: EngineListener): Unsubscribe {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Every status handed out from now on (events, lists, details) carries what `part` gives for its pair. */
  addStatusPart(part: StatusPart): void {
    this.statusParts.push(part);
  }

  /** A watcher's status with every module's part added. */
  statusWith(status: PairStatus): PairStatus {
    if (this.statusParts.length === 0) return status;
    let out = status;
    for (const part of this.statusParts) {
      const extra = part(status.id);
      if (extra) out = { ...out, ...extra };
    }
    return out;
  }

  /** The pair's status now, with every module's part; undefined for a pair not watched. */
  statusOf(id: string): PairStatus | undefined {
    const w = this.watchers.get(id);
    return w ? this.statusWith(w.status()) : undefined;
  }

  emit(event: EngineEvent): void {
    if ('status' in event && event.status !== undefined && this.statusParts.length > 0)
      event = { ...event, status: this.statusWith(event.status) };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        // One broken subscriber must not stop the watchers or the other subscribers.
        this.deps.ctx.log.error('event subscriber failed', {
          type: event.type,
          pair: event.pair,
          error: (error as Error).message,
        });
      }
    }
  }

  has(id: string): boolean {
    return this.watchers.has(id);
  }

  get(id: string): Watcher | undefined {
    return this.watchers.get(id);
  }

  /** Watchers in the order they were added (the order of the file). */
  list(): Watcher[] {
    return [...this.watchers.values()];
  }

  statuses(): PairStatus[] {
    const out: PairStatus[] = [];
    for (const w of this.watchers.values()) out.push(this.statusWith(w.status()));
    return out;
  }

  /** Adds a pair; when the supervisor runs, its first check comes after a short random delay. */
  add(settings: PairSettings, persisted?: PersistedState): Watcher {
    if (this.watchers.has(settings.id)) throw new Error(`pair "${settings.id}" is already watched`);
    const watcher = new Watcher(settings, this.watcherDeps, persisted);
    this.watchers.set(settings.id, watcher);
    if (this.running) watcher.start(Math.random() * settings.interval * 1000 * (this.deps.addedJitter ?? 0.1));
    return watcher;
  }

  /** See Watcher.update for which changes keep the pair's state. */
  update(settings: PairSettings): Watcher {
    const watcher = this.watchers.get(settings.id);
    if (!watcher) throw new Error(`pair "${settings.id}" is not watched`);
    watcher.update(settings);
    return watcher;
  }

  async remove(id: string): Promise<void> {
    const watcher = this.watchers.get(id);
    if (!watcher) return;
    this.watchers.delete(id);
    await watcher.stop();
  }

  /** Puts the watchers in this order (the order of an imported file); unknown ids are ignored. */
  reorder(ids: readonly string[]): void {
    const ordered = new Map<string, Watcher>();
    for (const id of ids) {
      const w = this.watchers.get(id);
      if (w) ordered.set(id, w);
    }
    for (const [id, w] of this.watchers) if (!ordered.has(id)) ordered.set(id, w);
    this.watchers.clear();
    for (const [id, w] of ordered) this.watchers.set(id, w);
  }

  /**
   * Starts every watcher, spreading first checks evenly over each pair's interval: pair i of n starts
   * after i/n of its interval, so load is flat from the first second.
   */
  start(): void {
    if (this.running) return;
    this.running = true;
    const n = this.watchers.size;
    let i = 0;
    for (const watcher of this.watchers.values()) {
      watcher.start(n > 1 ? (i / n) * watcher.settings.interval * 1000 : 0);
      i++;
    }
  }

  /** Stops every watcher; action attempts in flight get `graceMs` to finish. */
  async stop(graceMs = 5000): Promise<void> {
    this.running = false;
    await Promise.all([...this.watchers.values()].map((w) => w.stop(graceMs)));
  }
}
