// Names for people: what the dashboard says instead of the engine's keys.

import type { AlertKind, CheckResult, EngineEventType, OperatorAction } from '$shared/model';

const ALERT_LABEL: Record<AlertKind, string> = {
  verifying: 'Primary failing: verifying',
  failover: 'Failover',
  'action-failed': 'Action failed',
  'action-succeeded': 'Action succeeded',
  isolated: 'Watcher isolated',
  'primary-recovered': 'Primary recovered',
  'primary-answering': 'Primary answers again',
  'standby-down': 'Standby down',
  'standby-up': 'Standby up again',
  'config-problem': 'Settings file problem',
  'state-write-failed': 'States cannot be saved',
  'state-write-recovered': 'States saved again',
  'lock-lost': 'Serverdir lock lost',
  'action-outcome-unknown': 'Action outcome unknown',
  'stuck-starting': 'Stuck in starting',
  certificate: 'Certificate expiry',
  'dns-not-converged': 'DNS not converged',
  'not-ready': 'Not ready to fail over',
  ready: 'Ready to fail over again',
  'maintenance-primary-down': 'Maintenance over, primary not answering',
  'notify-failing': 'Alert channel failing',
  'notify-recovered': 'Alert channel delivers again',
  'request-pending': 'Waiting for a second operator',
  'coordinator-unreachable': 'Cluster coordinator unreachable',
  'coordinator-reachable': 'Cluster coordinator reachable again',
};

export function alertLabel(kind: string): string {
  return ALERT_LABEL[kind as AlertKind] ?? kind;
}

const OPERATOR_ACTION_LABEL: Record<OperatorAction, string> = {
  failover: 'Manual failover',
  rearm: 'Re-arm',
  pause: 'Pause',
  resume: 'Resume',
  'retry-action': 'Retry action',
  add: 'Pair added',
  update: 'Settings changed',
  remove: 'Pair removed',
  import: 'Import',
  'mark-action-done': 'Action marked done',
  ack: 'Alert acknowledged',
  silence: 'Pair silenced',
  'maintenance-add': 'Maintenance window added',
  'maintenance-update': 'Maintenance window changed',
  'maintenance-remove': 'Maintenance window removed',
  'notify-test': 'Alert channel tested',
  'token-add': 'Token added',
  'token-revoke': 'Token revoked',
  request: 'Second operator asked',
  approve: 'Request approved',
  reject: 'Request rejected',
};

export function operatorActionLabel(action: string): string {
  return OPERATOR_ACTION_LABEL[action as OperatorAction] ?? action;
}

export const EVENT_TYPE_LABEL: Record<EngineEventType, string> = {
  state: 'State',
  check: 'Failed check',
  action: 'Action',
  alert: 'Alert',
  operator: 'Operator',
  config: 'Settings',
  dns: 'DNS',
  readiness: 'Readiness',
};

/**
 * A failed check in a word or two for a narrow cell: "refused", "timed out", "HTTP 503". A refused
 * connection has a latency too (0.8 ms), but showing it would read as an answer.
 */
export function shortFailure(r: CheckResult): string {
  if (r.status !== undefined) return `HTTP ${r.status}`;
  const error = r.error ?? '';
  if (/refused/i.test(error)) return 'refused';
  if (/timed out|timeout/i.test(error)) return 'timed out';
  if (/dns/i.test(error)) return 'no DNS';
  if (/unreachable/i.test(error)) return 'unreachable';
  if (/reset|closed/i.test(error)) return 'closed';
  return 'failed';
}
