// `<readiness interval="300"/>` inside `<pair>` <-> PairSettings.readinessInterval, called from
// config-xml.ts: seconds between failover-readiness rounds. Writing keeps what else the element had.

import { attr, type XmlElement } from './xml-tree.js';
import { merge } from './xml-merge.js';

export const READINESS_ELEMENT = 'readiness';
const ATTRS = ['interval'] as const;

/** "300" becomes a number; anything else stays text so that validation can say what is wrong. */
export function readReadinessInterval(el: XmlElement): number | string | undefined {
  const v = attr(el, 'interval')?.trim();
  if (v === undefined || v === '') return undefined;
  return /^\d+(\.\d+)?$/.test(v) ? Number(v) : v;
}

export function readinessElement(interval: number, base: XmlElement | undefined): XmlElement {
  return merge(base, READINESS_ELEMENT, [['interval', String(interval)]], ATTRS, [], []);
}
