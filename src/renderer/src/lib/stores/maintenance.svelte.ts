// The maintenance windows (GET /api/maintenance), read at start and again after any change of
// them (the audit's maintenance-add, -update and -remove events, whoever made it), and the
// changes this screen makes.

import type { Backend, Reasoned } from '$shared/api';
import {
  coversPair,
  occurrencesBetween,
  pairOccurrences,
  type MaintenanceInfo,
  type MaintenanceWindow,
  type Occurrence,
} from '$shared/maintenance';
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

  /** The first occurrence within SOON_MS of each window, computed once a minute (not once per pair and second). */
  private soon: { minute: number; windows: MaintenanceInfo[]; list: Array<{ w: MaintenanceWindow; o: Occurrence }> } = {
    minute: -1,
    windows: [],
    list: [],
  };

  constructor(private readonly backend: Backend) {}

  /** The window going on for this pair, or else the next one within 24 h. */
  soonFor(pair: string, nowMs: number): SoonOccurrence | undefined {
    const minute = Math.floor(nowMs / 60_000);
    if (this.soon.minute !== minute || this.soon.windows !== this.windows) {
      const list = this.windows.flatMap((w) => {
        const o = occurrencesBetween(w, nowMs, nowMs + SOON_MS, 1)[0];
        return o ? [{ w, o }] : [];
      });
      this.soon = { minute, windows: this.windows, list };
    }
    let best: SoonOccurrence | undefined;
    for (const { w, o } of this.soon.list) {
      if (o.end <= nowMs || !coversPair(w, pair)) continue;
      if (!best || o.start < best.start) best = { ...o, id: w.id, reason: w.reason };
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

  /** This pair's occurrences overlapping [fromMs, toMs), in time order. */
  occurrencesOf(pair: string, fromMs: number, toMs: number): Array<Occurrence & { id: string; reason: string }> {
    return pairOccurrences(this.windows, pair, fromMs, toMs);
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
