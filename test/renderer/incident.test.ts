// The dashboard in the worst ten minutes: it must never look live when it is not, and must say what is true.
import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import App from '../../src/renderer/src/App.svelte';
import { AppState, appContext } from '../../src/renderer/src/lib/app.svelte';
import DecisionView from '../../src/renderer/src/lib/components/detail/DecisionView.svelte';
import PairActions from '../../src/renderer/src/lib/components/detail/PairActions.svelte';
import OperatorDialog from '../../src/renderer/src/lib/components/dialogs/OperatorDialog.svelte';
import Notifications from '../../src/renderer/src/lib/components/Notifications.svelte';
import Overview from '../../src/renderer/src/lib/components/overview/Overview.svelte';
import StatusBanners from '../../src/renderer/src/lib/components/StatusBanners.svelte';
import { formatAxisTime } from '../../src/renderer/src/lib/format';
import { STALE_GRACE_MS } from '../../src/renderer/src/lib/stores/event-hub.svelte';
import type { ActionStatus, AlertEvent, CheckResult, PairStatus } from '$shared/model';
import { MemoryBackend, settings, status } from './memory-backend';

globalThis.ResizeObserver ??= class {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
};

let backend: MemoryBackend;
let app: AppState;

beforeEach(() => {
  localStorage.clear();
  backend = new MemoryBackend();
  app = new AppState(backend, (run) => run(), 0);
});

afterEach(() => {
  cleanup();
  app.stop();
  vi.useRealTimers();
});

const row = (id: string) => document.querySelector<HTMLElement>(`[data-pair="${id}"]`)!;
const inStateOf = (id: string) => row(id).querySelectorAll('[role="cell"]')[2]!.textContent!.trim();

function action(phase: ActionStatus['phase'], extra: Partial<ActionStatus> = {}): ActionStatus {
  return {
    kind: 'failover',
    phase,
    manual: false,
    reason: '',
    startedAt: '2026-11-27T08:00:00.000Z',
    attempts: [],
    ...extra,
  };
}

describe('the stale view', () => {
  it('after a short grace without the event stream greys every row, stops the timers and says since when', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    backend.pairs = [
      status({ id: 'acme', name: 'ACME Corp', since: new Date(Date.now() - 65_000).toISOString() }),
      status({ id: 'globex', name: 'Globex', state: 'failover', since: new Date(Date.now() - 65_000).toISOString() }),
    ];
    await app.start();
    render(StatusBanners, { context: appContext(app) });
    render(Overview, { context: appContext(app) });
    const before = inStateOf('acme');
    vi.advanceTimersByTime(2000);
    flushSync();
    // Live: the timer counts.
    expect(inStateOf('acme')).not.toBe(before);

    backend.setConnection('lost');
    flushSync();
    const lostAt = inStateOf('acme');
    vi.advanceTimersByTime(STALE_GRACE_MS - 1);
    flushSync();
    // A blip within the grace changes nothing visible but the badge.
    expect(screen.queryByTestId('stale-banner')).toBeNull();
    expect(row('acme').dataset.stale).toBeUndefined();

    vi.advanceTimersByTime(1);
    flushSync();
    const banner = screen.getByTestId('stale-banner');
    expect(banner.textContent).toMatch(/No contact with the service since \d\d:\d\d:\d\d/);
    expect(banner.textContent).toContain('2 pairs: 1 waiting, 1 failover');
    expect(row('acme').dataset.stale).toBe('true');
    expect(row('globex').dataset.stale).toBe('true');
    expect(row('acme').querySelector('[title*="last known"]')).toBeTruthy();

    // The timers stay where contact was lost, marked "at least".
    vi.advanceTimersByTime(10_000);
    flushSync();
    expect(inStateOf('acme')).toBe(`≥ ${lostAt}`);
    expect(banner.textContent).toMatch(/\(1[34]s ago\)/);

    backend.setConnection('live');
    flushSync();
    expect(screen.queryByTestId('stale-banner')).toBeNull();
    expect(row('acme').dataset.stale).toBeUndefined();
    expect(inStateOf('acme')).not.toContain('≥');
  });

  it('says "token rejected: ask for a new one" instead of reconnecting', async () => {
    backend.pairs = [status({ id: 'acme' })];
    await app.start();
    render(App, { context: appContext(app) });
    backend.setConnection('rejected');
    flushSync();
    expect(screen.getByTestId('token-rejected').textContent).toBe('Token rejected: ask for a new one');
    expect(document.querySelector('[data-connection]')!.textContent).toBe('token rejected');
    expect(app.hub.stale).toBe(true);
    expect(document.querySelector('[data-pair]')).toBeNull();
  });
});

describe('the health banner', () => {
  it('shows on every page what the engine cannot do and what it means, and goes when it is fixed', async () => {
    backend.healthInfo = {
      ok: false,
      version: 'test',
      problems: [
        {
          kind: 'state-write',
          message: 'pbxctrl-failover.xml cannot be written: ENOSPC',
          since: '2026-11-27T09:00:00.000Z',
        },
      ],
    };
    await app.start();
    render(App, { context: appContext(app) });
    await expect.poll(() => screen.queryByTestId('health-banner')).toBeTruthy();
    const banner = screen.getByTestId('health-banner');
    expect(banner.textContent).toContain('Pair states cannot be saved');
    expect(banner.textContent).toContain('ENOSPC');
    expect(banner.textContent).toMatch(/restart of the service would forget them/);
    expect(banner.getAttribute('role')).toBe('alert');

    // Another page shows it too.
    app.router.go({ view: 'audit' });
    await expect.poll(() => screen.queryByRole('heading', { name: 'Audit log' })).toBeTruthy();
    expect(screen.getByTestId('health-banner')).toBeTruthy();

    // The lock is lost as well: the alert makes the dashboard read the health again.
    const lock = {
      kind: 'lock' as const,
      message: 'pid 4242 on host b took the lock',
      since: '2026-11-27T09:01:00.000Z',
    };
    backend.healthInfo = { ok: false, version: 'test', problems: [...backend.healthInfo.problems, lock] };
    const alert = (kind: AlertEvent['alert']): AlertEvent => ({
      type: 'alert',
      pair: '*',
      at: new Date().toISOString(),
      alert: kind,
      severity: 'critical',
      message: kind,
    });
    backend.emit([alert('lock-lost')]);
    await expect.poll(() => screen.queryAllByTestId('health-banner').length).toBe(2);
    expect(document.querySelector('[data-problem="lock"]')!.textContent).toMatch(/stopped watching and firing actions/);

    backend.healthInfo = { ok: true, version: 'test', problems: [] };
    backend.emit([alert('state-write-recovered')]);
    await expect.poll(() => screen.queryAllByTestId('health-banner').length).toBe(0);
  });

  it('is read again when the stream comes back', async () => {
    await app.start();
    const reads = () => backend.calls.filter((c) => c.method === 'health').length;
    expect(reads()).toBe(1);
    backend.setConnection('lost');
    // AppState reloads by itself on the reconnect (no component has to notice it).
    backend.setConnection('live');
    expect(reads()).toBe(2);
  });
});

describe('say what is true', () => {
  it('marks a failed or unknown action in its own way and sorts it above every other failover', async () => {
    backend.pairs = [
      status({ id: 'fine', name: 'A fine failover', state: 'failover', action: action('succeeded') }),
      status({
        id: 'answering',
        name: 'B answering',
        state: 'failover',
        primaryAnswering: true,
        action: action('succeeded'),
      }),
      status({ id: 'failed', name: 'Y failed', state: 'failover', action: action('failed') }),
      status({ id: 'unknown', name: 'Z unknown', state: 'failover', action: action('unknown') }),
    ];
    await app.start();
    render(Overview, { context: appContext(app) });
    const order = [...document.querySelectorAll<HTMLElement>('[data-pair]')].map((r) => r.dataset.pair);
    expect(order).toEqual(['failed', 'unknown', 'answering', 'fine']);
    const badge = (id: string) => row(id).querySelector<HTMLElement>('[data-state]')!;
    expect(badge('failed').textContent!.replace(/\s+/g, ' ').trim()).toBe('✕ Failover, action FAILED');
    expect(badge('unknown').textContent!.replace(/\s+/g, ' ').trim()).toBe('? Failover, outcome unknown');
    expect(badge('fine').textContent!.replace(/\s+/g, ' ').trim()).toBe('■ Failover');
    expect(row('failed').className).toContain('sev-alarm');
    expect(row('fine').className).toContain('sev-critical');
  });

  it('offers retry and mark done for an action of unknown outcome, mark done with a reason', async () => {
    const live = status({ id: 'acme', name: 'ACME Corp', state: 'failover', action: action('unknown') });
    backend.pairs = [live];
    backend.settingsOf.set('acme', settings({ id: 'acme', name: 'ACME Corp' }));
    const asked: string[] = [];
    render(PairActions, {
      props: { status: live, onaction: (k: string) => asked.push(k), onretry: () => asked.push('one-click retry') },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Retry action…' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Mark done…' }));
    expect(asked).toEqual(['retry-action', 'mark-done']);
    cleanup();

    await app.start();
    const detail = await backend.getPair('acme');
    render(OperatorDialog, { props: { kind: 'mark-done', detail, live, onclose: () => {} }, context: appContext(app) });
    expect(screen.getByRole('dialog', { hidden: true }).textContent).toMatch(/Nothing is sent/);
    const button = screen.getByRole('button', { name: 'Mark done' }) as HTMLButtonElement;
    await fireEvent.input(screen.getByLabelText(/Type the pair's name/), { target: { value: 'ACME Corp' } });
    expect(button.disabled).toBe(true);
    await fireEvent.input(screen.getByLabelText(/Reason/), { target: { value: 'DNS record checked: points at DC-2' } });
    expect(button.disabled).toBe(false);
    await fireEvent.click(button);
    await expect
      .poll(() => backend.calls.find((c) => c.method === 'markActionDone'))
      .toEqual({
        method: 'markActionDone',
        args: ['acme', { reason: 'DNS record checked: points at DC-2' }],
      });
  });

  it('tells the operator that the primary keeps running after a controlled failover', async () => {
    backend.pairs = [status({ id: 'acme', name: 'ACME Corp' })];
    backend.settingsOf.set('acme', settings({ id: 'acme', name: 'ACME Corp' }));
    await app.start();
    const detail = await backend.getPair('acme');
    render(OperatorDialog, {
      props: { kind: 'failover', detail, live: app.pairs.get('acme')!.status, onclose: () => {} },
      context: appContext(app),
    });
    const text = screen.getByTestId('primary-keeps-running').textContent!;
    expect(text).toMatch(/primary keeps running/);
    expect(text).toMatch(/Stop it/);
    expect(text).toContain('“Primary answers again” will follow');
  });

  it('shows who and why for a manual failover, and never an earlier decision as this one', () => {
    const check: CheckResult = {
      target: 'primary',
      url: 'http://127.0.0.1:9/',
      ok: true,
      status: 200,
      latencyMs: 3,
      at: '2026-11-27T09:59:58.000Z',
    };
    render(DecisionView, {
      props: {
        decision: {
          at: '2026-11-27T10:00:00.000Z',
          to: 'failover',
          primary: [check],
          validation: [],
          manual: { operator: 'maria', reason: 'planned move to DC-2' },
        },
        state: 'failover',
        since: '2026-11-27T10:00:00.000Z',
      },
    });
    const manual = screen.getByTestId('decision-manual').textContent!.replace(/\s+/g, ' ');
    expect(manual).toContain('Manual failover by maria');
    expect(manual).toContain('“planned move to DC-2”');
    cleanup();

    render(DecisionView, { props: { decision: undefined, state: 'failover', since: '2026-11-27T10:00:00.000Z' } });
    expect(screen.getByTestId('decision').textContent).toContain('No decision was recorded for this failover');
    cleanup();

    // A decision from before the current failover is labelled as such.
    render(DecisionView, {
      props: {
        decision: { at: '2026-11-27T08:00:00.000Z', to: 'waiting', primary: [], validation: [] },
        state: 'failover',
        since: '2026-11-27T10:00:00.000Z',
      },
    });
    expect(screen.getByTestId('decision').dataset.current).toBe('false');
    // As a reader sees it: the markup's line breaks collapse to spaces.
    expect(screen.getByTestId('decision').textContent?.replace(/\s+/g, ' ')).toContain('The last one, before it');
  });

  it('counts "in state" of an isolated pair from the start of the isolation episode', async () => {
    const now = Date.now();
    backend.pairs = [
      status({
        id: 'acme',
        state: 'waiting',
        since: new Date(now - 5_000).toISOString(),
        isolated: true,
        isolatedSince: new Date(now - 3_600_000 - 5_000).toISOString(),
      }),
    ];
    await app.start();
    render(Overview, { context: appContext(app) });
    expect(inStateOf('acme')).toMatch(/^1h 00m$/);
  });

  it('shows the reason of the move into the state: an automatic move clears an earlier operator reason', async () => {
    backend.pairs = [status({ id: 'acme', state: 'starting', reason: 'PBX firmware update' })];
    await app.start();
    const at = new Date().toISOString();
    // The engine's status says the reason of the move into waiting; the dashboard shows what it is sent.
    backend.emit([
      {
        type: 'state',
        pair: 'acme',
        at,
        from: 'starting',
        to: 'waiting',
        reason: 'primary answered',
        manual: false,
        status: status({ id: 'acme', since: at, reason: 'primary answered' }),
      },
    ]);
    expect(app.pairs.get('acme')!.status.reason).toBe('primary answered');
  });
});

describe('names for people', () => {
  it('shows alert kinds as words', async () => {
    backend.alertEvents = [
      {
        type: 'alert',
        pair: 'acme',
        at: '2026-11-27T09:00:00.000Z',
        alert: 'primary-answering',
        severity: 'critical',
        message: 'ACME: the primary answers again',
      },
    ];
    await app.start();
    render(Notifications, { context: appContext(app) });
    await expect.poll(() => document.querySelector('[data-alert="primary-answering"]')).toBeTruthy();
    const kind = document.querySelector('[data-alert="primary-answering"] .kind')!.textContent!;
    expect(kind).toContain('Primary answers again');
    expect(kind).not.toContain('primary-answering');
  });

  it('shows a refused check as "refused", explains the failures and availability columns', async () => {
    const refused: CheckResult = {
      target: 'primary',
      url: 'http://127.0.0.1:9/',
      ok: false,
      latencyMs: 0.8,
      error: 'connection refused',
      at: '2026-11-27T09:00:00.000Z',
    };
    backend.pairs = [
      status({
        id: 'acme',
        lastPrimary: refused,
        consecutiveFailures: 4,
        toleratedFailures: 2,
      } as Partial<PairStatus> & { id: string }),
    ];
    await app.start();
    render(Overview, { context: appContext(app) });
    const cells = row('acme').querySelectorAll<HTMLElement>('[role="cell"]');
    expect(cells[4]!.textContent!.trim()).toBe('✕ refused');
    expect(cells[4]!.textContent).not.toMatch(/ms/);
    expect(cells[3]!.getAttribute('aria-label')).toBe('4 of 2 tolerated');
    const headers = screen.getAllByRole('columnheader');
    expect(within(headers[3]!).getByText('Failed / tolerated').closest('[title]')!.getAttribute('title')).toMatch(
      /4 of 2 tolerated/,
    );
    expect(headers[6]!.textContent).toBe('Availability 24 h');
    expect(headers[6]!.getAttribute('title')).toMatch(/over the last 24 hours/);
  });

  it('labels chart axes on the 24-hour clock like every other time', () => {
    const t = new Date(2026, 10, 27, 15, 5, 30).getTime();
    expect(formatAxisTime(t, 3_600_000)).toBe('15:05');
    expect(formatAxisTime(t, 10_000)).toBe('15:05:30');
    expect(formatAxisTime(new Date(2026, 10, 27).getTime(), 3_600_000)).toBe('11-27');
    expect(formatAxisTime(t, 86_400_000)).toBe('11-27');
  });
});
