// Many pairs failing together (a data center, a carrier) must not bury the
// operator under one toast per pair: everything raised within one window
// (a Batcher, ./event-batcher.ts) becomes one notification, a pair's own when
// only one pair is involved.

import {
  KIND_RANK,
  SEVERITY_RANK_OF,
  headline,
  type NotificationIntent,
  type NotifyKind,
} from './notification-policy.js';
import type { Severity } from '../../shared/model.js';

/** What is finally shown. `pair` is set when a click should open that pair; otherwise it opens the dashboard. */
export interface Delivery {
  pair?: string;
  title: string;
  body: string;
  severity: Severity;
  /** How many intents this delivery stands for. */
  count: number;
}

/** Default window: "within a few seconds" of the first news. */
export const COALESCE_WINDOW_MS = 2_500;
const NAMES_SHOWN = 4;

function mostUrgent(intents: readonly NotificationIntent[]): NotificationIntent {
  return intents.reduce((a, b) => (KIND_RANK[b.kind] < KIND_RANK[a.kind] ? b : a));
}

function worstSeverity(intents: readonly NotificationIntent[]): Severity {
  return intents.map((i) => i.severity).reduce((a, b) => (SEVERITY_RANK_OF[b] < SEVERITY_RANK_OF[a] ? b : a));
}

function namesInWords(names: readonly string[]): string {
  if (names.length <= NAMES_SHOWN) return names.join(', ');
  return `${names.slice(0, NAMES_SHOWN).join(', ')} and ${names.length - NAMES_SHOWN} more`;
}

/** One notification for a set of intents: the pair's own if they are all about one pair, else a summary. */
export function summarize(intents: readonly NotificationIntent[]): Delivery {
  if (intents.length === 0) throw new Error('summarize needs at least one notification');
  const pairs = [...new Set(intents.map((i) => i.pair))];
  const lead = mostUrgent(intents);
  if (pairs.length === 1) {
    const others = [...new Set(intents.filter((i) => i.kind !== lead.kind).map((i) => headline(i.kind)))];
    const body = others.length ? `${lead.body}\nAlso: ${others.join(', ')}.` : lead.body;
    return { pair: lead.pair, title: lead.title, body, severity: worstSeverity(intents), count: intents.length };
  }
  // Count pairs (not intents) per kind, most urgent kind first.
  const pairsByKind = new Map<NotifyKind, Set<string>>();
  for (const i of intents) {
    const set = pairsByKind.get(i.kind) ?? new Set<string>();
    set.add(i.pair);
    pairsByKind.set(i.kind, set);
  }
  const kinds = [...pairsByKind.keys()].sort((a, b) => KIND_RANK[a] - KIND_RANK[b]);
  const tally = kinds.map((k) => `${pairsByKind.get(k)!.size} ${headline(k)}`).join(', ');
  const names = [...new Map(intents.map((i) => [i.pair, i.pairName])).values()];
  return {
    title: `${pairs.length} pairs need attention`,
    body: `${tally}: ${namesInWords(names)}`,
    severity: worstSeverity(intents),
    count: intents.length,
  };
}
