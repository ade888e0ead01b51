import { describe, expect, it } from 'vitest';
import {
  activeAt,
  currentOrNext,
  maintenanceInfo,
  occurrencesBetween,
  pairOccurrences,
  type MaintenanceWindow,
} from '../../src/shared/maintenance.js';
import { validateMaintenanceList, validateMaintenanceWindow } from '../../src/shared/validate-maintenance.js';

const t = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

const weekly: MaintenanceWindow = {
  id: 'pbx-updates',
  reason: 'weekly PBX update',
  pairs: ['acme'],
  every: { cron: '0 3 * * 0', duration: 5400, tz: 'Europe/Berlin' },
};

describe('maintenance windows: occurrences computed with croner', () => {
  it('a one-off window is going on between its start and end, and over after', () => {
    const once: MaintenanceWindow = {
      id: 'dc1-network',
      reason: 'DC-1 router replacement',
      pairs: 'all',
      once: { start: '2026-12-06T22:00:00Z', end: '2026-12-06T23:30:00Z' },
    };
    expect(activeAt(once, t('2026-12-06T21:59:59Z'))).toBeUndefined();
    expect(currentOrNext(once, t('2026-12-06T21:00:00Z'))).toEqual({
      start: t('2026-12-06T22:00:00Z'),
      end: t('2026-12-06T23:30:00Z'),
    });
    expect(activeAt(once, t('2026-12-06T22:00:00Z'))?.start).toBe(t('2026-12-06T22:00:00Z'));
    expect(activeAt(once, t('2026-12-06T23:29:59Z'))).toBeDefined();
    // The end is exclusive, and nothing is left after it.
    expect(activeAt(once, t('2026-12-06T23:30:00Z'))).toBeUndefined();
    expect(currentOrNext(once, t('2026-12-06T23:30:00Z'))).toBeUndefined();
    expect(maintenanceInfo(once, t('2026-12-07T00:00:00Z'))).toMatchObject({ active: false });
    expect(maintenanceInfo(once, t('2026-12-07T00:00:00Z')).nextStart).toBeUndefined();
  });

  it('a weekly window at 03:00 Berlin time is 01:00 UTC in summer and 02:00 UTC in winter', () => {
    // Sunday 22 March 2026 is winter time (CET, +01:00), Sunday 29 March the first day of summer time.
    expect(currentOrNext(weekly, t('2026-03-20T00:00:00Z'))?.start).toBe(t('2026-03-22T02:00:00Z'));
    expect(currentOrNext(weekly, t('2026-03-23T00:00:00Z'))?.start).toBe(t('2026-03-29T01:00:00Z'));
    // October: the last Sunday (25th) is the first day of winter time again.
    expect(currentOrNext(weekly, t('2026-10-19T00:00:00Z'))?.start).toBe(t('2026-10-25T02:00:00Z'));
    expect(currentOrNext(weekly, t('2026-10-12T00:00:00Z'))?.start).toBe(t('2026-10-18T01:00:00Z'));
  });

  it('a start in the hour skipped in spring comes at the first time after the gap (03:00 CEST)', () => {
    const w: MaintenanceWindow = {
      id: 'gap',
      reason: 'x',
      pairs: ['acme'],
      every: { cron: '30 2 * * *', duration: 600, tz: 'Europe/Berlin' },
    };
    expect(iso(currentOrNext(w, t('2026-03-28T12:00:00Z'))!.start)).toBe('2026-03-29T01:00:00.000Z');
  });

  it('a window spanning the spring change lasts its duration in elapsed seconds, not wall-clock hours', () => {
    // Starts 01:30 CET on 29 March 2026 (00:30 UTC); at 02:00 CET the clocks jump to 03:00 CEST.
    const night: MaintenanceWindow = {
      id: 'night',
      reason: 'night work',
      pairs: ['acme'],
      every: { cron: '30 1 * * *', duration: 7200, tz: 'Europe/Berlin' },
    };
    const o = currentOrNext(night, t('2026-03-29T00:00:00Z'))!;
    expect(iso(o.start)).toBe('2026-03-29T00:30:00.000Z');
    // Two hours later on the wall clock it is 04:30 CEST, not 03:30.
    expect(iso(o.end)).toBe('2026-03-29T02:30:00.000Z');
    expect(activeAt(night, t('2026-03-29T02:29:00Z'))?.start).toBe(o.start);
    expect(activeAt(night, t('2026-03-29T02:30:00Z'))).toBeUndefined();
    // The next day's start is 01:30 CEST, an hour earlier in UTC.
    expect(iso(currentOrNext(night, t('2026-03-29T02:30:00Z'))!.start)).toBe('2026-03-29T23:30:00.000Z');
  });

  it('a window spanning the autumn change: 02:30 happens twice, the window starts once', () => {
    const w: MaintenanceWindow = {
      id: 'autumn',
      reason: 'x',
      pairs: ['acme'],
      every: { cron: '30 2 * * *', duration: 3600, tz: 'Europe/Berlin' },
    };
    const starts = occurrencesBetween(w, t('2026-10-24T12:00:00Z'), t('2026-10-26T12:00:00Z')).map((o) => iso(o.start));
    // 24th 02:30 CEST is before the range; 25th: the first 02:30 (CEST, 00:30 UTC) only; 26th 02:30 CET.
    expect(starts).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });

  it('an occurrence going on is found from inside it, and the listing gives its start and end', () => {
    const inside = t('2026-03-29T01:45:00Z');
    expect(activeAt(weekly, inside)).toEqual({ start: t('2026-03-29T01:00:00Z'), end: t('2026-03-29T02:30:00Z') });
    expect(maintenanceInfo(weekly, inside)).toMatchObject({
      active: true,
      nextStart: '2026-03-29T01:00:00.000Z',
      nextEnd: '2026-03-29T02:30:00.000Z',
    });
  });

  it('a pair sees only the windows covering it, in time order', () => {
    const all: MaintenanceWindow = {
      id: 'everything',
      reason: 'y',
      pairs: 'all',
      once: { start: '2026-03-28T10:00:00Z', end: '2026-03-28T11:00:00Z' },
    };
    const from = t('2026-03-28T00:00:00Z');
    const to = t('2026-03-30T00:00:00Z');
    expect(pairOccurrences([weekly, all], 'acme', from, to).map((o) => o.id)).toEqual(['everything', 'pbx-updates']);
    expect(pairOccurrences([weekly, all], 'beta', from, to).map((o) => o.id)).toEqual(['everything']);
  });
});

describe('maintenance windows: validation', () => {
  const pairs = ['acme', 'beta'];

  it('accepts the contract examples', () => {
    const r = validateMaintenanceList(
      [
        {
          id: 'dc1-network',
          reason: 'DC-1 router replacement',
          pairs: ['acme', 'beta'],
          once: { start: '2026-12-06T22:00:00Z', end: '2026-12-06T23:30:00Z' },
        },
        weekly,
        { id: 'all', reason: 'z', pairs: 'all', every: { cron: '0 4 1 * *', duration: 60 } },
      ],
      pairs,
    );
    expect(r.ok).toBe(true);
  });

  it('lists every problem of a window, each naming the window and its field', () => {
    const r = validateMaintenanceWindow(
      {
        id: 'Bad Id',
        reason: 'a\u000bb',
        pairs: ['acme', 'nope'],
        every: { cron: '61 * * * *', duration: -5, tz: 'Mars/Olympus' },
      },
      pairs,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const fields = r.problems.map((p) => p.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'maintenance[Bad Id].id',
        'maintenance[Bad Id].reason',
        'maintenance[Bad Id].pairs',
        'maintenance[Bad Id].every.cron',
        'maintenance[Bad Id].every.duration',
        'maintenance[Bad Id].every.tz',
      ]),
    );
    expect(r.problems.find((p) => p.field.endsWith('.pairs'))!.message).toContain('no pair "nope"');
    expect(r.problems.find((p) => p.field.endsWith('.reason'))!.message).toContain('U+000B');
  });

  it('refuses an end before the start, a time without offset, both schedules or none, and duplicate ids', () => {
    const bad = (input: object) => {
      const r = validateMaintenanceWindow({ id: 'w', reason: 'r', pairs: ['acme'], ...input }, pairs);
      return r.ok ? [] : r.problems.map((p) => `${p.field}: ${p.message}`);
    };
    expect(bad({ once: { start: '2026-12-06T23:00:00Z', end: '2026-12-06T22:00:00Z' } })[0]).toMatch(
      /^maintenance\[w\]\.once\.end: must be after the start/,
    );
    expect(bad({ once: { start: '2026-12-06 22:00', end: '2026-12-06T23:00:00Z' } })[0]).toMatch(/once\.start/);
    expect(bad({})[0]).toMatch(/needs a schedule/);
    expect(
      bad({ once: { start: '2026-12-06T22:00:00Z', end: '2026-12-06T23:00:00Z' }, every: weekly.every })[0],
    ).toMatch(/both <once> and <every>/);
    expect(bad({ every: { cron: '0 0 30 2 *', duration: 60 } })[0]).toMatch(/never matches/);
    expect(bad({ pairs: [] })[0]).toMatch(/at least one pair/);
    const dup = validateMaintenanceList([weekly, weekly], pairs);
    expect(dup.ok).toBe(false);
    if (!dup.ok)
      expect(dup.problems).toEqual([
        { field: 'maintenance[pbx-updates].id', message: expect.stringContaining('used by another window') },
      ]);
  });
});
