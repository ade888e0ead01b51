// What makes the engine untrustworthy right now (its states cannot be written, its serverdir lock
// was lost), from /api/health: read at start, after a reconnect, and whenever an alert says it changed.

import type { Backend, HealthProblem } from '$shared/api';
import type { AlertKind, EngineEvent } from '$shared/model';
import { errorMessage } from '../backend/errors';

/** Alerts after which the health answer is different. */
const HEALTH_ALERTS: ReadonlySet<AlertKind> = new Set<AlertKind>([
  'state-write-failed',
  'state-write-recovered',
  'lock-lost',
]);

export class HealthStore {
  ok = $state(true);
  /** The service is a node of a cluster (serve --cluster): the cluster panel asks GET /api/cluster. */
  cluster = $state(false);
  problems = $state.raw<HealthProblem[]>([]);
  /** The last read failed (the service is unreachable): what is shown is the last answer. */
  error = $state<string | undefined>(undefined);
  private reading: Promise<void> | undefined;
  private again = false;

  constructor(private readonly backend: Backend) {}

  /** One read at a time; a request while one runs reads once more after it, so the newest answer wins. */
  load(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = this.read().finally(() => {
      this.reading = undefined;
      if (this.again) {
        this.again = false;
        void this.load();
      }
    });
    return this.reading;
  }

  apply(events: EngineEvent[]): void {
    if (events.some((e) => e.type === 'alert' && HEALTH_ALERTS.has(e.alert))) void this.load();
  }

  private async read(): Promise<void> {
    try {
      const h = await this.backend.health();
      this.problems = Array.isArray(h.problems) ? h.problems : [];
      this.ok = h.ok && this.problems.length === 0;
      this.cluster = h.cluster === true;
      this.error = undefined;
    } catch (err) {
      this.error = errorMessage(err);
    }
  }
}

/** What a problem means for the operator, beside the engine's own message. */
export const PROBLEM_MEANING: Record<HealthProblem['kind'], { title: string; meaning: string }> = {
  'state-write': {
    title: 'Pair states cannot be saved',
    meaning:
      'Failovers, pauses and re-arms happen, but a restart of the service would forget them: a pair could fail over again and its action be sent twice. Fix the cause (disk space, permissions, the blocked file) before anything else.',
  },
  lock: {
    title: 'This service lost its serverdir lock',
    meaning:
      'Another instance holds the serverdir: this one has stopped watching and firing actions. What this dashboard shows is no longer being acted on.',
  },
};
