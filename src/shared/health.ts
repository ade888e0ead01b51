// The one-glance verdict over all pairs: what the tray icon shows, what the
// tooltip counts, and in which order the tray menu (and the dashboard) lists
// pairs. Pure, so the desktop shell and the renderer agree by construction.

import { PAIR_STATES, type PairState, type PairStatus } from './model.js';

/** The level of one pair. */
export type PairLevel = 'critical' | 'warning' | 'ok' | 'paused';
/** The level of the whole set: a pair's levels plus `empty` when there is nothing to watch. */
export type HealthLevel = PairLevel | 'empty';

export const HEALTH_LEVELS = ['ok', 'warning', 'critical', 'paused', 'empty'] as const satisfies readonly HealthLevel[];

export interface HealthCounts {
  total: number;
  byState: Record<PairState, number>;
  standbyDown: number;
  actionFailed: number;
  isolated: number;
  /** Pairs with a certificate at critical or expired (`certificateLevel`). */
  certificates: number;
}

export interface Health {
  level: HealthLevel;
  counts: HealthCounts;
}

const RANK: Record<PairLevel, number> = { critical: 0, warning: 1, ok: 2, paused: 3 };

/** Failover or a failed action is critical: telephony has moved, or should have and did not. */
export function pairLevel(pair: PairStatus): PairLevel {
  if (pair.state === 'failover' || pair.action?.phase === 'failed') return 'critical';
  if (pair.state === 'paused') return 'paused';
  // A dead standby or an isolated watcher is harmless today and fatal at the next outage; so is a
  // certificate about to run out (or already expired).
  if (pair.state === 'verifying' || pair.standbyDown || pair.isolated || certificateCritical(pair)) return 'warning';
  return 'ok';
}

/** A certificate of the pair is at critical or expired (the tray counts it like the other alerts). */
export function certificateCritical(pair: PairStatus): boolean {
  return pair.certificateLevel === 'critical' || pair.certificateLevel === 'expired';
}

export function countPairs(pairs: readonly PairStatus[]): HealthCounts {
  const byState = Object.fromEntries(PAIR_STATES.map((s) => [s, 0])) as Record<PairState, number>;
  let standbyDown = 0;
  let actionFailed = 0;
  let isolated = 0;
  let certificates = 0;
  for (const p of pairs) {
    byState[p.state] += 1;
    if (p.standbyDown) standbyDown += 1;
    if (p.action?.phase === 'failed') actionFailed += 1;
    if (p.isolated) isolated += 1;
    if (certificateCritical(p)) certificates += 1;
  }
  return { total: pairs.length, byState, standbyDown, actionFailed, isolated, certificates };
}

export function overallLevel(pairs: readonly PairStatus[]): HealthLevel {
  if (pairs.length === 0) return 'empty';
  const levels = pairs.map(pairLevel);
  if (levels.every((l) => l === 'paused')) return 'paused';
  const active = levels.filter((l) => l !== 'paused');
  return active.reduce<PairLevel>((worst, l) => (RANK[l] < RANK[worst] ? l : worst), 'ok');
}

export function health(pairs: readonly PairStatus[]): Health {
  return { level: overallLevel(pairs), counts: countPairs(pairs) };
}

/** Worst first, then by name, so the pair that needs the operator is on top. */
export function worstFirst(pairs: readonly PairStatus[]): PairStatus[] {
  return [...pairs].sort(
    (a, b) => RANK[pairLevel(a)] - RANK[pairLevel(b)] || a.name.localeCompare(b.name) || a.id.localeCompare(b.id),
  );
}

export const LEVEL_WORDS: Record<HealthLevel, string> = {
  ok: 'All pairs watched',
  warning: 'Needs attention',
  critical: 'Failover',
  paused: 'All pairs paused',
  empty: 'No pairs configured',
};

/** Counts in words, most urgent first, zero counts left out: "2 in failover, 1 verifying, 7 watched". */
export function countsInWords(c: HealthCounts): string {
  if (c.total === 0) return 'no pairs configured';
  const watched = c.byState.waiting + c.byState.starting;
  const parts: Array<[number, string]> = [
    [c.byState.failover, 'in failover'],
    [c.actionFailed, c.actionFailed === 1 ? 'action failed' : 'actions failed'],
    [c.byState.verifying, 'verifying'],
    [c.standbyDown, c.standbyDown === 1 ? 'standby down' : 'standbys down'],
    [c.isolated, 'isolated'],
    [c.certificates, c.certificates === 1 ? 'certificate expiring' : 'certificates expiring'],
    [watched, 'watched'],
    [c.byState.paused, 'paused'],
  ];
  return parts
    .filter(([n]) => n > 0)
    .map(([n, words]) => `${n} ${words}`)
    .join(', ');
}

/** Windows cuts tray tooltips at 127 characters, so this stays short. */
export const TOOLTIP_MAX = 127;

export function tooltipText(pairs: readonly PairStatus[], productName = 'PBX Failover Monitor'): string {
  const { level, counts } = health(pairs);
  const text = `${productName}: ${LEVEL_WORDS[level]}\n${countsInWords(counts)}`;
  return text.length <= TOOLTIP_MAX ? text : `${text.slice(0, TOOLTIP_MAX - 1)}…`;
}
