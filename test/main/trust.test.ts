// What the tray, the notifications and the lock message box are told about the
// engine itself: from its alerts and from its health() answer, once per episode.

import { describe, expect, it } from 'vitest';
import { TrustWatch, trustTooltip } from '../../src/main/policy/trust.js';
import { TOOLTIP_MAX, tooltipText } from '../../src/shared/health.js';
import { alert, pair } from './fixtures.js';

const health = (...problems: Array<{ kind: 'state-write' | 'lock'; message: string }>) => ({
  ok: problems.length === 0,
  version: 't',
  problems: problems.map((p) => ({ ...p, since: '2026-12-02T17:00:00.000Z' })),
});

describe('trust watch', () => {
  it('begins a state-write problem on the alert and ends it on the recovery alert, once each', () => {
    const t = new TrustWatch();
    expect(t.onAlert(alert('*', 'state-write-failed', 'ENOSPC', 'critical'))).toEqual([
      { type: 'began', problem: { kind: 'state-write', message: 'ENOSPC', since: '2026-11-27T08:00:00.000Z' } },
    ]);
    expect(t.onAlert(alert('*', 'state-write-failed', 'ENOSPC again', 'critical'))).toEqual([]);
    expect(t.onHealth(health({ kind: 'state-write', message: 'ENOSPC' }))).toEqual([]);
    expect(t.problems.map((p) => p.kind)).toEqual(['state-write']);
    expect(t.onAlert(alert('*', 'state-write-recovered'))).toEqual([]); // health still says so
    expect(t.onHealth(health())).toEqual([{ type: 'ended', kind: 'state-write' }]);
    expect(t.problems).toEqual([]);
  });

  it('shows what health() reports even without an alert, and a lost lock is never over by itself', () => {
    const t = new TrustWatch();
    expect(t.onHealth(health({ kind: 'state-write', message: 'blocked by an invalid hand edit' }))).toMatchObject([
      { type: 'began', problem: { kind: 'state-write' } },
    ]);
    expect(t.onAlert(alert('*', 'lock-lost', 'pid 42 on noc-2 took over', 'critical'))).toMatchObject([
      { type: 'began', problem: { kind: 'lock' } },
    ]);
    expect(t.problems.map((p) => p.kind)).toEqual(['lock', 'state-write']);
    expect(t.onHealth(health())).toEqual([{ type: 'ended', kind: 'state-write' }]);
    expect(t.problems.map((p) => p.kind)).toEqual(['lock']);
    expect(t.onAlert(alert('acme', 'failover'))).toEqual([]);
  });

  it('puts the problem first in the tooltip, within the Windows limit', () => {
    const pairs = [pair('a', 'waiting'), pair('b', 'failover')];
    const text = trustTooltip([{ kind: 'state-write', message: 'x', since: '' }], tooltipText(pairs));
    expect(text).toBe('PBX Failover Monitor: state cannot be saved\n1 in failover, 1 watched');
    const both = trustTooltip(
      [
        { kind: 'lock', message: 'x', since: '' },
        { kind: 'state-write', message: 'y', since: '' },
      ],
      tooltipText(
        Array.from({ length: 40 }, (_, i) =>
          pair(`p${i}`, (['failover', 'verifying', 'waiting', 'paused'] as const)[i % 4], { standbyDown: i % 2 === 0 }),
        ),
      ),
    );
    expect(
      both.startsWith('PBX Failover Monitor: stopped watching: another instance took over; state cannot be saved'),
    ).toBe(true);
    expect(both.length).toBeLessThanOrEqual(TOOLTIP_MAX);
    expect(trustTooltip([], tooltipText(pairs))).toBe(tooltipText(pairs));
  });
});
