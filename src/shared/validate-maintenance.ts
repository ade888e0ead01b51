// Validation of maintenance windows, the same rules for pbxctrl-failover.xml and the API: every
// problem names the window (`maintenance[dc1-network].once.start`) and says what is wrong, and all
// problems are collected, not just the first.

import { Cron } from 'croner';
import type { Problem } from './model.js';
import type { EverySchedule, MaintenanceWindow, OnceSchedule } from './maintenance.js';
import { LIMITS } from './rules.js';
import { unstorableMessage } from './text.js';

export const MAINTENANCE_LIMITS = {
  reasonMaxLength: 500,
  /** The longest occurrence, seconds (a year: anything longer is a pause, not a window). */
  durationMax: 366 * 24 * 3600,
} as const;

export type MaintenanceValidation = { ok: true; window: MaintenanceWindow } | { ok: false; problems: Problem[] };

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

type Input = Record<string, unknown>;

function isObject(v: unknown): v is Input {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `"${v.slice(0, 60)}"`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : String(v);
}

/** The field prefix of a window's problems: `maintenance[<id>]`, or its place when it has no usable id. */
export function maintenanceField(id: unknown, index?: number): string {
  if (typeof id === 'string' && id !== '' && id.length <= 100) return `maintenance[${id}]`;
  return index === undefined ? 'maintenance' : `maintenance[#${index + 1}]`;
}

/**
 * One window as sent by the API or read from the XML. `pairIds` are the pairs that exist: a window
 * naming another pair is refused.
 */
export function validateMaintenanceWindow(
  input: unknown,
  pairIds: readonly string[],
  index?: number,
): MaintenanceValidation {
  if (!isObject(input))
    return { ok: false, problems: [{ field: maintenanceField(undefined, index), message: 'must be an object' }] };
  const prefix = maintenanceField(input['id'], index);
  const problems: Problem[] = [];
  const add = (field: string, message: string) =>
    problems.push({ field: field === '' ? prefix : `${prefix}.${field}`, message });

  const id = input['id'];
  if (typeof id !== 'string' || id === '') add('id', 'is required (lower-case letters, digits, - and _, up to 64)');
  else if (!LIMITS.idPattern.test(id))
    add('id', `${describe(id)} may only contain lower-case letters, digits, - and _ (1 to 64 of them)`);

  const reason = readReason(input['reason'], add);
  const pairs = readPairs(input['pairs'], pairIds, add);
  const hasOnce = input['once'] !== undefined && input['once'] !== null;
  const hasEvery = input['every'] !== undefined && input['every'] !== null;
  if (hasOnce === hasEvery)
    add(
      '',
      hasOnce
        ? 'has both <once> and <every>; a window is either one-off or recurring'
        : 'needs a schedule: <once start end> or <every cron duration tz>',
    );
  const once = hasOnce ? readOnce(input['once'], add) : undefined;
  const every = hasEvery ? readEvery(input['every'], add) : undefined;
  if (problems.length > 0) return { ok: false, problems };
  const window: MaintenanceWindow = { id: id as string, reason: reason!, pairs: pairs! };
  if (once) window.once = once;
  if (every) window.every = every;
  return { ok: true, window };
}

/** Every window, and ids used once only; the windows in order when all are valid. */
export function validateMaintenanceList(
  inputs: readonly unknown[],
  pairIds: readonly string[],
): { ok: true; windows: MaintenanceWindow[] } | { ok: false; problems: Problem[] } {
  const problems: Problem[] = [];
  const windows: MaintenanceWindow[] = [];
  inputs.forEach((input, i) => {
    const r = validateMaintenanceWindow(input, pairIds, i);
    if (r.ok) windows.push(r.window);
    else problems.push(...r.problems);
  });
  const seen = new Set<string>();
  for (const input of inputs) {
    const id = isObject(input) ? input['id'] : undefined;
    if (typeof id !== 'string' || id === '') continue;
    if (seen.has(id))
      problems.push({ field: `${maintenanceField(id)}.id`, message: `"${id}" is used by another window` });
    seen.add(id);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, windows };
}

function readReason(v: unknown, add: (field: string, message: string) => void): string | undefined {
  if (typeof v !== 'string')
    return void add('reason', v === undefined ? 'is required' : `must be text, got ${describe(v)}`);
  const reason = v.trim();
  if (reason === '') return void add('reason', 'must not be empty: say what the work is');
  if (reason.length > MAINTENANCE_LIMITS.reasonMaxLength)
    return void add(
      'reason',
      `must be at most ${MAINTENANCE_LIMITS.reasonMaxLength} characters (it has ${reason.length})`,
    );
  if (/[\r\n]/.test(reason)) return void add('reason', 'must be one line');
  const unstorable = unstorableMessage(reason);
  if (unstorable) return void add('reason', unstorable);
  return reason;
}

function readPairs(
  v: unknown,
  pairIds: readonly string[],
  add: (field: string, message: string) => void,
): string[] | 'all' | undefined {
  if (v === 'all') return 'all';
  if (!Array.isArray(v) || v.length === 0)
    return void add('pairs', 'must name at least one pair (or be "all", <pairs all="true"/>)');
  const out: string[] = [];
  let ok = true;
  for (const p of v) {
    if (typeof p !== 'string' || p === '') {
      add('pairs', `${describe(p)} is not a pair id`);
      ok = false;
    } else if (!pairIds.includes(p)) {
      add('pairs', `there is no pair "${p.slice(0, 100)}"`);
      ok = false;
    } else if (out.includes(p)) {
      add('pairs', `"${p}" is named twice`);
      ok = false;
    } else out.push(p);
  }
  return ok ? out : undefined;
}

function readTime(v: unknown, field: string, add: (field: string, message: string) => void): number | undefined {
  if (typeof v !== 'string' || v === '') return void add(field, 'is required (ISO 8601, e.g. 2026-12-06T22:00:00Z)');
  if (!ISO.test(v) || !Number.isFinite(Date.parse(v)))
    return void add(field, `${describe(v)} is not an ISO 8601 time with an offset, like 2026-12-06T22:00:00Z`);
  return Date.parse(v);
}

function readOnce(v: unknown, add: (field: string, message: string) => void): OnceSchedule | undefined {
  if (!isObject(v)) return void add('once', 'must be an object with start and end');
  const start = readTime(v['start'], 'once.start', add);
  const end = readTime(v['end'], 'once.end', add);
  if (start === undefined || end === undefined) return undefined;
  if (end <= start) return void add('once.end', `must be after the start (${String(v['start'])})`);
  return { start: v['start'] as string, end: v['end'] as string };
}

function readEvery(v: unknown, add: (field: string, message: string) => void): EverySchedule | undefined {
  if (!isObject(v)) return void add('every', 'must be an object with cron, duration and tz');
  let ok = true;
  const fail = (field: string, message: string) => {
    add(`every.${field}`, message);
    ok = false;
  };
  const cron = v['cron'];
  const duration = v['duration'];
  const tz = v['tz'];
  if (tz !== undefined && (typeof tz !== 'string' || !validTimeZone(tz)))
    fail('tz', `${describe(tz)} is not an IANA time zone like Europe/Berlin or UTC`);
  if (typeof cron !== 'string' || cron.trim() === '') fail('cron', 'is required, like "0 3 * * 0" (croner syntax)');
  else {
    const why = cronProblem(cron.trim(), typeof tz === 'string' && ok ? tz : undefined);
    if (why) fail('cron', `${describe(cron)} is not a valid cron expression: ${why}`);
  }
  if (typeof duration !== 'number' || !Number.isInteger(duration) || duration <= 0)
    fail('duration', `must be a positive whole number of seconds, got ${describe(duration)}`);
  else if (duration > MAINTENANCE_LIMITS.durationMax)
    fail('duration', `must be at most ${MAINTENANCE_LIMITS.durationMax} seconds (a year)`);
  if (!ok) return undefined;
  const every: EverySchedule = { cron: (cron as string).trim(), duration: duration as number };
  if (tz !== undefined) every.tz = tz as string;
  return every;
}

function validTimeZone(tz: string): boolean {
  if (tz === '' || tz.length > 100) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function cronProblem(cron: string, tz: string | undefined): string | undefined {
  try {
    const c = new Cron(cron, { timezone: tz ?? 'UTC' });
    // A pattern that never matches (30 February) has no next run.
    if (!c.nextRun()) return 'it never matches a time';
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^CronPattern: /, '');
  }
}
