// Contracts of the checks that watch what makes a PBX reachable beyond its web server: SIP OPTIONS
// (`<primary-sip>`, `<standby-sip>`), certificate expiry (`<certificates>`), DNS after an action
// (`<dns-verify>`) and failover readiness. The engine modules that fill them live in src/core.

export const SIP_TRANSPORTS = ['udp', 'tcp', 'tls'] as const;
export type SipTransport = (typeof SIP_TRANSPORTS)[number];

/** `<primary-sip transport="udp" accept="200-299">sip:198.18.1.2:5060</primary-sip>` (and `<standby-sip>`). */
export interface SipSettings {
  /** `sip:host[:port]` or `sips:host[:port]` (sips implies tls). */
  uri: string;
  /** Default udp; `sips:` implies tls. */
  transport: SipTransport;
  /** Final response codes that count as alive, `<accept-status>` syntax, default "200-299". */
  accept: string;
  /** TLS only: verify the server's certificate chain and name (default false). */
  verify?: boolean;
}

/**
 * The SIP OPTIONS half of a check of a target with `<primary-sip>` / `<standby-sip>` (CheckResult.sip): the
 * check is ok only when the HTTP answer and this both are.
 */
export interface SipCheckResult {
  uri: string;
  transport: SipTransport;
  ok: boolean;
  /** The final response's code, when one came (provisional 1xx are never reported). */
  code?: number;
  latencyMs: number;
  /** Why it failed: "status 503", "no SIP answer in 2 s", "connection refused". */
  error?: string;
}

/** `<certificates warn-days="21" critical-days="7"><check name=… address=…/></certificates>`. */
export interface CertificateSettings {
  warnDays: number;
  criticalDays: number;
  /** Empty: every https: URL and TLS SIP target of the pair (primary and standby). */
  checks: Array<{ name: string; address: string }>;
}

/** Defaults of `<certificates>` (also what a pair without the element is watched with). */
export const CERTIFICATE_DEFAULTS = { warnDays: 21, criticalDays: 7 } as const;

/**
 * How close a certificate is to its end: `warn` under warn-days whole days left, `critical` under
 * critical-days, `expired` once past notAfter (of the chain's earliest certificate).
 */
export const CERTIFICATE_LEVELS = ['ok', 'warn', 'critical', 'expired'] as const;
export type CertificateLevel = (typeof CERTIFICATE_LEVELS)[number];

/** One certificate seen, as in GET /api/pairs/:id `certificates`. */
export interface CertificateStatus {
  /**
   * What was checked: "primary", "standby" (the https: URLs), "primary-sip", "standby-sip" (TLS SIP
   * targets) or "check" (an explicit `<check>`).
   */
  target: string;
  /** The name asked for with SNI and matched against the certificate. */
  name: string;
  /** host:port connected to. */
  address: string;
  /** ISO 8601 notAfter of the leaf. */
  notAfter?: string;
  /** Whole days left (rounded down) until the earliest notAfter of the chain, normally the leaf's; negative once expired. */
  daysLeft?: number;
  /** Where daysLeft stands against warn-days and critical-days. */
  level?: CertificateLevel;
  subject?: string;
  issuer?: string;
  /** The leaf's subjectAltName, e.g. ["DNS:pbx.example.com"]. */
  altNames?: string[];
  nameMatches?: boolean;
  /** Whether the chain is trusted by the system store (reported, not required). */
  trusted?: boolean;
  /** Why it is not trusted, as OpenSSL says it (e.g. SELF_SIGNED_CERT_IN_CHAIN). */
  trustError?: string;
  /** ISO 8601 earliest notAfter of the chain. */
  chainNotAfter?: string;
  /** ISO 8601 time of this reading. */
  checkedAt?: string;
  error?: string;
}

export const DNS_RECORD_TYPES = ['A', 'AAAA', 'CNAME'] as const;
export type DnsRecordType = (typeof DNS_RECORD_TYPES)[number];

/** `<dns-verify name type failover failback within max-ttl><server>…</server></dns-verify>`. */
export interface DnsVerifySettings {
  /** Fully qualified name, e.g. "pbx.example.com.". */
  name: string;
  type: DnsRecordType;
  /** Expected record set after a failover. */
  failover: string[];
  /** Expected record set after a re-arm with failback (empty: not verified after failback). */
  failback: string[];
  /** Seconds to converge, default 120. */
  within: number;
  /** TTL above which readiness warns, default 300. */
  maxTtl: number;
  /** Authoritative servers, host or host:port; at least one. */
  servers: string[];
}

export interface DnsServerAnswer {
  server: string;
  answers: string[];
  ttl?: number;
  authoritative: boolean;
  rcode: string;
  /** SOA serial of the zone, where the answer carried one or it was asked for. */
  serial?: number;
  ok: boolean;
  error?: string;
}

export type DnsPhase = 'idle' | 'checking' | 'converged' | 'not-converged';

/** GET /api/pairs/:id `dns`. */
export interface DnsStatus {
  phase: DnsPhase;
  expected: string[];
  servers: DnsServerAnswer[];
  checkedAt?: string;
  convergedAt?: string;
}

export interface ReadinessItem {
  /** Stable key: "standby", "standby-sip", "certificate", "dns", "action-receiver", "validation". */
  key: string;
  ok: boolean;
  /** What is wrong and what to do, in words; or what was found when ok. */
  message: string;
  checkedAt: string;
}

/** GET /api/pairs/:id `readiness`. */
export interface Readiness {
  ready: boolean;
  items: ReadinessItem[];
}
