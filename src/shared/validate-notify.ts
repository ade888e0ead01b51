// Validation of `<notify>` channels, the same rules for the XML file and the API: every problem
// names the channel (`notify[noc-slack].url`) and says what is wrong; all problems are collected.
// A secret sent back masked (an edited masked export) keeps the stored channel's secret, as long as
// it is exactly the mask of what is stored (same host, same path start), like an action's secrets.

import { BODY_ENCODINGS, HTTP_METHODS, SECRET_MASK, type Problem, type Severity } from './model.js';
import {
  maskHookUrl,
  NOTIFY_TYPES,
  NOTIFY_VARIABLES,
  SEVERITIES,
  type NotifyHeader,
  type NotifySettings,
  type NotifyType,
} from './notify.js';
import { LIMITS } from './rules.js';
import { maskUrl } from './secrets.js';
import { TEMPLATE_STAND_INS, renderTemplate, templateVariables } from './template.js';
import { TEMPLATE_VARIABLES } from './model.js';

export type NotifyValidation = { ok: true; settings: NotifySettings } | { ok: false; problems: Problem[] };

type Input = Record<string, unknown>;

const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const EMAIL = /^[^\s@<>(),;:"[\]]+@[^\s@<>(),;:"[\]]+$/;
const WEBHOOK_VARIABLES = new Set<string>([...TEMPLATE_VARIABLES, ...NOTIFY_VARIABLES]);
const NEEDS_URL: readonly NotifyType[] = ['slack', 'teams', 'webhook'];

function isObject(v: unknown): v is Input {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The field of a channel's setting in problems: `notify[hook].header[0].name`. */
export function notifyField(id: string | undefined, field: string): string {
  return `notify[${id ?? '?'}]${field ? `.${field}` : ''}`;
}

export function validateNotify(input: unknown, opts: { existing?: NotifySettings } = {}): NotifyValidation {
  const problems: Problem[] = [];
  if (!isObject(input)) return { ok: false, problems: [{ field: 'notify', message: 'must be a <notify> element' }] };
  const rawId = typeof input['id'] === 'string' ? input['id'].trim() : undefined;
  const add = (field: string, message: string) => problems.push({ field: notifyField(rawId, field), message });
  const existing = opts.existing && opts.existing.id === rawId ? opts.existing : undefined;

  if (rawId === undefined || rawId === '') add('id', 'is required (<notify id="…">)');
  else if (!LIMITS.idPattern.test(rawId)) add('id', `"${rawId}" must be 1-64 lower-case letters, digits, - or _`);

  const type = input['type'];
  if (typeof type !== 'string' || !(NOTIFY_TYPES as readonly string[]).includes(type))
    add('type', `must be one of ${NOTIFY_TYPES.join(', ')}, got ${describe(type)}`);
  const t = type as NotifyType;

  let minSeverity: Severity = 'info';
  const ms = input['minSeverity'];
  if (ms !== undefined) {
    if (typeof ms === 'string' && (SEVERITIES as readonly string[]).includes(ms)) minSeverity = ms as Severity;
    else add('min-severity', `must be one of ${SEVERITIES.join(', ')}, got ${describe(ms)}`);
  }

  const out: NotifySettings = { id: rawId ?? '', type: t, minSeverity, headers: [] };
  const pairs = input['pairs'];
  if (pairs !== undefined) {
    const list = Array.isArray(pairs) ? pairs : typeof pairs === 'string' ? pairs.split(/[\s,]+/) : undefined;
    if (!list || list.some((p) => typeof p !== 'string')) add('pairs', 'must be pair ids separated by spaces');
    else {
      const ids = (list as string[]).map((p) => p.trim()).filter((p) => p !== '');
      const bad = ids.filter((p) => !LIMITS.idPattern.test(p));
      if (bad.length) add('pairs', `${bad.map((b) => `"${b}"`).join(', ')} is not a pair id`);
      else if (ids.length === 0) add('pairs', 'names no pair; leave the attribute out to take every pair');
      else out.pairs = [...new Set(ids)];
    }
  }

  const secretOrStored = (field: string, v: unknown, stored: string | undefined, mask: (s: string) => string) => {
    if (typeof v !== 'string' || !v.includes(SECRET_MASK)) return v;
    if (stored !== undefined && mask(stored) === v) return stored;
    add(field, 'is masked (••••••••) but does not stand for the stored value; type it again');
    return undefined;
  };

  if (NEEDS_URL.includes(t) || input['url'] !== undefined) {
    const url = secretOrStored('url', input['url'], existing?.url, maskHookUrl);
    if (url === undefined && problems.some((p) => p.field === notifyField(rawId, 'url'))) {
      /* already reported */
    } else if (typeof url !== 'string' || url.trim() === '') add('url', `is required for type ${t}`);
    else {
      const checked = t === 'webhook' ? renderTemplate(url, TEMPLATE_STAND_INS, 'url') : url;
      const problem = httpUrlProblem(checked);
      if (problem) add('url', problem);
      else if (url.length > LIMITS.urlMaxLength) add('url', `is longer than ${LIMITS.urlMaxLength} characters`);
      else if (t === 'webhook' && !checkVariables(add, 'url', url)) {
        /* reported */
      } else out.url = url.trim();
    }
  }

  if (t === 'pagerduty') {
    const key = secretOrStored('routing-key', input['routingKey'], existing?.routingKey, () => SECRET_MASK);
    if (typeof key !== 'string' || key.trim() === '') {
      if (!problems.some((p) => p.field === notifyField(rawId, 'routing-key')))
        add('routing-key', 'is required for type pagerduty (the Events v2 integration key)');
    } else if (!/^[\x21-\x7e]{1,128}$/.test(key.trim())) add('routing-key', 'must be 1-128 visible ASCII characters');
    else out.routingKey = key.trim();
  }

  if (t === 'email') {
    const smtp = secretOrStored('smtp', input['smtp'], existing?.smtp, maskUrl);
    if (typeof smtp !== 'string' || smtp.trim() === '') {
      if (!problems.some((p) => p.field === notifyField(rawId, 'smtp')))
        add('smtp', 'is required for type email (smtp://user:pass@host:587)');
    } else {
      let u: URL | undefined;
      try {
        u = new URL(smtp.trim());
      } catch {
        add('smtp', `"${maskUrl(smtp)}" is not a URL (smtp://user:pass@host:587)`);
      }
      if (u && u.protocol !== 'smtp:' && u.protocol !== 'smtps:') add('smtp', 'must start with smtp:// or smtps://');
      else if (u && u.hostname === '') add('smtp', 'names no host');
      else if (u) out.smtp = smtp.trim();
    }
    const from = input['from'];
    if (typeof from !== 'string' || !EMAIL.test(from.trim()))
      add('from', `must be an e-mail address, got ${describe(from)}`);
    else out.from = from.trim();
    const to = input['to'];
    const list = Array.isArray(to) ? to : typeof to === 'string' ? [to] : [];
    const addresses = list
      .flatMap((x) => (typeof x === 'string' ? x.split(',') : [x]))
      .map((x) => (typeof x === 'string' ? x.trim() : x));
    if (addresses.length === 0 || addresses.every((a) => a === '')) add('to', 'needs at least one <to> address');
    else if (addresses.some((a) => typeof a !== 'string' || !EMAIL.test(a)))
      add(
        'to',
        `${addresses
          .filter((a) => typeof a !== 'string' || !EMAIL.test(a))
          .map(describe)
          .join(', ')} is not an e-mail address`,
      );
    else out.to = addresses as string[];
  }

  if (t === 'webhook') {
    const method = input['method'] ?? 'POST';
    if (typeof method !== 'string' || !(HTTP_METHODS as readonly string[]).includes(method.toUpperCase()))
      add('method', `must be one of ${HTTP_METHODS.join(', ')}, got ${describe(method)}`);
    else out.method = method.toUpperCase() as NotifySettings['method'] & string;
    const encoding = input['encoding'] ?? 'json';
    if (typeof encoding !== 'string' || !(BODY_ENCODINGS as readonly string[]).includes(encoding))
      add('encoding', `must be one of ${BODY_ENCODINGS.join(', ')}, got ${describe(encoding)}`);
    else out.encoding = encoding as NotifySettings['encoding'] & string;
    const body = input['body'];
    if (body !== undefined) {
      if (typeof body !== 'string') add('body', `must be text, got ${describe(body)}`);
      else if (body.length > LIMITS.bodyMaxLength) add('body', `is longer than ${LIMITS.bodyMaxLength} characters`);
      else if (checkVariables(add, 'body', body)) out.body = body;
    }
  }

  const headers = input['headers'];
  if (headers !== undefined && headers !== null) {
    if (!Array.isArray(headers)) add('header', 'must be a list of {name, value}');
    else if (t !== 'webhook' && headers.length > 0) add('header', `only a webhook channel takes <header>, not ${t}`);
    else if (headers.length > LIMITS.maxHeaders) add('header', `at most ${LIMITS.maxHeaders} headers`);
    else
      headers.forEach((h: unknown, i) => {
        const header = readHeader(add, `header[${i}]`, h, existing?.headers);
        if (header) out.headers.push(header);
      });
  }
  for (const name of ['routingKey', 'smtp', 'from', 'to'] as const) {
    const xml = { routingKey: 'routing-key', smtp: 'smtp', from: 'from', to: 'to' }[name];
    if (input[name] !== undefined && !(name === 'routingKey' ? t === 'pagerduty' : t === 'email'))
      add(xml, `<${xml}> does not belong to a ${t} channel`);
  }
  if (t !== 'webhook')
    for (const name of ['method', 'encoding', 'body'])
      if (input[name] !== undefined)
        add(name, `${name === 'body' ? '<body>' : name} belongs to a webhook channel only`);

  return problems.length ? { ok: false, problems } : { ok: true, settings: out };
}

/** Every channel checked, plus ids used twice. */
export function validateNotifyList(
  inputs: unknown[],
  existing?: (id: string) => NotifySettings | undefined,
): { channels: NotifySettings[]; problems: Problem[] } {
  const channels: NotifySettings[] = [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    const id = isObject(input) && typeof input['id'] === 'string' ? input['id'].trim() : undefined;
    const stored = id !== undefined ? existing?.(id) : undefined;
    const r = validateNotify(input, stored ? { existing: stored } : {});
    if (!r.ok) problems.push(...r.problems);
    else if (seen.has(r.settings.id))
      problems.push({
        field: notifyField(r.settings.id, 'id'),
        message: `"${r.settings.id}" is used by another <notify>`,
      });
    else {
      seen.add(r.settings.id);
      channels.push(r.settings);
    }
  }
  return { channels, problems };
}

function readHeader(
  add: (field: string, message: string) => void,
  field: string,
  h: unknown,
  stored: NotifyHeader[] | undefined,
): NotifyHeader | undefined {
  if (!isObject(h)) return void add(field, 'must be {name, value}');
  const name = typeof h['name'] === 'string' ? h['name'].trim() : '';
  if (!HTTP_TOKEN.test(name)) return void add(`${field}.name`, `${describe(h['name'])} is not a valid header name`);
  let value = h['value'] ?? '';
  if (value === SECRET_MASK) {
    const kept = stored?.find((s) => s.name.toLowerCase() === name.toLowerCase());
    if (!kept) return void add(`${field}.value`, 'is the mask ••••••••, but no value is stored for this header');
    value = kept.value;
  }
  if (typeof value !== 'string') return void add(`${field}.value`, 'must be text');
  // eslint-disable-next-line no-control-regex -- a header value with control characters is refused
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value) || /[^\t\u0020-\u007e\u0080-\u00ff]/.test(value))
    return void add(`${field}.value`, 'must be Latin-1 text without line breaks or control characters');
  if (value.length > LIMITS.headerValueMaxLength)
    return void add(`${field}.value`, `is too long (at most ${LIMITS.headerValueMaxLength} characters)`);
  if (!checkVariables(add, `${field}.value`, value)) return undefined;
  return { name, value };
}

function checkVariables(add: (field: string, message: string) => void, field: string, text: string): boolean {
  const unknown = templateVariables(text).filter((v) => !WEBHOOK_VARIABLES.has(v));
  if (unknown.length === 0) return true;
  add(
    field,
    `unknown variable ${unknown.map((v) => `{${v}}`).join(', ')}; known: ${[...WEBHOOK_VARIABLES].map((v) => `{${v}}`).join(' ')}`,
  );
  return false;
}

function httpUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return `"${maskHookUrl(url)}" is not a URL`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must start with http:// or https://';
  return undefined;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return `"${v.slice(0, 60)}"`;
  return JSON.stringify(v)?.slice(0, 60) ?? String(v);
}
