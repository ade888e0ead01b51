import type { PairStatus } from '$shared/model';

/** One line under the pair's name that says what matters most right now. */
export function rowNote(s: PairStatus): string {
  const a = s.action;
  if (s.state === 'failover' && s.primaryAnswering) return 'Primary answers again: two active PBXs?';
  if (a && a.phase === 'failed')
    return `${a.kind === 'failover' ? 'Failover' : 'Failback'} action failed after ${a.attempts.length} attempts`;
  if (a && (a.phase === 'running' || a.phase === 'pending'))
    return `${a.kind === 'failover' ? 'Failover' : 'Failback'} action running (attempt ${Math.max(1, a.attempts.length)})`;
  if (s.dnsPhase === 'not-converged') return 'DNS not converged: the servers do not answer what the action set';
  if (s.dnsPhase === 'checking') return 'Action succeeded: checking the DNS servers';
  if (s.state === 'failover' && a?.phase === 'succeeded')
    return `${a.manual ? 'Manual failover' : 'Failed over'}: action succeeded`;
  if (s.isolated) return 'Watcher isolated: cannot reach the validation URLs';
  if (s.standbyDown) return 'Standby down';
  if (s.state === 'verifying') return 'Checking validation URLs';
  if (s.state === 'paused') return s.reason ? `Paused: ${s.reason}` : 'Paused for maintenance';
  if (s.state === 'starting') return 'Waiting for the primary to answer once';
  if (s.consecutiveFailures > 0) return `${s.consecutiveFailures} failed checks in a row`;
  return '';
}
