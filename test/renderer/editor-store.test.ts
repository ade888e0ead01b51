import { describe, expect, it } from 'vitest';
import { duplicateForm, formFromSettings, PairEditorStore, settingsFromForm } from '../../src/renderer/src/lib/stores/pair-editor.svelte';
import { SECRET_MASK } from '../../src/shared/model';
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
});
