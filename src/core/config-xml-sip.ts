// `<primary-sip transport="udp" accept="200-299" verify="true">sip:host:port</primary-sip>` and
// `<standby-sip …>` of a `<pair>`: read into the validator's input and written back from the settings.

import type { PairSettings } from '../shared/model.js';
import type { SipSettings } from '../shared/pbx-health.js';
import { attr, textElement, textOf, type XmlElement } from './xml-tree.js';

/** The elements, with the settings' field each one fills. */
export const SIP_ELEMENTS = [
  ['primary-sip', 'primarySip'],
  ['standby-sip', 'standbySip'],
] as const;

/** Adds `primarySip` / `standbySip` to the validator's input from the pair's known children. */
export function readSipInput(known: Map<string, XmlElement>, input: Record<string, unknown>): void {
  for (const [name, field] of SIP_ELEMENTS) {
    const el = known.get(name);
    if (!el) continue;
    const value = (n: string) => {
      const v = attr(el, n)?.trim();
      return v === '' ? undefined : v;
    };
    const uri = textOf(el).trim();
    input[field] = {
      uri: uri === '' ? undefined : uri,
      transport: value('transport'),
      accept: value('accept'),
      verify: value('verify')?.toLowerCase(),
    };
  }
}

/** The pair's SIP elements as they are written. */
export function sipElements(s: PairSettings): XmlElement[] {
  const out: XmlElement[] = [];
  for (const [name, field] of SIP_ELEMENTS) {
    const sip: SipSettings | undefined = s[field];
    if (!sip) continue;
    out.push(
      textElement(name, sip.uri, [
        ['transport', sip.transport],
        ['accept', sip.accept],
        ['verify', sip.verify ? 'true' : undefined],
      ]),
    );
  }
  return out;
}
