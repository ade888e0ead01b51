// The audit log: every operator action (manual failover, re-arm, pause, resume,
// settings changes, import), as the engine recorded it, newest first.

import type { Backend } from '$shared/api';
import type { OperatorEvent } from '$shared/model';
import { EventList } from './event-list.svelte';

const LOOKBACK_MS = 90 * 24 * 3600_000;

export class AuditStore extends EventList<OperatorEvent> {
  constructor(backend: Backend) {
    super({
      fetch: (range) => backend.audit(range),
      accepts: (e): e is OperatorEvent => e.type === 'operator',
      lookbackMs: LOOKBACK_MS,
    });
  }

  /** Newest first. */
  get entries(): OperatorEvent[] {
    return this.items;
  }
}
