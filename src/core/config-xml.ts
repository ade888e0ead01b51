// pbxctrl-failover.xml <-> FailoverConfig. The file's shape is a contract with
// people and other tools: the app maps the elements it knows onto PairSettings
// and PersistedState, validates all of it, and when it writes the file back it
// rewrites only those elements, leaving unknown elements, attributes and
// comments where they were. This file is the entry points and the settings;
// the live state (<state>, <action-progress>) is config-xml-state.ts, and the
// rewriting that keeps others' elements and attributes is xml-merge.ts.

import type { FailoverConfig, PairRecord } from './ports.js';
import type { ActionSettings, PairSettings, Problem } from '../shared/model.js';
import { maskSettings } from '../shared/secrets.js';
import { duplicateIdProblems, validatePairSettings } from '../shared/validate.js';
import { FIELD_OF_ELEMENT } from '../shared/xml-names.js';
import { pairSendProblems } from './action-runner.js';
import { maskedPersisted, persistedElements, readPersisted } from './config-xml-state.js';
import { readSipInput, sipElements } from './config-xml-sip.js';
import { placeNotifyElements, readNotifyElements } from './config-xml-notify.js';
import type { NotifySettings } from '../shared/notify.js';
import { DNS_VERIFY_ELEMENT, dnsVerifyElement, readDnsVerifyInput } from './config-xml-dns.js';
import { READINESS_ELEMENT, readinessElement, readReadinessInterval } from './config-xml-readiness.js';
import {
  DEFAULT_MAX_BYTES,
  attr,
  childElements,
  element,
  readXml,
  textElement,
  textOf,
  forbiddenCharacter,
  writeXml,
  type XmlDocument,
  type XmlElement,
  type XmlNode,
  type XmlProblem,
} from './xml-tree.js';
import { merge, mergeAttrs } from './xml-merge.js';
import { CERTIFICATES_ELEMENT, certificatesElement, readCertificatesInput } from './config-xml-certificates.js';
import { placeMaintenance, readMaintenance } from './config-xml-maintenance.js';
import { placePolicy, readPolicy } from './config-xml-policy.js';

export { DEFAULT_MAX_BYTES, type XmlDocument } from './xml-tree.js';

export const ROOT_NAME = 'pbxctrl-failover';
export const FORMAT_VERSION = '1';

export type ConfigParseResult =
  { ok: true; config: FailoverConfig; document: XmlDocument } | { ok: false; problems: Problem[] };

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
  'vantage',
  'action',
  'failback-action',
  'primary-sip',
  'standby-sip',
  'certificates',
  DNS_VERIFY_ELEMENT,
  READINESS_ELEMENT,
  'state',
  'action-progress',
] as const;
const ACTION_ELEMENTS = ['url', 'user', 'pass', 'header', 'body'] as const;
const ACTION_ATTRS = ['method', 'encoding', 'auth', 'retries', 'timeout', 'idempotent'] as const;

// XML names of fields, for problems found while reading the tree (entities, characters).
const FIELD_OF = FIELD_OF_ELEMENT;

// =============================================================================================
// Reading

export function parseConfigXml(
  text: string,
  opts: {
    maxBytes?: number;
    existing?: (id: string) => PairSettings | undefined;
    existingNotify?: (id: string) => NotifySettings | undefined;
  } = {},
): ConfigParseResult {
  const read = readXml(text, opts.maxBytes ?? DEFAULT_MAX_BYTES);
  if (!read.ok) return { ok: false, problems: read.problems.map(locate) };
  const { root } = read.document;
  const problems: Problem[] = [];
  if (root.name !== ROOT_NAME) {
    return {
      ok: false,
      problems: [{ field: 'file', message: `the root element must be <${ROOT_NAME}>, not <${root.name}>` }],
    };
  }
  const version = attr(root, 'version');
  if (version !== undefined && version.trim() !== FORMAT_VERSION) {
    problems.push({
      field: 'version',
      message: `version "${version}" is not supported; this app reads version ${FORMAT_VERSION}`,
    });
  }
  if (hasLooseText(root))
    problems.push({
      field: 'file',
      message: `text directly inside <${ROOT_NAME}>; settings belong in <pair> elements`,
    });

  const policy = readPolicy(root, problems);
  const records: PairRecord[] = [];
  const pairElements = childElements(root).filter((el) => el.name === 'pair');
  pairElements.forEach((el, index) => {
    const record = readPair(el, index, problems, opts.existing);
    if (record) records.push(record);
  });
  // Ids as written, valid pairs or not: a duplicate is reported together with every other problem.
  problems.push(...duplicateIdProblems(pairElements.map((el) => attr(el, 'id')?.trim())));
  const notify = readNotifyElements(root, opts.existingNotify);
  problems.push(...notify.problems);
  const maintenance = readMaintenance(
    root,
    pairElements.map((el) => attr(el, 'id')?.trim() ?? ''),
    problems,
  );
  // A request undici would refuse is found now, not at 3 a.m. when the failover needs it.
  if (problems.length === 0) for (const r of records) problems.push(...pairSendProblems(r.settings));
  if (problems.length > 0) return { ok: false, problems };
  // A file without windows or channels reads as it always has: no `maintenance`, no `notify`.
  const config: FailoverConfig = { pairs: records };
  if (notify.channels.length > 0) config.notify = notify.channels;
  if (maintenance.length > 0) config.maintenance = maintenance;
  if (policy) config.policy = policy;
  return { ok: true, config, document: read.document };
}

/**
 * One <pair> written on its own (a fragment of the file, as writeRootChild writes it), read back
 * and checked as parseConfigXml checks each pair: the tree and the pair's settings and state. What
 * involves other pairs (duplicate ids, maintenance windows naming pairs) is the caller's to keep.
 */
export function parsePairFragment(
  fragment: string,
): { ok: true; record: PairRecord; element: XmlElement } | { ok: false; problems: Problem[] } {
  const read = readXml(`<${ROOT_NAME}>\n${fragment}\n</${ROOT_NAME}>`, Infinity);
  if (!read.ok) return { ok: false, problems: read.problems.map(locate) };
  const elements = childElements(read.document.root);
  const el = elements[0];
  if (elements.length !== 1 || el?.name !== 'pair' || hasLooseText(read.document.root)) {
    return { ok: false, problems: [{ field: 'file', message: 'a rewritten <pair> does not read back as one <pair>' }] };
  }
  const problems: Problem[] = [];
  const record = readPair(el, 0, problems);
  if (record && problems.length === 0) problems.push(...pairSendProblems(record.settings));
  if (!record || problems.length > 0) return { ok: false, problems };
  return { ok: true, record, element: el };
}

/**
 * The check of a write that changed only a pair's state (its settings written from the same
 * settings object over the pair as last written, read back before): the <state> and
 * <action-progress> the app built, checked as reading them back would (readPersisted on the
 * tree, which is what parsing the text gives: the writer escapes every value), and `text`, the
 * pair as written, holds no character XML cannot hold.
 */
export function checkPersistedOf(pair: XmlElement, text: string): Problem[] {
  const id = attr(pair, 'id') ?? '';
  const problems: Problem[] = [];
  const add = (field: string, message: string) => problems.push({ pair: id, field, message });
  const bad = forbiddenCharacter(text);
  if (bad) add('state', `character ${bad} is not allowed in XML`);
  const children = childElements(pair);
  const stateEl = children.find((c) => c.name === 'state');
  const progressEl = children.find((c) => c.name === 'action-progress');
  if (stateEl || progressEl) readPersisted(stateEl, progressEl, add);
  return problems;
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

  if (hasLooseText(el))
    add('pair', 'text directly inside <pair>; each setting needs its own element, like <interval>10</interval>');
  const known = knownChildren(
    el,
    PAIR_ELEMENTS,
    ['validation', 'action', 'failback-action', DNS_VERIFY_ELEMENT, 'action-progress', CERTIFICATES_ELEMENT],
    add,
  );

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
  const vantage = known.get('vantage');
  if (vantage) input['vantageQuorum'] = numberOrText(optionalAttr(vantage, 'quorum'));
  const action = known.get('action');
  if (action) input['action'] = readActionInput(action);
  const failback = known.get('failback-action');
  if (failback) input['failbackAction'] = readActionInput(failback);
  readSipInput(known, input);
  const certificates = known.get(CERTIFICATES_ELEMENT);
  if (certificates) input['certificates'] = readCertificatesInput(certificates);
  const dnsVerify = known.get(DNS_VERIFY_ELEMENT);
  if (dnsVerify) input['dnsVerify'] = readDnsVerifyInput(dnsVerify, add);
  const readiness = known.get(READINESS_ELEMENT);
  if (readiness) input['readinessInterval'] = readReadinessInterval(readiness);

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
    if (!structured.includes(child.name) && childElements(child).length > 0)
      add(field, `<${child.name}> must contain text only, not elements`);
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
export function serializeConfigXml(
  config: FailoverConfig,
  opts: { base?: XmlDocument; masked?: boolean } = {},
): string {
  return writeXml(buildConfigDocument(config, opts));
}

export function buildConfigDocument(
  config: FailoverConfig,
  opts: { base?: XmlDocument; masked?: boolean } = {},
): XmlDocument {
  const base = opts.base?.root.name === ROOT_NAME ? opts.base : undefined;
  const baseRoot = base?.root ?? element(ROOT_NAME);
  const basePairs = new Map<string, XmlElement>();
  for (const el of childElements(baseRoot)) {
    const id = attr(el, 'id')?.trim();
    if (el.name === 'pair' && id !== undefined && !basePairs.has(id)) basePairs.set(id, el);
  }
  const fresh = config.pairs.map((record) => {
    if (!opts.masked) return pairElement(record, basePairs.get(record.settings.id));
    return pairElement(
      { settings: maskSettings(record.settings), ...maskedPersisted(record) },
      basePairs.get(record.settings.id),
    );
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
  const root: XmlElement = {
    ...baseRoot,
    attrs: mergeAttrs(baseRoot.attrs, [['version', FORMAT_VERSION]], ['version']),
    // Without windows in the configuration, the file's <maintenance> elements stay as they are.
    children: placePolicy(
      placeNotifyElements(
        config.maintenance ? placeMaintenance(children, config.maintenance) : children,
        config.notify ?? [],
        { masked: opts.masked === true },
      ),
      config.policy,
    ),
  };
  return { before: base?.before ?? [], root, after: base?.after ?? [] };
}
/** One <pair> as the app writes it, merged into what `base` (the pair's element last read or written) held. */
export function pairElement(record: PairRecord, base: XmlElement | undefined): XmlElement {
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
  // Cluster mode: how many nodes must see the primary down; written only when set.
  if (s.vantageQuorum !== undefined)
    known.push(merge(baseChild('vantage'), 'vantage', [['quorum', String(s.vantageQuorum)]], ['quorum'], [], []));
  known.push(actionElement('action', s.action, baseChild('action')));
  if (s.failbackAction) known.push(actionElement('failback-action', s.failbackAction, baseChild('failback-action')));
  known.push(...sipElements(s));
  if (s.certificates) known.push(certificatesElement(s.certificates, baseChild(CERTIFICATES_ELEMENT)));
  if (s.dnsVerify) known.push(dnsVerifyElement(s.dnsVerify, baseChild(DNS_VERIFY_ELEMENT)));
  if (s.readinessInterval !== undefined) {
    known.push(readinessElement(s.readinessInterval, baseChild(READINESS_ELEMENT)));
  }
  if (record.persisted) known.push(...persistedElements(record.persisted, baseChild('action-progress')));
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
    ...a.headers.map((h) =>
      textElement('header', h.value, [
        ['name', h.name],
        ['secret', h.secret ? 'true' : undefined],
      ]),
    ),
    ...(a.body !== undefined ? [textElement('body', a.body, [['secret', a.bodySecret ? 'true' : undefined]])] : []),
  ];
  return merge(base, name, attrs, ACTION_ATTRS, children, ACTION_ELEMENTS);
}
