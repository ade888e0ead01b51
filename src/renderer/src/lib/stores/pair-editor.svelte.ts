// The pair editor's form: what the operator types, checked with the engine's
// own validator on every keystroke, plus the guidance hints, "test now", save and remove.

import { MonitorError, type Backend } from '$shared/api';
import {
  SECRET_MASK,
  type ActionSettings,
  type AuthKind,
  type BodyEncoding,
  type CheckResult,
  type HttpMethod,
  type PairSettings,
  type Problem,
} from '$shared/model';
import { settingsHints, type SettingsHint } from '$shared/hints';
import { DEFAULTS } from '$shared/rules';
import { isSecretHeader } from '$shared/secrets';
import { validatePairSettings } from '$shared/validate';
import { errorMessage } from '../backend/errors';
import { dnsFieldsWithInput, dnsFormFromSettings, dnsFromForm, emptyDnsForm, type DnsVerifyForm } from './dns-form';

export interface ActionForm {
  method: HttpMethod;
  url: string;
  encoding: BodyEncoding;
  auth: AuthKind;
  user: string;
  pass: string;
  headers: Array<{ name: string; value: string }>;
  body: string;
  retries: number | null;
  timeout: number | null;
  /** Kept as the file or API has it (absent: the method's default); the editor has no field for it yet. */
  idempotent?: boolean;
}

export interface PairForm {
  id: string;
  name: string;
  primaryUrl: string;
  standbyUrl: string;
  interval: number | null;
  toleratedFailures: number | null;
  timeout: number | null;
  acceptStatus: string;
  quorum: number | null;
  validationUrls: string[];
  action: ActionForm;
  hasFailback: boolean;
  failback: ActionForm;
  /** `<dns-verify>` (dns-form.ts). */
  dns: DnsVerifyForm;
}

export function emptyAction(): ActionForm {
  return {
    method: DEFAULTS.method,
    url: '',
    encoding: DEFAULTS.encoding,
    auth: DEFAULTS.auth,
    user: '',
    pass: '',
    headers: [],
    body: '',
    retries: DEFAULTS.retries,
    timeout: DEFAULTS.actionTimeout,
  };
}

export function emptyForm(): PairForm {
  return {
    id: '',
    name: '',
    primaryUrl: '',
    standbyUrl: '',
    // A new pair's suggested pace (the engine has no default for these: the file must name them).
    interval: 10,
    toleratedFailures: 3,
    timeout: null,
    acceptStatus: DEFAULTS.acceptStatus,
    quorum: 1,
    validationUrls: [''],
    action: emptyAction(),
    hasFailback: false,
    failback: emptyAction(),
    dns: emptyDnsForm(),
  };
}

function actionToForm(a: ActionSettings): ActionForm {
  return {
    method: a.method,
    url: a.url,
    encoding: a.encoding,
    auth: a.auth,
    user: a.user ?? '',
    pass: a.pass ?? '',
    headers: a.headers.map((h) => ({ ...h })),
    body: a.body ?? '',
    retries: a.retries,
    timeout: a.timeout,
    ...(a.idempotent !== undefined ? { idempotent: a.idempotent } : {}),
  };
}

export function formFromSettings(s: PairSettings): PairForm {
  return {
    id: s.id,
    name: s.name,
    primaryUrl: s.primaryUrl,
    standbyUrl: s.standbyUrl ?? '',
    interval: s.interval,
    toleratedFailures: s.toleratedFailures,
    timeout: s.timeout ?? null,
    acceptStatus: s.acceptStatus,
    quorum: s.validation.quorum,
    validationUrls: s.validation.urls.length > 0 ? [...s.validation.urls] : [''],
    action: actionToForm(s.action),
    hasFailback: !!s.failbackAction,
    failback: s.failbackAction ? actionToForm(s.failbackAction) : emptyAction(),
    dns: dnsFormFromSettings(s.dnsVerify),
  };
}

/** A duplicate gets a new id, and no masked secret: there is no stored secret for a new pair to keep. */
export function duplicateForm(s: PairSettings, existingIds: ReadonlySet<string>): PairForm {
  const form = formFromSettings(s);
  let n = 2;
  let id = `${s.id}-copy`;
  while (existingIds.has(id)) id = `${s.id}-copy${n++}`;
  form.id = id;
  form.name = `${s.name} (copy)`;
  for (const a of [form.action, form.failback]) {
    if (a.pass === SECRET_MASK) a.pass = '';
    a.headers = a.headers.map((h) => (h.value === SECRET_MASK ? { ...h, value: '' } : h));
  }
  return form;
}

function num(v: number | null | undefined | string): number | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  return typeof v === 'number' ? v : Number(v);
}

function actionFromForm(a: ActionForm): ActionSettings {
  const out: ActionSettings = {
    method: a.method,
    url: a.url.trim(),
    encoding: a.encoding,
    auth: a.auth,
    headers: a.headers
      .filter((h) => h.name.trim() !== '' || h.value !== '')
      .map((h) => ({ name: h.name.trim(), value: h.value })),
    retries: num(a.retries) as number,
    timeout: num(a.timeout) as number,
  };
  if (a.user.trim()) out.user = a.user.trim();
  if (a.pass) out.pass = a.pass;
  if (a.body) out.body = a.body;
  if (a.idempotent !== undefined) out.idempotent = a.idempotent;
  return out;
}

/** The settings the form stands for, as the API and the validator take them. */
export function settingsFromForm(f: PairForm): PairSettings {
  const urls = f.validationUrls.map((u) => u.trim()).filter((u) => u !== '');
  const s: PairSettings = {
    id: f.id.trim(),
    name: f.name.trim(),
    primaryUrl: f.primaryUrl.trim(),
    interval: num(f.interval) as number,
    toleratedFailures: num(f.toleratedFailures) as number,
    acceptStatus: f.acceptStatus.trim(),
    validation: { quorum: urls.length === 0 ? 0 : (num(f.quorum) as number), urls },
    action: actionFromForm(f.action),
  };
  if (f.standbyUrl.trim()) s.standbyUrl = f.standbyUrl.trim();
  const timeout = num(f.timeout);
  if (timeout !== undefined) s.timeout = timeout;
  if (f.hasFailback) s.failbackAction = actionFromForm(f.failback);
  const dnsVerify = dnsFromForm(f.dns);
  if (dnsVerify) s.dnsVerify = dnsVerify;
  return s;
}

const PAIR_INPUTS = [
  'id',
  'name',
  'primaryUrl',
  'standbyUrl',
  'interval',
  'toleratedFailures',
  'timeout',
  'acceptStatus',
  'validation.quorum',
  'validation.urls',
];
const ACTION_INPUTS = ['method', 'url', 'encoding', 'auth', 'user', 'pass', 'retries', 'timeout', 'body'];

/** Every problem field the editor has an input for (their problems show there, the rest in a list above Save). */
export function fieldsWithInput(f: PairForm): ReadonlySet<string> {
  const actions = [
    ['action', f.action],
    ['failbackAction', f.failback],
  ] as const;
  return new Set([
    ...PAIR_INPUTS,
    ...f.validationUrls.map((_, i) => `validation.urls[${i}]`),
    ...dnsFieldsWithInput(f.dns),
    ...actions.flatMap(([prefix, a]) => [
      ...ACTION_INPUTS.map((name) => `${prefix}.${name}`),
      ...a.headers.flatMap((_, i) => [
        `${prefix}.headers[${i}]`,
        `${prefix}.headers[${i}].name`,
        `${prefix}.headers[${i}].value`,
      ]),
    ]),
  ]);
}

export class PairEditorStore {
  form = $state<PairForm>(emptyForm());
  /** The stored settings (secrets masked) when editing; a masked secret sent back keeps the stored one. */
  existing = $state.raw<PairSettings | undefined>(undefined);
  touched = $state<Record<string, true>>({});
  submitted = $state(false);
  serverProblems = $state.raw<Problem[]>([]);
  saving = $state(false);
  error = $state<string | undefined>(undefined);
  loadError = $state<string | undefined>(undefined);
  testing = $state(false);
  testResults = $state.raw<CheckResult[] | undefined>(undefined);
  testError = $state<string | undefined>(undefined);

  /** The form as loaded (or last saved): leaving with anything else loses changes. */
  private baseline = $state(JSON.stringify(emptyForm()));
  dirty = $derived(JSON.stringify(this.form) !== this.baseline);
  /** Removal: a reason is required (audit log); a pair in failover or with its action running needs `force`. */
  removeReason = $state('');
  removeError = $state<string | undefined>(undefined);
  /** The service refused (409): the pair is in failover or its action is in flight; only "remove anyway" goes on. */
  removeRefused = $state(false);
  removingNow = $state(false);

  candidate = $derived(settingsFromForm(this.form));
  validation = $derived(validatePairSettings(this.candidate, this.existing ? { existing: this.existing } : {}));
  problems = $derived<Problem[]>(this.validation.ok ? [] : this.validation.problems);
  hints = $derived<SettingsHint[]>(settingsHints(this.candidate));

  constructor(
    private readonly backend: Backend,
    readonly mode: 'add' | 'edit',
  ) {}

  async loadExisting(id: string): Promise<void> {
    try {
      const detail = await this.backend.getPair(id);
      this.existing = detail.settings;
      this.form = formFromSettings(detail.settings);
      this.markClean();
    } catch (err) {
      this.loadError = errorMessage(err);
    }
  }

  async loadCopyOf(id: string, existingIds: ReadonlySet<string>): Promise<void> {
    try {
      const detail = await this.backend.getPair(id);
      this.form = duplicateForm(detail.settings, existingIds);
      this.markClean();
      this.touched = { 'action.pass': true, 'failbackAction.pass': true };
    } catch (err) {
      this.loadError = errorMessage(err);
    }
  }

  touch(field: string): void {
    if (!this.touched[field]) this.touched[field] = true;
    if (this.serverProblems.some((p) => p.field === field))
      this.serverProblems = this.serverProblems.filter((p) => p.field !== field);
  }

  /** Problems shown next to `field`: the validator's once the field was touched (or after Save), and the server's. */
  problemsFor(field: string): string[] {
    const show = this.submitted || this.mode === 'edit' || this.touched[field];
    const local = show ? this.problems.filter((p) => p.field === field).map((p) => p.message) : [];
    const server = this.serverProblems.filter((p) => p.field === field).map((p) => p.message);
    return [...new Set([...local, ...server])];
  }

  hintsFor(field: string): string[] {
    return this.hints.filter((h) => h.field === field).map((h) => h.message);
  }

  /** Problems whose field has no input of its own (shown in a list above Save). */
  otherProblems = $derived.by(() => {
    const known = fieldsWithInput(this.form);
    return [...(this.submitted ? this.problems : []), ...this.serverProblems].filter((p) => !known.has(p.field));
  });

  addValidationUrl(): void {
    this.form.validationUrls.push('');
  }

  removeValidationUrl(index: number): void {
    this.form.validationUrls.splice(index, 1);
  }

  addHeader(prefix: 'action' | 'failbackAction'): void {
    this.actionOf(prefix).headers.push({ name: '', value: '' });
  }

  removeHeader(prefix: 'action' | 'failbackAction', index: number): void {
    this.actionOf(prefix).headers.splice(index, 1);
  }

  private actionOf(prefix: 'action' | 'failbackAction'): ActionForm {
    return prefix === 'action' ? this.form.action : this.form.failback;
  }

  async save(by?: { reason: string; operator?: string }): Promise<PairSettings | undefined> {
    this.submitted = true;
    this.error = undefined;
    if (!this.validation.ok) return undefined;
    this.saving = true;
    try {
      const detail =
        this.mode === 'edit' && this.existing
          ? await this.backend.updatePair(this.existing.id, this.candidate, by)
          : await this.backend.addPair(this.candidate, by);
      this.serverProblems = [];
      this.markClean();
      return detail.settings;
    } catch (err) {
      this.error = errorMessage(err);
      this.serverProblems = err instanceof MonitorError ? (err.problems ?? []) : [];
      return undefined;
    } finally {
      this.saving = false;
    }
  }

  /** What the form holds now counts as saved. */
  markClean(): void {
    this.baseline = JSON.stringify(this.form);
  }

  /**
   * Remove the pair with the operator's reason. A refusal because the pair is in failover or its action is
   * in flight (409) sets `removeRefused`; only a second call with `force` removes it then.
   */
  async remove(operator?: string, force = false): Promise<boolean> {
    if (!this.existing || !this.removeReason.trim()) return false;
    this.removingNow = true;
    this.removeError = undefined;
    try {
      const req = {
        reason: this.removeReason.trim(),
        ...(operator ? { operator } : {}),
        ...(force ? { force: true } : {}),
      };
      await this.backend.removePair(this.existing.id, req);
      this.markClean();
      return true;
    } catch (err) {
      this.removeError = errorMessage(err);
      if (err instanceof MonitorError && err.code === 'conflict') this.removeRefused = true;
      return false;
    } finally {
      this.removingNow = false;
    }
  }

  async testNow(): Promise<void> {
    this.testing = true;
    this.testError = undefined;
    this.testResults = undefined;
    try {
      this.testResults = await this.backend.testUrls(this.validation.ok ? this.validation.settings : this.candidate);
    } catch (err) {
      this.testError = errorMessage(err);
    } finally {
      this.testing = false;
    }
  }
}

export { isSecretHeader };
