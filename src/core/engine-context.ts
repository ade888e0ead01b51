// Builds the one EngineContext the engine's parts share: what is not given is the product's default.

import { defaultBackoff } from './action-runner.js';
import { createCertificateBook } from './certificate-book.js';
import { localCoordinator } from './cluster/local.js';
import { createDnsClient } from './dns-client.js';
import type { HttpClient } from './http-client.js';
import { createSipClient } from './sip-client.js';
import {
  type CertificateBook,
  type Clock,
  type Coordinator,
  type DnsClient,
  type EngineContext,
  type Logger,
  type SipClient,
  silentLogger,
  systemClock,
  systemTimers,
  type Timers,
} from './ports.js';

/** The parts of an EngineContext that have defaults may be left out (or undefined). */
export interface EngineContextParts {
  client: HttpClient;
  /** Default: a SIP client of its own (its UDP socket is bound only when a pair has SIP checks). */
  sip?: SipClient | undefined;
  clock?: Clock | undefined;
  timers?: Timers | undefined;
  log?: Logger | undefined;
  backoff?: ((attempt: number) => number) | undefined;
  certificates?: CertificateBook | undefined;
  dns?: DnsClient | undefined;
  /** Default: the local coordinator (one watcher, always the leader). */
  coordinator?: Coordinator | undefined;
}

/** The context with systemClock, systemTimers, silentLogger, defaultBackoff and an empty certificate book where `parts` gives none. */
export function engineContext(parts: EngineContextParts): EngineContext {
  const timers = parts.timers ?? systemTimers;
  return {
    client: parts.client,
    sip: parts.sip ?? createSipClient({ timers: parts.timers ?? systemTimers, log: parts.log ?? silentLogger }),
    clock: parts.clock ?? systemClock,
    timers,
    log: parts.log ?? silentLogger,
    backoff: parts.backoff ?? defaultBackoff,
    certificates: parts.certificates ?? createCertificateBook(),
    dns: parts.dns ?? createDnsClient({ timers }),
    coordinator: parts.coordinator ?? localCoordinator,
  };
}
