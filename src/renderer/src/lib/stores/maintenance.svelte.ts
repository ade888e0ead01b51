// The maintenance windows (GET /api/maintenance), read at start and again after any change of
// them (the audit's maintenance-add, -update and -remove events, whoever made it), and the
// changes this screen makes.

import type { Backend, Reasoned } from '$shared/api';
// Types only: croner (what computes occurrences) stays out of the first screen's bundle; the pair page's
// timeline computes them itself (shared/maintenance.ts), the overview uses the service's nextStart/nextEnd.
import type { MaintenanceInfo, MaintenanceWindow, Occurrence } from '$shared/maintenance';
import type { EngineEvent, Problem } from '$shared/model';
import { MonitorError } from '$shared/api';
import { errorMessage } from '../backend/errors';

const CHANGES = new Set(['maintenance-add', 'maintenance-update', 'maintenance-remove']);

/** How far ahead the overview announces a window. */
export const SOON_MS = 24 * 3600_000;

export type SoonOccurrence = Occurrence & { id: string; reason: string };

export class MaintenanceStore {
  windows = $state.raw<MaintenanceInfo[]>([]);
  loaded = $state(false);
  error = $state<string | undefined>(undefined);
  /** The problems of the last refused change, each naming its field. */
  problems = $state.raw<Problem[]>([]);
  busy = $state(false);

  /** When the list was last asked for because an occurrence it gave has ended. */
  private refreshedAt = 0;

  constructor(private readonly backend: Backend) {}

  /** The window going on for this pair, or else the next one within 24 h. */
  soonFor(pair: string, nowMs: number): SoonOccurrence | undefined {
    let best: SoonOccurrence | undefined;
    let ended = false;
    for (const w of this.windows) {
      if (w.nextStart === undefined || w.nextEnd === undefined) continue;
      const start = Date.parse(w.nextStart);
      const end = Date.parse(w.nextEnd);
      if (end <= nowMs) {
        ended = true;
        continue;
      }
      if (start > nowMs + SOON_MS || (w.pairs !== 'all' && !w.pairs.includes(pair))) continue;
      if (!best || start < best.start) best = { start, end, id: w.id, reason: w.reason };
    }
    // The service names each window's next occurrence once one has ended (at most once a minute).
    if (ended && nowMs - this.refreshedAt > 60_000) {
      this.refreshedAt = nowMs;
      void this.load();
    }
    return best;
  }

  async load(): Promise<void> {
    try {
      this.windows = await this.backend.listMaintenance();
      this.loaded = true;
      this.error = undefined;
    } catch (err) {
      this.error = errorMessage(err);
    }
  }

  apply(events: EngineEvent[]): void {
    if (this.loaded && events.some((e) => e.type === 'operator' && CHANGES.has(e.action))) void this.load();
  }

  /** True when saved; else `problems` and `error` say why. */
  async add(window: MaintenanceWindow, by?: Reasoned): Promise<boolean> {
    return this.change(() => this.backend.addMaintenance(window, by));
  }

  async remove(id: string, by?: Reasoned): Promise<boolean> {
    return this.change(() => this.backend.removeMaintenance(id, by));
  }

  private async change(run: () => Promise<unknown>): Promise<boolean> {
    this.busy = true;
    try {
      await run();
      this.problems = [];
      this.error = undefined;
      await this.load();
      return true;
    } catch (err) {
      this.problems = err instanceof MonitorError && err.problems ? err.problems : [];
      this.error = errorMessage(err);
      return false;
    } finally {
      this.busy = false;
    }
  }
}
