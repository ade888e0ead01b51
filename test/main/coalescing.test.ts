import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { summarize, type Delivery } from '../../src/main/policy/coalescing.js';
import { Batcher } from '../../src/main/policy/event-batcher.js';
import { NotificationCenter } from '../../src/main/policy/notification-center.js';
import type { NotificationIntent } from '../../src/main/policy/notification-policy.js';
import { alert, stateEvent } from './fixtures.js';

function intent(pairId: string, kind: NotificationIntent['kind'] = 'failover'): NotificationIntent {
  const severity = kind === 'failover' ? 'critical' : 'warning';
  return {
    pair: pairId,
    pairName: `Pair ${pairId}`,
    kind,
    severity,
    title: `Pair ${pairId}: ${kind}`,
    body: `${kind} body`,
    at: 0,
  };
}

describe('summarize', () => {
  it('gives a pair its own notification that opens the pair, leading with the most urgent news', () => {
    const d = summarize([intent('a', 'verifying'), intent('a', 'failover')]);
    expect(d).toMatchObject({ pair: 'a', title: 'Pair a: failover', severity: 'critical', count: 2 });
    expect(d.body).toBe('failover body\nAlso: verifying.');
  });

  it('sums up many pairs in one notification that opens the dashboard', () => {
    const d = summarize([intent('a'), intent('b'), intent('c', 'verifying'), intent('d'), intent('e'), intent('f')]);
    expect(d.pair).toBeUndefined();
    expect(d.title).toBe('6 pairs need attention');
    expect(d.body).toBe('5 failover, 1 verifying: Pair a, Pair b, Pair c, Pair d and 2 more');
  });
});

describe('burst coalescing', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('turns 10 pairs failing within 2 s into one summary notification', () => {
    const shown: Delivery[] = [];
    const c = new Batcher<NotificationIntent>((burst) => shown.push(summarize(burst)), 2_500);
    for (let i = 0; i < 10; i++) {
      c.push(intent(`p${i}`));
      vi.advanceTimersByTime(200);
    }
    expect(shown).toHaveLength(0);
    vi.advanceTimersByTime(2_500);
    expect(shown).toHaveLength(1);
    expect(shown[0]!.title).toBe('10 pairs need attention');
    expect(shown[0]!.count).toBe(10);
  });

  it('shows one pair its own notification once the window closes', () => {
    const shown: Delivery[] = [];
    const c = new Batcher<NotificationIntent>((burst) => shown.push(summarize(burst)), 2_500);
    c.push(intent('acme'));
    vi.advanceTimersByTime(2_499);
    expect(shown).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(shown).toEqual([expect.objectContaining({ pair: 'acme', title: 'Pair acme: failover' })]);
  });

  it('starts a new window for news after the previous window closed', () => {
    const shown: Delivery[] = [];
    const c = new Batcher<NotificationIntent>((burst) => shown.push(summarize(burst)), 1_000);
    c.push(intent('a'));
    vi.advanceTimersByTime(1_000);
    c.push(intent('b'));
    vi.advanceTimersByTime(1_000);
    expect(shown.map((d) => d.pair)).toEqual(['a', 'b']);
  });

  it('flushes what is pending on demand (quit) so nothing raised is lost', () => {
    const shown: Delivery[] = [];
    const c = new Batcher<NotificationIntent>((burst) => shown.push(summarize(burst)), 60_000);
    c.push(intent('a'));
    c.flush();
    expect(shown).toHaveLength(1);
    c.flush();
    expect(shown).toHaveLength(1);
  });
});

describe('the notification pipeline', () => {
  beforeEach(() => vi.useFakeTimers({ now: new Date('2026-11-27T10:00:00Z') }));
  afterEach(() => vi.useRealTimers());

  it('goes from engine events to one summary for a burst and to its own notification for one pair', () => {
    const shown: Delivery[] = [];
    const center = new NotificationCenter({ nameOf: (id) => id, show: (d) => shown.push(d), windowMs: 2_000 });
    for (let i = 0; i < 10; i++) {
      center.handle(stateEvent(`p${i}`, 'verifying', 'failover'));
      center.handle(alert(`p${i}`, 'failover')); // the same news again: not counted twice
      vi.advanceTimersByTime(150);
    }
    vi.advanceTimersByTime(2_000);
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({ title: '10 pairs need attention', count: 10 });

    vi.advanceTimersByTime(60_000);
    center.handle(stateEvent('solo', 'waiting', 'verifying'));
    vi.advanceTimersByTime(2_000);
    expect(shown).toHaveLength(2);
    expect(shown[1]).toMatchObject({ pair: 'solo', title: 'solo: verifying' });
  });
});
