// Validation of a pair's settings, the same rules for the XML file, the API and
// the dashboard's editor: every problem names the pair and the field and says
// what is wrong in words, and all problems are collected, not just the first. One cohesive thing (a rule
// per field), hence its length.

import {
  AUTH_KINDS,
  BODY_ENCODINGS,
  HTTP_METHODS,
  SECRET_MASK,
  TEMPLATE_VARIABLES,
  type ActionHeader,
  type ActionSettings,
  type PairSettings,
  type Problem,
  type ValidationSettings,
} from './model.js';
import { parseAcceptStatus } from './accept-status.js';
import { DEFAULTS, LIMITS } from './rules.js';
import { allUrls, keptSecrets, maskUrl, type KeptSecrets } from './secrets.js';
import { renderTemplate, TEMPLATE_STAND_INS, templateVariables } from './template.js';
import { unstorableMessage } from './text.js';
import { readSipSettings } from './validate-sip.js';
import { readCertificates } from './validate-certificates.js';
import { readDnsVerify } from './validate-dns.js';

// ---------------------------------------------------------------------------------------------
// Validation of one pair

export type ValidationResult = { ok: true; settings: PairSettings } | { ok: false; problems: Problem[] };

type Input = Record<string, unknown>;

class Collector {
  readonly problems: Problem[] = [];
  constructor(readonly pair: string | undefined) {}
  add(field: string, message: string): void {
    this.problems.push(this.pair === undefined ? { field, message } : { pair: this.pair, field, message });
  }
  has(field: string): boolean {
    return this.problems.some((p) => p.field === field);
  }
}

/**
 * Check settings that arrive as JSON from the API or are mapped from the XML; fill in defaults.
 * With `existing`, a secret sent back as SECRET_MASK keeps the stored secret.
 */
export function validatePairSettings(input: unknown, opts: { existing?: PairSettings } = {}): ValidationResult {
  if (!isObject(input))
    return { ok: false, problems: [{ field: 'pair', message: 'must be an object with the pair settings' }] };
  const rawId = input['id'];
  const c = new Collector(typeof rawId === 'string' && rawId !== '' ? rawId.slice(0, 100) : undefined);
  const existing = opts.existing;

  const id = readId(c, rawId);
  const name = readName(c, input['name'], id);
  const primaryUrl = readUrl(c, 'primaryUrl', input['primaryUrl'], { required: true, existing });
  const standbyUrl = readUrl(c, 'standbyUrl', input['standbyUrl'], { required: false, existing });
  const interval = readNumber(c, 'interval', input['interval'], {
    required: true,
    min: LIMITS.intervalMin,
    max: LIMITS.intervalMax,
    unit: 'seconds',
  });
  const toleratedFailures = readNumber(c, 'toleratedFailures', input['toleratedFailures'], {
    required: true,
    min: 0,
    max: LIMITS.toleratedFailuresMax,
    integer: true,
    unit: 'failures',
  });
  const timeout = readNumber(c, 'timeout', input['timeout'], {
    required: false,
    exclusiveMin: 0,
    max: LIMITS.timeoutMax,
    unit: 'seconds',
  });
  const acceptStatus = readAcceptStatus(c, input['acceptStatus']);
  const validation = readValidation(c, input['validation'], existing);
  const action = readAction(c, 'action', input['action'], existing?.action, existing);
  const failbackAction =
    input['failbackAction'] === undefined || input['failbackAction'] === null
      ? undefined
      : readAction(c, 'failbackAction', input['failbackAction'], existing?.failbackAction, existing);
  const addSip = (field: string, message: string) => c.add(field, message);
  const primarySip = readSipSettings('primarySip', input['primarySip'], addSip);
  const standbySip = readSipSettings('standbySip', input['standbySip'], addSip);
  const certificates =
    input['certificates'] === undefined || input['certificates'] === null
      ? undefined
      : readCertificates((field, message) => c.add(field, message), input['certificates']);
  const dnsVerify = readDnsVerify(input['dnsVerify'], (field, message) => c.add(field, message));
  // Cluster mode (`<vantage quorum>`): live nodes that must each see the primary down.
  const vantageQuorum = readNumber(c, 'vantageQuorum', input['vantageQuorum'], {
    required: false,
    min: 1,
    max: 99,
    integer: true,
    unit: 'nodes',
  });
  const readinessInterval = readNumber(c, 'readinessInterval', input['readinessInterval'], {
    required: false,
    min: LIMITS.readinessIntervalMin,
    max: LIMITS.intervalMax,
    unit: 'seconds',
  });

  if (c.problems.length > 0) return { ok: false, problems: c.problems };
  const settings: PairSettings = {
    id: id!,
    name: name!,
    primaryUrl: primaryUrl!,
    ...(standbyUrl !== undefined ? { standbyUrl } : {}),
    interval: interval!,
    toleratedFailures: toleratedFailures!,
    ...(timeout !== undefined ? { timeout } : {}),
    acceptStatus: acceptStatus!,
    validation: validation!,
    ...(vantageQuorum !== undefined ? { vantageQuorum } : {}),
    action: action!,
    ...(failbackAction !== undefined ? { failbackAction } : {}),
    ...(primarySip !== undefined ? { primarySip } : {}),
    ...(standbySip !== undefined ? { standbySip } : {}),
    ...(certificates !== undefined ? { certificates } : {}),
    ...(dnsVerify !== undefined ? { dnsVerify } : {}),
    ...(readinessInterval !== undefined ? { readinessInterval } : {}),
  };
  return { ok: true, settings };
}

/** Problems of a whole list of valid pairs: duplicate ids. */
export function validatePairList(list: PairSettings[]): Problem[] {
  return duplicateIdProblems(list.map((p) => p.id));
}

/** Duplicate ids among pairs in file order (an id left out or empty is a problem of its own pair, not a duplicate). */
export function duplicateIdProblems(ids: ReadonlyArray<string | undefined>): Problem[] {
  const problems: Problem[] = [];
  const firstIndex = new Map<string, number>();
  ids.forEach((id, i) => {
    if (id === undefined || id === '') return;
    const first = firstIndex.get(id);
    if (first === undefined) firstIndex.set(id, i);
    else
      problems.push({
        pair: id,
        field: 'id',
        message: `duplicate pair id "${id}": pair #${i + 1} has the same id as pair #${first + 1}`,
      });
  });
  return problems;
}

function isObject(v: unknown): v is Input {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `"${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}

// Characters pbxctrl-failover.xml cannot carry (src/shared/text.ts); a setting must survive being written to the file.
// eslint-disable-next-line no-control-regex -- control characters are what a setting must not hold
const CONTROL = /[\u0000-\u001f\u007f]/;

function unstorable(s: string): string | undefined {
  return unstorableMessage(s);
}

function readId(c: Collector, v: unknown): string | undefined {
  if (v === undefined || v === null || v === '')
    return void c.add('id', 'is required (lower-case letters, digits, - and _, up to 64)');
  if (typeof v !== 'string') return void c.add('id', `must be text, got ${describe(v)}`);
  if (!LIMITS.idPattern.test(v))
    return void c.add('id', `${describe(v)} may only contain lower-case letters, digits, - and _ (1 to 64 of them)`);
  return v;
}

function readName(c: Collector, v: unknown, id: string | undefined): string | undefined {
  if (v === undefined || v === null) return id;
  if (typeof v !== 'string') return void c.add('name', `must be text, got ${describe(v)}`);
  const name = v.trim();
  if (name === '') return void c.add('name', 'must not be empty (leave it out to use the id)');
  if (name.length > LIMITS.nameMaxLength)
    return void c.add('name', `must be at most ${LIMITS.nameMaxLength} characters (it has ${name.length})`);
  if (CONTROL.test(name) || unstorable(name))
    return void c.add('name', 'must not contain line breaks or control characters');
  return name;
}

interface NumberRule {
  required: boolean;
  min?: number;
  exclusiveMin?: number;
  max: number;
  integer?: boolean;
  unit: string;
}

function readNumber(c: Collector, field: string, v: unknown, rule: NumberRule): number | undefined {
  if (v === undefined || v === null) return rule.required ? void c.add(field, 'is required') : undefined;
  if (typeof v !== 'number') return void c.add(field, `must be a number, got ${describe(v)}`);
  if (!Number.isFinite(v)) return void c.add(field, 'must be a finite number');
  if (rule.integer && !Number.isInteger(v)) return void c.add(field, `must be a whole number, got ${v}`);
  if (rule.min !== undefined && v < rule.min)
    return void c.add(field, `must be at least ${rule.min} ${rule.unit}, got ${v}`);
  if (rule.exclusiveMin !== undefined && v <= rule.exclusiveMin)
    return void c.add(field, `must be more than ${rule.exclusiveMin} ${rule.unit}, got ${v}`);
  if (v > rule.max) return void c.add(field, `must be at most ${rule.max} ${rule.unit}, got ${v}`);
  // -0 would be written as "0"; keep what is stored and what is read back identical.
  return v === 0 ? 0 : v;
}

function readAcceptStatus(c: Collector, v: unknown): string | undefined {
  if (v === undefined || v === null) return DEFAULTS.acceptStatus;
  if (typeof v !== 'string')
    return void c.add('acceptStatus', `must be text like "200" or "200-299", got ${describe(v)}`);
  const spec = v.trim();
  const parsed = parseAcceptStatus(spec);
  if ('error' in parsed) return void c.add('acceptStatus', parsed.error);
  return spec;
}

interface UrlRule {
  required: boolean;
  /** Action URLs may contain template variables. */
  template?: boolean;
  existing?: PairSettings | undefined;
}

function readUrl(c: Collector, field: string, v: unknown, rule: UrlRule): string | undefined {
  if (v === undefined || v === null || (v === '' && !rule.required))
    return rule.required ? void c.add(field, 'is required') : undefined;
  if (typeof v !== 'string') return void c.add(field, `must be a URL (text), got ${describe(v)}`);
  let url = v.trim();
  if (url === '') return void c.add(field, 'is required');
  if (url.includes(SECRET_MASK)) {
    const kept = rule.existing && allUrls(rule.existing).find((u) => maskUrl(u) === url);
    if (kept === undefined)
      return void c.add(
        field,
        'contains a masked secret (••••••••) that does not match the stored URL; type the password again',
      );
    url = kept;
  }
  if (url.length > LIMITS.urlMaxLength)
    return void c.add(field, `is too long (at most ${LIMITS.urlMaxLength} characters)`);
  // eslint-disable-next-line no-control-regex -- a URL with control characters is refused
  if (/[\s\u0000-\u001f\u007f]/.test(url))
    return void c.add(field, 'must not contain spaces, line breaks or control characters (encode a space as %20)');
  const bad = unstorable(url);
  if (bad) return void c.add(field, bad);
  const variables = templateVariables(url);
  if (rule.template) {
    if (!checkVariables(c, field, url)) return undefined;
  } else if (variables.length > 0) {
    return void c.add(
      field,
      `variables like {${variables[0]}} are filled in only in action URLs; give the address itself`,
    );
  }
  const concrete = rule.template ? renderTemplate(url, TEMPLATE_STAND_INS, 'url') : url;
  let parsed: URL;
  try {
    parsed = new URL(concrete);
  } catch {
    return void c.add(field, `${describe(url)} is not a valid absolute URL (like http://192.0.2.10/)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return void c.add(field, `must start with http:// or https://, not ${parsed.protocol}//`);
  if (parsed.hostname === '') return void c.add(field, 'must name a host');
  return url;
}

/** True when every variable in `text` is known; otherwise a problem naming the first unknown one. */
function checkVariables(c: Collector, field: string, text: string): boolean {
  const unknown = templateVariables(text).filter((n) => !(TEMPLATE_VARIABLES as readonly string[]).includes(n));
  if (unknown.length === 0) return true;
  const known = TEMPLATE_VARIABLES.map((n) => `{${n}}`).join(', ');
  const names = unknown.map((n) => `{${n}}`).join(', ');
  c.add(field, `unknown variable${unknown.length > 1 ? 's' : ''} ${names}; known: ${known}`);
  return false;
}

const NO_VALIDATION_URL =
  'at least one validation URL is required: without one the watcher cannot tell its own lost connectivity from a dead primary, ' +
  'and fails over when only it is cut off. To run without this protection on purpose, set the quorum to 0 explicitly (quorum="0")';

function readValidation(c: Collector, v: unknown, existing: PairSettings | undefined): ValidationSettings | undefined {
  if (v === undefined || v === null) return void c.add('validation.urls', NO_VALIDATION_URL);
  if (!isObject(v)) return void c.add('validation', `must be an object with quorum and urls, got ${describe(v)}`);
  const rawUrls = v['urls'] ?? [];
  if (!Array.isArray(rawUrls)) return void c.add('validation.urls', `must be a list of URLs, got ${describe(rawUrls)}`);
  // No isolation protection only when asked for in so many words.
  if (rawUrls.length === 0 && (v['quorum'] === undefined || v['quorum'] === null))
    return void c.add('validation.urls', NO_VALIDATION_URL);
  if (rawUrls.length > LIMITS.maxValidationUrls) {
    c.add('validation.urls', `at most ${LIMITS.maxValidationUrls} validation URLs, got ${rawUrls.length}`);
    return undefined;
  }
  const urls = rawUrls.map((u, i) => readUrl(c, `validation.urls[${i}]`, u, { required: true, existing }));
  const quorum = readNumber(c, 'validation.quorum', v['quorum'] ?? (rawUrls.length > 0 ? 1 : 0), {
    required: true,
    min: rawUrls.length > 0 ? 1 : 0,
    max: rawUrls.length,
    integer: true,
    unit:
      rawUrls.length > 0
        ? `(of ${rawUrls.length} validation URL${rawUrls.length > 1 ? 's' : ''})`
        : '(there are no validation URLs)',
  });
  if (quorum === undefined || urls.some((u) => u === undefined)) return undefined;
  return { quorum, urls: urls as string[] };
}

// Headers the HTTP client sets from the request itself; a second copy would corrupt it.
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'upgrade',
  'keep-alive',
  'te',
  'trailer',
  'expect',
]);
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function readAction(
  c: Collector,
  prefix: string,
  v: unknown,
  existingAction: ActionSettings | undefined,
  existing: PairSettings | undefined,
): ActionSettings | undefined {
  if (v === undefined || v === null) return void c.add(`${prefix}.url`, 'is required (the request fired on failover)');
  if (!isObject(v))
    return void c.add(prefix, `must be an object with the action's url, method, body…, got ${describe(v)}`);
  const url = readUrl(c, `${prefix}.url`, v['url'], { required: true, template: true, existing });
  const method = readChoice(c, `${prefix}.method`, v['method'], HTTP_METHODS, DEFAULTS.method, (s) => s.toUpperCase());
  const encoding = readChoice(c, `${prefix}.encoding`, v['encoding'], BODY_ENCODINGS, DEFAULTS.encoding, (s) =>
    s.toLowerCase(),
  );
  const auth = readChoice(c, `${prefix}.auth`, v['auth'], AUTH_KINDS, DEFAULTS.auth, (s) => s.toLowerCase());
  const retries = readNumber(c, `${prefix}.retries`, v['retries'] ?? DEFAULTS.retries, {
    required: true,
    min: LIMITS.retriesMin,
    max: LIMITS.retriesMax,
    integer: true,
    unit: 'attempts',
  });
  const timeout = readNumber(c, `${prefix}.timeout`, v['timeout'] ?? DEFAULTS.actionTimeout, {
    required: true,
    min: LIMITS.actionTimeoutMin,
    max: LIMITS.timeoutMax,
    unit: 'seconds',
  });
  const idempotent = v['idempotent'];
  if (idempotent !== undefined && typeof idempotent !== 'boolean')
    c.add(`${prefix}.idempotent`, `must be true or false, got ${describe(idempotent)}`);
  const user = readText(c, `${prefix}.user`, v['user'], { maxLength: 500, singleLine: true });
  const kept = keptSecrets(existingAction, url, auth);
  const pass = readSecret(c, `${prefix}.pass`, v['pass'], existingAction?.pass, kept);
  const headers = readHeaders(c, prefix, v['headers'], existingAction, kept);
  const bodySecret = readFlag(c, `${prefix}.bodySecret`, v['bodySecret']);
  const body =
    v['body'] === SECRET_MASK
      ? readSecret(c, `${prefix}.body`, v['body'], existingAction?.bodySecret ? existingAction.body : undefined, kept)
      : readText(c, `${prefix}.body`, v['body'], { maxLength: LIMITS.bodyMaxLength, singleLine: false });
  if (body !== undefined) checkVariables(c, `${prefix}.body`, body);
  if (auth === 'basic' && !user && !c.has(`${prefix}.user`))
    c.add(`${prefix}.user`, 'is required for Basic authentication');
  if (auth === 'bearer' && !pass && !c.has(`${prefix}.pass`))
    c.add(`${prefix}.pass`, 'is required for Bearer authentication (the token)');
  // The token goes into the Authorization header as it is: the engine's own send check refuses the same.
  if (auth === 'bearer' && pass && pass !== SECRET_MASK && !c.has(`${prefix}.pass`) && !isHeaderText(pass))
    c.add(
      `${prefix}.pass`,
      'a Bearer token can only be sent as Latin-1 text (it goes into the Authorization header as it is)',
    );
  if (method === 'GET' && body !== undefined && body !== '')
    c.add(`${prefix}.body`, 'a GET request cannot carry a body; use POST, PUT or PATCH');

  if ([url, method, encoding, auth, retries, timeout, headers].some((x) => x === undefined)) return undefined;
  const action: ActionSettings = {
    method: method!,
    url: url!,
    encoding: encoding!,
    auth: auth!,
    ...(user !== undefined ? { user } : {}),
    ...(pass !== undefined ? { pass } : {}),
    headers: headers!,
    ...(body !== undefined ? { body } : {}),
    ...(bodySecret ? { bodySecret } : {}),
    retries: retries!,
    timeout: timeout!,
    ...(typeof idempotent === 'boolean' ? { idempotent } : {}),
  };
  return action;
}

function readChoice<T extends string>(
  c: Collector,
  field: string,
  v: unknown,
  choices: readonly T[],
  fallback: T,
  normalize: (s: string) => string,
): T | undefined {
  if (v === undefined || v === null || v === '') return fallback;
  const choice = typeof v === 'string' ? normalize(v.trim()) : undefined;
  if (choice !== undefined && (choices as readonly string[]).includes(choice)) return choice as T;
  c.add(field, `must be one of ${choices.join(', ')}, got ${describe(v)}`);
  return undefined;
}

function readText(
  c: Collector,
  field: string,
  v: unknown,
  rule: { maxLength: number; singleLine: boolean },
): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') return void c.add(field, `must be text, got ${describe(v)}`);
  if (v.length > rule.maxLength)
    return void c.add(field, `is too long (at most ${rule.maxLength} characters, it has ${v.length})`);
  if (rule.singleLine && CONTROL.test(v))
    return void c.add(field, 'must not contain line breaks or control characters');
  const bad = unstorable(v);
  if (bad) return void c.add(field, bad);
  return v;
}

function readSecret(
  c: Collector,
  field: string,
  v: unknown,
  stored: string | undefined,
  kept: KeptSecrets,
): string | undefined {
  if (v === SECRET_MASK) {
    if (stored === undefined)
      return void c.add(field, 'is the mask ••••••••, but no secret is stored to keep; type it');
    if (!kept.keep) return void c.add(field, `is the mask ••••••••, but ${kept.why}: type the secret again`);
    return stored;
  }
  return readText(c, field, v, { maxLength: 4096, singleLine: true });
}

function readFlag(c: Collector, field: string, v: unknown): boolean | undefined {
  if (v === undefined || v === null || v === false || v === 'false') return undefined;
  if (v === true || v === 'true') return true;
  return void c.add(field, `must be true or false, got ${describe(v)}`);
}

function readHeaders(
  c: Collector,
  prefix: string,
  v: unknown,
  existingAction: ActionSettings | undefined,
  kept: KeptSecrets,
): ActionHeader[] | undefined {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return void c.add(`${prefix}.headers`, `must be a list of {name, value}, got ${describe(v)}`);
  if (v.length > LIMITS.maxHeaders)
    return void c.add(`${prefix}.headers`, `at most ${LIMITS.maxHeaders} headers, got ${v.length}`);
  const headers: ActionHeader[] = [];
  let ok = true;
  v.forEach((h: unknown, i) => {
    const header = readHeader(c, `${prefix}.headers[${i}]`, h, existingAction, kept);
    if (header) headers.push(header);
    else ok = false;
  });
  return ok ? headers : undefined;
}

function readHeader(
  c: Collector,
  field: string,
  h: unknown,
  existingAction: ActionSettings | undefined,
  kept: KeptSecrets,
): ActionHeader | undefined {
  if (!isObject(h)) return void c.add(field, `must be {name, value}, got ${describe(h)}`);
  const name = h['name'];
  let nameOk = false;
  if (typeof name !== 'string' || name.trim() === '') c.add(`${field}.name`, 'is required');
  else if (!HTTP_TOKEN.test(name.trim()))
    c.add(`${field}.name`, `${describe(name)} is not a valid header name (letters, digits and !#$%&'*+.^_\`|~- only)`);
  else if (RESERVED_HEADERS.has(name.trim().toLowerCase()))
    c.add(`${field}.name`, `${name.trim()} is set by the app itself and cannot be configured`);
  else nameOk = true;

  let value = h['value'] ?? '';
  if (value === SECRET_MASK && nameOk) {
    const stored = existingAction?.headers.find((e) => e.name.toLowerCase() === (name as string).trim().toLowerCase());
    if (stored === undefined)
      return void c.add(
        `${field}.value`,
        'is the mask ••••••••, but no value is stored for this header; type the value',
      );
    if (!kept.keep) return void c.add(`${field}.value`, `is the mask ••••••••, but ${kept.why}: type the secret again`);
    value = stored.value;
  }
  const secret = readFlag(c, `${field}.secret`, h['secret']);
  if (typeof value !== 'string') return void c.add(`${field}.value`, `must be text, got ${describe(value)}`);
  if (/[\r\n]/.test(value)) return void c.add(`${field}.value`, 'must not contain line breaks');
  // eslint-disable-next-line no-control-regex -- a header value with control characters is refused
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value))
    return void c.add(`${field}.value`, 'must not contain control characters');
  // What HTTP clients send as it is: Latin-1 (undici refuses anything else); variables are encoded when rendered.
  // (The mask stands for a stored value, which was checked when it was saved.)
  if (value !== SECRET_MASK && !isHeaderText(value.replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, ''))) {
    return void c.add(
      `${field}.value`,
      'contains characters a header cannot carry (only Latin-1 text can be sent); write them through a template variable or leave them out',
    );
  }
  if (value.length > LIMITS.headerValueMaxLength)
    return void c.add(`${field}.value`, `is too long (at most ${LIMITS.headerValueMaxLength} characters)`);
  const bad = unstorable(value);
  if (bad) return void c.add(`${field}.value`, bad);
  if (!checkVariables(c, `${field}.value`, value) || !nameOk) return undefined;
  return { name: (name as string).trim(), value, ...(secret ? { secret } : {}) };
}

/** Text an HTTP header carries as it is: Latin-1 without control characters (tab allowed); undici refuses the rest. */
function isHeaderText(text: string): boolean {
  return !/[^\t\u0020-\u007e\u0080-\u00ff]/.test(text);
}
