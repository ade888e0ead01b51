// The compact pair list (GET /api/pairs?format=columns) gives back exactly the statuses it was made of.
import { describe, expect, it } from 'vitest';
import type { PairStatus } from '../../src/shared/model.js';
import { fromPairColumns, toPairColumns } from '../../src/shared/pair-columns.js';

const at = '2026-12-03T05:00:00.000Z';

const full: PairStatus = {
  id: 'acme',
  name: 'ACME Corp',
  state: 'failover',
  since: at,
  consecutiveFailures: 4,
  toleratedFailures: 2,
  interval: 1,
  lastPrimary: {
    target: 'primary',
    url: 'http://127.0.0.1:1/',
    ok: false,
    latencyMs: 5000,
    error: 'timed out after 5 s',
    at,
  },
  lastStandby: {
    target: 'standby',
    url: 'http://127.0.0.1:2/',
    ok: true,
    status: 200,
    latencyMs: 3,
    at,
    sip: { ok: true, latencyMs: 2, status: 200 } as never,
  },
  lastValidation: [{ target: 'validation', url: 'http://127.0.0.1:3/', ok: true, status: 204, latencyMs: 1, at }],
  action: {
    kind: 'failover',
    phase: 'succeeded',
    manual: false,
    reason: '4 failed checks',
    startedAt: at,
    finishedAt: at,
    attempts: [{ attempt: 1, at, ok: true, status: 200, latencyMs: 12 }] as never,
  },
  primaryAnswering: false,
  standbyDown: false,
  isolated: false,
  reason: '4 failed checks',
  warnings: ['no validation URL'],
  ready: false,
  certificateDaysLeft: 0,
  certificateLevel: 'expired',
};

const bare: PairStatus = {
  id: 'beta',
  name: '',
  state: 'starting',
  since: at,
  consecutiveFailures: 0,
  toleratedFailures: 3,
  interval: 5,
  primaryAnswering: false,
  standbyDown: false,
  isolated: false,
};

describe('pair list in columns', () => {
  it('round-trips every field, absent ones staying absent, falsy ones (0, false, "") kept', () => {
    const list: PairStatus[] = [full, bare, { ...bare, id: 'gamma', lastPrimary: full.lastPrimary! }];
    const wire = JSON.parse(JSON.stringify(toPairColumns(list))) as unknown;
    const back = fromPairColumns(wire);
    expect(back).toEqual(list);
    expect(back[1]).not.toHaveProperty('lastPrimary');
    expect(back[1]).not.toHaveProperty('ready');
    expect(back[0]!.certificateDaysLeft).toBe(0);
    expect(back[1]!.name).toBe('');
  });

  it('names each field once, the last checks split into their own fields', () => {
    const wire = toPairColumns([full, bare]);
    expect(wire.count).toBe(2);
    expect(wire.columns.id).toEqual(['acme', 'beta']);
    expect(wire.columns['lastPrimary.latencyMs']).toEqual([5000, null]);
    expect(wire.columns.lastPrimary).toBeUndefined();
    expect(wire.columns.lastValidation).toEqual([full.lastValidation, null]);
  });

  it('an empty list is an empty table', () => {
    expect(fromPairColumns(JSON.parse(JSON.stringify(toPairColumns([]))))).toEqual([]);
  });

  it('refuses another shape with the reason', () => {
    expect(() => fromPairColumns([bare])).toThrow(/not in the columns format/);
    expect(() => fromPairColumns({ format: 'columns', count: 2, columns: { id: ['a'] } })).toThrow(
      /column id does not hold 2 values/,
    );
  });
});

it('is the smaller the more pairs it holds', () => {
  const many = Array.from({ length: 100 }, (_, i) => ({ ...full, id: `p${i}`, name: `Customer ${i}` }));
  expect(JSON.stringify(toPairColumns(many)).length).toBeLessThan(JSON.stringify(many).length * 0.8);
});
