// <notify> elements of pbxctrl-failover.xml <-> NotifySettings: read and validated with the rest
// of the file, written back in place (unknown attributes and children kept), masked in a masked
// export. Called from config-xml.ts.

import type { Problem } from '../shared/model.js';
import { maskNotify, type NotifySettings } from '../shared/notify.js';
import { validateNotifyList } from '../shared/validate-notify.js';
import { attr, childElements, textElement, textOf, type XmlElement, type XmlNode } from './xml-tree.js';
import { merge } from './xml-merge.js';

export const NOTIFY_ELEMENT = 'notify';
const NOTIFY_ATTRS = ['id', 'type', 'min-severity', 'pairs', 'method', 'encoding'] as const;
const NOTIFY_CHILDREN = ['url', 'routing-key', 'smtp', 'from', 'to', 'header', 'body'] as const;
const SINGLE = ['url', 'routing-key', 'smtp', 'from', 'body'] as const;

/** Every <notify> directly under the root, validated; problems name the channel and the element. */
export function readNotifyElements(
  root: XmlElement,
  existing?: (id: string) => NotifySettings | undefined,
): { channels: NotifySettings[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const inputs = childElements(root)
    .filter((el) => el.name === NOTIFY_ELEMENT)
    .map((el) => readOne(el, problems));
  const result = validateNotifyList(inputs, existing);
  return { channels: result.channels, problems: [...problems, ...result.problems] };
}

function readOne(el: XmlElement, problems: Problem[]): Record<string, unknown> {
  const id = attr(el, 'id')?.trim();
  const children = childElements(el);
  for (const name of SINGLE) {
    if (children.filter((c) => c.name === name).length > 1)
      problems.push({
        field: `notify[${id ?? '?'}].${name}`,
        message: `<${name}> appears more than once in this <notify>`,
      });
  }
  const first = (name: string) => children.find((c) => c.name === name);
  const text = (name: string) => {
    const c = first(name);
    return c ? textOf(c).trim() : undefined;
  };
  const input: Record<string, unknown> = { id, type: attr(el, 'type')?.trim() };
  const optional = (key: string, v: string | undefined) => {
    if (v !== undefined && v.trim() !== '') input[key] = v.trim();
  };
  optional('minSeverity', attr(el, 'min-severity'));
  const pairs = attr(el, 'pairs');
  if (pairs !== undefined) input['pairs'] = pairs;
  optional('method', attr(el, 'method'));
  optional('encoding', attr(el, 'encoding'));
  optional('url', text('url'));
  optional('routingKey', text('routing-key'));
  optional('smtp', text('smtp'));
  optional('from', text('from'));
  const to = children.filter((c) => c.name === 'to').map((c) => textOf(c).trim());
  if (to.length) input['to'] = to;
  const headers = children.filter((c) => c.name === 'header');
  if (headers.length) input['headers'] = headers.map((h) => ({ name: attr(h, 'name'), value: textOf(h) }));
  // The body is taken exactly as written: whitespace in a template may matter.
  const body = first('body');
  if (body) input['body'] = textOf(body);
  return input;
}

function notifyElement(s: NotifySettings, base: XmlElement | undefined): XmlElement {
  const attrs: [string, string | undefined][] = [
    ['id', s.id],
    ['type', s.type],
    ['min-severity', s.minSeverity === 'info' && !(base && attr(base, 'min-severity')) ? undefined : s.minSeverity],
    ['pairs', s.pairs?.join(' ')],
    ['method', s.type === 'webhook' ? s.method : undefined],
    ['encoding', s.type === 'webhook' ? s.encoding : undefined],
  ];
  const children: XmlElement[] = [
    ...(s.url !== undefined ? [textElement('url', s.url)] : []),
    ...(s.routingKey !== undefined ? [textElement('routing-key', s.routingKey)] : []),
    ...(s.smtp !== undefined ? [textElement('smtp', s.smtp)] : []),
    ...(s.from !== undefined ? [textElement('from', s.from)] : []),
    ...(s.to ?? []).map((t) => textElement('to', t)),
    ...s.headers.map((h) => textElement('header', h.value, [['name', h.name]])),
    ...(s.body !== undefined ? [textElement('body', s.body)] : []),
  ];
  return merge(base, NOTIFY_ELEMENT, attrs, NOTIFY_ATTRS, children, NOTIFY_CHILDREN);
}

/**
 * The root's children with the <notify> elements of `channels`: each replaces the base element of
 * its id where it stood, removed ones are dropped, new ones follow the last <notify> (or the last <pair>).
 */
export function placeNotifyElements(
  children: XmlNode[],
  channels: readonly NotifySettings[],
  opts: { masked?: boolean },
): XmlNode[] {
  const byId = new Map(channels.map((c) => [c.id, opts.masked ? maskNotify(c) : c]));
  const placed = new Set<string>();
  const out: XmlNode[] = [];
  for (const child of children) {
    if (child.type !== 'element' || child.name !== NOTIFY_ELEMENT) {
      out.push(child);
      continue;
    }
    const id = attr(child, 'id')?.trim();
    const s = id === undefined || placed.has(id) ? undefined : byId.get(id);
    if (s) {
      out.push(notifyElement(s, child));
      placed.add(id!);
    }
  }
  const isNamed = (names: string[]) => (c: XmlNode) => c.type === 'element' && names.includes(c.name);
  let at = out.findLastIndex(isNamed([NOTIFY_ELEMENT]));
  if (at < 0) at = out.findLastIndex(isNamed(['pair']));
  const added = channels.filter((c) => !placed.has(c.id)).map((c) => notifyElement(byId.get(c.id)!, undefined));
  out.splice(at >= 0 ? at + 1 : out.length, 0, ...added);
  return out;
}
