// The DNS verification of a pair's last action (`<dns-verify>`) as the dashboard shows it: a round
// in words for the event log, and the detail's `dns` block brought up to date by a live `dns` event.

import type { DnsEvent, PairDetail } from '$shared/model';
import type { DnsServerAnswer } from '$shared/pbx-health';

export const DNS_PHASE_LABEL = {
  idle: 'No action verified yet',
  checking: 'Checking',
  converged: 'Converged',
  'not-converged': 'Not converged',
} as const;

/** What one server said, in a few words: "198.51.100.20 (TTL 60)", "no answer in 2 s", "REFUSED, not authoritative". */
export function serverWords(s: DnsServerAnswer): string {
  if (s.error) return s.error;
  const parts: string[] = [s.answers.length > 0 ? s.answers.join(' ') : `no record (${s.rcode})`];
  if (s.answers.length > 0 && s.rcode !== 'NOERROR') parts.push(s.rcode);
  if (!s.authoritative) parts.push('not authoritative');
  if (s.ttl !== undefined) parts.push(`TTL ${s.ttl}`);
  if (s.serial !== undefined) parts.push(`serial ${s.serial}`);
  return parts.join(', ');
}

/** One line per round for the log and the CSV; the last round's message as the engine wrote it. */
export function describeDnsRound(e: DnsEvent): string {
  if (e.message) return e.message;
  const agree = e.servers.filter((s) => s.ok).length;
  return `DNS after the ${e.kind}: ${agree} of ${e.servers.length} servers answer ${e.expected.join(' ')} (${e.elapsed} s)`;
}

/** The detail with the round's answers as its `dns` block and the round's status. */
export function dnsStatusAfter(detail: PairDetail, e: DnsEvent): PairDetail {
  const dns: NonNullable<PairDetail['dns']> = {
    phase: e.phase,
    expected: e.expected,
    servers: e.servers,
    checkedAt: e.at,
  };
  if (e.phase === 'converged') dns.convergedAt = e.at;
  const status = e.status ?? { ...detail, dnsPhase: e.phase };
  return { ...detail, ...status, settings: detail.settings, dns };
}
