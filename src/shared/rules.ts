// The runtime rules every part shares: the limits of each setting, the defaults filled in, and the
// two rules the engine applies while running (a check's timeout, the action's backoff span).

import type { AuthKind, BodyEncoding, HttpMethod } from './model.js';

export const LIMITS = {
  idPattern: /^[a-z0-9_-]{1,64}$/,
  nameMaxLength: 200,
  urlMaxLength: 2048,
  bodyMaxLength: 65536,
  headerValueMaxLength: 8192,
  maxHeaders: 50,
  intervalMin: 0.1,
  intervalMax: 86400,
  toleratedFailuresMax: 1000,
  timeoutMax: 300,
  actionTimeoutMin: 0.1,
  retriesMin: 1,
  retriesMax: 100,
  maxValidationUrls: 20,
  /** Readiness rounds make connections to the action receiver: not more often than every 10 s. */
  readinessIntervalMin: 10,
} as const;

export const DEFAULTS = {
  acceptStatus: '200',
  method: 'POST' as HttpMethod,
  encoding: 'json' as BodyEncoding,
  auth: 'none' as AuthKind,
  // 0.5 s doubling, capped at 30 s: 26 attempts wait 601.5 s in all, so a DNS API away for ten
  // minutes still gets the change.
  retries: 26,
  actionTimeout: 10,
  maxDefaultTimeout: 5,
} as const;

/** Seconds a check of this pair may take: its timeout, or min(interval, 5). */
export function effectiveTimeout(s: { interval: number; timeout?: number | undefined }): number {
  return s.timeout ?? Math.min(s.interval, DEFAULTS.maxDefaultTimeout);
}

/** Seconds of backoff between `attempts` attempts (0.5 s doubling, capped at 30 s, as the engine waits). */
export function retrySpanSeconds(attempts: number): number {
  let total = 0;
  for (let n = 1; n < attempts; n++) total += Math.min(0.5 * 2 ** (n - 1), 30);
  return total;
}
