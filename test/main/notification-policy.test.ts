import { describe, expect, it } from 'vitest';
import { NotificationPolicy } from '../../src/main/policy/notification-policy.js';
import type { ActionEvent } from '../../src/shared/model.js';
import { alert, failedCheck, stateEvent } from './fixtures.js';

const names: Record<string, string> = { acme: 'ACME Corp' };
const policy = () => new NotificationPolicy({ nameOf: (id) => names[id] ?? id });

function attempt(
  pairId: string,
  n: number,
  ok: boolean,
  phase: ActionEvent['phase'] = ok ? 'succeeded' : 'running',
): ActionEvent {
  return {
    type: 'action',
    pair: pairId,
    at: '2026-11-27T08:00:00Z',
    kind: 'failover',
    phase,
    attempt: { attempt: n, at: '2026-11-27T08:00:00Z', ok, latencyMs: 5, ...(ok ? { status: 200 } : { status: 500 }) },
  };
}

describe('which event raises which notification', () => {
  it('announces an alert channel that keeps failing (pair *), so the desktop knows alerts may not get out', () => {
    const intent = policy().intentFor(
      alert('*', 'notify-failing', 'alert channel "noc" (slack) keeps failing: status 503'),
      1000,
    );
    expect(intent).toMatchObject({
      pair: '*',
      kind: 'notify-failing',
      severity: 'warning',
      title: 'PBX Failover Monitor: alert channel failing',
      body: 'alert channel "noc" (slack) keeps failing: status 503',
    });
    expect(policy().intentFor(alert('*', 'notify-recovered', 'delivers again', 'info'), 1000)).toBeNull();
  });

  it('raises one for a pair that starts verifying, named by its display name', () => {
    const intent = policy().intentFor(stateEvent('acme', 'waiting', 'verifying', { reason: '4 failed checks' }), 1000);
    expect(intent).toMatchObject({
      pair: 'acme',
      kind: 'verifying',
      severity: 'warning',
      title: 'ACME Corp: verifying',
      body: '4 failed checks',
    });
  });

  it('says whether a failover was automatic or manual, and by whom', () => {
    const auto = policy().intentFor(stateEvent('acme', 'verifying', 'failover', { reason: 'primary down' }), 0);
    expect(auto).toMatchObject({ kind: 'failover', severity: 'critical' });
    expect(auto!.body).toMatch(/^Automatic failover: primary down/);
    const manual = policy().intentFor(
      stateEvent('acme', 'waiting', 'failover', { manual: true, operator: 'alice', reason: 'maintenance on DC1' }),
      0,
    );
    expect(manual!.body).toBe('Manual failover by alice: maintenance on DC1');
  });

  it.each([
    ['action-failed', 'critical'],
    ['isolated', 'warning'],
    ['primary-answering', 'critical'],
    ['standby-down', 'warning'],
    ['request-pending', 'warning'],
  ] as const)('raises one for the %s alert with the engine message', (kind, severity) => {
    const intent = policy().intentFor(alert('acme', kind, 'what happened'), 0);
    expect(intent).toMatchObject({ kind, severity, body: 'what happened' });
  });

  it('leaves the pair label off the engine message, since the title names the pair', () => {
    expect(
      policy().intentFor(alert('acme', 'isolated', 'ACME Corp (acme): cannot reach the validation URLs'), 0)!.body,
    ).toBe('cannot reach the validation URLs');
    expect(policy().intentFor(alert('zeta', 'standby-down', 'zeta: the standby does not answer'), 0)!.body).toBe(
      'the standby does not answer',
    );
  });

  it.each(['primary-recovered', 'standby-up', 'config-problem'] as const)('stays quiet for the %s alert', (kind) => {
    expect(policy().intentFor(alert('acme', kind), 0)).toBeNull();
  });

  it('stays quiet for checks, operator and config events and for other state changes', () => {
    const p = policy();
    expect(p.intentFor(failedCheck('acme'), 0)).toBeNull();
    expect(p.intentFor(stateEvent('acme', 'starting', 'waiting'), 0)).toBeNull();
    expect(p.intentFor(stateEvent('acme', 'failover', 'starting'), 0)).toBeNull();
    expect(p.intentFor({ type: 'config', pair: 'acme', at: '', change: 'added' }, 0)).toBeNull();
  });

  it('reports an action success only when it needed retries', () => {
    const p = policy();
    expect(p.intentFor(attempt('acme', 1, true), 0)).toBeNull();
    expect(p.intentFor(alert('acme', 'action-succeeded', 'ok at once'), 0)).toBeNull();

    const q = policy();
    expect(q.intentFor(attempt('acme', 1, false), 0)).toBeNull();
    expect(q.intentFor(attempt('acme', 2, false), 0)).toBeNull();
    const ok = q.intentFor(attempt('acme', 3, true), 0);
    expect(ok).toMatchObject({ kind: 'action-retried', severity: 'info' });
    expect(ok!.body).toContain('attempt 3');
  });

  it('reports the action-succeeded alert after failed attempts', () => {
    const p = policy();
    p.intentFor(attempt('acme', 1, false), 0);
    expect(p.intentFor(alert('acme', 'action-succeeded', 'succeeded after 2 attempts'), 0)).toMatchObject({
      kind: 'action-retried',
    });
  });

  it('treats the state change and the alert of one failover as the same news', () => {
    const p = policy();
    expect(p.intentFor(stateEvent('acme', 'verifying', 'failover'), 0)).not.toBeNull();
    expect(p.intentFor(alert('acme', 'failover'), 50)).toBeNull();
    // Other pairs are not affected, and the same news later is news again.
    expect(p.intentFor(alert('other', 'failover'), 60)).not.toBeNull();
    expect(p.intentFor(alert('acme', 'failover'), 60_000)).not.toBeNull();
  });
});
