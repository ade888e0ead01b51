// The audit log: every operator action (manual failover, re-arm, pause, resume,
// settings changes, import), as the engine recorded it, newest first.

import type { Backend } from '$shared/api';
import type { EngineEvent, OperatorEvent } from '$shared/model';
import { errorMessage } from '../backend/errors';

const LOOKBACK_MS = 90 * 24 * 3600_000;

export class AuditStore {
  entries = $state.raw<OperatorEvent[]>([]);
  error = $state<string | undefined>(undefined);
  loaded = $state(false);

  constructor(private readonly backend: Backend) {}

  async load(nowMs = Date.now()): Promise<void> {
    try {
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a timestamp for the request, not state
      const events = await this.backend.audit({ from: new Date(nowMs - LOOKBACK_MS).toISOString() });
      this.entries = events.filter((e): e is OperatorEvent => e.type === 'operator').reverse();
      this.error = undefined;
    } catch (err) {
      this.error = errorMessage(err);
    } finally {
      this.loaded = true;
    }
  }

  apply(events: EngineEvent[]): void {
    const fresh = events.filter((e): e is OperatorEvent => e.type === 'operator');
    if (fresh.length > 0) this.entries = [...fresh.reverse(), ...this.entries];
  }
}
