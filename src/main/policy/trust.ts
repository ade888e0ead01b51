// Whether the engine can still be trusted: its states can be written, and it
// still holds the serverdir lock. Two sources say so: the engine's alerts
// (state-write-failed / state-write-recovered, lock-lost) and its health()
// answer (problems with kind, message, since). Either one is enough to show a
// problem; an alert-raised problem ends only with its own recovery alert (a lost
// lock never does). Each problem begins and ends once per episode, which is
// when the shell notifies and, for the lock, shows its message box.

import type { HealthInfo, HealthProblem } from '../../shared/api.js';
import type { AlertEvent } from '../../shared/model.js';
import { TOOLTIP_MAX } from '../../shared/health.js';

export type TrustKind = HealthProblem['kind'];
export type TrustChange = { type: 'began'; problem: HealthProblem } | { type: 'ended'; kind: TrustKind };

/** Most serious first: a lost lock means this instance stopped watching altogether. */
const ORDER: readonly TrustKind[] = ['lock', 'state-write'];

/** What the tray and the notification say, in the operator's words. */
export const TRUST_WORDS: Record<TrustKind, string> = {
  lock: 'stopped watching: another instance took over',
  'state-write': 'state cannot be saved',
};

export class TrustWatch {
  private readonly raised = new Map<TrustKind, HealthProblem>();
  private reported: HealthProblem[] = [];
  private shown = new Map<TrustKind, HealthProblem>();

  /** An engine event; the changes it makes to what is shown. */
  onAlert(e: AlertEvent): TrustChange[] {
    if (e.alert === 'state-write-failed')
      this.raised.set('state-write', { kind: 'state-write', message: e.message, since: e.at });
    else if (e.alert === 'state-write-recovered') this.raised.delete('state-write');
    else if (e.alert === 'lock-lost') this.raised.set('lock', { kind: 'lock', message: e.message, since: e.at });
    else return [];
    return this.settle();
  }

  /** The engine's health() answer; the changes it makes. */
  onHealth(h: HealthInfo): TrustChange[] {
    this.reported = Array.isArray(h.problems) ? h.problems.filter((p) => ORDER.includes(p.kind)) : [];
    return this.settle();
  }

  /** What is wrong now, most serious first. */
  get problems(): HealthProblem[] {
    return ORDER.flatMap((k) => (this.shown.has(k) ? [{ ...this.shown.get(k)! }] : []));
  }

  private settle(): TrustChange[] {
    const next = new Map<TrustKind, HealthProblem>();
    for (const kind of ORDER) {
      const p = this.reported.find((r) => r.kind === kind) ?? this.raised.get(kind);
      if (p) next.set(kind, p);
    }
    const changes: TrustChange[] = [];
    for (const [kind, problem] of next)
      if (!this.shown.has(kind)) changes.push({ type: 'began', problem: { ...problem } });
    for (const kind of this.shown.keys()) if (!next.has(kind)) changes.push({ type: 'ended', kind });
    this.shown = next;
    return changes;
  }
}

/** The tray's first line when the engine cannot be trusted, e.g. "state cannot be saved". */
export function trustHeadline(problems: readonly HealthProblem[]): string | undefined {
  if (problems.length === 0) return undefined;
  return problems.map((p) => TRUST_WORDS[p.kind]).join('; ');
}

/** The tooltip with the problem first (it outranks every pair's state), within the Windows limit. */
export function trustTooltip(
  problems: readonly HealthProblem[],
  pairsTooltip: string,
  productName = 'PBX Failover Monitor',
): string {
  const headline = trustHeadline(problems);
  if (!headline) return pairsTooltip;
  const counts = pairsTooltip.split('\n').slice(1).join(' ');
  const text = `${productName}: ${headline}${counts ? `\n${counts}` : ''}`;
  return text.length <= TOOLTIP_MAX ? text : `${text.slice(0, TOOLTIP_MAX - 1)}…`;
}
