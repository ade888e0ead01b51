import { describe, expect, it } from 'vitest';
import { SseParser } from '../../src/renderer/src/lib/backend/sse';
import { csvField, eventsToCsv, CSV_COLUMNS } from '../../src/renderer/src/lib/csv';
import { filterLog } from '../../src/renderer/src/lib/stores/pair-detail.svelte';
import type { HistoryEvent } from '$shared/model';

describe('SseParser', () => {
  it('parses messages split across chunks, skips comments and joins data lines', () => {
    const p = new SseParser();
    expect(p.feed(': ping\n\nevent: events\nda')).toEqual([]);
    expect(p.feed('ta: [1,\ndata: 2]\n')).toEqual([]);
    expect(p.feed('\n')).toEqual([{ event: 'events', data: '[1,\n2]' }]);
  });

  it('accepts CRLF line ends, also when CR and LF arrive in different chunks', () => {
    const p = new SseParser();
    expect(p.feed('event: events\r\ndata: {"a":1}\r')).toEqual([]);
    expect(p.feed('\n\r\n')).toEqual([{ event: 'events', data: '{"a":1}' }]);
  });

  it('names a message without an event field "message"', () => {
    expect(new SseParser().feed('data: x\n\n')).toEqual([{ event: 'message', data: 'x' }]);
  });
});

const events: HistoryEvent[] = [
  {
    type: 'state',
    pair: 'acme',
    at: '2026-11-27T09:00:00.000Z',
    from: 'waiting',
    to: 'verifying',
    reason: 'primary failed 4 checks',
    manual: false,
  },
  {
    type: 'check',
    pair: 'acme',
    at: '2026-11-27T09:00:01.000Z',
    consecutiveFailures: 4,
    result: {
      target: 'primary',
      url: 'http://192.0.2.10/',
      ok: false,
      status: 503,
      latencyMs: 12.4,
      error: 'status 503',
      at: '2026-11-27T09:00:01.000Z',
    },
  },
  {
    type: 'operator',
    pair: 'acme',
    at: '2026-11-27T09:01:00.000Z',
    action: 'failover',
    operator: 'alice',
    reason: 'DC "east", planned',
    outcome: 'ok',
  },
  {
    type: 'alert',
    pair: 'acme',
    at: '2026-11-27T09:01:01.000Z',
    alert: 'failover',
    severity: 'critical',
    message: 'ACME Corp failed over,\nmanually',
  },
];

describe('event log CSV', () => {
  it('writes a header and one RFC 4180 row per event, quoting commas, quotes and newlines', () => {
    const csv = eventsToCsv(events);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines[1]).toBe('2026-11-27T09:00:00.000Z,acme,state,waiting → verifying: primary failed 4 checks,,,,,');
    expect(lines[2]).toBe(
      '2026-11-27T09:00:01.000Z,acme,check,primary check failed (status 503): status 503 in 12 ms,warning,503,12,,',
    );
    expect(lines[3]).toBe(
      '2026-11-27T09:01:00.000Z,acme,operator,"Manual failover by alice: DC ""east"", planned — ok",,,,alice,"DC ""east"", planned"',
    );
    expect(csv).toContain(
      '2026-11-27T09:01:01.000Z,acme,alert,"Failover: ACME Corp failed over,\nmanually",critical,,,,\r\n',
    );
    expect(csv.endsWith('\r\n')).toBe(true);
  });

  it('quotes only when needed', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField(undefined)).toBe('');
    expect(csvField(42)).toBe('42');
  });

  it('filters the log by type and text, newest first', () => {
    expect(filterLog(events, [], '').map((e) => e.type)).toEqual(['alert', 'operator', 'check', 'state']);
    expect(filterLog(events, ['operator', 'state'], '').map((e) => e.type)).toEqual(['operator', 'state']);
    expect(filterLog(events, [], '503').map((e) => e.type)).toEqual(['check']);
  });
});
