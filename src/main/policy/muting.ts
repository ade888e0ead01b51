// Muting holds notifications back; it never discards news. The held ones are
// released as one summary when the mute ends (from the menu or when its time
// runs out), and the dashboard's list, which comes from the engine's alerts,
// shows every one of them regardless.

import { summarize, type Delivery } from './coalescing.js';
import type { NotificationIntent } from './notification-policy.js';

export const MUTE_CHOICES = ['1h', '4h', 'tomorrow'] as const;
export type MuteChoice = (typeof MUTE_CHOICES)[number];

export const MUTE_LABELS: Record<MuteChoice, string> = {
  '1h': 'For 1 hour',
  '4h': 'For 4 hours',
  tomorrow: 'Until tomorrow 08:00',
};

/** "Until tomorrow" means the start of the next working morning, 08:00 local time. */
const TOMORROW_HOUR = 8;

export function muteUntil(choice: MuteChoice, now: Date): Date {
  switch (choice) {
    case '1h':
      return new Date(now.getTime() + 3_600_000);
    case '4h':
      return new Date(now.getTime() + 4 * 3_600_000);
    case 'tomorrow': {
      const t = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, TOMORROW_HOUR, 0, 0, 0);
      return t;
    }
  }
}

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
