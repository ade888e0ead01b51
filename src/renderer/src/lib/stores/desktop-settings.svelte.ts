// The desktop app's own preferences (operator name, start at login, close to tray, notification muting),
// read from and saved by main: main holds the one copy, this store shows it and asks main to change it.

import { MonitorError, type Backend } from '$shared/api';
import type { DesktopPreferences } from '$shared/ipc';
import type { Problem } from '$shared/model';
import { muteUntil, type MuteChoice } from '$shared/mute-choices';
import { errorMessage } from '../backend/errors';

type PreferencesHost = Required<Pick<Backend, 'getPreferences' | 'setPreferences'>>;

/** The desktop settings, or undefined where the backend keeps no preferences (a browser). */
export function desktopSettingsOf(backend: Backend): DesktopSettings | undefined {
  const { getPreferences, setPreferences } = backend;
  if (!getPreferences || !setPreferences) return undefined;
  return new DesktopSettings({
    getPreferences: () => getPreferences.call(backend),
    setPreferences: (p) => setPreferences.call(backend, p),
  });
}

export class DesktopSettings {
  #saved = $state.raw<DesktopPreferences | undefined>(undefined);
  #error = $state<string | undefined>(undefined);
  #problems = $state.raw<Problem[]>([]);
  #saving = $state(false);

  constructor(private readonly host: PreferencesHost) {}

  /** As main last answered; undefined until loaded. */
  get saved(): DesktopPreferences | undefined {
    return this.#saved;
  }
  get error(): string | undefined {
    return this.#error;
  }
  get problems(): Problem[] {
    return this.#problems;
  }
  get saving(): boolean {
    return this.#saving;
  }
  /** The operator the audit log records for this app's changes ('' until loaded). */
  get operator(): string {
    return this.#saved?.operator ?? '';
  }
  /** Epoch ms until which desktop notifications are held back, while that is in the future. */
  mutedUntil(nowMs = Date.now()): number | undefined {
    const at = this.#saved?.mutedUntil ? Date.parse(this.#saved.mutedUntil) : Number.NaN;
    return at > nowMs ? at : undefined;
  }
  problemOf(field: keyof DesktopPreferences): string | undefined {
    return this.#problems.find((p) => p.field === field)?.message;
  }

  async load(): Promise<void> {
    try {
      this.#saved = await this.host.getPreferences();
      this.#error = undefined;
    } catch (err) {
      this.#error = errorMessage(err);
    }
  }

  /** Main validates and saves; on a refusal nothing changed and the problems name their fields. */
  async save(patch: Partial<DesktopPreferences>): Promise<boolean> {
    this.#saving = true;
    this.#error = undefined;
    this.#problems = [];
    try {
      this.#saved = await this.host.setPreferences(patch);
      return true;
    } catch (err) {
      this.#error = errorMessage(err);
      this.#problems = err instanceof MonitorError ? (err.problems ?? []) : [];
      return false;
    } finally {
      this.#saving = false;
    }
  }

  mute(choice: MuteChoice, now = new Date()): Promise<boolean> {
    return this.save({ mutedUntil: muteUntil(choice, now).toISOString() });
  }

  unmute(): Promise<boolean> {
    return this.save({ mutedUntil: undefined });
  }
}
