import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHistoryStore, type HistoryOptions } from '../../src/core/history.js';
import { encodeMinuteRow, parseMinuteSeries, roundMs, type MinuteRow } from '../../src/core/history-format.js';
import { autoBucketMs, bucketOfQuery } from '../../src/core/history-columns.js';
import type { HistoryStore, Logger } from '../../src/core/ports.js';
import type {
  AlertEvent,
  CheckEvent,
  CheckTarget,
  MinuteAggregate,
  OperatorEvent,
  PairStatus,
  StateEvent,
} from '../../src/shared/model.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 20, 23, 58, 0); // two minutes before a UTC day ends

let serverdir: string;
let stores: HistoryStore[] = [];
let warnings: Array<{ message: string; fields?: Record<string, unknown> | undefined }>;
let now: number;

const log: Logger = {
  info() {},
  warn(message, fields) {
    warnings.push({ message, fields });
  },
  error(message, fields) {
    warnings.push({ message, fields });
  },
};

beforeEach(async () => {
  serverdir = await fs.mkdtemp(path.join(os.tmpdir(), 'pfm-history-'));
  warnings = [];
  now = T0;
});

afterEach(async () => {
  for (const store of stores) await store.close().catch(() => {});
  stores = [];
  await fs.rm(serverdir, { recursive: true, force: true });
});

function open(opts: HistoryOptions = {}): HistoryStore {
  const store = createHistoryStore(serverdir, {
    autoPrune: false,
    log,
    clock: { now: () => now, monotonic: () => performance.now() },
    ...opts,
  });
  stores.push(store);
  return store;
}

const iso = (ms: number) => new Date(ms).toISOString();

function check(
  pair: string,
  target: CheckTarget,
  at: number,
  ok: boolean,
  latencyMs: number,
  error = 'status 503',
): CheckEvent {
  return {
    type: 'check',
    pair,
    at: iso(at),
    consecutiveFailures: ok ? 0 : 1,
    result: {
      target,
      url: `http://192.0.2.1/${target}`,
      ok,
      status: ok ? 200 : 503,
      latencyMs,
      at: iso(at),
      ...(ok ? {} : { error }),
    },
  };
}

function state(pair: string, at: number, to: StateEvent['to'] = 'waiting'): StateEvent {
  return { type: 'state', pair, at: iso(at), from: 'starting', to, reason: 'test', manual: false };
}

function operator(pair: string, at: number, action: OperatorEvent['action'] = 'pause'): OperatorEvent {
  return { type: 'operator', pair, at: iso(at), action, operator: 'noc', reason: 'maintenance', outcome: 'ok' };
}

function alert(pair: string, at: number): AlertEvent {
  return { type: 'alert', pair, at: iso(at), alert: 'verifying', severity: 'warning', message: 'primary failed' };
}

const pairDir = (pair: string) => path.join(serverdir, 'history', pair);
const dayOf = (ms: number) => iso(ms).slice(0, 10);

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('history: events', () => {
  it('writes day files in UTC and queries across the day boundary, in time order', async () => {
    const store = open();
    const late = T0 + 90_000; // 23:59:30
    const early = T0 + 150_000; // 00:00:30 the next day
    store.record(state('acme', early, 'verifying'));
    store.record(state('acme', late, 'waiting'));
    await store.flush();

    expect((await fs.readdir(pairDir('acme'))).sort()).toEqual([
      `${dayOf(late)}.events.jsonl`,
      `${dayOf(early)}.events.jsonl`,
    ]);
    const both = await store.query('acme', T0, T0 + 10 * MINUTE);
    expect(both.events.map((e) => e.at)).toEqual([iso(late), iso(early)]);
    expect(both.from).toBe(iso(T0));

    const secondDay = await store.query('acme', early - 1000, early + 1000);
    expect(secondDay.events).toEqual([state('acme', early, 'verifying')]);
    expect((await store.query('acme', late + 1, early - 1)).events).toEqual([]);
    expect((await store.query('other', T0, T0 + DAY)).events).toEqual([]);
  });

  it('does not keep the status a live event carries, before or after it is written', async () => {
    const store = open();
    const status: PairStatus = {
      id: 'acme',
      name: 'ACME',
      state: 'waiting',
      since: iso(T0),
      consecutiveFailures: 0,
      toleratedFailures: 2,
      interval: 10,
      primaryAnswering: false,
      standbyDown: true,
      isolated: false,
    };
    const failed = check('acme', 'standby', T0 + 2000, false, 12);
    store.record({ ...state('acme', T0 + 1000), status });
    store.record({ ...failed, status });
    const expected = [state('acme', T0 + 1000), failed];
    expect((await store.query('acme', T0, T0 + MINUTE)).events).toEqual(expected);
    await store.flush();
    const lines = (await fs.readFile(path.join(pairDir('acme'), `${dayOf(T0)}.events.jsonl`), 'utf8'))
      .trim()
      .split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual(expected);
  });

  it('reads only the day files that overlap the range', async () => {
    const store = open();
    store.record(state('acme', T0 + 3 * DAY));
    await store.flush();
    // A file of another day that cannot be read would produce a warning if it were opened.
    await fs.mkdir(path.join(pairDir('acme'), `${dayOf(T0)}.events.jsonl`));
    const history = await store.query('acme', T0 + 3 * DAY - 1000, T0 + 3 * DAY + 1000);
    expect(history.events).toHaveLength(1);
    expect(warnings).toEqual([]);
    await store.query('acme', T0, T0 + 1000);
    expect(warnings.map((w) => w.message).join('\n')).toContain(`${dayOf(T0)}.events.jsonl`);
  });

  it('keeps failed checks and failed validation checks as events, not successful ones', async () => {
    const store = open();
    store.record(check('acme', 'primary', T0 + 1000, true, 5));
    store.record(check('acme', 'primary', T0 + 2000, false, 7));
    store.record(check('acme', 'validation', T0 + 3000, true, 9));
    store.record(check('acme', 'validation', T0 + 4000, false, 11));
    store.record(check('acme', 'standby', T0 + 5000, true, 4));
    const history = await store.query('acme', T0, T0 + MINUTE);
    expect(history.events.map((e) => [e.type, (e as CheckEvent).result.target, (e as CheckEvent).result.ok])).toEqual([
      ['check', 'primary', false],
      ['check', 'validation', false],
    ]);
  });

  it('answers unwritten events and appends them in the background', async () => {
    const store = open({ flushMs: 100 });
    store.record(alert('acme', T0 + 1000));
    expect((await store.query('acme', T0, T0 + MINUTE)).events).toEqual([alert('acme', T0 + 1000)]);
    const file = path.join(pairDir('acme'), `${dayOf(T0)}.events.jsonl`);
    await waitFor(async () => (await fs.readFile(file, 'utf8').catch(() => '')).length > 0);
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toEqual(alert('acme', T0 + 1000));
    // Still exactly once when it is both on disk and recently buffered.
    expect((await store.query('acme', T0, T0 + MINUTE)).events).toHaveLength(1);
  });

  it('keeps a long run of identical failures short; the minute aggregates keep the count', async () => {
    const store = open();
    for (let i = 0; i < 50; i++) store.record(check('acme', 'primary', T0 + i * 1000, false, 3));
    store.record(check('acme', 'primary', T0 + 50_000, false, 3, 'connection refused'));
    const history = await store.query('acme', T0, T0 + MINUTE - 1);
    expect(history.events).toHaveLength(21);
    expect((history.events[20] as CheckEvent).result.error).toBe('connection refused');
    expect(history.minutes).toEqual([
      { minute: iso(T0), target: 'primary', checks: 51, failures: 51, p50Ms: 3, maxMs: 3 },
    ]);
  });

  it('skips a torn last line quietly and does not glue the next append onto it', async () => {
    const store = open();
    const file = path.join(pairDir('acme'), `${dayOf(T0)}.events.jsonl`);
    await fs.mkdir(pairDir('acme'), { recursive: true });
    await fs.writeFile(
      file,
      JSON.stringify(state('acme', T0 + 1000)) + '\n' + JSON.stringify(state('acme', T0 + 2000)).slice(0, 30),
    );
    expect((await store.query('acme', T0, T0 + MINUTE)).events).toEqual([state('acme', T0 + 1000)]);
    expect(warnings).toEqual([]);

    store.record(state('acme', T0 + 3000, 'failover'));
    await store.flush();
    const events = (await store.query('acme', T0, T0 + MINUTE)).events;
    expect(events).toEqual([state('acme', T0 + 1000), state('acme', T0 + 3000, 'failover')]);
  });

  it('skips a damaged line in the middle and reports it with the file', async () => {
    const store = open();
    const file = path.join(pairDir('acme'), `${dayOf(T0)}.events.jsonl`);
    await fs.mkdir(pairDir('acme'), { recursive: true });
    const lines = [
      JSON.stringify(state('acme', T0 + 1000)),
      '{"type":"state","pa\u0000garbage',
      '[1,2]',
      JSON.stringify(state('acme', T0 + 2000)),
    ];
    await fs.writeFile(file, lines.join('\n') + '\n');
    const history = await store.query('acme', T0, T0 + MINUTE);
    expect(history.events).toEqual([state('acme', T0 + 1000), state('acme', T0 + 2000)]);
    expect(warnings).toEqual([
      { message: `skipped 2 damaged line(s) in history file ${file}`, fields: { file, damaged: 2 } },
    ]);
  });

  it('queryAll returns the wanted types of every pair in time order, each event once', async () => {
    const store = open();
    store.record(operator('beta', T0 + 4000, 'failover'));
    store.record(alert('acme', T0 + 3000));
    store.record(operator('*', T0 + 2000, 'import'));
    store.record(operator('acme', T0 + 1000, 'pause'));
    store.record(state('beta', T0 + 1500));
    await store.flush();
    store.record(operator('acme', T0 + 5000, 'resume')); // still buffered

    const audit = await store.queryAll(['operator'], T0, T0 + MINUTE);
    expect(audit.map((e) => [e.pair, (e as OperatorEvent).action])).toEqual([
      ['acme', 'pause'],
      ['*', 'import'],
      ['beta', 'failover'],
      ['acme', 'resume'],
    ]);
    expect((await store.queryAll(['alert'], T0, T0 + MINUTE)).map((e) => e.pair)).toEqual(['acme']);
    const mixed = await store.queryAll(['operator', 'state'], T0, T0 + MINUTE);
    expect(mixed.map((e) => e.at)).toEqual([1000, 1500, 2000, 4000, 5000].map((d) => iso(T0 + d)));
    expect(await store.queryAll(['operator'], T0 + 1500, T0 + 4000)).toHaveLength(2);

    const perPair = await store.query('acme', T0, T0 + MINUTE);
    expect(perPair.events.map((e) => e.type)).toEqual(['operator', 'alert', 'operator']);
    expect((await store.query('*', T0, T0 + MINUTE)).events).toEqual([operator('*', T0 + 2000, 'import')]);
  });

  it('keeps events out of other directories whatever the pair id', async () => {
    const store = open();
    store.record(state('../../escape', T0 + 1000));
    await store.flush();
    expect(await fs.readdir(path.join(serverdir, 'history'))).toEqual(['%2e%2e%2f%2e%2e%2fescape']);
    expect((await store.query('../../escape', T0, T0 + MINUTE)).events).toHaveLength(1);
  });
});

describe('history: minute aggregates', () => {
  it('counts checks and failures and computes p50 and max exactly', async () => {
    const store = open();
    const latencies = [10, 30, 20, 40, 50];
    latencies.forEach((ms, i) => store.record(check('acme', 'primary', T0 + i * 1000, i !== 1 && i !== 3, ms)));
    store.record(check('acme', 'standby', T0 + 7000, true, 7.25));
    store.record(check('acme', 'standby', T0 + 8000, true, 5));
    // The next minute starts: the first one is written, the new one stays in memory.
    store.record(check('acme', 'primary', T0 + MINUTE + 500, true, 12.34));
    await store.flush();

    const expected = [
      { minute: iso(T0), target: 'primary', checks: 5, failures: 2, p50Ms: 30, maxMs: 50 },
      { minute: iso(T0), target: 'standby', checks: 2, failures: 0, p50Ms: 5, maxMs: 7.3 },
      { minute: iso(T0 + MINUTE), target: 'primary', checks: 1, failures: 0, p50Ms: 12.3, maxMs: 12.3 },
    ];
    expect((await store.query('acme', T0, T0 + 2 * MINUTE)).minutes).toEqual(expected);
    const onDisk = await fs.readFile(path.join(pairDir('acme'), `${dayOf(T0)}.minutes.jsonl`), 'utf8');
    // The standby's minute has not seen its end yet: it is answered from memory.
    expect(
      onDisk
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([[T0 / MINUTE, 'primary', 5, 2, 30, 50]]);

    await store.close();
    const reopened = open();
    expect((await reopened.query('acme', T0, T0 + 2 * MINUTE)).minutes).toEqual(expected);
    expect((await reopened.query('acme', T0 + MINUTE, T0 + 2 * MINUTE)).minutes).toEqual([expected[2]]);
  });

  it('writes a minute once it is over, even when no further check comes', async () => {
    const store = open({ flushMs: 50 });
    store.record(check('acme', 'primary', T0 + 1000, true, 4));
    now = T0 + MINUTE + 5000;
    const file = path.join(pairDir('acme'), `${dayOf(T0)}.minutes.jsonl`);
    await waitFor(async () => (await fs.readFile(file, 'utf8').catch(() => '')).length > 0);
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toEqual([T0 / MINUTE, 'primary', 1, 0, 4, 4]);
    expect((await store.query('acme', T0, T0 + MINUTE)).minutes).toHaveLength(1);
  });

  // First run: p50 of [10, 30] is 10 over 2 checks; second run: 20 over 1 check; weighted: 13.3.
  it('adds up a minute written twice (a restart in the middle of the minute)', async () => {
    const first = open();
    first.record(check('acme', 'primary', T0 + 1000, true, 10));
    first.record(check('acme', 'primary', T0 + 2000, false, 30));
    await first.close();
    const second = open();
    second.record(check('acme', 'primary', T0 + 40_000, true, 20));
    await second.close();
    const third = open();
    expect((await third.query('acme', T0, T0 + MINUTE)).minutes).toEqual([
      { minute: iso(T0), target: 'primary', checks: 3, failures: 1, p50Ms: 13.3, maxMs: 30 },
    ]);
  });

  it('spans days: minutes of the range only, in order, across the day boundary', async () => {
    const store = open();
    for (let m = 0; m < 4; m++) {
      store.record(check('acme', 'primary', T0 + m * MINUTE + 1000, true, m + 1));
      store.record(check('acme', 'standby', T0 + m * MINUTE + 2000, m !== 2, 10 + m));
    }
    await store.close();
    const reader = open();
    const day1 = (await fs.readdir(pairDir('acme'))).filter((f) => f.endsWith('.minutes.jsonl'));
    expect(day1.sort()).toEqual([`${dayOf(T0)}.minutes.jsonl`, `${dayOf(T0 + 2 * MINUTE)}.minutes.jsonl`]);
    const minutes = (await reader.query('acme', T0 + MINUTE, T0 + 3 * MINUTE - 1)).minutes;
    expect(minutes.map((m) => [m.minute, m.target, m.failures])).toEqual([
      [iso(T0 + MINUTE), 'primary', 0],
      [iso(T0 + MINUTE), 'standby', 0],
      [iso(T0 + 2 * MINUTE), 'primary', 0],
      [iso(T0 + 2 * MINUTE), 'standby', 1],
    ]);
  });

  it('skips damaged minute lines and a torn last minute line', async () => {
    const store = open();
    const file = path.join(pairDir('acme'), `${dayOf(T0)}.minutes.jsonl`);
    await fs.mkdir(pairDir('acme'), { recursive: true });
    const m = T0 / MINUTE;
    await fs.writeFile(
      file,
      `[${m},"primary",60,0,5.5,9]\n[${m + 1},"prim\n[${m + 1},"primary",60,2,1e1,20.25]\n[${m + 2},"primary",6`,
    );
    expect((await store.query('acme', T0, T0 + 5 * MINUTE)).minutes).toEqual([
      { minute: iso(T0), target: 'primary', checks: 60, failures: 0, p50Ms: 5.5, maxMs: 9 },
      { minute: iso(T0 + MINUTE), target: 'primary', checks: 60, failures: 2, p50Ms: 10, maxMs: 20.25 },
    ]);
    expect(warnings.map((w) => w.message)).toEqual([`skipped 1 damaged line(s) in history file ${file}`]);
  });
});

describe('history: minute file parser', () => {
  const M0 = T0 / MINUTE;
  const noDamage = (file: string, damaged: number) => {
    throw new Error(`unexpected damage report: ${damaged} in ${file}`);
  };
  const aggregate = ([minute, target, checks, failures, p50Ms, maxMs]: MinuteRow): MinuteAggregate => ({
    minute: iso(minute * MINUTE),
    target,
    checks,
    failures,
    p50Ms,
    maxMs,
  });
  /** What the parser must give: rows in order of minute then target, a minute written twice combined. */
  function expected(rows: MinuteRow[]): MinuteAggregate[] {
    const byKey = new Map<number, MinuteRow>();
    for (const row of rows) {
      const key = row[0] * 2 + (row[1] === 'primary' ? 0 : 1);
      const prev = byKey.get(key);
      if (!prev) byKey.set(key, [...row]);
      else {
        const checks = prev[2] + row[2];
        const p50 = checks > 0 ? roundMs((prev[4] * prev[2] + row[4] * row[2]) / checks) : 0;
        byKey.set(key, [row[0], row[1], checks, prev[3] + row[3], p50, Math.max(prev[5], row[5])]);
      }
    }
    return [...byKey].sort((a, b) => a[0] - b[0]).map(([, row]) => aggregate(row));
  }
  const rowArb = (minutes: fc.Arbitrary<number>) =>
    fc.tuple(
      minutes,
      fc.constantFrom<MinuteRow[1]>('primary', 'standby'),
      fc.integer({ min: 0, max: 100_000 }),
      fc.integer({ min: 0, max: 100_000 }),
      // Tenths as roundMs writes them, past the range whose boxes are shared (10,000 ms).
      fc.integer({ min: 0, max: 300_000 }).map((t) => t / 10),
      fc.integer({ min: 0, max: 300_000 }).map((t) => t / 10),
    ) as fc.Arbitrary<MinuteRow>;

  it('reads every value exactly as written, in order', () => {
    fc.assert(
      fc.property(fc.array(rowArb(fc.integer({ min: M0, max: M0 + 1439 })), { maxLength: 200 }), (rows) => {
        const text = rows.map(encodeMinuteRow).join('');
        const { keys, aggregates } = parseMinuteSeries(text, 'f', noDamage);
        expect(aggregates).toEqual(expected(rows));
        expect(keys).toEqual([...keys].sort((a, b) => a - b));
      }),
      { numRuns: 300 },
    );
  });

  it('combines minutes written twice and out of order, within a day and across distant days', () => {
    const days = fc
      .integer({ min: 0, max: 400 })
      .chain((day) => fc.integer({ min: M0 + day * 1440, max: M0 + day * 1440 + 3 }));
    fc.assert(
      fc.property(fc.array(rowArb(fc.oneof(fc.integer({ min: M0, max: M0 + 5 }), days)), { maxLength: 60 }), (rows) => {
        const text = rows.map(encodeMinuteRow).join('');
        expect(parseMinuteSeries(text, 'f', noDamage).aggregates).toEqual(expected(rows));
      }),
      { numRuns: 300 },
    );
  });

  it('takes a complete last line without its newline, drops a torn one quietly, counts damaged ones', () => {
    const rows: MinuteRow[] = [
      [M0, 'primary', 60, 0, 5.5, 9],
      [M0 + 1, 'standby', 59, 1, 0.1, 1000],
      [M0 + 2, 'primary', 1, 1, 12345.6, 12345.6],
    ];
    const [a, b, c] = rows.map(encodeMinuteRow) as [string, string, string];
    const reports: Array<[string, number]> = [];
    const report = (file: string, damaged: number) => void reports.push([file, damaged]);
    expect(parseMinuteSeries(a + b + c.trimEnd(), 'f', report).aggregates).toEqual(rows.map(aggregate));
    expect(parseMinuteSeries(a + b + c.slice(0, 12), 'f', report).aggregates).toEqual(rows.slice(0, 2).map(aggregate));
    expect(reports).toEqual([]);
    const damaged = [
      a,
      c.slice(0, 12) + '\n', // torn line in the middle: the next append starts on a new line
      `[${M0 + 3},"primary",1,1,-1,2]\n`, // negative latency
      `[${M0 + 3},"backup",1,1,1,2]\n`, // unknown target
      `[${M0 + 3},"primary",1,1,1]\n`, // a field short
      `[${M0 + 3},"primary",1,1,1,2,3]\n`, // a field too many
      `[${M0 + 3}.5,"primary",1,1,1,2]\n`, // minute not whole
      `[${M0 + 3},"primary",1,1,1,2]]\n`, // trailing bracket
      '\u0000\u0000\u0000\n', // zeros after a crash
      `[${M0 + 3},"primary",1,1,1.\u00e9,2]\n`, // a non-ASCII byte
      b,
      `[${M0 + 4},"primary",2,0,1.25,3e1]\n`, // valid JSON in another spelling: read through JSON.parse
      '\n',
    ].join('');
    expect(parseMinuteSeries(damaged, 'f', report).aggregates).toEqual([
      aggregate(rows[0]!),
      aggregate(rows[1]!),
      aggregate([M0 + 4, 'primary', 2, 0, 1.25, 30]),
    ]);
    expect(reports).toEqual([['f', 9]]);
  });

  it('reads a minute file with a non-ASCII byte: that line is skipped and reported, the others kept', async () => {
    const store = open();
    const file = path.join(pairDir('acme'), `${dayOf(T0)}.minutes.jsonl`);
    await fs.mkdir(pairDir('acme'), { recursive: true });
    const m = T0 / MINUTE;
    await fs.writeFile(
      file,
      `[${m},"primary",60,0,5.5,9]\n[${m + 1},"primäry",60,0,5.5,9]\n[${m + 1},"standby",3,0,0.7,0.9]\n`,
    );
    expect((await store.query('acme', T0, T0 + 5 * MINUTE)).minutes).toEqual([
      { minute: iso(T0), target: 'primary', checks: 60, failures: 0, p50Ms: 5.5, maxMs: 9 },
      { minute: iso(T0 + MINUTE), target: 'standby', checks: 3, failures: 0, p50Ms: 0.7, maxMs: 0.9 },
    ]);
    expect(warnings.map((w) => w.message)).toEqual([`skipped 1 damaged line(s) in history file ${file}`]);
  });
});

describe('history: retention', () => {
  it('prune deletes whole day files older than the retention and nothing else', async () => {
    const store = open({ retentionDays: 3 });
    const today = Date.UTC(2026, 10, 27, 12, 0, 0);
    for (let d = 0; d <= 5; d++) {
      store.record(state('acme', today - d * DAY));
      store.record(check('acme', 'primary', today - d * DAY, true, 1));
    }
    store.record(operator('*', today - 4 * DAY, 'import'));
    await store.close();
    await fs.writeFile(path.join(pairDir('acme'), 'notes.txt'), 'kept');

    const pruner = open({ retentionDays: 3 });
    await pruner.prune(today);
    const kept = (await fs.readdir(pairDir('acme'))).sort();
    expect(kept).toEqual([
      `${dayOf(today - 2 * DAY)}.events.jsonl`,
      `${dayOf(today - 2 * DAY)}.minutes.jsonl`,
      `${dayOf(today - DAY)}.events.jsonl`,
      `${dayOf(today - DAY)}.minutes.jsonl`,
      `${dayOf(today)}.events.jsonl`,
      `${dayOf(today)}.minutes.jsonl`,
      'notes.txt',
    ]);
    // The journal held only an old day: its directory goes with it.
    await expect(fs.readdir(path.join(serverdir, 'history', '@all'))).rejects.toMatchObject({ code: 'ENOENT' });
    const history = await pruner.query('acme', today - 10 * DAY, today + DAY);
    expect(history.events).toHaveLength(3);
    expect(history.minutes.map((m) => m.minute)).toEqual([2, 1, 0].map((d) => iso(today - d * DAY)));
  });

  it('prunes by itself when started', async () => {
    const old = Date.UTC(2026, 0, 1);
    const writer = open();
    writer.record(state('acme', old));
    writer.record(state('acme', old + 199 * DAY));
    await writer.close();
    now = old + 200 * DAY;
    open({ retentionDays: 90, autoPrune: true });
    await waitFor(async () => (await fs.readdir(pairDir('acme')).catch(() => [])).length === 1);
    expect(await fs.readdir(pairDir('acme'))).toEqual([`${dayOf(old + 199 * DAY)}.events.jsonl`]);
  });

  it('deletes nothing when the clock is more than two days past the newest history file, and warns once', async () => {
    const lastRun = Date.UTC(2026, 10, 27, 12, 0, 0);
    const writer = open();
    for (let d = 0; d <= 100; d += 10) writer.record(state('acme', lastRun - d * DAY));
    await writer.close();
    const before = (await fs.readdir(pairDir('acme'))).sort();
    expect(before).toHaveLength(11);

    // The clock was set a year ahead; this run writes under it before pruning.
    now = lastRun + 365 * DAY;
    const wrongClock = open({ retentionDays: 90 });
    wrongClock.record(state('acme', now));
    await wrongClock.flush();
    await wrongClock.prune(now);
    await wrongClock.prune(now + DAY);
    const after = (await fs.readdir(pairDir('acme'))).sort();
    expect(after).toEqual([...before, `${dayOf(now)}.events.jsonl`].sort());
    const clockWarnings = warnings.filter((w) => w.message.includes('past the newest history file'));
    expect(clockWarnings).toHaveLength(1);
    expect(clockWarnings[0]!.message).toContain(`365 days past the newest history file (${dayOf(lastRun)})`);

    // Two days past is a normal weekend off: the retention applies.
    const rightClock = open({ retentionDays: 90 });
    await rightClock.prune(lastRun + 2 * DAY);
    expect((await fs.readdir(pairDir('acme'))).sort()).toEqual(
      after.filter((f) => f >= `${dayOf(lastRun - 87 * DAY)}`),
    );
  });
});

describe('history: open day files', () => {
  /** The history files this process holds open now, by path (each with its descriptor number). */
  async function openFiles(): Promise<Map<string, string[]>> {
    const root = path.join(serverdir, 'history') + path.sep;
    const held = new Map<string, string[]>();
    for (const fd of await fs.readdir('/proc/self/fd')) {
      const target = await fs.readlink(`/proc/self/fd/${fd}`).catch(() => '');
      if (!target.startsWith(root)) continue;
      const file = target.slice(root.length);
      held.set(file, [...(held.get(file) ?? []), fd]);
    }
    return held;
  }

  it.skipIf(process.platform !== 'linux')(
    'keeps a current day file open across flushes: one descriptor, the same one',
    async () => {
      const store = open();
      store.record(state('acme', T0));
      await store.flush();
      const file = `acme/${dayOf(T0)}.events.jsonl`;
      const first = (await openFiles()).get(file);
      expect(first).toHaveLength(1);
      store.record(state('acme', T0 + 1000, 'verifying'));
      await store.flush();
      store.record(state('acme', T0 + 2000, 'waiting'));
      await store.flush();
      expect((await openFiles()).get(file)).toEqual(first);
      expect((await fs.readFile(path.join(serverdir, 'history', file), 'utf8')).trim().split('\n')).toHaveLength(3);
    },
  );

  it.skipIf(process.platform !== 'linux')(
    'closes the files of a day once it is over (UTC midnight), and a late minute of it still lands there',
    async () => {
      const store = open({ flushMs: 60_000 });
      const before = T0 + 90_000; // 23:59:30
      store.record(check('acme', 'primary', before, true, 5));
      store.record(state('acme', before));
      await store.flush();
      const yesterday = dayOf(before);
      expect([...(await openFiles()).keys()]).toEqual([`acme/${yesterday}.events.jsonl`]);

      now = T0 + 150_000; // 00:00:30, the next day
      store.record(check('acme', 'primary', now, true, 7)); // ends 23:59's minute: written to yesterday's file
      store.record(state('acme', now, 'verifying'));
      await store.flush();
      const today = dayOf(now);
      expect([...(await openFiles()).keys()].sort()).toEqual([`acme/${today}.events.jsonl`]);
      const minutes = await fs.readFile(path.join(pairDir('acme'), `${yesterday}.minutes.jsonl`), 'utf8');
      expect(minutes.trim().split('\n')).toHaveLength(1);
      const both = await store.query('acme', T0, now + MINUTE);
      expect(both.events).toHaveLength(2);
      expect(both.minutes.map((m) => m.checks)).toEqual([1, 1]);
    },
  );

  it.skipIf(process.platform !== 'linux')(
    'holds at most maxOpenFiles open, the least recently used closed first, and loses no line',
    async () => {
      const store = open({ maxOpenFiles: 3 });
      const pairs = Array.from({ length: 10 }, (_, i) => `p${i}`);
      for (let round = 0; round < 3; round++) {
        for (const pair of pairs) store.record(state(pair, T0 + round * 1000));
        await store.flush();
        expect((await openFiles()).size).toBeLessThanOrEqual(3);
      }
      for (const pair of pairs) expect((await store.query(pair, T0, T0 + MINUTE)).events).toHaveLength(3);
      // The most recently written stay open.
      store.record(state('p0', T0 + 5000));
      await store.flush();
      expect((await openFiles()).has(`p0/${dayOf(T0)}.events.jsonl`)).toBe(true);
    },
  );

  it.skipIf(process.platform !== 'linux')('close() writes everything and closes every file', async () => {
    const store = open({ flushMs: 60_000 });
    store.record(state('acme', T0));
    store.record(check('acme', 'primary', T0 + 1000, true, 3));
    store.record(operator('acme', T0 + 2000));
    await store.flush();
    expect((await openFiles()).size).toBeGreaterThan(0);
    store.record(state('acme', T0 + 3000, 'verifying'));
    await store.close();
    expect((await openFiles()).size).toBe(0);
    const reader = open();
    const history = await reader.query('acme', T0, T0 + MINUTE);
    expect(history.events).toHaveLength(3);
    expect(history.minutes.map((m) => m.checks)).toEqual([1]);
    await reader.close();
  });

  it.skipIf(process.platform !== 'linux')(
    "closes a removed pair's files once its last minute is written; its history stays readable",
    async () => {
      const store = open({ flushMs: 60_000 });
      store.record(check('gone', 'primary', T0, true, 3));
      store.record(state('gone', T0 + 1000));
      store.record(state('kept', T0 + 1000));
      await store.flush();
      store.record({ type: 'config', pair: 'gone', at: iso(T0 + 2000), change: 'removed' });
      await store.flush();
      // Its minute in progress is still to be written; once it is, nothing of the pair stays open.
      now = T0 + 90_000;
      store.record(check('kept', 'primary', now, true, 3));
      // The tick that writes the finished minute (the store's own timer, run by hand here).
      await (store as unknown as { tick(): void }).tick();
      await store.flush();
      const held = [...(await openFiles()).keys()];
      expect(held.filter((f) => f.startsWith('gone/'))).toEqual([]);
      expect(held.some((f) => f.startsWith('kept/'))).toBe(true);
      const history = await store.query('gone', T0, now);
      expect(history.events.map((e) => e.type)).toEqual(['state', 'config']);
      expect(history.minutes.map((m) => m.checks)).toEqual([1]);
    },
  );

  it.skipIf(process.platform !== 'linux')(
    'a day file deleted while open is created again when it is next looked at (every ten minutes)',
    async () => {
      let monotonic = 0;
      const store = open({ clock: { now: () => now, monotonic: () => monotonic } });
      store.record(state('acme', T0));
      await store.flush();
      await fs.rm(pairDir('acme'), { recursive: true });
      monotonic += 10 * MINUTE;
      store.record(state('acme', T0 + 1000, 'verifying'));
      await store.flush();
      const lines = await fs.readFile(path.join(pairDir('acme'), `${dayOf(T0)}.events.jsonl`), 'utf8');
      expect(lines.trim().split('\n')).toHaveLength(1);
      expect([...(await openFiles()).keys()]).toEqual([`acme/${dayOf(T0)}.events.jsonl`]);
    },
  );
});

describe('history: minutes as columns', () => {
  it('reads shape and bucket from a query, naming a wrong one', () => {
    expect(bucketOfQuery(undefined, DAY)).toBeUndefined();
    expect(bucketOfQuery({ shape: 'minutes' }, DAY)).toBeUndefined();
    expect(bucketOfQuery({ shape: 'columns' }, DAY)).toBe(MINUTE);
    expect(bucketOfQuery({ shape: 'columns', bucket: 'auto' }, 7 * DAY)).toBe(5 * MINUTE);
    expect(bucketOfQuery({ shape: 'columns', bucket: '3600' }, DAY)).toBe(60 * MINUTE);
    expect([3 * DAY, 3 * DAY + 1, 14 * DAY, 30 * DAY].map(autoBucketMs)).toEqual([
      MINUTE,
      5 * MINUTE,
      5 * MINUTE,
      15 * MINUTE,
    ]);
    const problem = (q: Record<string, string>) => {
      try {
        bucketOfQuery(q as never, DAY);
      } catch (err) {
        return (err as { problems?: Array<{ field: string }> }).problems?.map((p) => p.field);
      }
      return undefined;
    };
    expect(problem({ shape: 'rows' })).toEqual(['shape']);
    expect(problem({ shape: 'columns', bucket: '120' })).toEqual(['bucket']);
    expect(problem({ shape: 'columns', bucket: '1e3' })).toEqual(['bucket']);
    expect(problem({ bucket: '60' })).toEqual(['bucket']);
  });

  /** The `minutes` shape turned into columns by hand: what `columns` with one-minute buckets must say. */
  function asColumns(minutes: MinuteAggregate[], target: CheckTarget) {
    const mine = minutes.filter((m) => m.target === target);
    return {
      t: mine.map((m) => Date.parse(m.minute)),
      checks: mine.map((m) => m.checks),
      failures: mine.map((m) => m.failures),
      p50Ms: mine.map((m) => m.p50Ms),
      maxMs: mine.map((m) => m.maxMs),
    };
  }

  it('says what the minutes say, in one-minute buckets: on disk, unwritten, in progress, written twice', async () => {
    const first = open();
    for (let m = 0; m < 5; m++) {
      first.record(check('acme', 'primary', T0 + m * MINUTE + 1000, m !== 1, 10 + m));
      first.record(check('acme', 'standby', T0 + m * MINUTE + 2000, true, 20 + m));
    }
    await first.close();
    // A restart within the last minute: that minute is written twice.
    const store = open({ flushMs: 60_000 });
    store.record(check('acme', 'primary', T0 + 4 * MINUTE + 30_000, true, 30));
    // Unwritten (buffered) and in progress (in memory).
    store.record(check('acme', 'primary', T0 + 5 * MINUTE + 1000, true, 7.25));
    store.record(check('acme', 'primary', T0 + 6 * MINUTE + 1000, false, 9));
    const from = T0 + MINUTE + 30_000;
    const to = T0 + 7 * MINUTE;
    const { minutes } = await store.query('acme', from, to);
    const history = await store.query('acme', from, to, MINUTE);
    expect(history.minutes).toEqual([]);
    expect(history.columns).toEqual({
      bucketMs: MINUTE,
      primary: asColumns(minutes, 'primary'),
      standby: asColumns(minutes, 'standby'),
    });
    expect(history.columns!.primary.t[0]).toBe(T0 + MINUTE);
    expect(history.columns!.primary.checks.at(-1)).toBe(1);
    expect(history.events).toEqual((await store.query('acme', from, to)).events);
  });

  it('adds minutes up into coarser buckets aligned to the epoch: sums, the largest maximum, a weighted median', async () => {
    const store = open();
    const start = Date.UTC(2026, 10, 20, 10, 0, 0);
    // Minutes 10:00 .. 10:09, one check each; 10:03 holds two checks.
    for (let m = 0; m < 10; m++) store.record(check('acme', 'primary', start + m * MINUTE + 1000, m !== 7, m + 1));
    store.record(check('acme', 'primary', start + 3 * MINUTE + 2000, true, 4));
    await store.close();
    const reader = open();
    const history = await reader.query('acme', start + 2 * MINUTE, start + 10 * MINUTE, 5 * MINUTE);
    // 10:00 bucket holds minutes 2..4 of the range, 10:05 minutes 5..9.
    expect(history.columns!.primary).toEqual({
      t: [start, start + 5 * MINUTE],
      checks: [4, 5],
      failures: [0, 1],
      // (3 + 4 x 2 + 5) / 4 = 4; (6 + 7 + 8 + 9 + 10) / 5 = 8
      p50Ms: [4, 8],
      maxMs: [5, 10],
    });
    expect(history.columns!.standby).toEqual({ t: [], checks: [], failures: [], p50Ms: [], maxMs: [] });
  });
});

describe('history: five-minute summaries of finished days', () => {
  const start = Date.UTC(2026, 10, 10, 0, 0, 0);
  const summaryOf = (ms: number) => path.join(pairDir('acme'), `${dayOf(ms)}.minutes-5m.json`);

  async function writeDays(days: number): Promise<void> {
    const writer = open();
    for (let d = 0; d < days; d++) {
      for (let m = 0; m < 1440; m += 7) {
        const t = start + d * DAY + m * MINUTE + 1000;
        writer.record(check('acme', 'primary', t, m % 5 !== 0, 1 + (m % 13)));
        writer.record(check('acme', 'standby', t + 1000, true, 2));
      }
    }
    await writer.close();
  }

  it('are written for finished days by a coarse query, and a fresh store answers the same from them', async () => {
    await writeDays(4);
    now = start + 4 * DAY + 12 * 3600_000;
    const from = start;
    const to = start + 4 * DAY - 1;
    const first = open();
    const fromMinutes = await first.query('acme', from, to, 15 * MINUTE);
    await waitFor(async () => (await fs.readdir(pairDir('acme'))).filter((f) => f.endsWith('-5m.json')).length === 4);
    const fresh = open();
    expect(await fresh.query('acme', from, to, 15 * MINUTE)).toEqual(fromMinutes);
    // The same figures as one-minute buckets added up.
    const minutes = (await fresh.query('acme', from, to, MINUTE)).columns!.primary;
    const coarse = fromMinutes.columns!.primary;
    expect(coarse.checks.reduce((a, b) => a + b, 0)).toBe(minutes.checks.reduce((a, b) => a + b, 0));
    expect(coarse.failures.reduce((a, b) => a + b, 0)).toBe(minutes.failures.reduce((a, b) => a + b, 0));
    expect(Math.max(...coarse.maxMs)).toBe(Math.max(...minutes.maxMs));
    expect(coarse.t.every((t) => t % (15 * MINUTE) === 0)).toBe(true);
  });

  it('are not used once the minute file changed, nor when damaged; they go with their day when pruned', async () => {
    await writeDays(2);
    now = start + 2 * DAY + 3600_000;
    const reader = open({ retentionDays: 1 });
    await reader.query('acme', start, start + DAY - 1, 5 * MINUTE);
    await waitFor(async () => (await fs.stat(summaryOf(start)).catch(() => undefined)) !== undefined);
    // A late minute of the first day (a restart that wrote its last minute late).
    await fs.appendFile(
      path.join(pairDir('acme'), `${dayOf(start)}.minutes.jsonl`),
      encodeMinuteRow([start / MINUTE + 3, 'primary', 100, 7, 1, 1]),
    );
    const fresh = open();
    const after = (await fresh.query('acme', start, start + DAY - 1, 5 * MINUTE)).columns!.primary;
    expect(after.t[0]).toBe(start);
    expect(after.failures[0]).toBeGreaterThanOrEqual(7);
    await fs.writeFile(summaryOf(start + DAY), '{"v":1,"source":');
    const damaged = open();
    const second = (await damaged.query('acme', start + DAY, start + 2 * DAY - 1, 5 * MINUTE)).columns!.primary;
    expect(second.checks.reduce((a, b) => a + b, 0)).toBe(Math.ceil(1440 / 7));
    expect(warnings).toEqual([]);

    await reader.prune(start + 3 * DAY);
    expect((await fs.readdir(pairDir('acme')).catch(() => [])).filter((f) => f.includes(dayOf(start)))).toEqual([]);
  });

  it('are written for every pair a while after UTC midnight', async () => {
    const store = open({ flushMs: 60_000, summaryDelayMs: 0 });
    now = T0; // 23:58
    for (const pair of ['acme', 'beta']) store.record(check(pair, 'primary', T0 + 1000, true, 3));
    await store.flush();
    now = T0 + 5 * MINUTE; // 00:03 the next day: the last minutes are written, then summarised
    await (store as unknown as { tick(): void }).tick();
    await store.flush();
    for (const pair of ['acme', 'beta']) {
      const file = path.join(pairDir(pair), `${dayOf(T0)}.minutes-5m.json`);
      await waitFor(async () => (await fs.stat(file).catch(() => undefined)) !== undefined);
      const summary = JSON.parse(await fs.readFile(file, 'utf8')) as { key: number[]; checks: number[] };
      expect(summary.checks).toEqual([1]);
      expect(summary.key).toEqual([(T0 / MINUTE - ((T0 / MINUTE) % 5)) * 2]);
    }
  });
});
