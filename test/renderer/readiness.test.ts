// Readiness in the dashboard: the overview's Ready column, the "Not ready" filter and the sort by
// readiness, a readiness event updating a row, and the detail's list of items.
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppState, appContext } from '../../src/renderer/src/lib/app.svelte';
import Overview from '../../src/renderer/src/lib/components/overview/Overview.svelte';
import ReadinessView from '../../src/renderer/src/lib/components/detail/ReadinessView.svelte';
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
  app = new AppState(backend, (run) => run(), 0);
});
afterEach(() => {
  cleanup();
  app.stop();
});

const rows = () => [...document.querySelectorAll<HTMLElement>('[data-pair]')].map((r) => r.dataset.pair);
const readyOf = (id: string) =>
  document.querySelector<HTMLElement>(`[data-pair="${id}"] [data-testid="ready"]`)?.textContent?.trim();

describe('readiness in the overview', () => {
  it('shows each pair ready, not ready or not checked; filters the not ready; sorts them first', async () => {
    backend.pairs = [
      status({ id: 'alpha', name: 'Alpha', ready: true }),
      status({ id: 'beta', name: 'Beta', ready: false }),
      status({ id: 'gamma', name: 'Gamma' }),
    ];
    await app.start();
    render(Overview, { context: appContext(app) });
    expect(rows()).toEqual(['alpha', 'beta', 'gamma']);
    expect(readyOf('alpha')).toBe('✓ ready');
    expect(readyOf('beta')).toBe('✕ not ready');
    expect(readyOf('gamma')).toBe('–');

    const chip = screen.getByRole('button', { name: /Not ready/ });
    expect(chip.textContent).toContain('1');
    await fireEvent.click(chip);
    expect(rows()).toEqual(['beta']);
    await fireEvent.click(screen.getByRole('button', { name: /^All/ }));
    expect(rows()).toEqual(['alpha', 'beta', 'gamma']);

    await fireEvent.click(screen.getByRole('button', { name: /^Ready/ }));
    expect(rows()).toEqual(['beta', 'gamma', 'alpha']);
    await fireEvent.click(screen.getByRole('button', { name: /^Ready/ }));
    expect(rows()).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('updates a row from a readiness event', async () => {
    const alpha = status({ id: 'alpha', name: 'Alpha', ready: true });
    backend.pairs = [alpha];
    await app.start();
    render(Overview, { context: appContext(app) });
    expect(readyOf('alpha')).toBe('✓ ready');
    const at = new Date().toISOString();
    const readiness = { ready: false, items: [{ key: 'standby', ok: false, message: 'down', checkedAt: at }] };
    backend.emit([{ type: 'readiness', pair: 'alpha', at, readiness, status: { ...alpha, ready: false } }]);
    await Promise.resolve();
    expect(readyOf('alpha')).toBe('✕ not ready');
  });
});

describe('ReadinessView', () => {
  it('lists each item with what is wrong', () => {
    const at = new Date().toISOString();
    render(ReadinessView, {
      readiness: {
        ready: false,
        items: [
          { key: 'standby', ok: true, message: 'the standby answers (3 ms)', checkedAt: at },
          { key: 'dns', ok: false, message: 'the TTL is 3600 s, above max-ttl 300 s', checkedAt: at },
        ],
      },
    });
    expect(screen.getByText('✕ Not ready to fail over')).toBeTruthy();
    const dns = document.querySelector<HTMLElement>('li[data-key="dns"]')!;
    expect(dns.dataset.ok).toBe('false');
    expect(dns.textContent).toContain('DNS servers');
    expect(dns.textContent).toContain('above max-ttl 300 s');
  });

  it('says when readiness was not checked yet', () => {
    render(ReadinessView, { readiness: undefined });
    expect(screen.getByText(/Not checked yet/)).toBeTruthy();
  });
});
