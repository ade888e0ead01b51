// Delivery: retried with backoff, a channel that keeps failing raises notify-failing (sent through
// the other channels, not itself), then notify-recovered; an acknowledged alert is not sent again;
// a silenced pair sends nothing.

import { describe, expect, it } from 'vitest';
import type { AlertEvent, EngineEvent } from '../../../src/shared/model.js';
import type { NotifySettings } from '../../../src/shared/notify.js';
import { waitFor } from '../../helpers/http-fixtures.js';
import { perTestScope } from '../../helpers/test-scope.js';
import { alertEvent, startDispatcher } from './notify-helpers.js';

const scope = perTestScope();

const slack = (id: string, url: string): NotifySettings => ({
  id,
  type: 'slack',
  minSeverity: 'info',
  headers: [],
  url,
});
const alertsOf = (events: EngineEvent[], kind: string) =>
  events.filter((e): e is AlertEvent => e.type === 'alert' && e.alert === kind);

describe('alert delivery', () => {
  it('retries a failing receiver, raises notify-failing through the other channel, then notify-recovered', async () => {
    const flaky = await scope.fixture(503);
    const other = await scope.fixture(200);
    const h = startDispatcher([slack('flaky', flaky.url('/a')), slack('other', other.url('/b'))], {
      failingAfter: 3,
      attempts: 10,
    });
    scope.cleanups.push(() => h.close());
    h.dispatcher.handle(alertEvent('action-failed', 'critical'));
    await waitFor(() => alertsOf(h.events, 'notify-failing').length === 1, 'notify-failing');
    // Raised right after the third failed attempt in a row.
    const raisedAt = h.events.findIndex((e) => e.type === 'alert' && e.alert === 'notify-failing');
    expect(
      h.events.slice(0, raisedAt).filter((e) => e.type === 'notify' && e.channel === 'flaky' && !e.ok),
    ).toHaveLength(3);
    const failing = alertsOf(h.events, 'notify-failing')[0]!;
    expect(failing).toMatchObject({ pair: '*', severity: 'warning' });
    expect(failing.id).toBeTruthy();
    expect(failing.message).toContain('"flaky"');
    // Sent through the other channel (its own message + the original alert), never queued on the failing one.
    await waitFor(() => other.requests.length === 2, 'the other channel got the alert and notify-failing');
    expect(other.requests.map((r) => JSON.parse(r.body).attachments[0].fields[1].value)).toEqual([
      'action-failed',
      'notify-failing',
    ]);
    flaky.setStatus(200);
    await waitFor(() => alertsOf(h.events, 'notify-recovered').length === 1, 'notify-recovered');
    // The message got through on a later attempt, once.
    const okFlaky = h.events.filter((e) => e.type === 'notify' && e.channel === 'flaky' && e.ok);
    expect(okFlaky).toHaveLength(1);
    expect(okFlaky[0]).toMatchObject({ alert: 'action-failed', attempt: flaky.requests.length });
    const failedFlaky = h.events.filter((e) => e.type === 'notify' && e.channel === 'flaky' && !e.ok);
    expect(failedFlaky.length).toBe(flaky.requests.length - 1);
    expect(failedFlaky[0]).toMatchObject({ ok: false, status: 503, error: 'status 503' });
    // The other channel hears that notify-failing is resolved.
    await waitFor(() => other.requests.length === 3, 'the resolved notify-failing');
    expect(JSON.parse(other.requests[2]!.body).text).toMatch(/^RESOLVED: PBX Failover Monitor notify-failing/);
    expect(flaky.requests.every((r) => !r.body.includes('notify-failing'))).toBe(true);
  });

  it('does not send an acknowledged alert again, and drops its pending retries', async () => {
    const down = await scope.fixture(500);
    const h = startDispatcher([slack('s', down.url('/'))], { attempts: 50, backoff: () => 50, failingAfter: 100 });
    scope.cleanups.push(() => h.close());
    const a = alertEvent('standby-down', 'warning');
    h.dispatcher.handle(a);
    await waitFor(() => down.requests.length >= 2, 'retries');
    h.dispatcher.handle({
      type: 'operator',
      pair: 'acme',
      at: new Date().toISOString(),
      action: 'ack',
      operator: 'bob',
      reason: 'known',
      outcome: 'ok',
      alertId: a.id!,
    });
    const after = down.requests.length;
    down.setStatus(200);
    // The same condition raised again while acknowledged: not sent. Another pair's alert still is.
    h.dispatcher.handle(alertEvent('standby-down', 'warning'));
    h.dispatcher.handle(alertEvent('isolated', 'warning', 'beta'));
    await waitFor(() => down.requests.some((r) => r.body.includes('isolated')), 'the other alert');
    expect(down.requests.length).toBeLessThanOrEqual(after + 2);
    expect(down.requests.slice(after).filter((r) => r.body.includes('standby-down')).length).toBeLessThanOrEqual(1);
    expect(h.dispatcher.ackOf(a.id!)).toEqual({ operator: 'bob', reason: 'known', at: expect.any(String) });
  });

  it('sends nothing for a silenced pair until the silence ends', async () => {
    const r = await scope.fixture(200);
    const h = startDispatcher([slack('s', r.url('/'))]);
    scope.cleanups.push(() => h.close());
    const now = Date.now();
    h.dispatcher.handle({
      type: 'operator',
      pair: 'acme',
      at: new Date(now).toISOString(),
      action: 'silence',
      operator: 'carol',
      reason: 'works',
      outcome: 'ok',
      until: new Date(now + 60_000).toISOString(),
    });
    h.dispatcher.handle(alertEvent('standby-down', 'warning', 'acme'));
    h.dispatcher.handle(alertEvent('standby-down', 'warning', 'beta'));
    await waitFor(() => r.requests.length === 1, 'beta');
    expect(JSON.parse(r.requests[0]!.body).attachments[0].fields[0].value).toBe('beta');
    expect(h.dispatcher.silences()).toEqual([
      { pair: 'acme', until: new Date(now + 60_000).toISOString(), operator: 'carol', reason: 'works' },
    ]);
    h.dispatcher.handle({
      type: 'operator',
      pair: 'acme',
      at: new Date().toISOString(),
      action: 'silence',
      operator: 'carol',
      reason: 'done',
      outcome: 'ok',
      until: new Date().toISOString(),
    });
    h.dispatcher.handle(alertEvent('isolated', 'warning', 'acme'));
    await waitFor(() => r.requests.length === 2, 'acme after the silence');
    expect(h.dispatcher.silences()).toEqual([]);
  });
});

describe('alert conditions read back from the history', () => {
  it('a failover that ended before the restart does not hold back the next one', async () => {
    const r = await scope.fixture(200);
    const h = startDispatcher([slack('s', r.url('/'))]);
    scope.cleanups.push(() => h.close());
    const at = new Date().toISOString();
    h.dispatcher.restore([
      { type: 'state', pair: 'acme', at, from: 'verifying', to: 'failover', reason: 'down', manual: false },
      { ...alertEvent('failover', 'critical'), at },
      { type: 'state', pair: 'acme', at, from: 'failover', to: 'starting', reason: 're-armed', manual: true },
      { ...alertEvent('standby-down', 'warning'), at },
    ]);
    // Still open from before the restart: its recovery is sent as resolved; the new failover is news.
    h.dispatcher.handle(alertEvent('standby-up', 'info'));
    h.dispatcher.handle(alertEvent('failover', 'critical'));
    await waitFor(() => r.requests.length >= 2, 'the resolve and the new failover');
    // The channel delivers one message at a time, in order: anything the restore had queued would be
    // the first request here.
    const kinds = r.requests.map((q) => JSON.parse(q.body).text as string);
    expect(kinds[0]).toMatch(/^RESOLVED: ACME Corp standby-down/);
    expect(kinds[1]).toMatch(/^CRITICAL: ACME Corp failover/);
  });
});

describe('a failing channel read back from the history', () => {
  it('is still failing after a restart and its first delivery raises notify-recovered', async () => {
    const r = await scope.fixture(200);
    const other = await scope.fixture(200);
    const h = startDispatcher([slack('flaky', r.url('/')), slack('other', other.url('/'))]);
    scope.cleanups.push(() => h.close());
    h.dispatcher.restore([
      { ...alertEvent('notify-failing', 'warning', '*', 'alert channel "flaky" (slack) keeps failing: status 503') },
    ]);
    expect(h.dispatcher.info().find((c) => c.settings.id === 'flaky')!.failing).toBe(true);
    h.dispatcher.handle(alertEvent('isolated', 'warning'));
    await waitFor(() => alertsOf(h.events, 'notify-recovered').length === 1, 'notify-recovered');
    await waitFor(
      () =>
        other.requests.some((q) => JSON.parse(q.body).text.startsWith('RESOLVED: PBX Failover Monitor notify-failing')),
      'the resolve through the other channel',
    );
  });
});
