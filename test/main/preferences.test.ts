import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PREFERENCES_FILE, PreferencesStore, validatePreferencesPatch } from '../../src/main/preferences.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pbx-prefs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('preferences file', () => {
  it('starts from the defaults with the OS user as operator when there is no file', async () => {
    const store = await PreferencesStore.open(dir, 'alice');
    expect(store.desktop()).toEqual({ openAtLogin: false, closeToTray: true, operator: 'alice' });
    expect(store.get().closeHintShown).toBe(false);
  });

  it('writes changes atomically and reads them back', async () => {
    const store = await PreferencesStore.open(dir, 'alice');
    await store.update({ openAtLogin: true, mutedUntil: '2026-11-27T12:00:00.000Z', operator: 'noc-1' });
    await store.update({ closeHintShown: true });
    expect(await readdir(dir)).toEqual([PREFERENCES_FILE]); // no temporary file left behind
    const again = await PreferencesStore.open(dir, 'bob');
    expect(again.get()).toEqual({
      openAtLogin: true,
      closeToTray: true,
      mutedUntil: '2026-11-27T12:00:00.000Z',
      operator: 'noc-1',
      closeHintShown: true,
    });
    await again.update({ mutedUntil: undefined });
    expect(JSON.parse(await readFile(join(dir, PREFERENCES_FILE), 'utf8'))).not.toHaveProperty('mutedUntil');
  });

  it('remembers "close to tray" turned off, and a broken value falls back to on', async () => {
    const store = await PreferencesStore.open(dir, 'alice');
    await store.update({ closeToTray: false });
    expect((await PreferencesStore.open(dir, 'alice')).desktop().closeToTray).toBe(false);
    await writeFile(join(dir, PREFERENCES_FILE), JSON.stringify({ closeToTray: 'off' }));
    expect((await PreferencesStore.open(dir, 'alice')).desktop().closeToTray).toBe(true);
  });

  it('keeps the last change when changes race', async () => {
    const store = await PreferencesStore.open(dir, 'alice');
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.update({ operator: `op${i}` })));
    expect((await PreferencesStore.open(dir, 'x')).get().operator).toBe('op19');
  });

  it('falls back to defaults field by field for a broken or hand-edited file', async () => {
    await writeFile(join(dir, PREFERENCES_FILE), '{ not json');
    expect((await PreferencesStore.open(dir, 'alice')).desktop()).toEqual({
      openAtLogin: false,
      closeToTray: true,
      operator: 'alice',
    });
    await writeFile(
      join(dir, PREFERENCES_FILE),
      JSON.stringify({ openAtLogin: 'yes', operator: 'carol', mutedUntil: 'soon' }),
    );
    expect((await PreferencesStore.open(dir, 'alice')).desktop()).toEqual({
      openAtLogin: false,
      closeToTray: true,
      operator: 'carol',
    });
  });

  it('names every bad field of a change from the renderer', () => {
    expect(validatePreferencesPatch({ openAtLogin: true, operator: 'x' })).toEqual([]);
    expect(validatePreferencesPatch({ openAtLogin: 'yes', operator: '', mutedUntil: 'later', theme: 'dark' })).toEqual([
      { field: 'openAtLogin', message: 'must be true or false' },
      { field: 'operator', message: 'must be a name of 1 to 100 characters' },
      { field: 'mutedUntil', message: 'must be an ISO 8601 time or left out' },
      { field: 'theme', message: 'is not a preference' },
    ]);
    expect(validatePreferencesPatch({ closeToTray: false })).toEqual([]);
    expect(validatePreferencesPatch({ closeToTray: 'no' })).toEqual([
      { field: 'closeToTray', message: 'must be true or false' },
    ]);
    expect(validatePreferencesPatch(null)).toEqual([{ field: 'preferences', message: 'must be an object' }]);
  });
});
