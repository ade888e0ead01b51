// The stores of one dashboard, wired to one Backend; components reach them through context.

import { getContext } from 'svelte';
import type { Backend } from '$shared/api';
import { AccessStore } from './stores/access.svelte';
import { AuditStore } from './stores/audit.svelte';
import { RequestsStore } from './stores/requests.svelte';
import { saveToken } from './backend/token';
import { clock } from './stores/clock.svelte';
import { desktopSettingsOf, type DesktopSettings } from './stores/desktop-settings.svelte';
import { EventHub, type Scheduler } from './stores/event-hub.svelte';
import { HealthStore } from './stores/health.svelte';
import { MaintenanceStore } from './stores/maintenance.svelte';
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
  readonly maintenance: MaintenanceStore;
  /** What this screen's token may do (whoami). */
  readonly access: AccessStore;
  /** Two-person requests waiting for a second operator. */
  readonly requests: RequestsStore;
  readonly prefs = new Prefs();
  readonly router = new Router();
  readonly clock = clock;
  /** The desktop app's preferences; undefined in a browser. */
  readonly settings: DesktopSettings | undefined;
  private offShowPair: (() => void) | undefined;

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
    this.maintenance = new MaintenanceStore(backend);
    this.access = new AccessStore(backend);
    this.requests = new RequestsStore(backend);
    this.settings = desktopSettingsOf(backend);
    this.hub.on((events) => {
      this.health.apply(events);
      this.pairs.apply(events);
      this.notifications.apply(events);
      this.audit.apply(events);
      this.maintenance.apply(events);
      this.requests.apply(events);
    });
    this.hub.onRender(() => this.clock.tick());
    // The stream came back after a loss: what happened meanwhile is fetched again.
    this.hub.onReconnect(() => void this.resync());
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
    this.access.start();
    this.hub.connect(this.backend);
    this.offShowPair = this.backend.onShowPair?.((id) => this.router.go({ view: 'pair', id }));
    this.clock.start();
    // The pair list first, alone: with a thousand pairs everything else (the day's alerts from history
    // above all) would hold the service's answer that makes the first screen, and each answer handled
    // meanwhile delays drawing it. The header's banners, role and requests follow it.
    const pairs = this.pairs.load();
    const afterPairs = (load: () => Promise<void> | undefined) => pairs.then(load, load);
    await Promise.all([
      pairs,
      afterPairs(() => this.health.load()),
      afterPairs(() => this.access.load()),
      afterPairs(() => this.requests.load()),
      afterPairs(() => this.settings?.load()),
      afterPairs(() => this.notifications.load()),
      // For the overview's "maintenance in 2 h" and the timelines.
      afterPairs(() => this.maintenance.load()),
    ]);
  }

  /**
   * The name the audit log records for this screen's actions. One copy: in the desktop app main's
   * preferences (main fills it into every change), in a browser this screen's localStorage.
   */
  get operator(): string {
    return this.settings ? this.settings.operator : this.prefs.operator;
  }

  /** What a request names as its operator: nothing in the desktop app (main adds its own), else the saved name. */
  get requestOperator(): string | undefined {
    if (this.settings) return undefined;
    return this.prefs.operator.trim() || undefined;
  }

  /** Browser only; the desktop app's name is changed in its settings view (main validates it). */
  setOperator(name: string): void {
    if (!this.settings) this.prefs.setOperator(name);
  }

  /** Whether a 401 means the token given was rejected (true) rather than that none was given. */
  get hasToken(): boolean {
    return this.backend.hasToken ?? true;
  }

  /** The operator typed a token into the prompt: kept for this tab, used at once, and everything reloaded. */
  async useToken(token: string): Promise<void> {
    saveToken(token);
    this.backend.setToken?.(token);
    await this.resync();
  }

  /** After the event stream was lost, reload what may have been missed. */
  async resync(): Promise<void> {
    await Promise.all([
      this.pairs.load(),
      this.notifications.load(),
      this.health.load(),
      this.access.load(),
      this.requests.load(),
      this.audit.loaded ? this.audit.load() : undefined,
      this.maintenance.load(),
    ]);
  }

  stop(): void {
    this.started = false;
    this.offShowPair?.();
    this.offShowPair = undefined;
    this.access.stop();
    this.hub.disconnect();
    this.clock.stop();
  }
}

const KEY = Symbol('pbx-app');

/** For mount(…, { context }) and component tests. */
export function appContext(app: AppState): Map<unknown, unknown> {
  return new Map<unknown, unknown>([[KEY, app]]);
}

export function useApp(): AppState {
  return getContext<AppState>(KEY);
}
