import { describe, expect, it } from 'vitest';
import {
  duplicateForm,
  emptyAction,
  formFromSettings,
  PairEditorStore,
  settingsFromForm,
} from '../../src/renderer/src/lib/stores/pair-editor.svelte';
import { MonitorError } from '$shared/api';
import { DEFAULTS } from '$shared/rules';
import { navSectionOf, Router } from '../../src/renderer/src/lib/stores/router.svelte';
import { SECRET_MASK } from '$shared/model';
import { MemoryBackend, settings, status } from './memory-backend';

describe('pair editor store', () => {
  it('turns the form back into the same settings', () => {
    const s = settings({ id: 'acme', standbyUrl: 'http://127.0.0.3:9/', timeout: 2 });
    expect(settingsFromForm(formFromSettings(s))).toEqual(s);
  });

  it('duplicates with a free id and without masked secrets, which a new pair cannot keep', () => {
    const form = duplicateForm(settings({ id: 'acme', name: 'ACME' }), new Set(['acme', 'acme-copy']));
    expect(form.id).toBe('acme-copy2');
    expect(form.name).toBe('ACME (copy)');
    expect(form.action.pass).toBe('');
    expect(form.action.headers).toEqual([{ name: 'X-Api-Key', value: '' }]);
  });

  it('keeps masked secrets when editing, as the engine does, and saves through updatePair', async () => {
    const backend = new MemoryBackend();
    backend.pairs = [status({ id: 'acme' })];
    backend.settingsOf.set('acme', settings({ id: 'acme' }));
    const store = new PairEditorStore(backend, 'edit');
    await store.loadExisting('acme');
    expect(store.form.action.pass).toBe(SECRET_MASK);
    expect(store.validation.ok).toBe(true);
    store.form.interval = 2;
    const saved = await store.save({ reason: 'slower polling' });
    expect(saved?.interval).toBe(2);
    const call = backend.calls.find((c) => c.method === 'updatePair')!;
    expect(call.args[0]).toBe('acme');
    expect((call.args[1] as { action: { pass: string } }).action.pass).toBe(SECRET_MASK);
    expect(call.args[2]).toEqual({ reason: 'slower polling' });
  });

  it('lists a problem per field from the shared validator and does not call the service', async () => {
    const backend = new MemoryBackend();
    const store = new PairEditorStore(backend, 'add');
    store.form.id = 'acme';
    store.form.primaryUrl = 'ftp://192.0.2.1/';
    store.form.toleratedFailures = -1;
    store.form.action.url = 'http://127.0.0.1:9/{oops}';
    expect(store.problemsFor('primaryUrl')).toEqual([]);
    expect(await store.save()).toBeUndefined();
    expect(store.problemsFor('primaryUrl')[0]).toMatch(/http/);
    expect(store.problemsFor('toleratedFailures')[0]).toMatch(/0/);
    expect(store.problemsFor('action.url')[0]).toMatch(/oops/);
    expect(backend.calls).toEqual([]);
  });

  it('starts a new action from the engine’s defaults', () => {
    expect(emptyAction()).toMatchObject({
      method: DEFAULTS.method,
      encoding: DEFAULTS.encoding,
      auth: DEFAULTS.auth,
      retries: DEFAULTS.retries,
      timeout: DEFAULTS.actionTimeout,
    });
  });

  it('shows a problem beside its input while the input exists, in the list above Save once it is gone', async () => {
    const backend = new MemoryBackend();
    backend.pairs = [status({ id: 'acme' })];
    backend.settingsOf.set('acme', settings({ id: 'acme' }));
    const store = new PairEditorStore(backend, 'edit');
    await store.loadExisting('acme');
    store.addHeader('action');
    store.form.action.headers[1] = { name: 'X-Extra', value: 'v' };
    const refusal = { field: 'action.headers[1].name', message: 'refused by the service' };
    backend.failNext.set('updatePair', new MonitorError('invalid', '1 problem', [refusal]));
    await store.save();
    expect(store.problemsFor('action.headers[1].name')).toEqual(['refused by the service']);
    expect(store.otherProblems).toEqual([]);
    store.removeHeader('action', 1);
    expect(store.form.action.headers).toHaveLength(1);
    expect(store.otherProblems).toEqual([refusal]);
    store.addValidationUrl();
    expect(store.form.validationUrls.at(-1)).toBe('');
    store.removeValidationUrl(store.form.validationUrls.length - 1);
    expect(store.form.validationUrls).toEqual(settings({ id: 'acme' }).validation.urls);
  });
});

describe('unsaved changes and the router', () => {
  it('the editor is dirty only while the form differs from what was loaded or saved', async () => {
    const backend = new MemoryBackend();
    backend.pairs = [status({ id: 'acme' })];
    backend.settingsOf.set('acme', settings({ id: 'acme' }));
    const store = new PairEditorStore(backend, 'edit');
    expect(store.dirty).toBe(false);
    await store.loadExisting('acme');
    expect(store.dirty).toBe(false);
    store.form.interval = 2;
    expect(store.dirty).toBe(true);
    store.form.interval = 1;
    expect(store.dirty).toBe(false);
    store.form.validationUrls.push('http://127.0.0.3:9/');
    expect(store.dirty).toBe(true);
    await store.save();
    expect(store.dirty).toBe(false);
  });

  it('holds a navigation back while the guard says there is something to lose', () => {
    const router = new Router(undefined);
    let dirty = true;
    const release = router.guardLeaving(() => dirty);
    router.go({ view: 'audit' });
    expect(router.route).toEqual({ view: 'overview' });
    expect(router.pending).toEqual({ view: 'audit' });
    router.stay();
    expect(router.pending).toBeUndefined();
    router.go({ view: 'audit' });
    router.leave();
    expect(router.route).toEqual({ view: 'audit' });
    // leave() dropped the guard with the page; a released guard holds nothing back either.
    router.go({ view: 'import' });
    expect(router.route).toEqual({ view: 'import' });
    router.guardLeaving(() => dirty);
    dirty = false;
    router.go({ view: 'overview' });
    expect(router.route).toEqual({ view: 'overview' });
    release();
  });

  it("highlights the link of the page shown, and none for a pair's own pages", () => {
    expect(navSectionOf({ view: 'overview' })).toBe('overview');
    expect(navSectionOf({ view: 'import' })).toBe('import');
    expect(navSectionOf({ view: 'edit' })).toBe('new');
    expect(navSectionOf({ view: 'edit', copyOf: 'acme' })).toBe('new');
    expect(navSectionOf({ view: 'edit', id: 'acme' })).toBeUndefined();
    expect(navSectionOf({ view: 'pair', id: 'acme' })).toBeUndefined();
  });
});
