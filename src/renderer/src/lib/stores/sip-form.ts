// The editor's fields of `<primary-sip>` / `<standby-sip>`: an empty URI means no SIP check.

import type { SipSettings, SipTransport } from '$shared/pbx-health';
import { SIP_DEFAULT_ACCEPT } from '$shared/validate-sip';

export interface SipForm {
  uri: string;
  /** '' = the default: udp, or tls for a sips: URI. */
  transport: SipTransport | '';
  accept: string;
  verify: boolean;
}

export function emptySipForm(): SipForm {
  return { uri: '', transport: '', accept: SIP_DEFAULT_ACCEPT, verify: false };
}

export function sipToForm(s: SipSettings | undefined): SipForm {
  if (!s) return emptySipForm();
  return { uri: s.uri, transport: s.transport, accept: s.accept, verify: s.verify === true };
}

/** The settings the fields stand for; undefined when the URI is left empty. */
export function sipFromForm(f: SipForm): SipSettings | undefined {
  const uri = f.uri.trim();
  if (uri === '') return undefined;
  const transport = f.transport || (/^sips:/i.test(uri) ? 'tls' : 'udp');
  return { uri, transport, accept: f.accept.trim(), ...(f.verify ? { verify: true } : {}) };
}

export const SIP_INPUTS = ['primarySip', 'standbySip'].flatMap((p) => [
  p,
  `${p}.uri`,
  `${p}.transport`,
  `${p}.accept`,
  `${p}.verify`,
]);
