// Pure functions over PairStatus: how bad a pair is, and the status an engine
// event leaves (the engine sends it; the rules that make it live only there).

import type { EngineEvent, PairState, PairStatus } from '$shared/model';

/** `alarm`: the action failed or its outcome is unknown, worse than a failover that worked. */
export type Severity = 'ok' | 'notice' | 'warning' | 'critical' | 'alarm' | 'paused';

/** The pair's action failed, or an attempt was in flight at a crash: the move it stands for may not have happened. */
export function actionTrouble(s: PairStatus): 'failed' | 'unknown' | undefined {
  const phase = s.action?.phase;
  return phase === 'failed' || phase === 'unknown' ? phase : undefined;
}

/** What the state badge says: the state, and whether its action failed ("Failover, action FAILED"). */
export function stateWords(s: PairStatus): string {
  const trouble = actionTrouble(s);
  if (!trouble) return STATE_LABEL[s.state];
  const what = s.action?.kind === 'failback' ? 'failback' : 'action';
  return `${STATE_LABEL[s.state]}, ${trouble === 'failed' ? `${what} FAILED` : `${what} outcome unknown`}`;
}

/** Lower is worse. The overview sorts by this, worst first. */
export function rankOf(s: PairStatus): number {
  // A failover whose DNS change did not happen leaves callers on a dead PBX: above every other failover.
  // So does one whose DNS servers never came to answer what the action set (`<dns-verify>`).
  if (actionTrouble(s) || s.dnsPhase === 'not-converged') return 0;
  if (s.state === 'failover') return s.primaryAnswering ? 0.5 : 1;
  if (s.state === 'verifying') return 2;
  if (s.state !== 'paused' && (s.isolated || s.standbyDown)) return 3;
  if (s.state === 'waiting' && s.consecutiveFailures > 0) return 4;
  if (s.state === 'starting') return 5;
  if (s.state === 'paused') return 6;
  return 7;
}

export function severityOf(s: PairStatus): Severity {
  const rank = rankOf(s);
  if (rank === 0) return 'alarm';
  if (rank <= 1) return 'critical';
  if (rank <= 3) return 'warning';
  if (rank <= 5) return 'notice';
  if (rank === 6) return 'paused';
  return 'ok';
}

export const STATE_LABEL: Record<PairState, string> = {
  starting: 'Starting',
  waiting: 'Waiting',
  verifying: 'Verifying',
  failover: 'Failover',
  paused: 'Paused',
};

/** Each state has a distinct symbol, so it reads without colour. */
/** Since when the pair's trouble has lasted: an isolated pair counts from the start of its isolation episode. */
export function inStateSince(s: PairStatus): string {
  return s.isolated && s.isolatedSince ? s.isolatedSince : s.since;
}

export const STATE_ICON: Record<PairState, string> = {
  starting: '◌',
  waiting: '●',
  verifying: '▲',
  failover: '■',
  paused: '❚❚',
};

/**
 * The status after `event`: the one the engine sent with it, else (a check that changed nothing more)
 * the check's own result and count merged in; the same object when the event changes nothing shown.
 */
export function statusAfter(s: PairStatus, e: EngineEvent): PairStatus {
  if (
    (e.type === 'state' || e.type === 'action' || e.type === 'check' || e.type === 'dns' || e.type === 'readiness') &&
    e.status
  )
    return e.status;
  if (e.type !== 'check') return s;
  if (e.result.target === 'primary') return { ...s, lastPrimary: e.result, consecutiveFailures: e.consecutiveFailures };
  if (e.result.target === 'standby') return { ...s, lastStandby: e.result };
  return { ...s, lastValidation: [...(s.lastValidation ?? []).filter((r) => r.url !== e.result.url), e.result] };
}
