// Builds the one EngineContext the engine's parts share: what is not given is the product's default.

import { defaultBackoff } from './action-runner.js';
import { createDnsClient } from './dns-client.js';
import type { HttpClient } from './http-client.js';
import {
  type Clock,
  type DnsClient,
  type EngineContext,
  type Logger,
  silentLogger,
  systemClock,
  systemTimers,
  type Timers,
} from './ports.js';

/** The parts of an EngineContext that have defaults may be left out (or undefined). */
export interface EngineContextParts {
  client: HttpClient;
  clock?: Clock | undefined;
  timers?: Timers | undefined;
  log?: Logger | undefined;
  backoff?: ((attempt: number) => number) | undefined;
  dns?: DnsClient | undefined;
}

/** The context with systemClock, systemTimers, silentLogger and defaultBackoff where `parts` gives none. */
export function engineContext(parts: EngineContextParts): EngineContext {
  const timers = parts.timers ?? systemTimers;
  return {
    client: parts.client,
    clock: parts.clock ?? systemClock,
    timers,
    log: parts.log ?? silentLogger,
    backoff: parts.backoff ?? defaultBackoff,
    dns: parts.dns ?? createDnsClient({ timers }),
  };
}
