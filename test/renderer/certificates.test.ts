// Certificates on the dashboard: days left in the overview (sortable, updated by live readings), the
// detail's block, and the editor's <certificates> section.

import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppState, appContext } from '../../src/renderer/src/lib/app.svelte';
import CertificatesBlock from '../../src/renderer/src/lib/components/detail/CertificatesBlock.svelte';
import PairEditor from '../../src/renderer/src/lib/components/editor/PairEditor.svelte';
import Overview from '../../src/renderer/src/lib/components/overview/Overview.svelte';
import type { CertificateStatus } from '$shared/pbx-health';
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
});

const rows = () => [...document.querySelectorAll<HTMLElement>('[data-pair]')].map((r) => r.dataset.pair);
const days = (id: string) =>
  document.querySelector<HTMLElement>(`[data-pair="${id}"] [data-testid="certificate-days"]`)!.textContent!.trim();

describe('overview: certificate days left', () => {
  it('shows the fewest days left per pair, sorts by them on a click and back, and follows a live reading', async () => {
    backend.pairs = [
      status({ id: 'acme', name: 'ACME Corp', certificateDaysLeft: 40, certificateLevel: 'ok' }),
      status({ id: 'globex', name: 'Globex', certificateDaysLeft: 3, certificateLevel: 'critical' }),
      status({ id: 'initech', name: 'Initech' }),
    ];
    await app.start();
    render(Overview, { context: appContext(app) });
    expect(rows()).toEqual(['acme', 'globex', 'initech']);
    expect(days('globex')).toBe('3');
    expect(days('acme')).toBe('40');
    expect(days('initech')).toBe('–');
    expect(document.querySelector('[data-pair="globex"] [data-testid="certificate-days"]')!.className).toContain(
      'cert-critical',
    );

    const sort = screen.getByTestId('sort-certificate');
    await fireEvent.click(sort);
    expect(rows()).toEqual(['globex', 'acme', 'initech']);
    expect(sort.closest('[role="columnheader"]')!.getAttribute('aria-sort')).toBe('ascending');

    // A reading of ACME with 1 day left: its row says so and moves up.
    backend.emit([
      {
        type: 'certificates',
        pair: 'acme',
        at: new Date().toISOString(),
        certificates: [],
        status: status({ id: 'acme', name: 'ACME Corp', certificateDaysLeft: 1, certificateLevel: 'critical' }),
      },
    ]);
    flushSync();
    expect(days('acme')).toBe('1');
    expect(rows()).toEqual(['acme', 'globex', 'initech']);

    await fireEvent.click(sort);
    // Worst first again (all equal here): by name.
    expect(rows()).toEqual(['acme', 'globex', 'initech']);
    expect(sort.closest('[role="columnheader"]')!.getAttribute('aria-sort')).toBe('none');
  });
});

describe('pair detail: certificates block', () => {
  it('lists each certificate with name, address, days left, notAfter, issuer, name match, trust and errors', () => {
    const certificates: CertificateStatus[] = [
      {
        target: 'check',
        name: 'pbx.example.com',
        address: '198.18.2.2:443',
        notAfter: '2026-12-05T20:00:00.000Z',
        daysLeft: 3,
        level: 'critical',
        subject: 'CN=pbx.example.com',
        issuer: 'CN=Example CA',
        nameMatches: false,
        trusted: false,
        trustError: 'SELF_SIGNED_CERT_IN_CHAIN',
      },
      { target: 'standby-sip', name: 'sip.example.com', address: '198.18.2.2:5061', error: 'connection refused' },
    ];
    render(CertificatesBlock, { props: { certificates } });
    const [first, second] = screen.getAllByTestId('certificate');
    const text = first!.textContent!.replace(/\s+/g, ' ');
    expect(text).toContain('pbx.example.com (check)');
    expect(text).toContain('198.18.2.2:443');
    expect(text).toContain('3 critical');
    expect(text).toContain('CN=Example CA');
    expect(text).toContain('✕ does not match');
    expect(text).toContain('not trusted by the system store (SELF_SIGNED_CERT_IN_CHAIN)');
    expect(second!.textContent).toContain('✕ connection refused');
    expect(second!.textContent).toContain('standby SIP');
  });
});

describe('editor: <certificates>', () => {
  it('edits thresholds and checks, names wrong fields by their XML path and saves them', async () => {
    backend.pairs = [status({ id: 'acme', name: 'ACME Corp' })];
    backend.settingsOf.set('acme', settings({ id: 'acme', primaryUrl: 'https://pbx1.example.com/' }));
    await app.start();
    render(PairEditor, { props: { id: 'acme' }, context: appContext(app) });
    await screen.findByDisplayValue('https://pbx1.example.com/');
    expect(screen.getByTestId('certificate-targets').textContent!.replace(/\s+/g, ' ')).toContain(
      'pbx1.example.com at pbx1.example.com:443',
    );
    await fireEvent.click(screen.getByLabelText(/Set thresholds or checks/));
    await fireEvent.input(screen.getByLabelText('Critical (days left)'), { target: { value: '30' } });
    const critical = document.querySelector('[data-field="certificates.criticalDays"]')!;
    expect(critical.textContent).toContain('certificates/@critical-days');
    expect(critical.textContent).toContain('must be fewer days than warn-days (21)');
    await fireEvent.input(screen.getByLabelText('Critical (days left)'), { target: { value: '5' } });
    await fireEvent.click(screen.getByRole('button', { name: '+ Check' }));
    await fireEvent.input(screen.getByLabelText('Name 1'), { target: { value: 'pbx.example.com' } });
    await fireEvent.input(screen.getByLabelText('Address 1'), { target: { value: '198.18.2.2' } });
    expect(document.querySelector('[data-field="certificates.checks[0].address"]')!.textContent).toContain(
      'certificates/check[1]/@address',
    );
    await fireEvent.input(screen.getByLabelText('Address 1'), { target: { value: '198.18.2.2:443' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save changes' }));
    const update = await vi.waitFor(() => {
      const call = backend.calls.find((c) => c.method === 'updatePair');
      if (!call) throw new Error('not saved yet');
      return call;
    });
    expect((update!.args[1] as { certificates: unknown }).certificates).toEqual({
      warnDays: 21,
      criticalDays: 5,
      checks: [{ name: 'pbx.example.com', address: '198.18.2.2:443' }],
    });
  });
});
