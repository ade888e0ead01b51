// A small ordered XML tree that keeps everything a person may have written
// (unknown elements, attributes, comments, CDATA) so that the app can rewrite
// the parts it knows and leave the rest where it was. Parsing is done by
// fast-xml-parser; this module adds the safety rules (no DOCTYPE or entities,
// a size limit, characters XML cannot hold) and writes the tree back.

import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface XmlElement {
  type: 'element';
  name: string;
  /** Decoded attribute values, in document order. */
  attrs: [string, string][];
  children: XmlNode[];
}
export type XmlNode =
  XmlElement | { type: 'text'; text: string } | { type: 'cdata'; text: string } | { type: 'comment'; text: string };

export interface XmlDocument {
  /** Comments before and after the root element. */
  before: XmlNode[];
  root: XmlElement;
  after: XmlNode[];
}

/** Where a problem was found: the chain of elements from the root down (may be empty). */
export interface XmlProblem {
  path: XmlElement[];
  message: string;
}

export type XmlReadResult = { ok: true; document: XmlDocument } | { ok: false; problems: XmlProblem[] };

// A NOC with thousands of pairs must be able to start (5,000 pairs are about 2.2 MiB); the limit
// only stops a runaway file from being read into memory.
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
const MAX_DEPTH = 64;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // Entities are decoded by us: only the five XML ones and character references, never declared ones.
  processEntities: false,
  htmlEntities: false,
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: '#comment',
  cdataPropName: '#cdata',
  maxNestedTags: MAX_DEPTH,
});

const FORBIDDEN_CHARACTER =
  // eslint-disable-next-line no-control-regex -- finding the control characters XML 1.0 forbids is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The first character in `text` that XML 1.0 cannot hold, as U+XXXX, if there is one. */
export function forbiddenCharacter(text: string): string | undefined {
  const bad = FORBIDDEN_CHARACTER.exec(text);
  return bad ? `U+${hex4(bad[0])}` : undefined;
}

/** Parse XML text into a tree, or say (with line and column where known) why it cannot be read. */
export function readXml(text: string, maxBytes = DEFAULT_MAX_BYTES): XmlReadResult {
  const fail = (message: string): XmlReadResult => ({ ok: false, problems: [{ path: [], message }] });
  // Every UTF-16 unit takes at least one UTF-8 byte, so a long string is refused without encoding it.
  const bytes = text.length > maxBytes ? text.length : new TextEncoder().encode(text).length;
  if (bytes > maxBytes)
    return fail(`the file is ${formatBytes(bytes)}; files over ${formatBytes(maxBytes)} are refused`);
  // XML line-end normalization; a BOM is not content.
  const xml = text.replace(/^\ufeff/, '').replace(/\r\n?/g, '\n');
  if (/<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml)) {
    return fail('DOCTYPE and ENTITY declarations are not allowed (no entity expansion); remove the <!DOCTYPE …> part');
  }
  const bad = FORBIDDEN_CHARACTER.exec(xml);
  if (bad) {
    const { line, col } = position(xml, bad.index);
    return fail(`line ${line}, column ${col}: character U+${hex4(bad[0])} is not allowed in XML`);
  }
  const valid = XMLValidator.validate(xml, { allowBooleanAttributes: false });
  if (valid !== true) {
    const { line, col, msg } = valid.err;
    return fail(`not well-formed XML: line ${line}${col ? `, column ${col}` : ''}: ${msg}`);
  }
  let raw: unknown[];
  try {
    raw = parser.parse(xml) as unknown[];
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return fail(
      /nested/i.test(message) ? `elements are nested more than ${MAX_DEPTH} deep` : `cannot be read: ${message}`,
    );
  }
  const problems: XmlProblem[] = [];
  const nodes = convert(raw, [], problems);
  if (problems.length > 0) return { ok: false, problems };
  const rootIndex = nodes.findIndex((n) => n.type === 'element');
  const elements = nodes.filter((n) => n.type === 'element');
  if (elements.length !== 1)
    return fail(elements.length === 0 ? 'the file has no root element' : 'the file has more than one root element');
  const outside = nodes.find((n) => n.type === 'text' && n.text.trim() !== '') ?? nodes.find((n) => n.type === 'cdata');
  if (outside) return fail('text outside the root element');
  const keep = (n: XmlNode) => n.type === 'comment';
  return {
    ok: true,
    document: {
      before: nodes.slice(0, rootIndex).filter(keep),
      root: nodes[rootIndex] as XmlElement,
      after: nodes.slice(rootIndex + 1).filter(keep),
    },
  };
}

function convert(raw: unknown[], path: XmlElement[], problems: XmlProblem[]): XmlNode[] {
  const out: XmlNode[] = [];
  for (const item of raw as Record<string, unknown>[]) {
    const key = Object.keys(item).find((k) => k !== ':@');
    if (key === undefined) continue;
    const content = item[key] as Record<string, unknown>[];
    if (key === '#text') {
      out.push({ type: 'text', text: decode(String(content), path, problems) });
    } else if (key === '#comment') {
      out.push({ type: 'comment', text: innerText(content) });
    } else if (key === '#cdata') {
      out.push({ type: 'cdata', text: innerText(content) });
    } else if (!key.startsWith('?')) {
      const element: XmlElement = { type: 'element', name: key, attrs: [], children: [] };
      if (!XML_NAME.test(key)) problems.push({ path, message: `<${key.slice(0, 40)}> is not a valid element name` });
      const attrs = (item[':@'] ?? {}) as Record<string, unknown>;
      element.attrs = Object.entries(attrs).map(([name, value]) => {
        if (!XML_NAME.test(name))
          problems.push({ path: [...path, element], message: `${name.slice(0, 40)} is not a valid attribute name` });
        return [name, decode(String(value), [...path, element], problems)];
      });
      element.children = convert(content, [...path, element], problems);
      out.push(element);
    }
  }
  return out;
}

function innerText(content: Record<string, unknown>[]): string {
  return content.map((c) => String(c['#text'] ?? '')).join('');
}

// XML 1.0 names, slightly simplified (any non-ASCII letter is allowed).
const XML_NAME = /^[A-Za-z_:\u00c0-\uffff][\w.:\-\u00b7-\uffff]*$/;

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string, path: XmlElement[], problems: XmlProblem[]): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z_:][\w.:-]*)?;?/g, (whole, ref: string | undefined) => {
    const complete = ref !== undefined && whole.endsWith(';');
    if (complete && ref.startsWith('#')) {
      const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (isXmlChar(code)) return String.fromCodePoint(code);
      problems.push({ path, message: `character reference ${whole.slice(0, 20)} is not a character XML allows` });
      return '';
    }
    if (complete && ref in XML_ENTITIES) return XML_ENTITIES[ref]!;
    problems.push({
      path,
      message: complete
        ? `unknown entity ${whole.slice(0, 40)} (only &amp; &lt; &gt; &quot; &apos; and character references are allowed)`
        : 'a bare & must be written as &amp;',
    });
    return '';
  });
}

function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

// ---------------------------------------------------------------------------------------------
// Writing

export function element(
  name: string,
  attrs: [string, string | undefined][] = [],
  children: XmlNode[] = [],
): XmlElement {
  return { type: 'element', name, attrs: attrs.filter((a): a is [string, string] => a[1] !== undefined), children };
}

export function textElement(name: string, text: string, attrs: [string, string | undefined][] = []): XmlElement {
  return element(name, attrs, [{ type: 'text', text }]);
}

export function textOf(el: XmlElement): string {
  return el.children.map((c) => (c.type === 'text' || c.type === 'cdata' ? c.text : '')).join('');
}

export function childElements(el: XmlElement): XmlElement[] {
  return el.children.filter((c): c is XmlElement => c.type === 'element');
}

export function attr(el: XmlElement, name: string): string | undefined {
  return el.attrs.find(([n]) => n === name)?.[1];
}

/** The document as text: declaration, 2-space indentation; text content is written exactly. */
export function writeXml(doc: XmlDocument): string {
  const pieces = writeXmlPieces(doc);
  if (pieces) return pieces.head + pieces.children.join('') + pieces.tail;
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  for (const n of doc.before) lines.push(writeNode(n, ''));
  lines.push(writeNode(doc.root, ''));
  for (const n of doc.after) lines.push(writeNode(n, ''));
  return lines.join('\n') + '\n';
}

/**
 * writeXml's text in pieces: `head + children.join('') + tail` is exactly writeXml(doc), and
 * children[i] (ending in a newline) is the i-th child of the root that is not text. Undefined when
 * the root is not written with one child per line (no children, or text in it).
 */
export function writeXmlPieces(doc: XmlDocument): { head: string; children: string[]; tail: string } | undefined {
  const root = doc.root;
  if (!childrenOnLines(root)) return undefined;
  const open = `<${root.name}${root.attrs.map(([n, v]) => ` ${n}="${escapeAttr(v)}"`).join('')}>\n`;
  const head = ['<?xml version="1.0" encoding="UTF-8"?>', ...doc.before.map((n) => writeNode(n, ''))].join('\n');
  const children = root.children.filter((c) => c.type !== 'text').map((c) => writeNode(c, '  ') + '\n');
  const tail = [`</${root.name}>`, ...doc.after.map((n) => writeNode(n, ''))].join('\n') + '\n';
  return { head: `${head}\n${open}`, children, tail };
}

/** One child of the root as writeXml writes it (2 spaces in), without the newline after it. */
export function writeRootChild(node: XmlNode): string {
  return writeNode(node, '  ');
}

/** Written with each child on its own line (markup only), rather than as text content. */
function childrenOnLines(el: XmlElement): boolean {
  const children = el.children;
  const hasText = children.some((c) => (c.type === 'text' && c.text.trim() !== '') || c.type === 'cdata');
  const hasMarkup = children.some((c) => c.type === 'element' || c.type === 'comment');
  return !hasText && hasMarkup;
}

function writeNode(node: XmlNode, indent: string): string {
  switch (node.type) {
    case 'text':
      return indent + escapeText(node.text);
    case 'cdata':
      return `${indent}<![CDATA[${node.text}]]>`;
    case 'comment':
      return `${indent}<!--${node.text}-->`;
    case 'element':
      return writeElement(node, indent);
  }
}

function writeElement(el: XmlElement, indent: string): string {
  const open = `${indent}<${el.name}${el.attrs.map(([n, v]) => ` ${n}="${escapeAttr(v)}"`).join('')}`;
  const children = el.children;
  if (children.length === 0) return `${open}/>`;
  if (!childrenOnLines(el)) {
    // Text (or mixed) content is written exactly as it is: whitespace in it may be meaningful.
    return `${open}>${children.map((c) => writeNode(c, '')).join('')}</${el.name}>`;
  }
  const inner = children.filter((c) => c.type !== 'text').map((c) => writeNode(c, indent + '  '));
  return `${open}>\n${inner.join('\n')}\n${indent}</${el.name}>`;
}

function escapeText(s: string): string {
  return s.replace(/[&<>\r]/g, (c) => (c === '\r' ? '&#13;' : ESCAPES[c]!));
}

function escapeAttr(s: string): string {
  return s.replace(/[&<>"\t\n\r]/g, (c) => ESCAPES[c]!);
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

function position(text: string, index: number): { line: number; col: number } {
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  return { line, col: index - before.lastIndexOf('\n') };
}

function hex4(ch: string): string {
  return ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;
  if (n >= 1024) return `${Math.round((n / 1024) * 10) / 10} KiB`;
  return `${n} bytes`;
}
