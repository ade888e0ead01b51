// Pure functions over PairStatus: how bad a pair is, and how an engine event
// changes what the overview shows, so the list updates without refetching.

import type { ActionStatus, EngineEvent, PairState, PairStatus } from '../../../shared/model';

export type Severity = 'ok' | 'notice' | 'warning' | 'critical' | 'paused';

/** Lower is worse. The overview sorts by this, worst first. */
export function rankOf(s: PairStatus): number {
  if (s.state === 'failover') return s.action?.phase === 'failed' || s.primaryAnswering ? 0 : 1;
  if (s.state === 'verifying') return 2;
  if (s.state !== 'paused' && (s.isolated || s.standbyDown)) return 3;
  if (s.state === 'waiting' && s.consecutiveFailures > 0) return 4;
  if (s.state === 'starting') return 5;
  if (s.state === 'paused') return 6;
  return 7;
}

export function severityOf(s: PairStatus): Severity {
  const rank = rankOf(s);
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
export const STATE_ICON: Record<PairState, string> = {
  starting: '◌',
  waiting: '●',
  verifying: '▲',
  failover: '■',
  paused: '❚❚',
};

/** The status after `event`; the same object when nothing the overview shows changed. */
export function applyEvent(s: PairStatus, e: EngineEvent): PairStatus {
  switch (e.type) {
    case 'state':
      return applyState(s, e.to, e.at, e.manual ? e.reason : s.reason);
    case 'check':
      if (e.result.target === 'primary') {
        return { ...s, lastPrimary: e.result, consecutiveFailures: e.consecutiveFailures };
      }
      if (e.result.target === 'standby') return { ...s, lastStandby: e.result, standbyDown: !e.result.ok };
      return { ...s, lastValidation: [...(s.lastValidation ?? []).filter((r) => r.url !== e.result.url), e.result] };
    case 'action':
      return { ...s, action: nextAction(s.action, e.kind, e.phase, e.at, e.attempt, s.reason) };
    case 'alert':
      if (e.alert === 'isolated') return { ...s, isolated: true };
      if (e.alert === 'primary-answering') return { ...s, primaryAnswering: true };
      if (e.alert === 'standby-down') return { ...s, standbyDown: true };
      if (e.alert === 'standby-up') return { ...s, standbyDown: false };
      return s;
    default:
      return s;
  }
}

function applyState(s: PairStatus, to: PairState, at: string, reason: string | undefined): PairStatus {
  const next: PairStatus = { ...s, state: to, since: at, reason };
  if (to !== 'failover') next.primaryAnswering = false;
  if (to === 'starting' || to === 'waiting' || to === 'paused') next.consecutiveFailures = 0;
  if (to === 'waiting') next.isolated = s.isolated && s.state === 'verifying';
  return next;
}

function nextAction(
  current: ActionStatus | undefined,
  kind: ActionStatus['kind'],
  phase: ActionStatus['phase'],
  at: string,
  attempt: ActionStatus['attempts'][number] | undefined,
  reason: string | undefined,
): ActionStatus {
  const fresh = !current || current.kind !== kind || (phase === 'pending' && current.phase !== 'pending');
  const base: ActionStatus = fresh
    ? { kind, phase, manual: false, reason: reason ?? '', startedAt: at, attempts: [] }
    : { ...current, attempts: current.attempts };
  const attempts = attempt ? [...base.attempts.filter((a) => a.attempt !== attempt.attempt), attempt] : base.attempts;
  const done = phase === 'succeeded' || phase === 'failed';
  return { ...base, phase, attempts, ...(done ? { finishedAt: at } : {}) };
}
