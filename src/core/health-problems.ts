// What makes the engine untrustworthy right now (states that cannot be written, a lost lock).
// Every part of the engine that can fail in such a way reports here; /api/health, the dashboard's
// banner and the tray read from here. A problem is set once per episode and cleared when it ends.

import type { HealthProblem } from '../shared/api.js';

export class HealthProblems {
  private readonly current = new Map<HealthProblem['kind'], HealthProblem>();

  /** Set (or update the message of) a problem; true when it is new, so the caller alerts once per episode. */
  set(kind: HealthProblem['kind'], message: string, nowIso: string): boolean {
    const existing = this.current.get(kind);
    this.current.set(kind, { kind, message, since: existing?.since ?? nowIso });
    return existing === undefined;
  }

  /** Clear a problem; true when it was present, so the caller can say it is over. */
  clear(kind: HealthProblem['kind']): boolean {
    return this.current.delete(kind);
  }

  has(kind: HealthProblem['kind']): boolean {
    return this.current.has(kind);
  }

  list(): HealthProblem[] {
    return [...this.current.values()].map((p) => ({ ...p }));
  }
}
