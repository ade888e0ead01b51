// The stores of one dashboard, wired to one Backend; components reach them through context.

import { getContext } from 'svelte';
import type { Backend } from '$shared/api';
import { AuditStore } from './stores/audit.svelte';
import { clock } from './stores/clock.svelte';
import { EventHub, type Scheduler } from './stores/event-hub.svelte';
import { HealthStore } from './stores/health.svelte';
import { NotificationsStore } from './stores/notifications.svelte';
import { PairsStore } from './stores/pairs.svelte';
import { Prefs } from './stores/prefs.svelte';
import { Router } from './stores/router.svelte';

export class AppState {
  readonly hub: EventHub;
  readonly pairs: PairsStore;
  readonly notifications: NotificationsStore;
  readonly audit: AuditStore;
  readonly health: HealthStore;
  readonly prefs = new Prefs();
  readonly router = new Router();
  readonly clock = clock;

  constructor(
    readonly backend: Backend,
    schedule?: Scheduler,
    checksOnlyIntervalMs?: number,
  ) {
    this.hub = new EventHub(schedule, checksOnlyIntervalMs);
    this.pairs = new PairsStore(backend);
    this.notifications = new NotificationsStore(backend);
    this.audit = new AuditStore(backend);
    this.health = new HealthStore(backend);
    this.hub.on((events) => {
      this.health.apply(events);
      this.pairs.apply(events);
      this.notifications.apply(events);
      this.audit.apply(events);
    });
    this.hub.onRender(() => this.clock.tick());
  }

  private started = false;

  /**
   * The clock for every "in state" timer: stopped at the moment contact with the service was lost,
   * so nothing keeps counting on states that are no longer known.
   */
  get now(): number {
    return this.hub.lostSince ?? this.clock.now;
  }

  /** Subscribe first, then load, so nothing that happens in between is lost. Idempotent. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.hub.connect(this.backend);
    this.clock.start();
    await Promise.all([this.pairs.load(), this.notifications.load(), this.health.load()]);
  }

  /** After the event stream was lost, reload what may have been missed. */
  async resync(): Promise<void> {
    await Promise.all([
      this.pairs.load(),
      this.notifications.load(),
      this.health.load(),
      this.audit.loaded ? this.audit.load() : undefined,
    ]);
  }

  stop(): void {
    this.started = false;
    this.hub.disconnect();
    this.clock.stop();
  }
}

const KEY = Symbol('pbx-app');

/** For mount(…, { context }) and component tests. */
export function appContext(app: AppState): Map<unknown, unknown> {
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- the context map mount() reads once, not state
  return new Map<unknown, unknown>([[KEY, app]]);
}

export function useApp(): AppState {
  return getContext<AppState>(KEY);
}
