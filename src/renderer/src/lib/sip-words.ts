// A check with a SIP OPTIONS beside its HTTP check, in words: each half with its own outcome.

import type { CheckResult } from '$shared/model';
import type { SipCheckResult } from '$shared/pbx-health';
import { formatLatency } from './format';

export interface Half {
  name: 'HTTP' | 'SIP';
  ok: boolean;
  text: string;
}

/** The HTTP half, undefined for a SIP-only target (a standby SIP URI without a standby URL). */
export function httpHalf(c: CheckResult): Half | undefined {
  const failure = (c.error ?? '')
    .split('; ')
    .find((p) => p.startsWith('HTTP: '))
    ?.slice('HTTP: '.length);
  if (failure !== undefined) return { name: 'HTTP', ok: false, text: failure };
  if (c.status === undefined) return undefined;
  return { name: 'HTTP', ok: true, text: `${c.status} in ${formatLatency(c.latencyMs)}` };
}

export function sipHalf(sip: SipCheckResult): Half {
  if (sip.ok) return { name: 'SIP', ok: true, text: `${sip.code} in ${formatLatency(sip.latencyMs)}` };
  return { name: 'SIP', ok: false, text: sip.error ?? 'failed' };
}

/** Both halves of a check that has a SIP half; empty for an HTTP-only check. */
export function checkHalves(c: CheckResult): Half[] {
  if (!c.sip) return [];
  const http = httpHalf(c);
  return [...(http ? [http] : []), sipHalf(c.sip)];
}

/** The short failure of a check whose SIP half failed while its HTTP half answered ("SIP 503", "SIP no answer"). */
export function sipShortFailure(c: CheckResult): string | undefined {
  if (!c.sip || c.sip.ok || httpHalf(c)?.ok === false) return undefined;
  return c.sip.code !== undefined ? `SIP ${c.sip.code}` : 'SIP no answer';
}
