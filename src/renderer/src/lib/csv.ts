// The event log as CSV (RFC 4180), for a ticket or a spreadsheet.

import type { HistoryEvent } from '$shared/model';
import { describeEvent } from './stores/pair-detail.svelte';

export const CSV_COLUMNS = [
  'time',
  'pair',
  'type',
  'detail',
  'severity',
  'status',
  'latency_ms',
  'operator',
  'reason',
] as const;

export function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function row(e: HistoryEvent): Array<string | number | undefined> {
  const base = { time: e.at, pair: e.pair, type: e.type, detail: describeEvent(e) };
  switch (e.type) {
    case 'check':
      return [
        base.time,
        base.pair,
        base.type,
        base.detail,
        e.result.ok ? 'info' : 'warning',
        e.result.status,
        Math.round(e.result.latencyMs),
        undefined,
        undefined,
      ];
    case 'action':
      return [
        base.time,
        base.pair,
        base.type,
        base.detail,
        undefined,
        e.attempt?.status,
        e.attempt ? Math.round(e.attempt.latencyMs) : undefined,
        undefined,
        undefined,
      ];
    case 'alert':
      return [base.time, base.pair, base.type, base.detail, e.severity, undefined, undefined, undefined, undefined];
    case 'operator':
      return [base.time, base.pair, base.type, base.detail, undefined, undefined, undefined, e.operator, e.reason];
    case 'state':
      return [
        base.time,
        base.pair,
        base.type,
        base.detail,
        undefined,
        undefined,
        undefined,
        e.operator,
        e.manual ? e.reason : undefined,
      ];
    default:
      return [base.time, base.pair, base.type, base.detail];
  }
}

export function eventsToCsv(events: HistoryEvent[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const e of events) {
    const cells = row(e);
    while (cells.length < CSV_COLUMNS.length) cells.push(undefined);
    lines.push(cells.map(csvField).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/** Offer text as a file download (works in the browser and in the Electron window). */
export function downloadText(filename: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
