// The operator's moves on one pair (failover, re-arm, pause, resume, mark done, retry) and the
// two-person rule in front of them: each move is refused while pair states cannot be written,
// applied to the watcher, audited with who and why, and on disk before the caller hears "done".
// A move the `<policy>` reserves for two operators becomes a request (requests-two-person.ts keeps
// them) and is made, as its requester asked it, once a second operator approves.

import {
  MonitorError,
  type MoveResult,
  type Reasoned,
  type RearmRequest,
  type RemoveRequest,
  type TwoPersonRequest,
} from '../shared/api.js';
import type { OperatorAction, PairStatus } from '../shared/model.js';
import type { Policy, TwoPersonAction } from '../shared/two-person.js';
import { messageOf } from './fs-errors.js';
import { isForced, isObject, readFailback } from './requests.js';
import type { TwoPersonRequests } from './requests-two-person.js';
import type { StateWriter } from './state-writer.js';
import type { EmitOperator } from './config-sync.js';
import type { Supervisor } from './supervisor.js';
import type { Watcher } from './watcher.js';

export interface OperatorMovesDeps {
  supervisor: Supervisor;
  writer: StateWriter;
  requests: () => TwoPersonRequests;
  policy: () => Policy | undefined;
  /** Throws when this process lost its serverdir lock (nothing may change then). */
  refuseWithoutLock: () => void;
  /** The pair's watcher, or a not-found MonitorError. */
  watcher: (id: string) => Watcher;
  readRequester: (
    pair: string,
    req: Partial<Reasoned> | undefined,
    reasonRequired: boolean,
  ) => { reason: string; operator: string };
  emitOperator: EmitOperator;
  /** Reads a hand edit of the file that a write just ran into. */
  checkFileOnDisk: () => Promise<void>;
  /** Removes a pair (an approved removal request). */
  remove: (id: string, by: RemoveRequest) => Promise<void>;
}

export class OperatorMoves {
  constructor(private readonly deps: OperatorMovesDeps) {}

  failover(id: string, req: Reasoned): Promise<MoveResult> {
    if (this.holds('failover')) return this.hold(id, 'failover', req);
    return this.move(id, 'failover', req, (w, reason, operator) => w.failover(reason, operator));
  }

  rearm(id: string, req: RearmRequest): Promise<MoveResult> {
    let failback: boolean;
    try {
      failback = readFailback(id, req);
    } catch (error) {
      return Promise.reject(error);
    }
    if (failback && this.holds('failback')) return this.hold(id, 'failback', req);
    return this.move(
      id,
      'rearm',
      req,
      (w, reason, operator) => w.rearm(reason, operator, failback),
      failback ? 'with failback action' : 'without failback',
    );
  }

  pause(id: string, req: Reasoned): Promise<PairStatus> {
    return this.move(id, 'pause', req, (w, reason, operator) => w.pause(reason, operator));
  }

  resume(id: string, req: Reasoned): Promise<PairStatus> {
    return this.move(id, 'resume', req, (w, reason, operator) => w.resume(reason, operator));
  }

  markActionDone(id: string, req: Reasoned): Promise<PairStatus> {
    return this.move(id, 'mark-action-done', req, (w) => w.markActionDone(), 'marked done; nothing sent');
  }

  retryAction(id: string, by?: Reasoned): Promise<PairStatus> {
    // Sending again what may have arrived is a decision: then the reason is required and audited.
    const unknown = this.deps.supervisor.get(id)?.status().action?.phase === 'unknown';
    return this.move(
      id,
      'retry-action',
      by ?? { reason: '' },
      (w) => w.retryAction(),
      unknown ? 'outcome was unknown; fresh series' : undefined,
      unknown,
    );
  }

  /** The `<policy>` reserves this move for two operators. */
  holds(action: TwoPersonAction): boolean {
    return this.deps.policy()?.twoPerson.includes(action) === true;
  }

  /** The move is not made: a request for a second operator is (reason required, checked first). */
  async hold(id: string, action: TwoPersonAction, req: Partial<RemoveRequest> | undefined): Promise<MoveResult> {
    this.deps.refuseWithoutLock();
    const watcher = this.deps.watcher(id);
    const { reason, operator } = this.deps.readRequester(id, req, true);
    const note = isObject(req) && typeof req.note === 'string' ? req.note : undefined;
    const request = this.deps.requests().create({
      pair: id,
      action,
      requestedBy: operator,
      reason,
      ...(note ? { note } : {}),
      ...(action === 'remove' && isForced(req as RemoveRequest) ? { force: true } : {}),
    });
    return { ...watcher.status(), request };
  }

  /** An approved request: the move as its requester asked it, audited under the requester's name. */
  async performApproved(request: TwoPersonRequest, detail: string): Promise<void> {
    const by = { reason: request.reason, operator: request.requestedBy };
    if (request.action === 'remove')
      return this.deps.remove(request.pair, { ...by, ...(request.force ? { force: true } : {}) });
    if (request.action === 'failover') {
      await this.move(request.pair, 'failover', by, (w, reason, operator) => w.failover(reason, operator), detail);
      return;
    }
    await this.move(request.pair, 'rearm', by, (w, reason, operator) => w.rearm(reason, operator, true), detail);
  }

  private async move(
    id: string,
    action: OperatorAction,
    req: Reasoned | undefined,
    apply: (w: Watcher, reason: string, operator: string) => void,
    detail?: string,
    reasonRequired = true,
  ): Promise<PairStatus> {
    const { deps } = this;
    deps.refuseWithoutLock();
    const watcher = deps.watcher(id);
    const { reason, operator } = deps.readRequester(id, req, reasonRequired);
    // A move that could not be saved would be undone by a restart (and its action sent again):
    // refuse it while pair states cannot be written, before anything changes or fires.
    await deps.writer.writableNow();
    try {
      apply(watcher, reason, operator);
    } catch (error) {
      if (error instanceof MonitorError && error.code === 'conflict') {
        deps.emitOperator(id, action, req, 'failed', error.message);
      }
      throw error;
    }
    deps.emitOperator(id, action, req, 'ok', detail);
    // The state change is on disk before the caller hears "done".
    await this.persistMove(id, action);
    return deps.supervisor.statusWith(watcher.status());
  }

  /** Writes a move that has taken effect; when that fails, the caller hears that it is not saved. */
  private async persistMove(id: string, action: OperatorAction): Promise<void> {
    const { writer } = this.deps;
    try {
      await writer.persistNow();
      return;
    } catch (error) {
      if (!(error instanceof MonitorError && error.code === 'conflict') || writer.blocked)
        throw this.moveNotSaved(id, action, error);
    }
    // The file was edited by hand at this very moment: read the edit, then write again.
    await this.deps.checkFileOnDisk();
    await writer.persistNow().catch((error: unknown) => {
      throw this.moveNotSaved(id, action, error);
    });
  }

  private moveNotSaved(id: string, action: OperatorAction, error: unknown): MonitorError {
    const why = this.deps.writer.failureMessage() ?? messageOf(error);
    return new MonitorError('internal', `the ${action} of pair "${id}" took effect but is not saved: ${why}`);
  }
}
