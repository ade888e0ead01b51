import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Delivery } from '../../src/main/policy/coalescing.js';
import { MuteGate } from '../../src/main/policy/muting.js';
import { muteUntil } from '../../src/shared/mute-choices.js';
import { NotificationCenter } from '../../src/main/policy/notification-center.js';
import { alert, stateEvent } from './fixtures.js';

describe('mute durations', () => {
  const now = new Date(2026, 10, 27, 14, 30, 0); // local time
  it('mutes for 1 h and 4 h from now', () => {
    expect(muteUntil('1h', now).getTime() - now.getTime()).toBe(3_600_000);
    expect(muteUntil('4h', now).getTime() - now.getTime()).toBe(14_400_000);
  });
  it('mutes until 08:00 local time on the next day, also across a month end', () => {
    expect(muteUntil('tomorrow', now)).toEqual(new Date(2026, 10, 28, 8, 0, 0));
    expect(muteUntil('tomorrow', new Date(2026, 11, 31, 23, 59))).toEqual(new Date(2027, 0, 1, 8, 0, 0));
  });
});

describe('muting holds notifications back without losing them', () => {
  beforeEach(() => vi.useFakeTimers({ now: new Date('2026-11-27T10:00:00Z') }));
  afterEach(() => vi.useRealTimers());

  it('shows nothing while muted and one summary when the operator unmutes', () => {
    const shown: Delivery[] = [];
    const center = new NotificationCenter({
      nameOf: (id) => `Pair ${id}`,
      show: (d) => shown.push(d),
      windowMs: 1_000,
    });
    center.mute(Date.now() + 3_600_000);
    center.handle(stateEvent('a', 'verifying', 'failover'));
    center.handle(alert('b', 'standby-down'));
    center.handle(alert('a', 'action-failed'));
    vi.advanceTimersByTime(10 * 60_000);
    expect(shown).toHaveLength(0);
    expect(center.heldCount).toBe(3);

    center.unmute();
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({
      title: 'While muted: 3 notifications for 2 pairs',
      severity: 'critical',
      count: 3,
    });
    expect(shown[0]!.pair).toBeUndefined();
    expect(center.heldCount).toBe(0);
    expect(center.mutedUntil).toBeUndefined();

    // After unmuting, news is shown again as usual.
    center.handle(alert('c', 'isolated'));
    vi.advanceTimersByTime(1_000);
    expect(shown).toHaveLength(2);
    expect(shown[1]).toMatchObject({ pair: 'c' });
  });

  it('releases the held summary by itself when the mute time runs out', () => {
    const shown: Delivery[] = [];
    const center = new NotificationCenter({ nameOf: (id) => id, show: (d) => shown.push(d), windowMs: 1_000 });
    center.mute(Date.now() + 3_600_000);
    center.handle(stateEvent('a', 'waiting', 'verifying'));
    vi.advanceTimersByTime(3_600_000 - 1);
    expect(shown).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(shown).toHaveLength(1);
    expect(shown[0]!.title).toBe('While muted: 1 notification for 1 pair');
    expect(shown[0]!.body).toContain('a: verifying');
  });

  it('shows news raised just before the mute rather than holding or dropping it', () => {
    const shown: Delivery[] = [];
    const center = new NotificationCenter({ nameOf: (id) => id, show: (d) => shown.push(d), windowMs: 5_000 });
    center.handle(stateEvent('a', 'verifying', 'failover'));
    center.mute(Date.now() + 60_000);
    expect(shown).toEqual([expect.objectContaining({ pair: 'a' })]);
  });

  it('unmuting with nothing held shows nothing', () => {
    const gate = new MuteGate(Date.now() + 1000);
    expect(gate.release(Date.now(), true)).toBeNull();
    expect(gate.isMuted(Date.now())).toBe(false);
  });

  it('restores a mute saved in the preferences at start', () => {
    const shown: Delivery[] = [];
    const center = new NotificationCenter({
      nameOf: (id) => id,
      show: (d) => shown.push(d),
      mutedUntil: Date.now() + 60_000,
    });
    center.handle(alert('a', 'isolated'));
    vi.advanceTimersByTime(30_000);
    expect(shown).toHaveLength(0);
    vi.advanceTimersByTime(30_000);
    expect(shown).toHaveLength(1);
  });
});
