// Destructive actions need intent: an import that would remove pairs, removing a pair, and leaving
// the editor with unsaved changes. Components in jsdom against the MemoryBackend, which honours
// import modes and refuses removals like the API.
import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppState, appContext } from '../../src/renderer/src/lib/app.svelte';
import Header from '../../src/renderer/src/lib/components/Header.svelte';
import ImportExport from '../../src/renderer/src/lib/components/ImportExport.svelte';
import PairEditor from '../../src/renderer/src/lib/components/editor/PairEditor.svelte';
import { MonitorError } from '$shared/api';
import { MemoryBackend, settings, status } from './memory-backend';

let backend: MemoryBackend;
let app: AppState;

function pairXml(id: string, interval = 1): string {
  return `<pair id="${id}"><name>${id.toUpperCase()}</name><primary-url>http://127.0.0.1:9/</primary-url><interval>${interval}</interval>
    <tolerated-failures>3</tolerated-failures><validation quorum="1"><url>http://127.0.0.2:9/</url></validation>
    <action method="POST"><url>http://127.0.0.1:9/dns</url></action></pair>`;
}
const fileWith = (...pairs: string[]) => `<pbxctrl-failover version="1">${pairs.join('')}</pbxctrl-failover>`;

async function type(input: HTMLElement, value: string) {
  await fireEvent.input(input, { target: { value } });
}

beforeEach(() => {
  localStorage.clear();
  window.location.hash = '';
  backend = new MemoryBackend();
});

afterEach(() => {
  cleanup();
  app?.stop();
});

async function start(): Promise<void> {
  app = new AppState(backend, (run) => run(), 0);
  await app.start();
}

describe('an import that would remove pairs', () => {
  beforeEach(async () => {
    backend.pairs = [
      status({ id: 'acme', name: 'ACME Corp' }),
      status({ id: 'globex', name: 'Globex', state: 'failover' }),
      status({ id: 'initech', name: 'Initech', state: 'paused' }),
    ];
    for (const p of backend.pairs) backend.settingsOf.set(p.id, settings({ id: p.id }));
    await start();
    render(ImportExport, { context: appContext(app) });
    // The file keeps acme (with a new interval) and adds hooli; globex and initech are not in it.
    await type(screen.getByLabelText('XML to import'), fileWith(pairXml('acme', 2), pairXml('hooli')));
    await fireEvent.click(screen.getByRole('button', { name: 'Check' }));
    await expect.poll(() => screen.queryByTestId('import-lacking')).toBeTruthy();
  });

  it('shows the pairs the file lacks first, with their states, the one in failover marked, and merge chosen', () => {
    const lacking = screen.getByTestId('import-lacking');
    const rows = [...lacking.querySelectorAll<HTMLElement>('tbody tr')];
    expect(rows.map((r) => r.dataset.pair)).toEqual(['globex', 'initech']);
    expect(within(rows[0]!).getByText('Failover')).toBeTruthy();
    expect(rows[0]!.textContent).toContain('in failover');
    expect(within(rows[1]!).getByText('Paused')).toBeTruthy();
    expect(rows[1]!.textContent).not.toContain('in failover');
    expect((screen.getByRole('radio', { name: /Merge/ }) as HTMLInputElement).checked).toBe(true);
    expect((screen.getByRole('radio', { name: /Replace/ }) as HTMLInputElement).checked).toBe(false);
    // In merge, nothing is removed: the preview says they are kept.
    const preview = screen.getByTestId('import-changes');
    expect(preview.querySelector('[data-pair="globex"]')?.getAttribute('data-change')).toBe('kept');
    expect(preview.querySelector('[data-pair="hooli"]')?.getAttribute('data-change')).toBe('added');
    expect(preview.querySelector('[data-pair="acme"]')?.getAttribute('data-change')).toBe('changed');
    expect(screen.getByTestId('import-summary').textContent).toContain('2 not in the file kept');
    // The dry run asked for the whole picture.
    expect(backend.calls.filter((c) => c.method === 'importXml').map((c) => c.args[1])).toEqual([
      { dryRun: true, mode: 'replace' },
    ]);
  });

  it('merges by default: adds and updates, keeps the pairs the file lacks', async () => {
    await fireEvent.click(screen.getByRole('button', { name: 'Apply import' }));
    await expect.poll(() => screen.queryByTestId('import-result')).toBeTruthy();
    expect(backend.calls.filter((c) => c.method === 'importXml').at(-1)!.args[1]).toEqual({
      dryRun: false,
      mode: 'merge',
    });
    expect(backend.pairs.map((p) => p.id).sort()).toEqual(['acme', 'globex', 'hooli', 'initech']);
  });

  it('removes them only with replace, the typed word "replace" and a reason', async () => {
    await fireEvent.click(screen.getByRole('radio', { name: /Replace/ }));
    expect(screen.getByRole('alert').textContent).toContain('1 of them is in failover');
    const apply = () => screen.getByRole('button', { name: 'Apply import and remove 2' }) as HTMLButtonElement;
    expect(apply().disabled).toBe(true);
    await type(screen.getByLabelText(/Type replace/), 'Replace it');
    await type(screen.getByLabelText(/Reason/), 'customers moved to the new platform');
    expect(apply().disabled).toBe(true);
    expect(screen.getByTestId('import-blocked').textContent).toContain('Type "replace"');
    await type(screen.getByLabelText(/Type replace/), 'replace');
    await type(screen.getByLabelText(/Reason/), '  ');
    expect(apply().disabled).toBe(true);
    expect(screen.getByTestId('import-blocked').textContent).toContain('reason is required');
    await type(screen.getByLabelText(/Reason/), 'customers moved to the new platform');
    expect(apply().disabled).toBe(false);
    // Nothing was applied before the click.
    expect(backend.calls.filter((c) => c.method === 'importXml')).toHaveLength(1);
    await fireEvent.click(apply());
    await expect.poll(() => screen.queryByTestId('import-result')).toBeTruthy();
    expect(backend.calls.filter((c) => c.method === 'importXml').at(-1)!.args[1]).toEqual({
      dryRun: false,
      mode: 'replace',
      reason: 'customers moved to the new platform',
    });
    expect(backend.pairs.map((p) => p.id).sort()).toEqual(['acme', 'hooli']);
    expect(screen.getByRole('status').textContent).toContain('2 removed');
  });

  it('going back to merge forgets the typed word', async () => {
    await fireEvent.click(screen.getByRole('radio', { name: /Replace/ }));
    await type(screen.getByLabelText(/Type replace/), 'replace');
    await fireEvent.click(screen.getByRole('radio', { name: /Merge/ }));
    await fireEvent.click(screen.getByRole('radio', { name: /Replace/ }));
    expect((screen.getByLabelText(/Type replace/) as HTMLInputElement).value).toBe('');
  });
});

describe('an import of a file with several problems', () => {
  it('lists every problem at once, each named by its XML element', async () => {
    await start();
    render(ImportExport, { context: appContext(app) });
    // What the engine's reader answers for such a file (test/core/config-xml.test.ts proves it collects all of them).
    backend.failNext.set(
      'importXml',
      new MonitorError('invalid', 'the file has 3 problems; nothing was changed', [
        { pair: 'beta', field: 'toleratedFailures', message: 'must be at least 0 failures, got -1' },
        { pair: 'alpha', field: 'action.headers[0].name', message: 'is required' },
        { pair: 'alpha', field: 'id', message: 'duplicate pair id "alpha": pair #3 has the same id as pair #1' },
      ]),
    );
    await type(screen.getByLabelText('XML to import'), fileWith(pairXml('alpha'), pairXml('beta'), pairXml('alpha')));
    await fireEvent.click(screen.getByRole('button', { name: 'Check' }));
    await expect.poll(() => screen.queryByTestId('import-error')).toBeTruthy();
    const text = screen.getByTestId('import-error').textContent!;
    expect(text).toContain('pair “beta”, tolerated-failures: must be at least 0');
    expect(text).toContain('pair “alpha”, action/header[1]/@name: is required');
    expect(text).toContain('pair “alpha”, @id: duplicate pair id "alpha"');
    expect(screen.queryByRole('button', { name: /Apply import/ })).toBeNull();
  });
});

describe('removing a pair', () => {
  async function openRemove(state: 'waiting' | 'failover') {
    backend.pairs = [status({ id: 'acme', name: 'ACME Corp', state })];
    backend.settingsOf.set('acme', settings({ id: 'acme', name: 'ACME Corp' }));
    await start();
    render(PairEditor, { props: { id: 'acme' }, context: appContext(app) });
    await expect.poll(() => screen.queryByRole('button', { name: 'Remove…' })).toBeTruthy();
    await expect.poll(() => screen.queryByRole('heading', { name: 'Edit ACME Corp' })).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Remove…' }));
    return within(screen.getByRole('dialog', { hidden: true }));
  }

  it('needs the name and a reason, which reach the audit', async () => {
    const dialog = await openRemove('waiting');
    const button = dialog.getByRole('button', { name: 'Remove pair', hidden: true }) as HTMLButtonElement;
    await type(dialog.getByLabelText(/Type/), 'ACME Corp');
    expect(button.disabled).toBe(true);
    await type(dialog.getByLabelText(/Reason/), 'customer left');
    expect(button.disabled).toBe(false);
    await fireEvent.click(button);
    await expect.poll(() => backend.pairs.length).toBe(0);
    expect(backend.calls.filter((c) => c.method === 'removePair').map((c) => c.args)).toEqual([
      ['acme', { reason: 'customer left' }],
    ]);
    expect(app.router.route).toEqual({ view: 'overview' });
  });

  it('a pair in failover: the 409 says why, and only "Remove anyway" sends force', async () => {
    const dialog = await openRemove('failover');
    expect(dialog.getByTestId('remove-state').textContent).toContain('is in failover');
    await type(dialog.getByLabelText(/Type/), 'ACME Corp');
    await type(dialog.getByLabelText(/Reason/), 'decommissioned');
    await fireEvent.click(dialog.getByRole('button', { name: 'Remove pair', hidden: true }));
    await expect.poll(() => dialog.queryByTestId('remove-error')?.textContent).toContain('is in failover');
    expect(backend.pairs).toHaveLength(1);
    expect(dialog.queryByRole('button', { name: 'Remove pair', hidden: true })).toBeNull();
    await fireEvent.click(dialog.getByRole('button', { name: 'Remove anyway', hidden: true }));
    await expect.poll(() => backend.pairs.length).toBe(0);
    expect(backend.calls.filter((c) => c.method === 'removePair').map((c) => c.args[1])).toEqual([
      { reason: 'decommissioned' },
      { reason: 'decommissioned', force: true },
    ]);
  });
});

describe('leaving the editor with unsaved changes', () => {
  async function editAcme() {
    backend.pairs = [status({ id: 'acme', name: 'ACME Corp' })];
    backend.settingsOf.set('acme', settings({ id: 'acme', name: 'ACME Corp' }));
    window.location.hash = '#/edit/acme';
    await start();
    render(Header, { context: appContext(app) });
    render(PairEditor, { props: { id: 'acme' }, context: appContext(app) });
    await expect.poll(() => document.querySelector<HTMLInputElement>('input[name="name"]')?.value).toBe('ACME Corp');
  }
  const current = () => [...document.querySelectorAll('nav a[aria-current="page"]')].map((a) => a.textContent!.trim());
  const hashChange = (hash: string) => {
    window.location.hash = hash;
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  };

  it('asks before a link leaves, and stays on the editor (address and highlight too) when told to', async () => {
    await editAcme();
    // Editing an existing pair is not "+ Add pair".
    expect(current()).toEqual([]);
    await type(screen.getByLabelText('Interval (s)'), '7');
    hashChange('#/audit');
    await expect.poll(() => screen.queryByTestId('unsaved-changes')).toBeTruthy();
    expect(screen.getByTestId('unsaved-changes').textContent).toContain('ACME Corp');
    expect(app.router.route).toEqual({ view: 'edit', id: 'acme' });
    expect(window.location.hash).toBe('#/edit/acme');
    expect(current()).toEqual([]);
    await fireEvent.click(screen.getByRole('button', { name: 'Stay and keep editing', hidden: true }));
    expect(screen.queryByTestId('unsaved-changes')).toBeNull();
    expect((screen.getByLabelText('Interval (s)') as HTMLInputElement).value).toBe('7');

    app.router.go({ view: 'notifications' });
    await expect.poll(() => screen.queryByTestId('unsaved-changes')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Discard changes and leave', hidden: true }));
    expect(app.router.route).toEqual({ view: 'notifications' });
    expect(window.location.hash).toBe('#/notifications');
    await expect.poll(() => current()).toEqual(['Notifications']);
  });

  it('leaves at once when nothing changed, or the change was undone', async () => {
    await editAcme();
    await type(screen.getByLabelText('Interval (s)'), '7');
    await type(screen.getByLabelText('Interval (s)'), '1');
    hashChange('#/audit');
    await expect.poll(() => app.router.route).toEqual({ view: 'audit' });
    expect(screen.queryByTestId('unsaved-changes')).toBeNull();
  });

  it('a saved change is not unsaved', async () => {
    await editAcme();
    await type(screen.getByLabelText('Interval (s)'), '7');
    await fireEvent.click(screen.getByRole('button', { name: 'Save changes' }));
    await expect.poll(() => app.router.route).toEqual({ view: 'pair', id: 'acme' });
    expect(screen.queryByTestId('unsaved-changes')).toBeNull();
  });

  it('asks the browser before a reload or close loses the changes', async () => {
    await editAcme();
    const unload = () => {
      const e = new Event('beforeunload', { cancelable: true });
      window.dispatchEvent(e);
      return e.defaultPrevented;
    };
    expect(unload()).toBe(false);
    await type(document.querySelector<HTMLInputElement>('input[name="name"]')!, 'ACME Corporation');
    expect(unload()).toBe(true);
  });
});

describe('problems in the editor', () => {
  it('name the XML element beside the form field', async () => {
    await start();
    render(PairEditor, { props: {}, context: appContext(app) });
    await type(screen.getByLabelText('Tolerated failures'), '-1');
    await type(screen.getByLabelText('URL'), 'http://127.0.0.1:9/{nosuchvariable}');
    await type(screen.getByLabelText('Attempts'), '0');
    const problem = (field: string) => document.querySelector<HTMLElement>(`[data-problem-for="${field}"]`);
    expect(problem('toleratedFailures')?.textContent).toMatch(/tolerated-failures: must be at least 0/);
    expect(problem('action.url')?.textContent).toMatch(/action\/url: unknown variable/);
    expect(problem('action.retries')?.textContent).toMatch(/action\/@retries: must be at least 1/);
  });
});
