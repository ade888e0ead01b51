// pbxctrl-failover.xml <-> FailoverConfig. The file's shape is a contract with
// people and other tools: the app maps the elements it knows onto PairSettings
// and PersistedState, validates all of it, and when it writes the file back it
// rewrites only those elements, leaving unknown elements, attributes and
// comments where they were.

import type { FailoverConfig, PairRecord, PersistedState } from './ports.js';
import {
  PAIR_STATES,
  type ActionAttempt,
  type ActionSettings,
  type ActionStatus,
  type MaskedRequest,
  type PairSettings,
  type PairState,
  type Problem,
} from '../shared/model.js';
import { maskRecordedRequest, maskSettings } from '../shared/secrets.js';
import { duplicateIdProblems, validatePairSettings } from '../shared/validate.js';
import { FIELD_OF_ELEMENT } from '../shared/xml-names.js';
import { pairSendProblems } from './action-runner.js';
import {
  DEFAULT_MAX_BYTES,
  attr,
  childElements,
  element,
  readXml,
  textElement,
  textOf,
  writeXml,
  type XmlDocument,
  type XmlElement,
  type XmlNode,
  type XmlProblem,
} from './xml-tree.js';

export { DEFAULT_MAX_BYTES, type XmlDocument } from './xml-tree.js';

export const ROOT_NAME = 'pbxctrl-failover';
export const FORMAT_VERSION = '1';

export type ConfigParseResult = { ok: true; config: FailoverConfig; document: XmlDocument } | { ok: false; problems: Problem[] };

// Known children in the contract's order; new elements are placed by it.
const PAIR_ELEMENTS = [
  'name',
  'primary-url',
  'standby-url',
  'interval',
  'tolerated-failures',
  'timeout',
  'accept-status',
  'validation',
  'action',
  'failback-action',
  'state',
  'action-progress',
] as const;
const ACTION_ELEMENTS = ['url', 'user', 'pass', 'header', 'body'] as const;
const ACTION_ATTRS = ['method', 'encoding', 'auth', 'retries', 'timeout', 'idempotent'] as const;
const PROGRESS_ELEMENTS = ['reason', 'attempt', 'request'] as const;
const PROGRESS_ATTRS = ['kind', 'phase', 'manual', 'started-at', 'finished-at', 'action-id', 'from', 'in-flight-attempt', 'in-flight-at'] as const;
const REQUEST_ELEMENTS = ['header', 'body'] as const;

// XML names of fields, for problems found while reading the tree (entities, characters).
const FIELD_OF = FIELD_OF_ELEMENT;

// =============================================================================================
// Reading

export function parseConfigXml(
  text: string,
  opts: { maxBytes?: number; existing?: (id: string) => PairSettings | undefined } = {},
): ConfigParseResult {
  const read = readXml(text, opts.maxBytes ?? DEFAULT_MAX_BYTES);
  if (!read.ok) return { ok: false, problems: read.problems.map(locate) };
  const { root } = read.document;
  const problems: Problem[] = [];
  if (root.name !== ROOT_NAME) {
    return { ok: false, problems: [{ field: 'file', message: `the root element must be <${ROOT_NAME}>, not <${root.name}>` }] };
  }
  const version = attr(root, 'version');
  if (version !== undefined && version.trim() !== FORMAT_VERSION) {
    problems.push({ field: 'version', message: `version "${version}" is not supported; this app reads version ${FORMAT_VERSION}` });
  }
  if (hasLooseText(root)) problems.push({ field: 'file', message: `text directly inside <${ROOT_NAME}>; settings belong in <pair> elements` });

  const records: PairRecord[] = [];
  const pairElements = childElements(root).filter((el) => el.name === 'pair');
  pairElements.forEach((el, index) => {
    const record = readPair(el, index, problems, opts.existing);
    if (record) records.push(record);
  });
  // Ids as written, valid pairs or not: a duplicate is reported together with every other problem.
  problems.push(...duplicateIdProblems(pairElements.map((el) => attr(el, 'id')?.trim())));
  // A request undici would refuse is found now, not at 3 a.m. when the failover needs it.
  if (problems.length === 0) for (const r of records) problems.push(...pairSendProblems(r.settings));
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, config: { pairs: records }, document: read.document };
}

function locate(p: XmlProblem): Problem {
  const [, pairEl, ...rest] = p.path;
  if (!pairEl || pairEl.name !== 'pair') return { field: 'file', message: p.message };
  const id = attr(pairEl, 'id');
  const field = rest.map((el) => FIELD_OF[el.name] ?? el.name).join('.') || 'pair';
  return id ? { pair: id, field, message: p.message } : { field, message: p.message };
}

/** One <pair>: settings validated, state checked; problems appended. */
function readPair(
  el: XmlElement,
  index: number,
  problems: Problem[],
  existingOf?: (id: string) => PairSettings | undefined,
): PairRecord | undefined {
  const rawId = attr(el, 'id');
  const label = rawId && rawId.trim() !== '' ? rawId.trim().slice(0, 100) : `#${index + 1}`;
  const add = (field: string, message: string) => problems.push({ pair: label, field, message });
  const before = problems.length;

  if (hasLooseText(el)) add('pair', 'text directly inside <pair>; each setting needs its own element, like <interval>10</interval>');
  const known = knownChildren(el, PAIR_ELEMENTS, ['validation', 'action', 'failback-action', 'action-progress'], add);

  const input: Record<string, unknown> = { id: rawId?.trim() };
  const text = (name: string) => optionalText(known.get(name));
  input['name'] = text('name');
  input['primaryUrl'] = text('primary-url');
  input['standbyUrl'] = text('standby-url');
  input['interval'] = numberOrText(text('interval'));
  input['toleratedFailures'] = numberOrText(text('tolerated-failures'));
  input['timeout'] = numberOrText(text('timeout'));
  input['acceptStatus'] = text('accept-status');
  const validation = known.get('validation');
  if (validation) {
    input['validation'] = {
      quorum: numberOrText(optionalAttr(validation, 'quorum')),
      urls: childElements(validation)
        .filter((c) => c.name === 'url')
        .map((c) => textOf(c).trim()),
    };
  }
  const action = known.get('action');
  if (action) input['action'] = readActionInput(action);
  const failback = known.get('failback-action');
  if (failback) input['failbackAction'] = readActionInput(failback);

  // A secret written as the mask (an edited export) keeps the stored pair's secret.
  const existing = existingOf && typeof input['id'] === 'string' ? existingOf(input['id']) : undefined;
  const result = validatePairSettings(input, existing ? { existing } : {});
  if (!result.ok) problems.push(...result.problems.map((p) => ({ ...p, pair: p.pair ?? label })));
  const persisted = readPersisted(known.get('state'), known.get('action-progress'), add);
  if (!result.ok || problems.length > before) return undefined;
  return persisted ? { settings: result.settings, persisted } : { settings: result.settings };
}

/** The first element of each known name; a second one is a problem (it would be lost on rewrite). */
function knownChildren(
  el: XmlElement,
  names: readonly string[],
  structured: readonly string[],
  add: (field: string, message: string) => void,
): Map<string, XmlElement> {
  const found = new Map<string, XmlElement>();
  for (const child of childElements(el)) {
    if (!names.includes(child.name)) continue;
    const field = FIELD_OF[child.name] ?? child.name;
    if (found.has(child.name)) add(field, `<${child.name}> appears more than once in this <${el.name}>`);
    else found.set(child.name, child);
    if (!structured.includes(child.name) && childElements(child).length > 0) add(field, `<${child.name}> must contain text only, not elements`);
  }
  return found;
}

function readActionInput(el: XmlElement): Record<string, unknown> {
  const children = childElements(el);
  const first = (name: string) => children.find((c) => c.name === name);
  const input: Record<string, unknown> = {
    method: optionalAttr(el, 'method'),
    encoding: optionalAttr(el, 'encoding'),
    auth: optionalAttr(el, 'auth'),
    retries: numberOrText(optionalAttr(el, 'retries')),
    timeout: numberOrText(optionalAttr(el, 'timeout')),
    idempotent: booleanOrText(optionalAttr(el, 'idempotent')),
    url: optionalText(first('url')),
    headers: children
      .filter((c) => c.name === 'header')
      .map((h) => ({ name: attr(h, 'name'), value: textOf(h), ...secretAttr(h) })),
  };
  // User, password and body are taken exactly as written: whitespace in them may matter.
  for (const name of ['user', 'pass', 'body']) {
    const child = first(name);
    if (child) input[name] = textOf(child);
  }
  const body = first('body');
  if (body) {
    const marked = secretAttr(body);
    if ('secret' in marked) input['bodySecret'] = marked.secret;
  }
  return input;
}

/** `secret="true"` on a <header> or <body>; any other value is left for validation to name. */
function secretAttr(el: XmlElement): { secret?: unknown } {
  const v = optionalAttr(el, 'secret');
  return v === undefined ? {} : { secret: v };
}

function readPersisted(
  stateEl: XmlElement | undefined,
  progressEl: XmlElement | undefined,
  add: (field: string, message: string) => void,
): PersistedState | undefined {
  if (!stateEl) {
    if (progressEl) add('state', '<action-progress> needs a <state> element next to it');
    return undefined;
  }
  const value = textOf(stateEl).trim();
  const since = attr(stateEl, 'since')?.trim();
  const reason = attr(stateEl, 'reason');
  const answered = attr(stateEl, 'primary-answered')?.trim();
  let ok = true;
  if (answered !== undefined && answered !== 'true' && answered !== 'false') {
    add('state.primary-answered', `"${answered.slice(0, 40)}" is not true or false`);
    ok = false;
  }
  if (!(PAIR_STATES as readonly string[]).includes(value)) {
    add('state', `"${value.slice(0, 40)}" is not a state; one of ${PAIR_STATES.join(', ')}`);
    ok = false;
  }
  if (since === undefined || since === '') {
    add('state.since', 'is required: the time the pair entered the state (ISO 8601, e.g. 2026-11-27T08:00:00Z)');
    ok = false;
  } else if (!isIsoTime(since)) {
    add('state.since', `"${since.slice(0, 40)}" is not an ISO 8601 time like 2026-11-27T08:00:00Z`);
    ok = false;
  }
  const action = progressEl ? readProgress(progressEl, add) : undefined;
  if (!ok || (progressEl && !action)) return undefined;
  const persisted: PersistedState = { state: value as PairState, since: since! };
  if (reason !== undefined) persisted.reason = reason;
  if (answered !== undefined) persisted.primaryAnswered = answered === 'true';
  if (action) persisted.action = action;
  return persisted;
}

function readProgress(el: XmlElement, add: (field: string, message: string) => void): ActionStatus | undefined {
  let ok = true;
  const fail = (field: string, message: string) => {
    add(`actionProgress.${field}`, message);
    ok = false;
  };
  const kind = attr(el, 'kind');
  if (kind !== 'failover' && kind !== 'failback') fail('kind', 'must be failover or failback');
  const phase = attr(el, 'phase');
  if (phase !== 'pending' && phase !== 'running' && phase !== 'succeeded' && phase !== 'failed' && phase !== 'unknown') {
    fail('phase', 'must be pending, running, succeeded, failed or unknown');
  }
  const actionId = attr(el, 'action-id');
  if (actionId !== undefined && !/^[A-Za-z0-9._-]{1,100}$/.test(actionId)) fail('actionId', 'must be letters, digits, ".", "_" and "-" (at most 100)');
  const from = attr(el, 'from');
  if (from !== undefined && !(PAIR_STATES as readonly string[]).includes(from)) fail('from', `must be one of ${PAIR_STATES.join(', ')}`);
  const inFlightText = attr(el, 'in-flight-attempt');
  const inFlightAttempt = inFlightText === undefined ? undefined : Number(inFlightText);
  if (inFlightAttempt !== undefined && (!Number.isInteger(inFlightAttempt) || inFlightAttempt < 1)) fail('inFlight.attempt', 'must be a whole number from 1');
  const inFlightAt = readTime(attr(el, 'in-flight-at'), 'inFlight.at', inFlightAttempt !== undefined, fail);
  const manual = readBoolean(attr(el, 'manual'), 'manual', fail);
  const startedAt = readTime(attr(el, 'started-at'), 'startedAt', true, fail);
  const finishedAt = readTime(attr(el, 'finished-at'), 'finishedAt', false, fail);
  const children = childElements(el);
  const reasonEl = children.find((c) => c.name === 'reason');
  const attempts = children
    .filter((c) => c.name === 'attempt')
    .map((c, i) => readAttempt(c, (field, message) => fail(`attempts[${i}].${field}`, message)));
  const requestEl = children.find((c) => c.name === 'request');
  const request = requestEl ? readRequest(requestEl, (field, message) => fail(`request.${field}`, message)) : undefined;
  if (!ok) return undefined;
  const status: ActionStatus = {
    kind: kind as ActionStatus['kind'],
    phase: phase as ActionStatus['phase'],
    manual: manual!,
    reason: reasonEl ? textOf(reasonEl) : '',
    startedAt: startedAt!,
    attempts: attempts as ActionAttempt[],
  };
  if (finishedAt !== undefined) status.finishedAt = finishedAt;
  if (request) status.request = request;
  if (actionId !== undefined) status.actionId = actionId;
  if (from !== undefined) status.from = from as PairState;
  if (inFlightAttempt !== undefined && inFlightAt !== undefined) status.inFlight = { attempt: inFlightAttempt, at: inFlightAt };
  return status;
}

function readAttempt(el: XmlElement, fail: (field: string, message: string) => void): ActionAttempt | undefined {
  const n = Number(attr(el, 'n'));
  const at = readTime(attr(el, 'at'), 'at', true, fail);
  const ok = readBoolean(attr(el, 'ok'), 'ok', fail);
  const latencyMs = Number(attr(el, 'latency-ms'));
  const statusText = attr(el, 'status');
  const status = statusText === undefined ? undefined : Number(statusText);
  const error = attr(el, 'error');
  if (!Number.isInteger(n) || n < 1) fail('attempt', 'must be a whole number from 1 (attribute n)');
  if (!Number.isFinite(latencyMs) || latencyMs < 0 || attr(el, 'latency-ms')?.trim() === '') fail('latencyMs', 'must be a number of milliseconds');
  if (status !== undefined && (!Number.isInteger(status) || status < 0 || status > 999)) fail('status', 'must be an HTTP status');
  if (at === undefined || ok === undefined) return undefined;
  const attempt: ActionAttempt = { attempt: n, at, ok, latencyMs };
  if (status !== undefined) attempt.status = status;
  if (error !== undefined) attempt.error = error;
  return attempt;
}

function readRequest(el: XmlElement, fail: (field: string, message: string) => void): MaskedRequest | undefined {
  const method = attr(el, 'method');
  const url = attr(el, 'url');
  if (method === undefined || !['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) fail('method', 'must be GET, POST, PUT, PATCH or DELETE');
  if (url === undefined) fail('url', 'is required');
  const children = childElements(el);
  const request: MaskedRequest = {
    method: method as MaskedRequest['method'],
    url: url ?? '',
    headers: children.filter((c) => c.name === 'header').map((h) => ({ name: attr(h, 'name') ?? '', value: textOf(h) })),
  };
  const body = children.find((c) => c.name === 'body');
  if (body) request.body = textOf(body);
  return request;
}

function readBoolean(v: string | undefined, field: string, fail: (field: string, message: string) => void): boolean | undefined {
  if (v === 'true') return true;
  if (v === 'false') return false;
  fail(field, 'must be true or false');
  return undefined;
}

function readTime(v: string | undefined, field: string, required: boolean, fail: (field: string, message: string) => void): string | undefined {
  if (v === undefined) {
    if (required) fail(field, 'is required (ISO 8601 time)');
    return undefined;
  }
  if (!isIsoTime(v)) fail(field, `"${v.slice(0, 40)}" is not an ISO 8601 time like 2026-11-27T08:00:00Z`);
  return v;
}

export function isIsoTime(v: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(v) && Number.isFinite(Date.parse(v));
}

function hasLooseText(el: XmlElement): boolean {
  return el.children.some((c) => (c.type === 'text' && c.text.trim() !== '') || c.type === 'cdata');
}

/** An element left empty counts as left out. */
function optionalText(el: XmlElement | undefined): string | undefined {
  if (!el) return undefined;
  const text = textOf(el).trim();
  return text === '' ? undefined : text;
}

function optionalAttr(el: XmlElement, name: string): string | undefined {
  const v = attr(el, name)?.trim();
  return v === '' ? undefined : v;
}

/** "10" and "0.5" become numbers; anything else stays text so that validation can say what is wrong. */
function booleanOrText(v: string | undefined): boolean | string | undefined {
  if (v === undefined) return undefined;
  const t = v.trim().toLowerCase();
  return t === 'true' ? true : t === 'false' ? false : v;
}

function numberOrText(v: string | undefined): number | string | undefined {
  if (v === undefined) return undefined;
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v) ? Number(v) : v;
}

// =============================================================================================
// Writing

/** The XML for this configuration, keeping from `base` whatever the app does not know. */
export function serializeConfigXml(config: FailoverConfig, opts: { base?: XmlDocument; masked?: boolean } = {}): string {
  return writeXml(buildConfigDocument(config, opts));
}

export function buildConfigDocument(config: FailoverConfig, opts: { base?: XmlDocument; masked?: boolean } = {}): XmlDocument {
  const base = opts.base?.root.name === ROOT_NAME ? opts.base : undefined;
  const baseRoot = base?.root ?? element(ROOT_NAME);
  const basePairs = new Map<string, XmlElement>();
  for (const el of childElements(baseRoot)) {
    const id = attr(el, 'id')?.trim();
    if (el.name === 'pair' && id !== undefined && !basePairs.has(id)) basePairs.set(id, el);
  }
  const fresh = config.pairs.map((record) => {
    if (!opts.masked) return pairElement(record, basePairs.get(record.settings.id));
    return pairElement({ settings: maskSettings(record.settings), ...maskedPersisted(record) }, basePairs.get(record.settings.id));
  });
  const byId = new Map(fresh.map((el) => [attr(el, 'id')!, el]));
  const placed = new Set<string>();
  const children: XmlNode[] = [];
  for (const child of baseRoot.children) {
    if (child.type === 'text') continue;
    if (child.type !== 'element' || child.name !== 'pair') {
      children.push(child);
      continue;
    }
    const id = attr(child, 'id')?.trim();
    const replacement = id === undefined || placed.has(id) ? undefined : byId.get(id);
    if (replacement) {
      children.push(replacement);
      placed.add(id!);
    }
  }
  const lastPair = children.map((c) => c.type === 'element' && c.name === 'pair').lastIndexOf(true);
  const added = fresh.filter((el) => !placed.has(attr(el, 'id')!));
  children.splice(lastPair >= 0 ? lastPair + 1 : children.length, 0, ...added);
  const root: XmlElement = { ...baseRoot, attrs: mergeAttrs(baseRoot.attrs, [['version', FORMAT_VERSION]], ['version']), children };
  return { before: base?.before ?? [], root, after: base?.after ?? [] };
}

/** The persisted state with its recorded action request masked again (a masked export). */
function maskedPersisted(record: PairRecord): { persisted?: PersistedState } {
  const p = record.persisted;
  if (!p) return {};
  if (!p.action?.request) return { persisted: p };
  return { persisted: { ...p, action: { ...p.action, request: maskRecordedRequest(p.action.request) } } };
}

function pairElement(record: PairRecord, base: XmlElement | undefined): XmlElement {
  const s = record.settings;
  const baseChild = (name: string) => base && childElements(base).find((c) => c.name === name);
  const known: XmlElement[] = [
    textElement('name', s.name),
    textElement('primary-url', s.primaryUrl),
    ...(s.standbyUrl !== undefined ? [textElement('standby-url', s.standbyUrl)] : []),
    textElement('interval', String(s.interval)),
    textElement('tolerated-failures', String(s.toleratedFailures)),
    ...(s.timeout !== undefined ? [textElement('timeout', String(s.timeout))] : []),
    textElement('accept-status', s.acceptStatus),
  ];
  // Always written: quorum="0" without URLs is an explicit choice that must survive a rewrite.
  known.push(validationElement(s, baseChild('validation')));
  known.push(actionElement('action', s.action, baseChild('action')));
  if (s.failbackAction) known.push(actionElement('failback-action', s.failbackAction, baseChild('failback-action')));
  if (record.persisted) {
    const p = record.persisted;
    known.push(textElement('state', p.state, [['since', p.since], ['reason', p.reason], ['primary-answered', p.primaryAnswered ? 'true' : undefined]]));
    if (p.action) known.push(progressElement(p.action, baseChild('action-progress')));
  }
  return merge(base, 'pair', [['id', s.id]], ['id'], known, PAIR_ELEMENTS);
}

function validationElement(s: PairSettings, base: XmlElement | undefined): XmlElement {
  const urls = s.validation.urls.map((u) => textElement('url', u));
  return merge(base, 'validation', [['quorum', String(s.validation.quorum)]], ['quorum'], urls, ['url']);
}

function actionElement(name: string, a: ActionSettings, base: XmlElement | undefined): XmlElement {
  const attrs: [string, string][] = [
    ['method', a.method],
    ['encoding', a.encoding],
    ['auth', a.auth],
    ['retries', String(a.retries)],
    ['timeout', String(a.timeout)],
  ];
  // Absent means the method's default; written only when set.
  if (a.idempotent !== undefined) attrs.push(['idempotent', String(a.idempotent)]);
  const children = [
    textElement('url', a.url),
    ...(a.user !== undefined ? [textElement('user', a.user)] : []),
    ...(a.pass !== undefined ? [textElement('pass', a.pass)] : []),
    ...a.headers.map((h) => textElement('header', h.value, [['name', h.name], ['secret', h.secret ? 'true' : undefined]])),
    ...(a.body !== undefined ? [textElement('body', a.body, [['secret', a.bodySecret ? 'true' : undefined]])] : []),
  ];
  return merge(base, name, attrs, ACTION_ATTRS, children, ACTION_ELEMENTS);
}

/** <action-progress>: the failover/failback action of the current episode, for exactly-once across restarts. */
function progressElement(a: ActionStatus, base: XmlElement | undefined): XmlElement {
  const attrs: [string, string | undefined][] = [
    ['kind', a.kind],
    ['phase', a.phase],
    ['manual', String(a.manual)],
    ['started-at', a.startedAt],
    ['finished-at', a.finishedAt],
    ['action-id', a.actionId],
    ['from', a.from],
    ['in-flight-attempt', a.inFlight ? String(a.inFlight.attempt) : undefined],
    ['in-flight-at', a.inFlight?.at],
  ];
  const children: XmlElement[] = [textElement('reason', a.reason)];
  for (const t of a.attempts) {
    children.push(
      element('attempt', [
        ['n', String(t.attempt)],
        ['at', t.at],
        ['ok', String(t.ok)],
        ['status', t.status === undefined ? undefined : String(t.status)],
        ['latency-ms', String(t.latencyMs)],
        ['error', t.error],
      ]),
    );
  }
  if (a.request) {
    const r = a.request;
    const inner = [...r.headers.map((h) => textElement('header', h.value, [['name', h.name]])), ...(r.body !== undefined ? [textElement('body', r.body)] : [])];
    children.push(element('request', [['method', r.method], ['url', r.url]], inner));
  }
  const baseRequest = base && childElements(base).find((c) => c.name === 'request');
  const merged = merge(base, 'action-progress', attrs, PROGRESS_ATTRS, children, PROGRESS_ELEMENTS);
  if (baseRequest && a.request) {
    // Keep what another tool may have added inside <request> too.
    const i = merged.children.findIndex((c) => c.type === 'element' && c.name === 'request');
    const fresh = merged.children[i] as XmlElement;
    merged.children[i] = merge(baseRequest, 'request', fresh.attrs, ['method', 'url'], childElements(fresh), REQUEST_ELEMENTS);
  }
  return merged;
}

/**
 * The element `name` with the app's attributes and children, merged into `base` if there is one:
 * unknown attributes and children of `base` stay where they were, known ones are replaced in place
 * (a group of repeated ones, like <header>, where the first of them stood), new ones go where the
 * contract's order puts them.
 */
function merge(
  base: XmlElement | undefined,
  name: string,
  attrs: [string, string | undefined][],
  knownAttrs: readonly string[],
  children: XmlElement[],
  knownNames: readonly string[],
): XmlElement {
  const fresh = element(name, attrs, children);
  if (!base) return fresh;
  const out: XmlNode[] = [];
  const emitted = new Set<string>();
  for (const child of base.children) {
    if (child.type === 'text' && child.text.trim() === '') continue;
    if (child.type !== 'element' || !knownNames.includes(child.name)) {
      out.push(child);
      continue;
    }
    if (!emitted.has(child.name)) {
      const group = children.filter((c) => c.name === child.name);
      out.push(...(group.length === 1 ? [keepLeafAttrs(group[0]!, child)] : group));
      emitted.add(child.name);
    }
  }
  for (const known of knownNames) {
    const group = children.filter((c) => c.name === known);
    if (emitted.has(known) || group.length === 0) continue;
    out.splice(insertionPoint(out, known, knownNames), 0, ...group);
    emitted.add(known);
  }
  return { type: 'element', name, attrs: mergeAttrs(base.attrs, fresh.attrs, knownAttrs), children: out };
}

// Attributes the app writes on text elements; any other attribute there belongs to someone else.
const LEAF_ATTRS: Record<string, readonly string[]> = { state: ['since', 'reason', 'primary-answered'], header: ['name', 'secret'], body: ['secret'] };

/** A rewritten text element (<interval>, <state>, …) keeps the unknown attributes it had. */
function keepLeafAttrs(fresh: XmlElement, base: XmlElement): XmlElement {
  if (fresh.children.some((c) => c.type === 'element')) return fresh;
  const known = [...fresh.attrs.map(([n]) => n), ...(LEAF_ATTRS[fresh.name] ?? [])];
  return { ...fresh, attrs: mergeAttrs(base.attrs, fresh.attrs, known) };
}

/** After the last element that comes earlier in the contract's order; else before the first that comes later. */
function insertionPoint(out: XmlNode[], name: string, order: readonly string[]): number {
  const rank = order.indexOf(name);
  const rankOf = (n: XmlNode) => (n.type === 'element' ? order.indexOf(n.name) : -1);
  let after = -1;
  out.forEach((n, i) => {
    const r = rankOf(n);
    if (r >= 0 && r < rank) after = i;
  });
  if (after >= 0) return after + 1;
  const before = out.findIndex((n) => rankOf(n) > rank);
  return before >= 0 ? before : out.length;
}

function mergeAttrs(base: [string, string][], fresh: [string, string][], known: readonly string[]): [string, string][] {
  const value = new Map(fresh);
  const out: [string, string][] = [];
  for (const [n, v] of base) {
    if (value.has(n)) {
      out.push([n, value.get(n)!]);
      value.delete(n);
    } else if (!known.includes(n)) {
      out.push([n, v]);
    }
  }
  for (const [n, v] of fresh) if (value.has(n)) out.push([n, v]);
  return out;
}
