// The maintenance view (list, add a one-off or recurring window with pairs chosen from the list,
// delete, the engine's problems shown) and "maintenance in 2 h" in the overview.
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppState, appContext } from '../../src/renderer/src/lib/app.svelte';
import MaintenanceView from '../../src/renderer/src/lib/components/maintenance/MaintenanceView.svelte';
import Overview from '../../src/renderer/src/lib/components/overview/Overview.svelte';
import type { MaintenanceWindow } from '$shared/maintenance';
import { MemoryBackend, status } from './memory-backend';

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
  backend.pairs = [status({ id: 'acme', name: 'ACME Corp' }), status({ id: 'beta', name: 'Beta Ltd' })];
  app = new AppState(backend, (run) => run(), 0);
});

afterEach(() => {
  cleanup();
  app.stop();
});

const inHours = (h: number) => new Date(Date.now() + h * 3600_000).toISOString();

describe('maintenance view', () => {
  it('lists the windows with their next occurrence and deletes one', async () => {
    backend.windows = [
      {
        id: 'dc1-network',
        reason: 'DC-1 router replacement',
        pairs: ['acme'],
        once: { start: inHours(2), end: inHours(3) },
      },
      {
        id: 'pbx-updates',
        reason: 'weekly PBX update',
        pairs: 'all',
        every: { cron: '0 3 * * 0', duration: 5400, tz: 'Europe/Berlin' },
      },
    ];
    await app.start();
    render(MaintenanceView, { context: appContext(app) });
    const list = screen.getByTestId('maintenance-list');
    await waitFor(() => expect(list.querySelectorAll('[data-window]')).toHaveLength(2));
    const weekly = list.querySelector<HTMLElement>('[data-window="pbx-updates"]')!;
    expect(weekly.textContent).toContain('all pairs');
    expect(weekly.textContent).toContain('every "0 3 * * 0" (Europe/Berlin), 90 min');
    await fireEvent.click(within(weekly).getByRole('button', { name: 'Delete pbx-updates' }));
    await waitFor(() => expect(list.querySelectorAll('[data-window]')).toHaveLength(1));
    expect(backend.calls.filter((c) => c.method === 'removeMaintenance').map((c) => c.args[0])).toEqual([
      'pbx-updates',
    ]);
  });

  it('adds a recurring window for the pairs ticked, and shows every problem the engine lists', async () => {
    await app.start();
    render(MaintenanceView, { context: appContext(app) });
    const form = screen.getByRole('form', { name: 'Add a maintenance window' });
    await fireEvent.input(within(form).getByLabelText('Id'), { target: { value: 'pbx-updates' } });
    await fireEvent.input(within(form).getByLabelText('Reason'), { target: { value: 'weekly PBX update' } });
    await fireEvent.click(within(form).getByLabelText('Beta Ltd'));
    await fireEvent.click(within(form).getByLabelText('Recurring'));
    await fireEvent.input(within(form).getByLabelText('Cron'), { target: { value: '0 3 * * 0' } });
    await fireEvent.input(within(form).getByLabelText('Minutes'), { target: { value: '90' } });
    await fireEvent.input(within(form).getByLabelText('Time zone'), { target: { value: 'Europe/Berlin' } });
    await fireEvent.submit(form);
    await waitFor(() => expect(backend.windows).toHaveLength(1));
    expect(backend.windows[0]).toEqual<MaintenanceWindow>({
      id: 'pbx-updates',
      reason: 'weekly PBX update',
      pairs: ['beta'],
      every: { cron: '0 3 * * 0', duration: 5400, tz: 'Europe/Berlin' },
    });
    await waitFor(() =>
      expect(screen.getByTestId('maintenance-list').querySelector('[data-window="pbx-updates"]')).toBeTruthy(),
    );

    // A second one with a bad cron, no pair and an unknown zone: every problem is shown, nothing added.
    await fireEvent.input(within(form).getByLabelText('Id'), { target: { value: 'bad' } });
    await fireEvent.input(within(form).getByLabelText('Reason'), { target: { value: 'x' } });
    await fireEvent.click(within(form).getByLabelText('Recurring'));
    await fireEvent.input(within(form).getByLabelText('Cron'), { target: { value: '99 * * * *' } });
    await fireEvent.input(within(form).getByLabelText('Time zone'), { target: { value: 'Nowhere/City' } });
    await fireEvent.submit(form);
    const problems = await screen.findByTestId('maintenance-problems');
    const text = problems.textContent!;
    expect(text).toContain('pairs: must name at least one pair');
    expect(text).toContain('every.cron:');
    expect(text).toContain('every.tz:');
    expect(backend.windows).toHaveLength(1);
  });
});

describe('overview', () => {
  it('says "maintenance in 2 h" beside a pair with a window within a day, and nothing beside the others', async () => {
    backend.windows = [
      {
        id: 'dc1-network',
        reason: 'DC-1 router replacement',
        pairs: ['acme'],
        once: { start: inHours(2), end: inHours(3) },
      },
      { id: 'later', reason: 'later', pairs: ['beta'], once: { start: inHours(30), end: inHours(31) } },
    ];
    await app.start();
    render(Overview, { context: appContext(app) });
    const row = (id: string) => document.querySelector<HTMLElement>(`[data-pair="${id}"]`)!;
    await waitFor(() =>
      expect(within(row('acme')).getByTestId('maintenance-soon').textContent).toMatch(/maintenance in 2 h/),
    );
    expect(within(row('beta')).queryByTestId('maintenance-soon')).toBeNull();
  });
});

describe('maintenance store', () => {
  it("asks the service again once an occurrence it listed has ended (the next one is the service's to compute)", async () => {
    backend.windows = [
      { id: 'soon-over', reason: 'r', pairs: ['acme'], once: { start: inHours(-1), end: inHours(1) } },
    ];
    await app.start();
    const lists = () => backend.calls.filter((c) => c.method === 'listMaintenance').length;
    const before = lists();
    expect(app.maintenance.soonFor('acme', Date.now())?.id).toBe('soon-over');
    expect(lists()).toBe(before);
    // Two hours later the listed occurrence is over: not shown, and the list is read again (once).
    const later = Date.now() + 2 * 3600_000;
    expect(app.maintenance.soonFor('acme', later)).toBeUndefined();
    expect(app.maintenance.soonFor('acme', later + 1000)).toBeUndefined();
    expect(lists()).toBe(before + 1);
  });
});
