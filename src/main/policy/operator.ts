// The desktop records the operator (the OS user, or the name set in the
// preferences) on every change an operator makes through the window.

import type { ApiArgs } from '../../shared/ipc.js';
import type { MonitorApi, Reasoned } from '../../shared/api.js';

type MethodName = keyof MonitorApi;

/** Position of the Reasoned argument of each method that takes one. */
const REASONED_ARG: Partial<Record<MethodName, number>> = {
  addPair: 1,
  updatePair: 2,
  removePair: 1,
  failover: 1,
  rearm: 1,
  pause: 1,
  resume: 1,
  retryAction: 1,
  markActionDone: 1,
  importXml: 1,
  testNotify: 1,
  ackAlert: 1,
  silencePair: 1,
  addMaintenance: 1,
  updateMaintenance: 2,
  removeMaintenance: 1,
};

/** Args with `operator` filled in where the method records one and the renderer named none. */
export function withOperator<M extends MethodName>(method: M, args: ApiArgs<M>, operator: string): ApiArgs<M> {
  const at = REASONED_ARG[method];
  if (at === undefined) return args;
  const copy = [...args] as unknown[];
  const given = copy[at];
  if (given !== undefined && (typeof given !== 'object' || given === null)) return args;
  const by = (given ?? {}) as Partial<Reasoned>;
  if (typeof by.operator === 'string' && by.operator.trim() !== '') return args;
  // importXml without a reason is a dry run or a plain import; keep its other options.
  copy[at] = { ...(method === 'importXml' ? {} : { reason: '' }), ...by, operator };
  return copy as ApiArgs<M>;
}
