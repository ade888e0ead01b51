// Two-person requests (GET /api/requests), refetched whenever an event says one was made, approved,
// rejected or lapsed; approving and rejecting go through the backend with the operator's reason.

import type { Backend, TwoPersonRequest } from '$shared/api';
import type { EngineEvent } from '$shared/model';

const REQUEST_ACTIONS = new Set(['request', 'approve', 'reject']);

export class RequestsStore {
  list = $state.raw<TwoPersonRequest[]>([]);
  pending = $derived(this.list.filter((r) => r.state === 'pending'));

  constructor(private readonly backend: Backend) {}

  get supported(): boolean {
    return this.backend.listRequests !== undefined;
  }

  async load(): Promise<void> {
    if (!this.backend.listRequests) return;
    try {
      this.list = await this.backend.listRequests();
    } catch {
      // Shown by the connection badge or the token prompt.
    }
  }

  apply(events: readonly EngineEvent[]): void {
    const touched = events.some(
      (e) =>
        (e.type === 'operator' && REQUEST_ACTIONS.has(e.action)) ||
        (e.type === 'alert' && e.alert === 'request-pending'),
    );
    if (touched) void this.load();
  }

  async decide(id: string, verb: 'approve' | 'reject', reason: string, operator?: string): Promise<TwoPersonRequest> {
    const by = { reason, ...(operator ? { operator } : {}) };
    const call = verb === 'approve' ? this.backend.approveRequest : this.backend.rejectRequest;
    if (!call) throw new Error('this backend has no two-person requests');
    const decided = await call.call(this.backend, id, by);
    await this.load();
    return decided;
  }
}
