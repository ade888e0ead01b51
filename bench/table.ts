// One table for the whole benchmark: each measurement next to the limit for
// the same work measured in the same run, the target, and whether it was met.
// Printed to the terminal and written to docs/PERFORMANCE.md.

import { cpus, release, totalmem, type } from 'node:os';

export type Verdict = 'met' | 'MISSED' | 'info' | 'not measured';

export interface Row {
  /** Which benchmark, e.g. "1. Engine scale, 1,000 pairs". */
  group: string;
  measure: string;
  engine: string;
  /** The limit for the same work in the same run (floor or bound), or "-" where only a target applies. */
  limit: string;
  ratio: string;
  target: string;
  verdict: Verdict;
  /** The measurement could not be taken because something failed (not merely because a target was missed). */
  broken?: boolean;
}

export function row(r: Partial<Row> & Pick<Row, 'group' | 'measure' | 'engine'>): Row {
  return { limit: '-', ratio: '-', target: '-', verdict: 'info', ...r };
}

export function notMeasured(group: string, reason: string, broken = false): Row {
  return row({ group, measure: '-', engine: `not measured: ${reason}`, verdict: 'not measured', broken });
}

/** Target met, or missed, or no target at all. */
export function verdict(met: boolean | undefined): Verdict {
  return met === undefined ? 'info' : met ? 'met' : 'MISSED';
}

const COLUMNS: Array<[Column, string]> = [
  ['group', 'Benchmark'],
  ['measure', 'Measure'],
  ['engine', 'App'],
  ['limit', 'Limit, same run'],
  ['ratio', 'Ratio'],
  ['target', 'Target'],
  ['verdict', 'Result'],
];

type Column = Exclude<keyof Row, 'broken'>;

export function textTable(rows: Row[]): string {
  const cells = [COLUMNS.map(([, title]) => title), ...rows.map((r) => COLUMNS.map(([key]) => r[key]))];
  const widths = COLUMNS.map((_, c) => Math.max(...cells.map((line) => line[c]!.length)));
  const format = (line: string[]): string =>
    line
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [format(cells[0]!), rule, ...cells.slice(1).map(format)].join('\n');
}

export function markdownTable(rows: Row[]): string {
  const escape = (s: string): string => s.replace(/\|/g, '\\|');
  const head = `| ${COLUMNS.map(([, t]) => t).join(' | ')} |`;
  const rule = `|${COLUMNS.map(() => '---').join('|')}|`;
  const body = rows.map((r) => `| ${COLUMNS.map(([key]) => escape(r[key])).join(' | ')} |`);
  return [head, rule, ...body].join('\n');
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} x ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${type()} ${release()}, Node ${process.version}`;
}

// Number formats used across rows.
export const ms = (v: number): string => (Number.isFinite(v) ? `${v < 10 ? v.toFixed(1) : Math.round(v)} ms` : 'n/a');
export const mb = (v: number): string => `${v.toFixed(0)} MB`;
export const times = (v: number): string =>
  !Number.isFinite(v) ? 'n/a' : v < 0.1 ? `${(v * 100).toPrecision(2)}%` : `${v.toFixed(2)}x`;
export const count = (v: number): string => v.toLocaleString('en-US');
