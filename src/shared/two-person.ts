// The two-person rule (`<policy two-person="failover failback remove"/>`): a manual failover, a re-arm
// with failback or the removal of a pair waits for a second operator's approval.

export const TWO_PERSON_ACTIONS = ['failover', 'failback', 'remove'] as const;
export type TwoPersonAction = (typeof TWO_PERSON_ACTIONS)[number];

/** Top-level `<policy>` of pbxctrl-failover.xml. */
export interface Policy {
  /** `two-person="…"`: the moves that need a second operator, in the file's order, no repeats. */
  twoPerson: TwoPersonAction[];
}

/** How long a request waits for its second operator. */
export const REQUEST_LAPSE_MS = 10 * 60_000;

export type TwoPersonState = 'pending' | 'approved' | 'rejected' | 'lapsed';

export interface TwoPersonRequest {
  id: string;
  pair: string;
  action: TwoPersonAction;
  /** The requester: a named token's name (or the operator the admin file token or the desktop gave). */
  requestedBy: string;
  reason: string;
  /** ISO 8601 */
  at: string;
  /** ISO 8601: without a decision by then the request lapses and nothing changes. */
  expires: string;
  state: TwoPersonState;
  /** `remove` only: the removal was asked with force. */
  force?: boolean;
  decidedBy?: string;
  decisionReason?: string;
  /** ISO 8601 */
  decidedAt?: string;
  /** Approved: whether the action then took effect (`failed` when the pair could no longer do it). */
  outcome?: 'ok' | 'failed';
  detail?: string;
}

/** The words of the attribute, checked: unknown words and repeats are problems naming `policy.two-person`. */
export function parseTwoPerson(text: string): { actions: TwoPersonAction[]; problems: string[] } {
  const actions: TwoPersonAction[] = [];
  const problems: string[] = [];
  for (const word of text.split(/[\s,]+/).filter(Boolean)) {
    if (!(TWO_PERSON_ACTIONS as readonly string[]).includes(word)) {
      problems.push(`"${word}" is not a move of the two-person rule; use any of ${TWO_PERSON_ACTIONS.join(', ')}`);
    } else if (actions.includes(word as TwoPersonAction)) {
      problems.push(`"${word}" is named twice`);
    } else actions.push(word as TwoPersonAction);
  }
  return { actions, problems };
}
