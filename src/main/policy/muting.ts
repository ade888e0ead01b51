// Muting holds notifications back; it never discards news. The held ones are
// released as one summary when the mute ends (from the menu or when its time
// runs out), and the dashboard's list, which comes from the engine's alerts,
// shows every one of them regardless.

import { summarize, type Delivery } from './coalescing.js';
import type { NotificationIntent } from './notification-policy.js';

export class MuteGate {
  private until: number | undefined;
  private held: NotificationIntent[] = [];

  constructor(mutedUntil?: number) {
    this.until = mutedUntil;
  }

  get mutedUntil(): number | undefined {
    return this.until;
  }

  isMuted(nowMs: number): boolean {
    return this.until !== undefined && nowMs < this.until;
  }

  mute(untilMs: number): void {
    this.until = untilMs;
  }

  get heldCount(): number {
    return this.held.length;
  }

  /** True when the intent may be shown now; otherwise it is held until the mute ends. */
  admit(intent: NotificationIntent, nowMs: number): boolean {
    if (this.isMuted(nowMs)) {
      this.held.push(intent);
      return false;
    }
    return true;
  }

  /**
   * End the mute (explicitly, or because its time has come when `nowMs` is past it).
   * Returns one summary of what was held back, or null when nothing was.
   */
  release(nowMs: number, force = false): Delivery | null {
    if (!force && this.isMuted(nowMs)) return null;
    this.until = undefined;
    const held = this.held;
    this.held = [];
    if (held.length === 0) return null;
    // One summary that opens the dashboard's notification list (no pair), where every held alert is listed.
    const summary = summarize(held);
    const pairs = new Set(held.map((h) => h.pair)).size;
    const s = held.length === 1 ? '' : 's';
    return {
      title: `While muted: ${held.length} notification${s} for ${pairs} pair${pairs === 1 ? '' : 's'}`,
      body: summary.pair ? `${summary.title}\n${summary.body}` : summary.body,
      severity: summary.severity,
      count: held.length,
    };
  }
}
