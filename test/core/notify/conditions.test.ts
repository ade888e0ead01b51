// The pairing of alert kinds: what opens a condition, what clears it, what is sent once.

import { describe, expect, it } from 'vitest';
import { Conditions } from '../../../src/core/notify/conditions.js';
import type { AlertEvent, EngineEvent, PairStatus } from '../../../src/shared/model.js';

const at = '2026-12-02T20:00:00.000Z';
const alert = (
  kind: AlertEvent['alert'],
  id: string,
  pair = 'acme',
  severity: AlertEvent['severity'] = 'warning',
): AlertEvent => ({
  type: 'alert',
  id,
  pair,
  at,
  alert: kind,
  severity,
  message: `${kind}!`,
});
const status = (over: Partial<PairStatus>): PairStatus => ({
  id: 'acme',
  name: 'ACME',
  state: 'waiting',
  since: at,
  consecutiveFailures: 0,
  toleratedFailures: 1,
  interval: 1,
  primaryAnswering: false,
  standbyDown: false,
  isolated: false,
  ...over,
});
const check = (s: PairStatus): EngineEvent => ({
  type: 'check',
  pair: 'acme',
  at,
  consecutiveFailures: 0,
  result: { target: 'primary', url: 'x', ok: true, latencyMs: 1, at },
  status: s,
});
const none = () => undefined;

describe('alert conditions', () => {
  it('pairs each recovery with its alert, and a recovery with nothing open sends nothing', () => {
    const c = new Conditions();
    expect(c.onEvent(alert('standby-up', 'u0'), none)).toEqual([]);
    expect(c.onEvent(alert('standby-down', 'd1'), none)).toMatchObject([
      { action: 'trigger', dedupKey: 'acme:standby-down' },
    ]);
    expect(c.onEvent(alert('standby-up', 'u1', 'acme', 'info'), none)).toMatchObject([
      { action: 'resolve', alert: 'standby-down', alertId: 'd1', severity: 'warning', text: 'standby-up!' },
    ]);
    for (const [raise, clear] of [
      ['state-write-failed', 'state-write-recovered'],
      ['not-ready', 'ready'],
      ['action-failed', 'action-succeeded'],
      ['coordinator-unreachable', 'coordinator-reachable'],
    ] as const) {
      c.onEvent(alert(raise, `r-${raise}`), none);
      expect(c.onEvent(alert(clear, `c-${clear}`), none)).toMatchObject([{ action: 'resolve', alert: raise }]);
    }
    // Without anything open, a success is a notice of its own.
    expect(c.onEvent(alert('action-succeeded', 's2', 'acme', 'info'), none)).toMatchObject([
      { action: 'trigger', alert: 'action-succeeded' },
    ]);
  });

  it('ends an isolation once a status showed it and then cleared it', () => {
    const c = new Conditions();
    c.onEvent(alert('isolated', 'i1'), none);
    // A status from before the flag was set does not end it.
    expect(c.onEvent(check(status({ isolated: false })), none)).toEqual([]);
    expect(c.onEvent(check(status({ isolated: true })), none)).toEqual([]);
    expect(c.onEvent(check(status({ isolated: false })), none)).toMatchObject([
      { action: 'resolve', alert: 'isolated' },
    ]);
  });

  it('opens failover from the alert or the state change, once, and ends it when the pair leaves failover', async () => {
    const c = new Conditions();
    expect(c.onEvent(alert('failover', 'f1', 'acme', 'critical'), none)).toHaveLength(1);
    expect(c.intoFailover('acme', '', 'state change', at)).toEqual([]);
    expect(c.onEvent(alert('failover', 'f2', 'acme', 'critical'), none)).toEqual([]);
    const left: EngineEvent = {
      type: 'state',
      pair: 'acme',
      at,
      from: 'failover',
      to: 'starting',
      reason: 're-armed',
      manual: true,
    };
    expect(c.onEvent(left, none)).toMatchObject([
      { action: 'resolve', alert: 'failover', dedupKey: 'acme:failover', severity: 'critical' },
    ]);
    // A state change without the alert opens it on its own; the alert that follows adopts it.
    expect(c.intoFailover('beta', '', 'beta failover', at)).toMatchObject([{ action: 'trigger', alert: 'failover' }]);
    expect(c.onEvent(alert('failover', 'f3', 'beta', 'critical'), none)).toEqual([]);
    expect(c.open.get('beta:failover')!.alertId).toBe('f3');
  });

  it('acknowledges the open condition (PagerDuty acknowledge) and then does not send a repeat', () => {
    const c = new Conditions();
    c.onEvent(alert('standby-down', 'd1'), none);
    const ack: EngineEvent = {
      type: 'operator',
      pair: 'acme',
      at,
      action: 'ack',
      operator: 'ann',
      reason: 'known',
      outcome: 'ok',
      alertId: 'd1',
    };
    expect(c.onEvent(ack, none)).toMatchObject([
      { action: 'acknowledge', dedupKey: 'acme:standby-down', ack: { operator: 'ann', reason: 'known' } },
    ]);
    expect(c.onEvent(alert('standby-down', 'd2'), none)).toEqual([]);
    expect(c.onEvent(alert('standby-up', 'u'), none)).toMatchObject([{ action: 'resolve' }]);
    // Cleared: the next episode is news again.
    expect(c.onEvent(alert('standby-down', 'd3'), none)).toMatchObject([{ action: 'trigger', alertId: 'd3' }]);
  });

  it("keeps a channel's own notify-failing per channel and never through that channel", () => {
    const c = new Conditions();
    const channelOf = (id: string) => ({ nf1: 'a', nf2: 'b', nr1: 'a' })[id];
    expect(c.onEvent(alert('notify-failing', 'nf1', '*'), channelOf)).toMatchObject([
      { dedupKey: '*:notify-failing:a', exceptChannel: 'a' },
    ]);
    expect(c.onEvent(alert('notify-failing', 'nf2', '*'), channelOf)).toMatchObject([
      { dedupKey: '*:notify-failing:b', exceptChannel: 'b' },
    ]);
    expect(c.onEvent(alert('notify-recovered', 'nr1', '*', 'info'), channelOf)).toMatchObject([
      { action: 'resolve', dedupKey: '*:notify-failing:a', exceptChannel: 'a' },
    ]);
    expect(c.open.has('*:notify-failing:b')).toBe(true);
  });
});
