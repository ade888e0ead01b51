import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppState, appContext } from '../../src/renderer/src/lib/app.svelte';
import DecisionView from '../../src/renderer/src/lib/components/detail/DecisionView.svelte';
import PairDetail from '../../src/renderer/src/lib/components/detail/PairDetail.svelte';
import PairEditor from '../../src/renderer/src/lib/components/editor/PairEditor.svelte';
import TestResults from '../../src/renderer/src/lib/components/editor/TestResults.svelte';
import { formFromSettings, settingsFromForm } from '../../src/renderer/src/lib/stores/pair-editor.svelte';
import { shortFailure } from '../../src/renderer/src/lib/words';
import type { CheckResult } from '$shared/model';
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

let app: AppState;
let backend: MemoryBackend;
beforeEach(() => {
  localStorage.clear();
  backend = new MemoryBackend();
  app = new AppState(backend, (run) => run(), 0);
});
afterEach(() => {
  cleanup();
  app.stop();
});

const text = (el: Element | null) => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();

const sipDead: CheckResult = {
  target: 'primary',
  url: 'http://192.0.2.10/',
  ok: false,
  status: 200,
  latencyMs: 3,
  error: 'SIP OPTIONS: no SIP answer in 1 s',
  at: '2026-12-02T10:00:00.000Z',
  sip: { uri: 'sip:192.0.2.10', transport: 'udp', ok: false, latencyMs: 1000, error: 'no SIP answer in 1 s' },
};

describe('SIP in the editor', () => {
  it('keeps <primary-sip> and <standby-sip> through the form', () => {
    const s = settings({
      id: 'acme',
      primarySip: { uri: 'sips:pbx.example.com', transport: 'tls', accept: '200-299,403', verify: true },
      standbySip: { uri: 'sip:198.18.2.2', transport: 'tcp', accept: '200-299' },
    });
    expect(settingsFromForm(formFromSettings(s))).toEqual(s);
    const form = formFromSettings(settings({ id: 'acme' }));
    form.primarySip.uri = 'sips:198.18.1.2';
    expect(settingsFromForm(form).primarySip).toEqual({ uri: 'sips:198.18.1.2', transport: 'tls', accept: '200-299' });
    expect(settingsFromForm(formFromSettings(settings({ id: 'acme' }))).primarySip).toBeUndefined();
  });

  it('explains the codes and names the XML attribute of a problem', async () => {
    await app.start();
    render(PairEditor, { props: {}, context: appContext(app) });
    expect(text(screen.getByTestId('sip-explained'))).toContain('200-299,403,404,405,488');
    await fireEvent.input(screen.getByLabelText('Primary SIP URI'), { target: { value: 'sips:198.18.1.2' } });
    const transport = document.querySelector<HTMLSelectElement>('select[name="primarySip-transport"]')!;
    await fireEvent.change(transport, { target: { value: 'udp' } });
    const problem = document.querySelector('[data-problem-for="primarySip.transport"]');
    expect(problem?.getAttribute('data-xml')).toBe('primary-sip/@transport');
    expect(text(problem)).toContain('must be tls');
    await fireEvent.input(document.querySelector('input[name="primarySip-accept"]')!, { target: { value: '2xx' } });
    expect(text(document.querySelector('[data-problem-for="primarySip.accept"]'))).toContain('"2xx"');
  });
});

describe('SIP beside HTTP in results', () => {
  it('the decision view shows both halves of each check', () => {
    render(DecisionView, {
      props: {
        decision: { at: '2026-12-02T10:00:01.000Z', to: 'failover', primary: [sipDead], validation: [] },
        state: 'failover',
        since: '2026-12-02T10:00:01.000Z',
      },
    });
    const halves = screen.getByTestId('check-halves');
    expect(text(halves.querySelector('[data-half="HTTP"]'))).toMatch(/^✓ HTTP 200 in /);
    expect(text(halves.querySelector('[data-half="SIP"]'))).toBe('✕ SIP no SIP answer in 1 s');
    expect(shortFailure(sipDead)).toBe('SIP no answer');
    expect(shortFailure({ ...sipDead, sip: { ...sipDead.sip!, code: 503, error: 'status 503' } })).toBe('SIP 503');
  });

  it('Test now shows the SIP result beside the HTTP one', () => {
    render(TestResults, { props: { results: [sipDead] } });
    expect(text(document.querySelector('.result'))).toMatch(
      /^✕ failed ✓ HTTP 200 in \S+ ms ✕ SIP no SIP answer in 1 s$/,
    );
  });
});

describe('SIP in the pair detail', () => {
  it('shows the last check of the primary and of a SIP-only standby with both halves', async () => {
    const standby: CheckResult = {
      target: 'standby',
      url: 'sip:198.18.2.2',
      ok: true,
      latencyMs: 4,
      at: '2026-12-02T10:00:00.000Z',
      sip: { uri: 'sip:198.18.2.2', transport: 'udp', ok: true, code: 200, latencyMs: 4 },
    };
    backend.pairs = [status({ id: 'acme', lastPrimary: sipDead, lastStandby: standby })];
    backend.settingsOf.set(
      'acme',
      settings({ id: 'acme', standbySip: { uri: 'sip:198.18.2.2', transport: 'udp', accept: '200-299' } }),
    );
    await app.start();
    render(PairDetail, { props: { id: 'acme' }, context: appContext(app) });
    expect(text(await screen.findByTestId('primary-halves'))).toMatch(
      /^primary ✓ HTTP 200 in \S+ ms ✕ SIP no SIP answer in 1 s$/,
    );
    expect(text(await screen.findByTestId('standby-halves'))).toMatch(/^standby ✓ SIP 200 in \S+ ms$/);
  });
});
