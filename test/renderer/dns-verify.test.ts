// The dashboard's part of `<dns-verify>`: the pair detail's DNS block ticking server by server to
// green on live `dns` events, the overview's mark for a pair whose last failover has not converged,
// and the editor's section judged by the engine's validator.

import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppState, appContext } from '../../src/renderer/src/lib/app.svelte';
import PairDetail from '../../src/renderer/src/lib/components/detail/PairDetail.svelte';
import PairEditor from '../../src/renderer/src/lib/components/editor/PairEditor.svelte';
import Overview from '../../src/renderer/src/lib/components/overview/Overview.svelte';
import { markers } from '../../src/renderer/src/lib/charts/timeline-data';
import { dnsFormFromSettings, dnsFromForm } from '../../src/renderer/src/lib/stores/dns-form';
import type { DnsEvent, PairStatus } from '$shared/model';
import type { DnsServerAnswer, DnsVerifySettings } from '$shared/pbx-health';
import { MemoryBackend, settings, status } from './memory-backend';

// uPlot (the detail's latency chart) reads the pixel ratio through matchMedia when it loads; jsdom has none.
vi.hoisted(() => {
  window.matchMedia ??= ((query: string) => ({
    matches: false,
    media: query,
    addEventListener() {},
    removeEventListener() {},
    addListener() {},
    removeListener() {},
  })) as unknown as typeof window.matchMedia;
});

globalThis.ResizeObserver ??= class {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
};

const DNS: DnsVerifySettings = {
  name: 'pbx.example.com.',
  type: 'A',
  failover: ['198.51.100.20'],
  failback: ['192.0.2.10'],
  within: 120,
  maxTtl: 300,
  servers: ['198.18.4.2:53', '198.18.6.2:53'],
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

const answer = (server: string, answers: string[], ok: boolean): DnsServerAnswer => ({
  server,
  answers,
  ttl: 60,
  authoritative: true,
  rcode: 'NOERROR',
  ok,
});

function round(phase: DnsEvent['phase'], servers: DnsServerAnswer[], s: PairStatus, message?: string): DnsEvent {
  return {
    type: 'dns',
    pair: 'acme',
    at: new Date().toISOString(),
    kind: 'failover',
    phase,
    expected: ['198.51.100.20'],
    servers,
    elapsed: 2,
    ...(message ? { message } : {}),
    status: { ...s, dnsPhase: phase },
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('DNS verification in the dashboard', () => {
  it('the pair detail shows each server turning green during the verification', async () => {
    const s = status({ id: 'acme', state: 'failover', dnsPhase: 'checking' });
    backend.pairs = [{ ...s, dns: { phase: 'checking', expected: ['198.51.100.20'], servers: [] } } as PairStatus];
    backend.settingsOf.set('acme', settings({ id: 'acme', dnsVerify: DNS }));
    await app.start();
    render(PairDetail, { props: { id: 'acme' }, context: appContext(app) });
    const block = await screen.findByTestId('dns-verify');
    const okOf = (server: string) => block.querySelector<HTMLElement>(`[data-server="${server}"]`)?.dataset.ok;
    expect(block.dataset.phase).toBe('checking');
    expect(okOf('198.18.4.2:53')).toBe('pending');

    backend.emit([
      round(
        'checking',
        [answer('198.18.4.2:53', ['198.51.100.20'], true), answer('198.18.6.2:53', ['192.0.2.10'], false)],
        s,
      ),
    ]);
    await tick();
    expect(okOf('198.18.4.2:53')).toBe('true');
    expect(okOf('198.18.6.2:53')).toBe('false');
    expect(block.querySelector('[data-server="198.18.6.2:53"]')?.textContent).toContain('192.0.2.10');

    backend.emit([
      round(
        'converged',
        [answer('198.18.4.2:53', ['198.51.100.20'], true), answer('198.18.6.2:53', ['198.51.100.20'], true)],
        s,
        'DNS converged in 4 s',
      ),
    ]);
    await tick();
    expect(block.dataset.phase).toBe('converged');
    expect(okOf('198.18.6.2:53')).toBe('true');
    expect(block.textContent).toContain('Converged');
    // The event log has the round in words.
    expect(screen.getByTestId('event-log').textContent).toContain('DNS converged in 4 s');
  });

  it('the overview marks a pair whose last failover has not converged, worst first, until it converges', async () => {
    const bad = status({ id: 'acme', state: 'failover', dnsPhase: 'not-converged' });
    backend.pairs = [status({ id: 'globex', state: 'failover', dnsPhase: 'converged' }), bad];
    await app.start();
    render(Overview, { context: appContext(app) });
    const rows = () => [...document.querySelectorAll<HTMLElement>('[data-pair]')].map((r) => r.dataset.pair);
    expect(rows()).toEqual(['acme', 'globex']);
    const mark = () => document.querySelector('[data-pair="acme"] [data-testid="dns-not-converged"]');
    expect(mark()).not.toBeNull();
    expect(document.querySelector('[data-pair="globex"] [data-testid="dns-not-converged"]')).toBeNull();
    expect(document.querySelector('[data-pair="acme"]')?.textContent).toContain('DNS not converged');

    backend.emit([round('converged', [answer('198.18.4.2:53', ['198.51.100.20'], true)], bad, 'DNS converged in 9 s')]);
    await tick();
    expect(mark()).toBeNull();
  });

  it('the editor section: sets typed with spaces, problems named by the validator', async () => {
    const form = dnsFormFromSettings(DNS);
    expect(form).toMatchObject({ enabled: true, failover: '198.51.100.20', servers: DNS.servers });
    expect(dnsFromForm(form)).toEqual(DNS);
    expect(dnsFromForm({ ...form, enabled: false })).toBeUndefined();

    await app.start();
    render(PairEditor, { props: {}, context: appContext(app) });
    await fireEvent.click(screen.getByLabelText(/ask the authoritative DNS servers/));
    const field = (name: string) => document.querySelector<HTMLElement>(`[data-field="${name}"]`)!;
    await fireEvent.input(screen.getByPlaceholderText('pbx.example.com.'), { target: { value: 'pbx.example.com.' } });
    await fireEvent.input(field('dnsVerify.failover').querySelector('input')!, {
      target: { value: '198.51.100.20 2001:db8::1' },
    });
    expect(field('dnsVerify.failover').textContent).toMatch(/"2001:db8::1" is not an IPv4 address/);
    expect(field('dnsVerify.failover').textContent).toContain('dns-verify/@failover');
    await fireEvent.input(field('dnsVerify.servers[0]').querySelector('input')!, { target: { value: 'bad host!' } });
    expect(field('dnsVerify.servers[0]').textContent).toMatch(/not host or host:port/);
  });

  it('the timeline marks the round that ends a verification with its message, not every round', () => {
    const s = status({ id: 'acme', state: 'failover' });
    const checking = round('checking', [answer('198.18.4.2:53', ['192.0.2.10'], false)], s);
    const done = round('converged', [answer('198.18.4.2:53', ['198.51.100.20'], true)], s, 'DNS converged in 4 s');
    const at = Date.parse(done.at);
    expect(markers([checking, done], { from: at - 60_000, to: at + 60_000 })).toEqual([
      { at, kind: 'action', severity: 'info', label: 'DNS converged in 4 s' },
    ]);
  });
});
