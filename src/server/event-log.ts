// What the engine does, as log lines: every state change, action attempt, alert, operator move (who
// and why) and configuration change, one line each. Check results only at debug level: a thousand
// pairs checking every second would drown everything else.

import type { Unsubscribe } from '../shared/api.js';
import type { AlertEvent, EngineEvent } from '../shared/model.js';
import type { ServiceLogger } from './log.js';

export interface EventSourceLike {
  subscribe(listener: (event: EngineEvent) => void): Unsubscribe;
}

const ALERT_LEVEL: Record<AlertEvent['severity'], 'info' | 'warn' | 'error'> = {
  info: 'info',
  warning: 'warn',
  critical: 'error',
};

export function logEvents(source: EventSourceLike, log: ServiceLogger): Unsubscribe {
  return source.subscribe((event) => logEvent(log, event));
}

function logEvent(log: ServiceLogger, event: EngineEvent): void {
  switch (event.type) {
    case 'state':
      log.info('state changed', {
        pair: event.pair,
        from: event.from,
        to: event.to,
        manual: event.manual,
        ...(event.operator ? { operator: event.operator } : {}),
        reason: event.reason,
      });
      return;
    case 'action': {
      const a = event.attempt;
      const fields = { pair: event.pair, kind: event.kind, phase: event.phase };
      if (!a) log.info('action', fields);
      else {
        const attempt = {
          ...fields,
          attempt: a.attempt,
          ok: a.ok,
          status: a.status,
          latency_ms: Math.round(a.latencyMs),
          error: a.error,
        };
        if (a.ok) log.info('action attempt', attempt);
        else log.warn('action attempt', attempt);
      }
      return;
    }
    case 'alert':
      log[ALERT_LEVEL[event.severity]]('alert', {
        pair: event.pair,
        alert: event.alert,
        severity: event.severity,
        message: event.message,
      });
      return;
    case 'operator':
      log.info('operator action', {
        pair: event.pair,
        action: event.action,
        operator: event.operator,
        reason: event.reason,
        outcome: event.outcome,
        detail: event.detail,
      });
      return;
    case 'config':
      log.info('configuration changed', { pair: event.pair, change: event.change });
      return;
    case 'dns': {
      // Each round at debug; the round that ends the verification says how it ended.
      const fields = {
        pair: event.pair,
        kind: event.kind,
        phase: event.phase,
        elapsed_s: event.elapsed,
        expected: event.expected.join(' '),
        servers: event.servers.map(
          (s) => `${s.server}=${s.error ?? (s.answers.join(' ') || s.rcode)}${s.ok ? '' : ' ✗'}`,
        ),
      };
      if (event.phase === 'converged') log.info(event.message ?? 'DNS converged', fields);
      else if (event.phase === 'not-converged') log.warn(event.message ?? 'DNS not converged', fields);
      else log.debug('dns round', fields);
      return;
    }
    case 'check':
      log.debug('check', {
        pair: event.pair,
        target: event.result.target,
        url: event.result.url,
        ok: event.result.ok,
        status: event.result.status,
        latency_ms: event.result.latencyMs === undefined ? undefined : Math.round(event.result.latencyMs),
        failures: event.consecutiveFailures,
        error: event.result.error,
      });
      return;
  }
}
