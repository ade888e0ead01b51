// The top-level <maintenance> elements of pbxctrl-failover.xml <-> MaintenanceWindow (see
// shared/maintenance.ts for the contract). Read and validated beside the pairs; written back in
// place, keeping unknown attributes and children of each element as the pairs do.

import type { MaintenanceWindow } from '../shared/maintenance.js';
import type { Problem } from '../shared/model.js';
import { maintenanceField, validateMaintenanceList } from '../shared/validate-maintenance.js';
import { attr, childElements, element, textElement, textOf, type XmlElement, type XmlNode } from './xml-tree.js';
import { merge } from './xml-merge.js';

export const MAINTENANCE_ELEMENT = 'maintenance';
const CHILDREN = ['pairs', 'once', 'every'] as const;

/** Every <maintenance> child of the root, validated against the pairs of the file; problems appended. */
export function readMaintenance(
  root: XmlElement,
  pairIds: readonly string[],
  problems: Problem[],
): MaintenanceWindow[] {
  const elements = childElements(root).filter((el) => el.name === MAINTENANCE_ELEMENT);
  const inputs = elements.map((el, i) => readOne(el, i, problems));
  const result = validateMaintenanceList(inputs, pairIds);
  if (!result.ok) {
    problems.push(...result.problems);
    return [];
  }
  return result.windows;
}

function readOne(el: XmlElement, index: number, problems: Problem[]): Record<string, unknown> {
  const id = attr(el, 'id')?.trim();
  const prefix = maintenanceField(id, index);
  const input: Record<string, unknown> = { id, reason: attr(el, 'reason') };
  const children = childElements(el);
  for (const name of CHILDREN) {
    if (children.filter((c) => c.name === name).length > 1)
      problems.push({ field: `${prefix}.${name}`, message: `<${name}> appears more than once in this <maintenance>` });
  }
  const pairs = children.find((c) => c.name === 'pairs');
  if (pairs) {
    const all = attr(pairs, 'all')?.trim();
    const ids = textOf(pairs).trim();
    if (all === 'true') {
      if (ids !== '') problems.push({ field: `${prefix}.pairs`, message: 'has all="true" and pair ids; use one' });
      input['pairs'] = 'all';
    } else if (all !== undefined && all !== 'false') {
      problems.push({ field: `${prefix}.pairs.all`, message: `"${all.slice(0, 40)}" is not true or false` });
    } else input['pairs'] = ids === '' ? [] : ids.split(/\s+/);
  }
  const once = children.find((c) => c.name === 'once');
  if (once) input['once'] = { start: attr(once, 'start')?.trim(), end: attr(once, 'end')?.trim() };
  const every = children.find((c) => c.name === 'every');
  if (every) {
    const duration = attr(every, 'duration')?.trim();
    const tz = attr(every, 'tz')?.trim();
    input['every'] = {
      cron: attr(every, 'cron'),
      duration: duration !== undefined && /^\d+$/.test(duration) ? Number(duration) : duration,
      ...(tz !== undefined && tz !== '' ? { tz } : {}),
    };
  }
  return input;
}

/** The <maintenance> element of a window, keeping from `base` what the app does not know. */
export function maintenanceElement(w: MaintenanceWindow, base: XmlElement | undefined): XmlElement {
  // Unknown attributes of <pairs>, <once> and <every> are kept by merge (xml-merge's LEAF_ATTRS).
  const children: XmlElement[] = [
    w.pairs === 'all' ? element('pairs', [['all', 'true']]) : textElement('pairs', w.pairs.join(' ')),
  ];
  if (w.once)
    children.push(
      element('once', [
        ['start', w.once.start],
        ['end', w.once.end],
      ]),
    );
  if (w.every)
    children.push(
      element('every', [
        ['cron', w.every.cron],
        ['duration', String(w.every.duration)],
        ['tz', w.every.tz],
      ]),
    );
  const attrs: [string, string][] = [
    ['id', w.id],
    ['reason', w.reason],
  ];
  return merge(base, MAINTENANCE_ELEMENT, attrs, ['id', 'reason'], children, CHILDREN);
}

/**
 * The root's children with each <maintenance> replaced by the window of its id (removed when the
 * configuration has no such window), new windows after the last pair or window.
 */
export function placeMaintenance(children: XmlNode[], windows: readonly MaintenanceWindow[]): XmlNode[] {
  const byId = new Map(windows.map((w) => [w.id, w]));
  const placed = new Set<string>();
  const out: XmlNode[] = [];
  for (const child of children) {
    if (child.type !== 'element' || child.name !== MAINTENANCE_ELEMENT) {
      out.push(child);
      continue;
    }
    const id = attr(child, 'id')?.trim();
    const w = id === undefined || placed.has(id) ? undefined : byId.get(id);
    if (w) {
      out.push(maintenanceElement(w, child));
      placed.add(w.id);
    }
  }
  const last = out
    .map((c) => c.type === 'element' && (c.name === 'pair' || c.name === MAINTENANCE_ELEMENT))
    .lastIndexOf(true);
  const added = windows.filter((w) => !placed.has(w.id)).map((w) => maintenanceElement(w, undefined));
  out.splice(last >= 0 ? last + 1 : out.length, 0, ...added);
  return out;
}
