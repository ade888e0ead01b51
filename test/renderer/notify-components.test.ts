// The dashboard's alert-channel parts against the in-memory backend: the silence dialog sends the
// duration and reason, the channel list shows what the service answers (masked) and "Send test".

import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppState, appContext } from '../../src/renderer/src/lib/app.svelte';
import NotifyChannels from '../../src/renderer/src/lib/components/notify/NotifyChannels.svelte';
import SilenceDialog from '../../src/renderer/src/lib/components/notify/SilenceDialog.svelte';
import { MemoryBackend, status } from './memory-backend';

let backend: MemoryBackend;
let app: AppState;

beforeEach(() => {
  localStorage.clear();
  backend = new MemoryBackend();
  backend.pairs = [status({ id: 'acme', name: 'ACME Corp' })];
  app = new AppState(backend, (run) => run(), 0);
});

afterEach(() => {
  cleanup();
  app.stop();
});

describe('alert channels in the dashboard', () => {
  it('silences a pair for the chosen time with a reason, and refuses without one', async () => {
    await app.start();
    app.setOperator('erin');
    const onclose = vi.fn();
    render(SilenceDialog, { props: { pair: 'acme', name: 'ACME Corp', onclose }, context: appContext(app) });
    await fireEvent.click(screen.getByRole('button', { name: 'Silence' }));
    expect(screen.getByRole('alert').textContent).toMatch(/Say why/);
    expect(backend.calls.some((c) => c.method === 'silencePair')).toBe(false);
    await fireEvent.change(screen.getByRole('combobox'), { target: { value: '14400' } });
    await fireEvent.input(document.querySelector('textarea[name="reason"]')!, { target: { value: 'PBX update' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Silence' }));
    await vi.waitFor(() => expect(onclose).toHaveBeenCalled());
    expect(backend.calls.find((c) => c.method === 'silencePair')!.args).toEqual([
      'acme',
      { duration: 14400, reason: 'PBX update', operator: 'erin' },
    ]);
  });

  it('lists the channels as the service answers them and sends a test', async () => {
    backend.notifyOverview = {
      channels: [
        {
          settings: {
            id: 'noc',
            type: 'slack',
            minSeverity: 'warning',
            headers: [],
            url: 'https://hooks.slack.com/services/••••••••',
          },
          failures: 0,
          failing: false,
        },
        {
          settings: { id: 'oncall', type: 'pagerduty', minSeverity: 'critical', headers: [], routingKey: '••••••••' },
          failures: 4,
          failing: true,
          lastDelivery: { at: '2026-12-02T20:00:00.000Z', ok: false, status: 500, error: 'status 500' },
        },
      ],
      silences: [{ pair: 'acme', until: '2026-12-02T22:00:00.000Z', operator: 'erin', reason: 'PBX update' }],
    };
    await app.start();
    render(NotifyChannels, { context: appContext(app) });
    const noc = await vi.waitFor(() => {
      const row = document.querySelector<HTMLElement>('tr[data-channel="noc"]');
      if (!row) throw new Error('no row yet');
      return row;
    });
    expect(noc.textContent).toContain('https://hooks.slack.com/services/••••••••');
    expect(noc.textContent).toContain('warning and above');
    const oncall = document.querySelector<HTMLElement>('tr[data-channel="oncall"]')!;
    expect(oncall.classList.contains('failing')).toBe(true);
    expect(oncall.textContent).toContain('keeps failing: failed: status 500 (500)');
    expect(document.querySelector('[data-silenced="acme"]')!.textContent).toContain('erin: PBX update');
    await fireEvent.click(noc.querySelector('button')!);
    await vi.waitFor(() =>
      expect(noc.querySelector('[data-testid="test-result"]')!.textContent).toMatch(/sent \(200, 5 ms\)/),
    );
    expect(backend.calls.find((c) => c.method === 'testNotify')!.args[0]).toBe('noc');
  });
});
