// Rewriting an XML element the app owns without losing what others put in it: known attributes
// and children are replaced in place, unknown ones stay where they were, new ones go where the
// contract's order puts them.

import { element, type XmlElement, type XmlNode } from './xml-tree.js';

/**
 * The element `name` with the app's attributes and children, merged into `base` if there is one:
 * unknown attributes and children of `base` stay where they were, known ones are replaced in place
 * (a group of repeated ones, like <header>, where the first of them stood), new ones go where the
 * contract's order puts them.
 */
export function merge(
  base: XmlElement | undefined,
  name: string,
  attrs: [string, string | undefined][],
  knownAttrs: readonly string[],
  children: XmlElement[],
  knownNames: readonly string[],
): XmlElement {
  const fresh = element(name, attrs, children);
  if (!base) return fresh;
  const out: XmlNode[] = [];
  const emitted = new Set<string>();
  for (const child of base.children) {
    if (child.type === 'text' && child.text.trim() === '') continue;
    if (child.type !== 'element' || !knownNames.includes(child.name)) {
      out.push(child);
      continue;
    }
    if (!emitted.has(child.name)) {
      const group = children.filter((c) => c.name === child.name);
      out.push(...(group.length === 1 ? [keepLeafAttrs(group[0]!, child)] : group));
      emitted.add(child.name);
    }
  }
  for (const known of knownNames) {
    const group = children.filter((c) => c.name === known);
    if (emitted.has(known) || group.length === 0) continue;
    out.splice(insertionPoint(out, known, knownNames), 0, ...group);
    emitted.add(known);
  }
  return { type: 'element', name, attrs: mergeAttrs(base.attrs, fresh.attrs, knownAttrs), children: out };
}

// Attributes the app writes on text elements; any other attribute there belongs to someone else.
const LEAF_ATTRS: Record<string, readonly string[]> = {
  state: ['since', 'reason', 'primary-answered', 'paused-by'],
  // An attempt's optional attributes (status, error) must not outlive the attempt they described.
  attempt: ['n', 'at', 'ok', 'status', 'latency-ms', 'error'],
  pairs: ['all'],
  once: ['start', 'end'],
  every: ['cron', 'duration', 'tz'],
  header: ['name', 'secret'],
  body: ['secret'],
  'primary-sip': ['transport', 'accept', 'verify'],
  'standby-sip': ['transport', 'accept', 'verify'],
};

/** A rewritten text element (<interval>, <state>, …) keeps the unknown attributes it had. */
function keepLeafAttrs(fresh: XmlElement, base: XmlElement): XmlElement {
  if (fresh.children.some((c) => c.type === 'element')) return fresh;
  const known = [...fresh.attrs.map(([n]) => n), ...(LEAF_ATTRS[fresh.name] ?? [])];
  return { ...fresh, attrs: mergeAttrs(base.attrs, fresh.attrs, known) };
}

/** After the last element that comes earlier in the contract's order; else before the first that comes later. */
function insertionPoint(out: XmlNode[], name: string, order: readonly string[]): number {
  const rank = order.indexOf(name);
  const rankOf = (n: XmlNode) => (n.type === 'element' ? order.indexOf(n.name) : -1);
  let after = -1;
  out.forEach((n, i) => {
    const r = rankOf(n);
    if (r >= 0 && r < rank) after = i;
  });
  if (after >= 0) return after + 1;
  const before = out.findIndex((n) => rankOf(n) > rank);
  return before >= 0 ? before : out.length;
}

export function mergeAttrs(
  base: [string, string][],
  fresh: [string, string][],
  known: readonly string[],
): [string, string][] {
  const value = new Map(fresh);
  const out: [string, string][] = [];
  for (const [n, v] of base) {
    if (value.has(n)) {
      out.push([n, value.get(n)!]);
      value.delete(n);
    } else if (!known.includes(n)) {
      out.push([n, v]);
    }
  }
  for (const [n, v] of fresh) if (value.has(n)) out.push([n, v]);
  return out;
}
