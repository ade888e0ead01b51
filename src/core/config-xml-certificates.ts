// `<certificates warn-days="21" critical-days="7"><check name="…" address="…"/></certificates>` inside
// `<pair>` <-> PairSettings.certificates. Values are read as written (numbers where they look like
// numbers) and validated by shared/validate-certificates.ts with the rest of the pair.

import type { CertificateSettings } from '../shared/pbx-health.js';
import { merge } from './xml-merge.js';
import { attr, childElements, element, type XmlElement } from './xml-tree.js';

export const CERTIFICATES_ELEMENT = 'certificates';
const CERTIFICATES_ATTRS = ['warn-days', 'critical-days'] as const;

/** The `certificates` input of validatePairSettings from the element. */
export function readCertificatesInput(el: XmlElement): Record<string, unknown> {
  return {
    warnDays: numberOrText(attr(el, 'warn-days')),
    criticalDays: numberOrText(attr(el, 'critical-days')),
    checks: childElements(el)
      .filter((c) => c.name === 'check')
      .map((c) => ({ name: attr(c, 'name'), address: attr(c, 'address') })),
  };
}

/** The element for these settings, keeping from `base` what the app does not know. */
export function certificatesElement(c: CertificateSettings, base: XmlElement | undefined): XmlElement {
  const checks = c.checks.map((check) =>
    element('check', [
      ['name', check.name],
      ['address', check.address],
    ]),
  );
  return merge(
    base,
    CERTIFICATES_ELEMENT,
    [
      ['warn-days', String(c.warnDays)],
      ['critical-days', String(c.criticalDays)],
    ],
    CERTIFICATES_ATTRS,
    checks,
    ['check'],
  );
}

function numberOrText(v: string | undefined): number | string | undefined {
  const t = v?.trim();
  if (t === undefined || t === '') return undefined;
  return /^[-+]?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
}
