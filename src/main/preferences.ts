// Desktop preferences: a small JSON file in userData, written atomically so a
// crash never leaves half a file. Unknown or broken content falls back to the
// defaults field by field rather than stopping the app.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../node/atomic-file.js';
import { SerialQueue } from '../node/serial-queue.js';
import type { DesktopPreferences } from '../shared/ipc.js';

export const PREFERENCES_FILE = 'preferences.json';

/** What is stored: the contract's preferences plus what only the shell needs to remember. */
export interface StoredPreferences extends DesktopPreferences {
  /** The "watchers keep running in the tray" hint is shown once. */
  closeHintShown: boolean;
}

export type PreferencesProblem = { field: string; message: string };

export function defaultPreferences(operator: string): StoredPreferences {
  return { openAtLogin: false, closeToTray: true, operator, closeHintShown: false };
}

/** Check a change from the renderer; every problem names its field. */
export function validatePreferencesPatch(patch: unknown): PreferencesProblem[] {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    return [{ field: 'preferences', message: 'must be an object' }];
  }
  const problems: PreferencesProblem[] = [];
  const known = new Set(['openAtLogin', 'closeToTray', 'mutedUntil', 'operator']);
  for (const [key, value] of Object.entries(patch)) {
    if (!known.has(key)) problems.push({ field: key, message: 'is not a preference' });
    else if ((key === 'openAtLogin' || key === 'closeToTray') && typeof value !== 'boolean')
      problems.push({ field: key, message: 'must be true or false' });
    else if (key === 'operator' && (typeof value !== 'string' || value.trim() === '' || value.length > 100)) {
      problems.push({ field: key, message: 'must be a name of 1 to 100 characters' });
    } else if (
      key === 'mutedUntil' &&
      value !== undefined &&
      (typeof value !== 'string' || Number.isNaN(Date.parse(value)))
    ) {
      problems.push({ field: key, message: 'must be an ISO 8601 time or left out' });
    }
  }
  return problems;
}

function sanitize(raw: unknown, defaults: StoredPreferences): StoredPreferences {
  const prefs = { ...defaults };
  if (typeof raw !== 'object' || raw === null) return prefs;
  const r = raw as Record<string, unknown>;
  if (typeof r.openAtLogin === 'boolean') prefs.openAtLogin = r.openAtLogin;
  if (typeof r.closeToTray === 'boolean') prefs.closeToTray = r.closeToTray;
  if (typeof r.operator === 'string' && r.operator.trim() !== '') prefs.operator = r.operator;
  if (typeof r.closeHintShown === 'boolean') prefs.closeHintShown = r.closeHintShown;
  if (typeof r.mutedUntil === 'string' && !Number.isNaN(Date.parse(r.mutedUntil))) prefs.mutedUntil = r.mutedUntil;
  return prefs;
}

export class PreferencesStore {
  private current: StoredPreferences;
  private readonly writes = new SerialQueue();

  private constructor(
    readonly path: string,
    initial: StoredPreferences,
  ) {
    this.current = initial;
  }

  /** Reads `<dir>/preferences.json`; a missing or unreadable file gives the defaults. */
  static async open(dir: string, defaultOperator: string): Promise<PreferencesStore> {
    const path = join(dir, PREFERENCES_FILE);
    const defaults = defaultPreferences(defaultOperator);
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(path, 'utf8'));
    } catch {
      raw = undefined;
    }
    return new PreferencesStore(path, sanitize(raw, defaults));
  }

  get(): StoredPreferences {
    return { ...this.current };
  }

  /** The contract's view, for the renderer. */
  desktop(): DesktopPreferences {
    const { closeHintShown: _hint, ...prefs } = this.current;
    void _hint;
    return prefs;
  }

  /** Apply a change and write it; writes are serialized so the file always holds the last change. */
  async update(patch: Partial<StoredPreferences>): Promise<StoredPreferences> {
    const next = { ...this.current, ...patch };
    if ('mutedUntil' in patch && patch.mutedUntil === undefined) delete next.mutedUntil;
    this.current = next;
    const text = `${JSON.stringify(next, null, 2)}\n`;
    await this.writes.run(() => writeFileAtomic(this.path, text, { createDirectory: true }));
    return this.get();
  }
}
