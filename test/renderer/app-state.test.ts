import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppState } from '../../src/renderer/src/lib/app.svelte';
import { AuditStore } from '../../src/renderer/src/lib/stores/audit.svelte';
import { NotificationsStore } from '../../src/renderer/src/lib/stores/notifications.svelte';
import { MonitorError } from '$shared/api';
import type { AlertEvent, EngineEvent, OperatorEvent } from '$shared/model';
import { MemoryBackend, status } from './memory-backend';

const check = (pair: string, n: number): EngineEvent => ({
  type: 'check',
  pair,
  at: new Date(Date.UTC(2026, 10, 27, 9, 0, n)).toISOString(),
  consecutiveFailures: 0,
  result: {
    target: 'primary',
    url: 'http://127.0.0.1:9/',
    ok: true,
    latencyMs: n,
    at: new Date(Date.UTC(2026, 10, 27, 9, 0, n)).toISOString(),
  },
});

describe('AppState', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('batches live events and applies them once per frame', async () => {
    // The page's clock starts at 0, as on a fast fresh start: the first batch must still go out in the next frame.
    vi.useFakeTimers({ toFake: ['performance', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    expect(performance.now()).toBeLessThan(1000);
    const backend = new MemoryBackend();
    backend.pairs = [status({ id: 'a' }), status({ id: 'b' })];
    const frames: Array<() => void> = [];
    const app = new AppState(backend, (run) => frames.push(run));
    await app.start();
    backend.emit([check('a', 1)]);
    backend.emit([check('b', 2)]);
    backend.emit([check('a', 3)]);
    expect(frames).toHaveLength(1);
    expect(app.pairs.get('a')!.status.lastPrimary).toBeUndefined();
    frames[0]!();
    expect(app.pairs.get('a')!.status.lastPrimary?.latencyMs).toBe(3);
    expect(app.pairs.get('b')!.status.lastPrimary?.latencyMs).toBe(2);
    expect(window.__pbxPerf?.flushes.at(-1)?.events).toBe(3);
    app.stop();
  });

  it('shows check results at most twice a second, but a state change in the next frame', async () => {
    const backend = new MemoryBackend();
    backend.pairs = [status({ id: 'a' })];
    const frames: Array<() => void> = [];
    vi.useFakeTimers({ toFake: ['performance', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const app = new AppState(backend, (run) => frames.push(run), 300);
    await app.start();
    backend.emit([check('a', 1)]);
    frames.shift()!();
    expect(app.pairs.get('a')!.status.lastPrimary?.latencyMs).toBe(1);
    // Right after a batch, checks wait for the interval…
    backend.emit([check('a', 2)]);
    expect(frames).toHaveLength(0);
    // …unless something that matters arrives.
    const verifying = status({
      id: 'a',
      state: 'verifying',
      lastPrimary: {
        target: 'primary',
        url: 'http://127.0.0.1:9/',
        ok: true,
        latencyMs: 2,
        at: new Date().toISOString(),
      },
    });
    backend.emit([
      {
        type: 'state',
        pair: 'a',
        at: new Date().toISOString(),
        from: 'waiting',
        to: 'verifying',
        reason: '',
        manual: false,
        status: verifying,
      },
    ]);
    expect(frames).toHaveLength(1);
    frames.shift()!();
    expect(app.pairs.get('a')!.state).toBe('verifying');
    expect(app.pairs.get('a')!.status.lastPrimary?.latencyMs).toBe(2);
    backend.emit([check('a', 3)]);
    expect(frames).toHaveLength(0);
    vi.advanceTimersByTime(300);
    expect(frames).toHaveLength(1);
    frames.shift()!();
    expect(app.pairs.get('a')!.status.lastPrimary?.latencyMs).toBe(3);
    app.stop();
  });

  it('refetches the pairs when the event stream comes back after a loss', async () => {
    const backend = new MemoryBackend();
    backend.pairs = [status({ id: 'a' })];
    const app = new AppState(backend, (run) => run());
    await app.start();
    const lists = () => backend.calls.filter((c) => c.method === 'listPairs').length;
    expect(lists()).toBe(1);
    backend.setConnection('lost');
    expect(app.hub.connection).toBe('lost');
    backend.pairs = [status({ id: 'a', state: 'failover' })];
    backend.setConnection('live');
    expect(app.hub.reconnects).toBe(1);
    // AppState reloads by itself on the reconnect (no component has to notice it).
    await vi.waitFor(() => expect(app.pairs.get('a')!.state).toBe('failover'));
    expect(lists()).toBe(2);
    app.stop();
  });
});

describe('NotificationsStore', () => {
  const alert = (pair: string, s: number, kind: AlertEvent['alert'] = 'failover'): AlertEvent => ({
    type: 'alert',
    pair,
    at: new Date(Date.UTC(2026, 10, 27, 9, 0, s)).toISOString(),
    alert: kind,
    severity: 'critical',
    message: `${pair} ${kind}`,
  });

  const withId = (a: AlertEvent, id: string): AlertEvent => ({ ...a, id });

  it('counts unread alerts; an acknowledgement goes through the service and shows who and why', async () => {
    const backend = new MemoryBackend();
    backend.alertEvents = [withId(alert('a', 1), 'id-a'), withId(alert('b', 2, 'verifying'), 'id-b')];
    const first = new NotificationsStore(backend);
    await first.load();
    expect(first.alerts.map((a) => a.pair)).toEqual(['b', 'a']);
    expect(first.unread).toBe(2);
    await first.acknowledge(first.alerts[1]!, 'on it', 'alice');
    expect(backend.calls.find((c) => c.method === 'ackAlert')!.args).toEqual([
      'id-a',
      { reason: 'on it', operator: 'alice' },
    ]);
    expect(first.unread).toBe(1);
    expect(first.ackOf(first.alerts[1]!)).toMatchObject({ operator: 'alice', reason: 'on it' });
    first.apply([withId(alert('c', 3), 'id-c')]);
    expect(first.unread).toBe(2);
    expect(first.alerts[0]!.pair).toBe('c');

    // The page is reloaded: the service answers the alerts with their acknowledgements.
    backend.alertEvents = [
      { ...withId(alert('a', 1), 'id-a'), acknowledged: { operator: 'alice', reason: 'on it', at: alert('a', 5).at } },
      withId(alert('b', 2, 'verifying'), 'id-b'),
      withId(alert('c', 3), 'id-c'),
    ];
    const second = new NotificationsStore(backend);
    await second.load();
    expect(second.unread).toBe(2);
    expect(second.isAcknowledged(withId(alert('a', 1), 'id-a'))).toBe(true);
    expect(await second.acknowledgeAll('all known', 'bob')).toBe(2);
    expect(second.unread).toBe(0);
  });

  it('shows an acknowledgement made in another client as soon as its event arrives', async () => {
    const backend = new MemoryBackend();
    backend.alertEvents = [withId(alert('a', 1), 'id-a')];
    const mine = new NotificationsStore(backend);
    await mine.load();
    expect(mine.unread).toBe(1);
    mine.apply([
      {
        type: 'operator',
        pair: 'a',
        at: alert('a', 9).at,
        action: 'ack',
        operator: 'carol',
        reason: 'seen',
        outcome: 'ok',
        alertId: 'id-a',
      },
    ]);
    expect(mine.unread).toBe(0);
    expect(mine.ackOf(mine.alerts[0]!)).toEqual({ operator: 'carol', reason: 'seen', at: alert('a', 9).at });
    // An alert recorded before ids existed cannot be acknowledged for the team.
    mine.apply([alert('old', 2)]);
    expect(mine.canAcknowledge(mine.alerts[0]!)).toBe(false);
  });

  it('does not count the same alert twice when it arrives live and from the list', async () => {
    const backend = new MemoryBackend();
    backend.alertEvents = [withId(alert('a', 1), 'x')];
    const store = new NotificationsStore(backend);
    await store.load();
    store.apply([withId(alert('a', 1), 'x')]);
    expect(store.alerts).toHaveLength(1);
  });
});

describe('AuditStore', () => {
  const op = (pair: string, s: number): OperatorEvent => ({
    type: 'operator',
    pair,
    at: new Date(Date.UTC(2026, 10, 27, 9, 0, s)).toISOString(),
    action: 'pause',
    operator: 'alice',
    reason: 'maintenance',
    outcome: 'ok',
  });

  it('loads operator events newest first, puts live ones in front, and keeps what it had when a reload fails', async () => {
    const backend = new MemoryBackend();
    backend.auditEvents = [op('a', 1), check('a', 2), op('b', 3)];
    const audit = new AuditStore(backend);
    expect(audit.loaded).toBe(false);
    await audit.load();
    expect(audit.loaded).toBe(true);
    expect(audit.entries.map((e) => e.pair)).toEqual(['b', 'a']);
    audit.apply([check('c', 4), op('c', 5), op('d', 6)]);
    expect(audit.entries.map((e) => e.pair)).toEqual(['d', 'c', 'b', 'a']);
    backend.failNext.set('audit', new MonitorError('internal', 'disk on fire'));
    await audit.load();
    expect(audit.error).toBe('disk on fire');
    expect(audit.entries).toHaveLength(4);
  });
});
