// Plain data builders for the desktop shell's tests.

import type {
  AlertEvent,
  AlertKind,
  EngineEvent,
  PairState,
  PairStatus,
  Severity,
  StateEvent,
} from '../../src/shared/model.js';

export function pair(id: string, state: PairState, extra: Partial<PairStatus> = {}): PairStatus {
  return {
    id,
    name: extra.name ?? id.toUpperCase(),
    state,
    since: '2026-11-27T08:00:00.000Z',
    consecutiveFailures: 0,
    toleratedFailures: 3,
    interval: 1,
    primaryAnswering: false,
    standbyDown: false,
    isolated: false,
    ...extra,
  };
}

export function stateEvent(
  pairId: string,
  from: PairState,
  to: PairState,
  extra: Partial<StateEvent> = {},
): StateEvent {
  return { type: 'state', pair: pairId, at: '2026-11-27T08:00:00.000Z', from, to, reason: '', manual: false, ...extra };
}

export function alert(
  pairId: string,
  kind: AlertKind,
  message = `${kind} on ${pairId}`,
  severity: Severity = 'warning',
): AlertEvent {
  return { type: 'alert', pair: pairId, at: '2026-11-27T08:00:00.000Z', alert: kind, severity, message };
}

export function failedCheck(pairId: string): EngineEvent {
  return {
    type: 'check',
    pair: pairId,
    at: '2026-11-27T08:00:00.000Z',
    consecutiveFailures: 1,
    result: {
      target: 'primary',
      url: 'http://127.0.0.1:9/',
      ok: false,
      latencyMs: 1,
      error: 'connection refused',
      at: '2026-11-27T08:00:00.000Z',
    },
  };
}
