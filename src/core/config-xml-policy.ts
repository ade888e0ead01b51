// `<policy two-person="failover failback remove"/>`, top-level in pbxctrl-failover.xml: read into
// FailoverConfig.policy and written back in place (other attributes and children of <policy> kept).

import type { Problem } from '../shared/model.js';
import { parseTwoPerson, type Policy } from '../shared/two-person.js';
import { mergeAttrs } from './xml-merge.js';
import { attr, childElements, element, type XmlElement, type XmlNode } from './xml-tree.js';

const POLICY = 'policy';
const KNOWN_ATTRS = ['two-person'] as const;

/** The root's `<policy>`, if any; problems name `<policy>` (one element at most, known words only). */
export function readPolicy(root: XmlElement, problems: Problem[]): Policy | undefined {
  const found = childElements(root).filter((el) => el.name === POLICY);
  if (found.length === 0) return undefined;
  if (found.length > 1) {
    problems.push({ field: POLICY, message: `<${POLICY}> is written ${found.length} times; keep one` });
    return undefined;
  }
  const text = attr(found[0]!, 'two-person') ?? '';
  const { actions, problems: wrong } = parseTwoPerson(text);
  for (const message of wrong) problems.push({ field: POLICY, message: `<${POLICY} two-person>: ${message}` });
  return { twoPerson: actions };
}

/**
 * The root's children with `<policy>` as `policy` says: replaced where it stood, added before the
 * first pair when new, dropped when the configuration has none.
 */
export function placePolicy(children: XmlNode[], policy: Policy | undefined): XmlNode[] {
  const at = children.findIndex((c) => c.type === 'element' && c.name === POLICY);
  const base = at >= 0 ? (children[at] as XmlElement) : undefined;
  const out = children.filter((c) => !(c.type === 'element' && c.name === POLICY));
  if (policy === undefined) return out;
  const fresh: XmlElement = {
    ...(base ?? element(POLICY)),
    attrs: mergeAttrs(base?.attrs ?? [], [['two-person', policy.twoPerson.join(' ')]], KNOWN_ATTRS),
  };
  const firstPair = out.findIndex((c) => c.type === 'element' && c.name === 'pair');
  out.splice(at >= 0 ? Math.min(at, out.length) : firstPair >= 0 ? firstPair : out.length, 0, fresh);
  return out;
}
