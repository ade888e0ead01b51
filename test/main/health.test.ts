import { describe, expect, it } from 'vitest';
import {
  countPairs,
  health,
  overallLevel,
  pairLevel,
  tooltipText,
  TOOLTIP_MAX,
  worstFirst,
} from '../../src/shared/health.js';
import { pair } from './fixtures.js';

describe('tray level from pair states', () => {
  it('is empty without pairs', () => {
    expect(overallLevel([])).toBe('empty');
  });

  it('is ok when every pair is starting or waiting', () => {
    expect(overallLevel([pair('a', 'waiting'), pair('b', 'starting')])).toBe('ok');
  });

  it('is warning when a pair verifies, a standby is down, or a watcher is isolated', () => {
    expect(overallLevel([pair('a', 'waiting'), pair('b', 'verifying')])).toBe('warning');
    expect(overallLevel([pair('a', 'waiting', { standbyDown: true })])).toBe('warning');
    expect(overallLevel([pair('a', 'waiting', { isolated: true })])).toBe('warning');
  });

  it('is critical when a pair is in failover or an action failed, whatever else is going on', () => {
    expect(overallLevel([pair('a', 'verifying'), pair('b', 'failover'), pair('c', 'paused')])).toBe('critical');
    const failedAction = pair('a', 'starting', {
      action: {
        kind: 'failback',
        phase: 'failed',
        manual: true,
        reason: 'x',
        startedAt: '2026-11-27T08:00:00Z',
        attempts: [],
      },
    });
    expect(pairLevel(failedAction)).toBe('critical');
    expect(overallLevel([failedAction, pair('b', 'waiting')])).toBe('critical');
  });

  it('is paused only when every pair is paused; paused pairs do not hide the others', () => {
    expect(overallLevel([pair('a', 'paused'), pair('b', 'paused')])).toBe('paused');
    expect(overallLevel([pair('a', 'paused'), pair('b', 'waiting')])).toBe('ok');
    expect(overallLevel([pair('a', 'paused'), pair('b', 'verifying')])).toBe('warning');
  });

  it('counts pairs per state and per trouble', () => {
    const c = countPairs([
      pair('a', 'failover'),
      pair('b', 'failover', { standbyDown: true }),
      pair('c', 'waiting'),
      pair('d', 'paused'),
      pair('e', 'verifying', { isolated: true }),
    ]);
    expect(c.total).toBe(5);
    expect(c.byState).toEqual({ starting: 0, waiting: 1, verifying: 1, failover: 2, paused: 1 });
    expect(c.standbyDown).toBe(1);
    expect(c.isolated).toBe(1);
    expect(health([pair('a', 'failover')]).counts.byState.failover).toBe(1);
  });

  it('says the level and the counts in the tooltip, most urgent first, within the Windows limit', () => {
    const text = tooltipText([
      pair('a', 'failover'),
      pair('b', 'verifying'),
      pair('c', 'waiting'),
      pair('d', 'waiting'),
    ]);
    expect(text).toBe('PBX Failover Monitor: Failover\n1 in failover, 1 verifying, 2 watched');
    expect(tooltipText([])).toContain('No pairs configured');
    const many = Array.from({ length: 40 }, (_, i) =>
      pair(`p${i}`, (['failover', 'verifying', 'waiting', 'paused'] as const)[i % 4], {
        standbyDown: i % 3 === 0,
        isolated: i % 5 === 0,
      }),
    );
    expect(tooltipText(many).length).toBeLessThanOrEqual(TOOLTIP_MAX);
  });

  it('orders pairs worst first, then by name', () => {
    const order = worstFirst([
      pair('z', 'waiting'),
      pair('y', 'paused'),
      pair('b', 'verifying'),
      pair('a', 'failover'),
      pair('c', 'verifying'),
    ]);
    expect(order.map((p) => p.id)).toEqual(['a', 'b', 'c', 'z', 'y']);
  });
});
