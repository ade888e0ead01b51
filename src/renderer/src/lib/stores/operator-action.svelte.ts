// A deliberate operator action (failover, re-arm, pause, resume): the operator
// types the pair's name and a reason before the button works, and then sees
// the result, including the action's attempts as they happen.

import type { Backend, MoveResult } from '$shared/api';
import type { Problem } from '$shared/model';
import { MonitorError } from '$shared/api';
import { errorMessage } from '../backend/errors';

/** `retry-action` and `mark-done` decide an action whose outcome is unknown; both are audited with the reason. */
export type OperatorKind = 'failover' | 'rearm' | 'pause' | 'resume' | 'retry-action' | 'mark-done';

export const OPERATOR_TITLE: Record<OperatorKind, string> = {
  failover: 'Fail over now',
  rearm: 'Re-arm',
  pause: 'Pause for maintenance',
  resume: 'Resume',
  'retry-action': 'Retry action',
  'mark-done': 'Mark done',
};

export class OperatorActionFlow {
  typedName = $state('');
  reason = $state('');
  failback = $state(false);
  phase = $state<'confirm' | 'submitting' | 'done'>('confirm');
  error = $state<string | undefined>(undefined);
  problems = $state.raw<Problem[]>([]);
  result = $state.raw<MoveResult | undefined>(undefined);

  /** The name to type: what the operator sees as the pair's name. */
  readonly confirmName: string;
  nameMatches = $derived.by(() => this.typedName.trim() === this.confirmName);
  canSubmit = $derived(this.nameMatches && this.reason.trim().length > 0 && this.phase === 'confirm');

  constructor(
    private readonly backend: Backend,
    readonly kind: OperatorKind,
    readonly pairId: string,
    pairName: string,
    private readonly operator: () => string = () => '',
  ) {
    this.confirmName = pairName.trim() || pairId;
  }

  async submit(): Promise<boolean> {
    if (!this.canSubmit) return false;
    this.phase = 'submitting';
    this.error = undefined;
    this.problems = [];
    const who = { reason: this.reason.trim(), ...(this.operator().trim() ? { operator: this.operator().trim() } : {}) };
    try {
      this.result = await this.call(who);
      this.phase = 'done';
      return true;
    } catch (err) {
      this.error = errorMessage(err);
      this.problems = err instanceof MonitorError ? (err.problems ?? []) : [];
      this.phase = 'confirm';
      return false;
    }
  }

  private call(who: { reason: string; operator?: string }): Promise<MoveResult> {
    switch (this.kind) {
      case 'failover':
        return this.backend.failover(this.pairId, who);
      case 'rearm':
        return this.backend.rearm(this.pairId, { ...who, failback: this.failback });
      case 'pause':
        return this.backend.pause(this.pairId, who);
      case 'resume':
        return this.backend.resume(this.pairId, who);
      case 'retry-action':
        return this.backend.retryAction(this.pairId, who);
      case 'mark-done':
        return this.backend.markActionDone(this.pairId, who);
    }
  }
}
