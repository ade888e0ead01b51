// The editor's `<certificates>` section as a form: on or off, the two thresholds, the explicit checks.

import { CERTIFICATE_DEFAULTS, type CertificateSettings } from '$shared/pbx-health';

export interface CertificatesForm {
  /** Written as `<certificates>`; off: the pair is still watched with the defaults (its https: URLs and TLS SIP). */
  enabled: boolean;
  warnDays: number | null;
  criticalDays: number | null;
  checks: Array<{ name: string; address: string }>;
}

export function emptyCertificatesForm(): CertificatesForm {
  return {
    enabled: false,
    warnDays: CERTIFICATE_DEFAULTS.warnDays,
    criticalDays: CERTIFICATE_DEFAULTS.criticalDays,
    checks: [],
  };
}

export function certificatesToForm(c: CertificateSettings | undefined): CertificatesForm {
  if (!c) return emptyCertificatesForm();
  return { enabled: true, warnDays: c.warnDays, criticalDays: c.criticalDays, checks: c.checks.map((k) => ({ ...k })) };
}

/** The `certificates` settings of the form (undefined when off); validation says what is wrong. */
export function certificatesFromForm(f: CertificatesForm): CertificateSettings | undefined {
  if (!f.enabled) return undefined;
  return {
    warnDays: f.warnDays ?? CERTIFICATE_DEFAULTS.warnDays,
    criticalDays: f.criticalDays ?? CERTIFICATE_DEFAULTS.criticalDays,
    checks: f.checks
      .filter((c) => c.name.trim() !== '' || c.address.trim() !== '')
      .map((c) => ({ name: c.name.trim(), address: c.address.trim() })),
  };
}

/** Problem fields the section has an input for. */
export function certificateInputs(f: CertificatesForm): string[] {
  return [
    'certificates',
    'certificates.warnDays',
    'certificates.criticalDays',
    'certificates.checks',
    ...f.checks.flatMap((_, i) => [
      `certificates.checks[${i}]`,
      `certificates.checks[${i}].name`,
      `certificates.checks[${i}].address`,
    ]),
  ];
}
