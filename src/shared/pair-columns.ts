// A compact form of GET /api/pairs for the dashboard's first screen (issue #17):
// `?format=columns` answers the same statuses as one array per field instead of
// one object per pair, so the field names are not repeated a thousand times (about
// 2.5x fewer bytes to write, send and parse). The last checks of the primary and
// the standby, the bulk of a status, get one column per field of theirs. A field a
// pair lacks is null in its column (no status field is ever null). Without the
// parameter the list is the array of PairStatus objects it always was.

import type { PairStatus } from './model.js';

export const PAIR_COLUMNS_FORMAT = 'columns';

export interface PairColumns {
  format: typeof PAIR_COLUMNS_FORMAT;
  count: number;
  /** Field name (`lastPrimary.latencyMs` for a field of a last check) to one value per pair, in list order. */
  columns: Record<string, unknown[]>;
}

/** The status fields split into columns of their own fields (each is a CheckResult, never empty). */
const SPLIT = ['lastPrimary', 'lastStandby'] as const;
type SplitKey = (typeof SPLIT)[number];
const isSplit = (key: string): key is SplitKey => key === SPLIT[0] || key === SPLIT[1];

export function toPairColumns(list: readonly PairStatus[]): PairColumns {
  const n = list.length;
  const columns: Record<string, unknown[]> = {};
  const column = (name: string): unknown[] => (columns[name] = new Array<unknown>(n).fill(null));
  // The columns of each split field by its own field names: no name is built per pair (this runs on
  // the service's event loop, for every pair at each first screen).
  const splits: Partial<Record<SplitKey, Record<string, unknown[]>>> = {};
  for (let i = 0; i < n; i++) {
    const status = list[i]! as unknown as Record<string, unknown>;
    for (const key in status) {
      const value = status[key];
      if (value === undefined) continue;
      if (isSplit(key)) {
        const check = value as Record<string, unknown>;
        const own = (splits[key] ??= {});
        for (const field in check) {
          const v = check[field];
          if (v !== undefined) (own[field] ?? (own[field] = column(`${key}.${field}`)))[i] = v;
        }
      } else (columns[key] ?? column(key))[i] = value;
    }
  }
  return { format: PAIR_COLUMNS_FORMAT, count: n, columns };
}

/** The statuses back, field for field as GET /api/pairs has them; a clear error for any other shape. */
export function fromPairColumns(body: unknown): PairStatus[] {
  const shape = body as Partial<PairColumns> | null;
  if (
    !shape ||
    shape.format !== PAIR_COLUMNS_FORMAT ||
    !Number.isInteger(shape.count) ||
    typeof shape.columns !== 'object' ||
    shape.columns === null
  ) {
    throw new Error('the pair list is not in the columns format (format, count, columns)');
  }
  const count = shape.count!;
  const entries = Object.entries(shape.columns);
  for (const [name, column] of entries) {
    if (!Array.isArray(column) || column.length !== count) {
      throw new Error(`the pair list's column ${name} does not hold ${count} values`);
    }
  }
  // Where each column goes, worked out once rather than per pair.
  const targets = entries.map(([name, column]) => {
    const dot = name.indexOf('.');
    return dot < 0
      ? { column, key: name, field: undefined }
      : { column, key: name.slice(0, dot), field: name.slice(dot + 1) };
  });
  const list: PairStatus[] = new Array<PairStatus>(count);
  for (let i = 0; i < count; i++) {
    const status: Record<string, unknown> = {};
    for (const { column, key, field } of targets) {
      const value: unknown = column[i];
      if (value === null) continue;
      if (field === undefined) status[key] = value;
      else ((status[key] ??= {}) as Record<string, unknown>)[field] = value;
    }
    list[i] = status as unknown as PairStatus;
  }
  return list;
}
