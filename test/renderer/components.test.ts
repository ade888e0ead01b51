import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup } from '@testing-library/svelte';
import { AppState, appContext } from '../../src/renderer/src/lib/app.svelte';
import OperatorDialog from '../../src/renderer/src/lib/components/dialogs/OperatorDialog.svelte';
import PairEditor from '../../src/renderer/src/lib/components/editor/PairEditor.svelte';
import Overview from '../../src/renderer/src/lib/components/overview/Overview.svelte';
import ImportExport from '../../src/renderer/src/lib/components/ImportExport.svelte';
import { MonitorError } from '$shared/api';
import { MemoryBackend, settings, status } from './memory-backend';

// jsdom has no layout, so no ResizeObserver; Svelte's bind:clientHeight needs the constructor only.
globalThis.ResizeObserver ??= class {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
};

let backend: MemoryBackend;
let app: AppState;

beforeEach(async () => {
  localStorage.clear();
  backend = new MemoryBackend();
  app = new AppState(backend, (run) => run(), 0);
});

afterEach(() => {
  cleanup();
  app.stop();
});

async function type(input: HTMLElement, value: string) {
  await fireEvent.input(input, { target: { value } });
}

describe('Overview', () => {
  it('shows every pair worst first with state in words, and filters by state and text', async () => {
    backend.pairs = [
      status({ id: 'acme', name: 'ACME Corp' }),
      status({ id: 'globex', name: 'Globex', state: 'failover' }),
      status({ id: 'initech', name: 'Initech', state: 'verifying', consecutiveFailures: 4 }),
    ];
    await app.start();
    render(Overview, { context: appContext(app) });
    const rows = () => [...document.querySelectorAll<HTMLElement>('[data-pair]')].map((r) => r.dataset.pair);
    expect(rows()).toEqual(['globex', 'initech', 'acme']);
    const globex = document.querySelector<HTMLElement>('[data-pair="globex"]')!;
    expect(within(globex).getByText('Failover')).toBeTruthy();
    expect(globex.textContent).toContain('0/3');

    await fireEvent.click(screen.getByRole('button', { name: /Verifying/ }));
    expect(rows()).toEqual(['initech']);
    await fireEvent.click(screen.getByRole('button', { name: /^All/ }));
    await type(screen.getByPlaceholderText('Filter by name or id'), 'acm');
    expect(rows()).toEqual(['acme']);
  });

  it('updates a row from a live event without reloading', async () => {
    backend.pairs = [status({ id: 'acme', name: 'ACME Corp' }), status({ id: 'zeta', name: 'Zeta' })];
    await app.start();
    render(Overview, { context: appContext(app) });
    const at = new Date().toISOString();
    backend.emit([
      {
        type: 'state',
        pair: 'zeta',
        at,
        from: 'waiting',
        to: 'verifying',
        reason: 'primary down',
        manual: false,
        status: status({ id: 'zeta', name: 'Zeta', state: 'verifying', since: at, reason: 'primary down' }),
      },
    ]);
    flushSync();
    const first = document.querySelector<HTMLElement>('[data-pair]')!;
    expect(first.dataset.pair).toBe('zeta');
    expect(first.dataset.state).toBe('verifying');
    expect(backend.calls.filter((c) => c.method === 'listPairs')).toHaveLength(1);
  });

  it('offers to add a pair when there are none', async () => {
    await app.start();
    render(Overview, { context: appContext(app) });
    expect(screen.getByText('No pairs yet')).toBeTruthy();
    expect(screen.getByRole('link', { name: '+ Add pair' }).getAttribute('href')).toBe('#/new');
  });
});

describe('the controlled-failover dialog', () => {
  async function open(kind: 'failover' | 'pause' = 'failover') {
    backend.pairs = [status({ id: 'acme', name: 'ACME Corp' })];
    backend.settingsOf.set('acme', settings({ id: 'acme', name: 'ACME Corp' }));
    await app.start();
    const detail = await backend.getPair('acme');
    render(OperatorDialog, {
      props: { kind, detail, live: app.pairs.get('acme')!.status, onclose: () => {} },
      context: appContext(app),
    });
  }

  it('keeps the button disabled until the pair name and a reason are typed', async () => {
    await open();
    const button = screen.getByRole('button', { name: 'Fail over now' }) as HTMLButtonElement;
    const name = screen.getByLabelText(/Type the pair's name/);
    const reason = screen.getByLabelText(/Reason/);
    expect(button.disabled).toBe(true);
    await type(name, 'ACME');
    await type(reason, 'primary DC flooded');
    expect(button.disabled).toBe(true);
    await type(name, 'ACME Corp');
    expect(button.disabled).toBe(false);
    await type(reason, '   ');
    expect(button.disabled).toBe(true);
    await type(reason, 'primary DC flooded');
    await fireEvent.click(button);
    await expect.poll(() => backend.calls.find((c) => c.method === 'failover')).toBeTruthy();
    expect(backend.calls.filter((c) => c.method === 'failover')).toEqual([
      { method: 'failover', args: ['acme', { reason: 'primary DC flooded' }] },
    ]);
    await expect.poll(() => screen.queryByText(/Done:/)).toBeTruthy();
  });

  it('shows the request that will be sent with secrets masked and the reason filled in', async () => {
    await open();
    await type(screen.getByLabelText(/Reason/), 'drill "A"');
    const preview = screen.getByTestId('request-preview').textContent!;
    expect(preview).toContain('POST http://127.0.0.1:9/dns?pair=acme');
    expect(preview).toContain('Authorization: Basic ••••••••');
    expect(preview).toContain('X-Api-Key: ••••••••');
    expect(preview).toContain('"reason":"drill \\"A\\""');
    expect(preview).toContain('"to":"failover"');
  });

  it("shows the service's refusal and lets the operator try again", async () => {
    await open('pause');
    backend.failNext.set(
      'pause',
      new MonitorError('invalid', 'a reason is required', [{ field: 'reason', message: 'say why' }]),
    );
    await type(screen.getByLabelText(/Type the pair's name/), 'ACME Corp');
    await type(screen.getByLabelText(/Reason/), 'x');
    await fireEvent.click(screen.getByRole('button', { name: 'Pause for maintenance' }));
    await expect.poll(() => screen.queryByText('say why')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Pause for maintenance' }) as HTMLButtonElement).disabled).toBe(false);
  });

  it('closes on Escape', async () => {
    backend.pairs = [status({ id: 'acme', name: 'ACME Corp' })];
    await app.start();
    const detail = await backend.getPair('acme');
    let closed = 0;
    render(OperatorDialog, {
      props: { kind: 'resume', detail, live: app.pairs.get('acme')!.status, onclose: () => closed++ },
      context: appContext(app),
    });
    await fireEvent.keyDown(screen.getByRole('dialog', { hidden: true }), { key: 'Escape' });
    expect(closed).toBe(1);
  });
});

describe('the pair editor', () => {
  it("shows the shared validator's problems next to each field as the operator types", async () => {
    await app.start();
    render(PairEditor, { props: {}, context: appContext(app) });
    const field = (name: string) => document.querySelector<HTMLElement>(`[data-field="${name}"]`)!;
    // Untouched fields of a new pair show nothing yet.
    expect(field('id').querySelector('[data-problem-for]')).toBeNull();

    await type(screen.getByLabelText('Id'), 'Bad Id!');
    expect(field('id').querySelector('[data-problem-for="id"]')?.textContent).toMatch(/lower-case/);
    await type(screen.getByLabelText('Id'), 'acme');
    expect(field('id').querySelector('[data-problem-for]')).toBeNull();

    await type(screen.getByLabelText('Interval (s)'), '0.01');
    expect(field('interval').textContent).toMatch(/0\.1/);

    await type(screen.getByLabelText('URL'), 'http://127.0.0.1:9/dns?x={nosuchvariable}');
    expect(field('action.url').querySelector('[data-problem-for="action.url"]')?.textContent).toMatch(/nosuchvariable/);
  });

  it("shows the guidance hints: detection time, https, host name, validation URL on the primary's host", async () => {
    await app.start();
    render(PairEditor, { props: {}, context: appContext(app) });
    await type(screen.getByLabelText('Interval (s)'), '2');
    await type(screen.getByLabelText('Tolerated failures'), '4');
    expect(document.querySelector('[data-hint-for="toleratedFailures"]')?.textContent).toMatch(/about 10 s/);
    await type(screen.getByLabelText('Primary URL'), 'https://pbx.example.com/');
    const hints = [...document.querySelectorAll('[data-hint-for="primaryUrl"]')].map((h) => h.textContent);
    expect(hints.join(' ')).toMatch(/https/);
    expect(hints.join(' ')).toMatch(/host name/);
    expect(document.querySelector('[data-hint-for="validation.urls"]')?.textContent).toMatch(
      /without a validation URL/,
    );
    await type(screen.getByLabelText('Validation URL 1'), 'http://pbx.example.com/alive');
    expect(document.querySelector('[data-hint-for="validation.urls[0]"]')?.textContent).toMatch(/same host/);
  });

  it("saves nothing while invalid, and shows the service's problems by field", async () => {
    await app.start();
    render(PairEditor, { props: {}, context: appContext(app) });
    await fireEvent.click(screen.getByRole('button', { name: 'Add pair' }));
    expect(backend.calls.some((c) => c.method === 'addPair')).toBe(false);
    expect(document.querySelector('[data-problem-for="primaryUrl"]')).toBeTruthy();

    await type(screen.getByLabelText('Id'), 'acme');
    await type(screen.getByLabelText('Name'), 'ACME');
    await type(screen.getByLabelText('Primary URL'), 'http://127.0.0.1:9/');
    await type(screen.getByLabelText('Validation URL 1'), 'http://127.0.0.2:9/');
    await type(screen.getByLabelText('URL'), 'http://127.0.0.1:9/dns');
    backend.failNext.set(
      'addPair',
      new MonitorError('conflict', 'pair "acme" exists', [
        { pair: 'acme', field: 'id', message: 'is already used by another pair' },
      ]),
    );
    await fireEvent.click(screen.getByRole('button', { name: 'Add pair' }));
    await expect.poll(() => document.querySelector('[data-problem-for="id"]')?.textContent).toMatch(/already used/);
  });
});

describe('import', () => {
  it('shows every problem of a broken file and offers no way to apply it', async () => {
    await app.start();
    render(ImportExport, { context: appContext(app) });
    backend.failNext.set(
      'importXml',
      new MonitorError('invalid', 'pbxctrl-failover.xml has 2 problems', [
        { pair: 'acme', field: 'interval', message: 'must be at least 0.1' },
        { pair: 'globex', field: 'action.url', message: 'is required' },
      ]),
    );
    await fireEvent.input(screen.getByLabelText('XML to import'), {
      target: { value: '<pbxctrl-failover version="1"><pair id="acme"/></pbxctrl-failover>' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Check' }));
    await expect.poll(() => screen.queryByTestId('import-error')).toBeTruthy();
    const error = screen.getByTestId('import-error').textContent!;
    expect(error).toContain('pair “acme”, interval: must be at least 0.1');
    expect(error).toContain('pair “globex”, action/url: is required');
    expect(screen.queryByRole('button', { name: 'Apply import' })).toBeNull();
    expect(backend.calls.filter((c) => c.method === 'importXml').map((c) => c.args[1])).toEqual([
      { dryRun: true, mode: 'replace' },
    ]);
  });
});
