// The live state in pbxctrl-failover.xml: reading and writing a pair's <state> and
// <action-progress> (the failover/failback action of the current episode, kept for exactly-once
// across restarts). The settings around them are config-xml.ts.

import type { PairRecord, PersistedState } from './ports.js';
import {
  PAIR_STATES,
  type ActionAttempt,
  type ActionStatus,
  type MaskedRequest,
  type PairState,
} from '../shared/model.js';
import { maskRecordedRequest } from '../shared/secrets.js';
import { attr, childElements, element, textElement, textOf, type XmlElement } from './xml-tree.js';
import { merge } from './xml-merge.js';

const PROGRESS_ELEMENTS = ['reason', 'attempt', 'request'] as const;
const PROGRESS_ATTRS = [
  'kind',
  'phase',
  'manual',
  'started-at',
  'finished-at',
  'action-id',
  'from',
  'in-flight-attempt',
  'in-flight-at',
] as const;
const REQUEST_ELEMENTS = ['header', 'body'] as const;

// =============================================================================================
// Reading

/** A pair's <state> and <action-progress>; problems go to `add`. */
export function readPersisted(
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
  const pausedBy = attr(stateEl, 'paused-by')?.trim();
  let ok = true;
  if (pausedBy !== undefined && pausedBy !== 'schedule' && pausedBy !== 'operator') {
    add('state.paused-by', `"${pausedBy.slice(0, 40)}" is not schedule or operator`);
    ok = false;
  }
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
  if (pausedBy === 'schedule') persisted.pausedBy = 'schedule';
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
  if (
    phase !== 'pending' &&
    phase !== 'running' &&
    phase !== 'succeeded' &&
    phase !== 'failed' &&
    phase !== 'unknown'
  ) {
    fail('phase', 'must be pending, running, succeeded, failed or unknown');
  }
  const actionId = attr(el, 'action-id');
  if (actionId !== undefined && !/^[A-Za-z0-9._-]{1,100}$/.test(actionId))
    fail('actionId', 'must be letters, digits, ".", "_" and "-" (at most 100)');
  const from = attr(el, 'from');
  if (from !== undefined && !(PAIR_STATES as readonly string[]).includes(from))
    fail('from', `must be one of ${PAIR_STATES.join(', ')}`);
  const inFlightText = attr(el, 'in-flight-attempt');
  const inFlightAttempt = inFlightText === undefined ? undefined : Number(inFlightText);
  if (inFlightAttempt !== undefined && (!Number.isInteger(inFlightAttempt) || inFlightAttempt < 1))
    fail('inFlight.attempt', 'must be a whole number from 1');
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
  if (inFlightAttempt !== undefined && inFlightAt !== undefined)
    status.inFlight = { attempt: inFlightAttempt, at: inFlightAt };
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
  if (!Number.isFinite(latencyMs) || latencyMs < 0 || attr(el, 'latency-ms')?.trim() === '')
    fail('latencyMs', 'must be a number of milliseconds');
  if (status !== undefined && (!Number.isInteger(status) || status < 0 || status > 999))
    fail('status', 'must be an HTTP status');
  if (at === undefined || ok === undefined) return undefined;
  const attempt: ActionAttempt = { attempt: n, at, ok, latencyMs };
  if (status !== undefined) attempt.status = status;
  if (error !== undefined) attempt.error = error;
  return attempt;
}

function readRequest(el: XmlElement, fail: (field: string, message: string) => void): MaskedRequest | undefined {
  const method = attr(el, 'method');
  const url = attr(el, 'url');
  if (method === undefined || !['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method))
    fail('method', 'must be GET, POST, PUT, PATCH or DELETE');
  if (url === undefined) fail('url', 'is required');
  const children = childElements(el);
  const request: MaskedRequest = {
    method: method as MaskedRequest['method'],
    url: url ?? '',
    headers: children
      .filter((c) => c.name === 'header')
      .map((h) => ({ name: attr(h, 'name') ?? '', value: textOf(h) })),
  };
  const body = children.find((c) => c.name === 'body');
  if (body) request.body = textOf(body);
  return request;
}

function readBoolean(
  v: string | undefined,
  field: string,
  fail: (field: string, message: string) => void,
): boolean | undefined {
  if (v === 'true') return true;
  if (v === 'false') return false;
  fail(field, 'must be true or false');
  return undefined;
}

function readTime(
  v: string | undefined,
  field: string,
  required: boolean,
  fail: (field: string, message: string) => void,
): string | undefined {
  if (v === undefined) {
    if (required) fail(field, 'is required (ISO 8601 time)');
    return undefined;
  }
  if (!isIsoTime(v)) fail(field, `"${v.slice(0, 40)}" is not an ISO 8601 time like 2026-11-27T08:00:00Z`);
  return v;
}

export function isIsoTime(v: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(v) && Number.isFinite(Date.parse(v))
  );
}

// =============================================================================================
// Writing

/** <state> and, during an episode, <action-progress>, merged into what `base` held there. */
export function persistedElements(p: PersistedState, baseProgress: XmlElement | undefined): XmlElement[] {
  const known = [
    textElement('state', p.state, [
      ['since', p.since],
      ['reason', p.reason],
      ['primary-answered', p.primaryAnswered ? 'true' : undefined],
      ['paused-by', p.pausedBy],
    ]),
  ];
  if (p.action) known.push(progressElement(p.action, baseProgress));
  return known;
}

/** The persisted state with its recorded action request masked again (a masked export). */
export function maskedPersisted(record: PairRecord): { persisted?: PersistedState } {
  const p = record.persisted;
  if (!p) return {};
  if (!p.action?.request) return { persisted: p };
  return { persisted: { ...p, action: { ...p.action, request: maskRecordedRequest(p.action.request) } } };
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
    const inner = [
      ...r.headers.map((h) => textElement('header', h.value, [['name', h.name]])),
      ...(r.body !== undefined ? [textElement('body', r.body)] : []),
    ];
    children.push(
      element(
        'request',
        [
          ['method', r.method],
          ['url', r.url],
        ],
        inner,
      ),
    );
  }
  const baseRequest = base && childElements(base).find((c) => c.name === 'request');
  const merged = merge(base, 'action-progress', attrs, PROGRESS_ATTRS, children, PROGRESS_ELEMENTS);
  if (baseRequest && a.request) {
    // Keep what another tool may have added inside <request> too.
    const i = merged.children.findIndex((c) => c.type === 'element' && c.name === 'request');
    const fresh = merged.children[i] as XmlElement;
    merged.children[i] = merge(
      baseRequest,
      'request',
      fresh.attrs,
      ['method', 'url'],
      childElements(fresh),
      REQUEST_ELEMENTS,
    );
  }
  return merged;
}
