// The notification pipeline without Electron: event -> policy -> mute gate ->
// coalescer -> show. The adapter in ../notifications.ts only turns a Delivery
// into a desktop notification.

import type { EngineEvent } from '../../shared/model.js';
import { COALESCE_WINDOW_MS, summarize, type Delivery } from './coalescing.js';
import { systemTimers, type Timers } from '../../core/ports.js';
import { Batcher } from './event-batcher.js';
import { MuteGate } from './muting.js';
import { NotificationPolicy, type NotificationIntent } from './notification-policy.js';

export interface NotificationCenterOptions {
  nameOf: (pairId: string) => string;
  show: (d: Delivery) => void;
  now?: () => number;
  timers?: Timers;
  windowMs?: number;
  dedupeMs?: number;
  mutedUntil?: number;
}

/** setTimeout cannot wait longer than about 24.8 days; a longer mute is re-armed. */
const MAX_TIMER_MS = 2_147_000_000;

export class NotificationCenter {
  private readonly policy: NotificationPolicy;
  private readonly gate: MuteGate;
  private readonly coalescer: Batcher<NotificationIntent>;
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly show: (d: Delivery) => void;
  private expiry: unknown;

  constructor(opts: NotificationCenterOptions) {
    this.now = opts.now ?? Date.now;
    this.timers = opts.timers ?? systemTimers;
    this.show = opts.show;
    this.policy = new NotificationPolicy({
      nameOf: opts.nameOf,
      ...(opts.dedupeMs !== undefined ? { dedupeMs: opts.dedupeMs } : {}),
    });
    this.gate = new MuteGate();
    this.coalescer = new Batcher(
      (burst) => opts.show(summarize(burst)),
      opts.windowMs ?? COALESCE_WINDOW_MS,
      this.timers,
    );
    if (opts.mutedUntil !== undefined && opts.mutedUntil > this.now()) this.mute(opts.mutedUntil);
  }

  handle(event: EngineEvent): void {
    const now = this.now();
    const intent = this.policy.intentFor(event, now);
    if (!intent) return;
    if (!this.gate.isMuted(now)) this.releaseHeld(false);
    if (this.gate.admit(intent, now)) this.coalescer.push(intent);
  }

  mute(untilMs: number): void {
    // News already waiting in the coalescer was raised before the mute: show it now.
    this.coalescer.flush();
    this.gate.mute(untilMs);
    this.armExpiry();
  }

  unmute(): void {
    this.releaseHeld(true);
  }

  get mutedUntil(): number | undefined {
    return this.gate.isMuted(this.now()) ? this.gate.mutedUntil : undefined;
  }

  get heldCount(): number {
    return this.gate.heldCount;
  }

  /** Show what is pending now and stop timers (on quit). */
  dispose(): void {
    this.coalescer.flush();
    if (this.expiry !== undefined) this.timers.clearTimeout(this.expiry);
    this.expiry = undefined;
  }

  private armExpiry(): void {
    if (this.expiry !== undefined) this.timers.clearTimeout(this.expiry);
    const until = this.gate.mutedUntil;
    if (until === undefined) return;
    const wait = Math.min(Math.max(0, until - this.now()), MAX_TIMER_MS);
    this.expiry = this.timers.setTimeout(() => {
      this.expiry = undefined;
      if (this.gate.isMuted(this.now())) this.armExpiry();
      else this.releaseHeld(false);
    }, wait);
  }

  private releaseHeld(force: boolean): void {
    if (force && this.expiry !== undefined) {
      this.timers.clearTimeout(this.expiry);
      this.expiry = undefined;
    }
    const summary = this.gate.release(this.now(), force);
    if (summary) this.show(summary);
  }
}
