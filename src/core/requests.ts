// Reading what an operator's request says (reason, operator, mode, force, failback, time range),
// checked before anything changes: a wrong value is a 400 that names the field.

import {
  type ImportMode,
  type ImportOptions,
  MonitorError,
  type Reasoned,
  type RemoveRequest,
  type TimeRange,
} from '../shared/api.js';
import type { Problem } from '../shared/model.js';
import { unstorableMessage } from '../shared/text.js';
import type { Watcher } from './watcher.js';

const DAY_MS = 86_400_000;
/** The longest reason an operator may give; the HTTP routes use the same limit. */
export const MAX_REASON_LENGTH = 1000;
/** The longest operator name. */
export const MAX_OPERATOR_LENGTH = 200;

/** The reason and operator of a request, checked before anything changes (400 naming the field). */
export function readRequester(
  pair: string,
  req: Partial<Reasoned> | undefined,
  reasonRequired: boolean,
  defaultOperator: string,
): { reason: string; operator: string } {
  const reason = readReason(pair, req, reasonRequired);
  readOperator(pair, req);
  return { reason, operator: operatorOf(req, defaultOperator) };
}

/** The operator a request names, or the default one when it names none. */
export function operatorOf(by: Partial<Reasoned> | undefined, defaultOperator: string): string {
  const name = isObject(by) && typeof by.operator === 'string' ? by.operator.trim().slice(0, 200) : '';
  return name || defaultOperator;
}

/** The reason as recorded in an operator event (already checked, or empty). */
export function reasonOf(by: Partial<Reasoned> | undefined): string {
  return isObject(by) && typeof by.reason === 'string' ? by.reason.trim().slice(0, MAX_REASON_LENGTH) : '';
}

function readReason(pair: string, req: Partial<Reasoned> | undefined, required: boolean): string {
  const raw = isObject(req) ? req.reason : undefined;
  if (raw !== undefined && typeof raw !== 'string')
    throw invalid('the reason must be text', [{ pair, field: 'reason', message: 'must be text' }]);
  const reason = (raw ?? '').trim();
  if (required && reason === '') {
    throw invalid('a reason is required', [
      { pair, field: 'reason', message: 'is required: say why (it goes into the audit log)' },
    ]);
  }
  if (reason.length > MAX_REASON_LENGTH) {
    throw invalid('the reason is too long', [
      { pair, field: 'reason', message: `must be at most ${MAX_REASON_LENGTH} characters` },
    ]);
  }
  // The reason is written into pbxctrl-failover.xml with the state: it must be text the file can hold.
  const bad = unstorableMessage(reason);
  if (bad) throw invalid(`the reason ${bad}`, [{ pair, field: 'reason', message: bad }]);
  return reason;
}

function readOperator(pair: string, req: Partial<Reasoned> | undefined): void {
  const raw = isObject(req) ? req.operator : undefined;
  if (raw === undefined) return;
  const problem = (message: string): MonitorError =>
    invalid(`the operator ${message}`, [{ pair, field: 'operator', message }]);
  if (typeof raw !== 'string') throw problem('must be text (a name)');
  const name = raw.trim();
  if (name.length > MAX_OPERATOR_LENGTH) throw problem(`must be at most ${MAX_OPERATOR_LENGTH} characters`);
  const bad = unstorableMessage(name);
  if (bad) throw problem(bad);
  if (/[\t\r\n]/.test(name)) throw problem('must be one line (a name, no tabs or line breaks)');
}

export function importMode(opts: ImportOptions): ImportMode {
  const mode = isObject(opts) ? opts.mode : undefined;
  if (mode === undefined || mode === 'replace' || mode === 'merge') return mode ?? 'replace';
  throw invalid('the import mode must be merge or replace', [
    {
      field: 'mode',
      message: `is "${String(mode)}"; use merge (add and update only) or replace (also remove the pairs the file lacks)`,
    },
  ]);
}

/** Whether a re-arm asks for the failback action; anything but true or false is a 400. */
export function readFailback(pair: string, req: unknown): boolean {
  if (isObject(req) && req['failback'] !== undefined && typeof req['failback'] !== 'boolean') {
    throw invalid('failback must be true or false', [{ pair, field: 'failback', message: 'must be true or false' }]);
  }
  return isObject(req) && req['failback'] === true;
}

export function isForced(by: RemoveRequest | undefined): boolean {
  return isObject(by) && by.force === true;
}

/** Why removing this pair loses something an operator must decide about, if it does. */
export function removalRisk(watcher: Watcher): string | undefined {
  const status = watcher.status();
  const phase = status.action?.phase;
  if (phase === 'pending' || phase === 'running') return `its ${status.action?.kind ?? ''} action is in flight`;
  if (phase === 'unknown') return `the outcome of its ${status.action?.kind ?? ''} action is unknown`;
  if (status.state === 'failover') return 'it is in failover';
  return undefined;
}

export function assertRemovable(watcher: Watcher): void {
  const risk = removalRisk(watcher);
  if (risk === undefined) return;
  throw new MonitorError(
    'conflict',
    `pair "${watcher.id}" was not removed: ${risk}; remove it with force=true if that is what you mean`,
    [{ pair: watcher.id, field: 'force', message: `${risk}: removing it needs force=true` }],
  );
}

/** The time range of a history query: the last day unless told otherwise. */
export function readRange(range: TimeRange | undefined, now: number): { from: number; to: number } {
  const to = parseTime(range?.to, 'to') ?? now;
  const from = parseTime(range?.from, 'from') ?? to - DAY_MS;
  if (from > to) throw invalid('the time range is empty', [{ field: 'from', message: 'must not be later than to' }]);
  return { from, to };
}

function parseTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = /^\d+$/.test(String(value)) ? Number(value) : Date.parse(String(value));
  if (!Number.isFinite(ms)) {
    throw invalid(`${field} is not a time`, [{ field, message: 'must be an ISO 8601 time or epoch milliseconds' }]);
  }
  return ms;
}

export function invalid(message: string, problems: Problem[]): MonitorError {
  return new MonitorError('invalid', message, problems);
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
