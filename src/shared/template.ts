// Action-URL templates: `{pair}`, `{to}`, … filled in when an action fires,
// each value escaped for the place it stands in (URL, JSON, XML, form, header).
// Pure: runs in the engine, the service and the dashboard's editor alike.

import { TEMPLATE_VARIABLES, type BodyEncoding } from './model.js';

// Harmless stand-ins for the variables, so that a template URL can be checked as a URL.
export const TEMPLATE_STAND_INS: Record<string, string> = Object.fromEntries(TEMPLATE_VARIABLES.map((n) => [n, 'x']));

export type TemplateContext = 'url' | 'json' | 'xml' | 'form' | 'plain' | 'header';

// Only braces around a plain identifier are a variable, so `{"a":1}` in a JSON body stays as it is.
const VARIABLE = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Names of the variables in `text`, each once, in order of first use. */
export function templateVariables(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(VARIABLE)) names.add(m[1]!);
  return [...names];
}

/** Fill in the variables of `text`; names without a value are left as they are. */
export function renderTemplate(text: string, values: Record<string, string>, context: TemplateContext): string {
  return text.replace(VARIABLE, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(values, name) ? escapeFor(context, String(values[name])) : whole,
  );
}

export function escapeFor(context: TemplateContext, value: string): string {
  switch (context) {
    case 'url':
      return encodeURIComponent(wellFormed(value));
    case 'json':
      return JSON.stringify(value).slice(1, -1);
    case 'xml':
      return escapeXml(value);
    case 'form':
      return formEncode(value);
    case 'header':
      return headerEncode(value);
    case 'plain':
      return value;
  }
}

export function bodyContext(encoding: BodyEncoding): TemplateContext {
  return encoding;
}

export function contentTypeOf(encoding: BodyEncoding): string {
  switch (encoding) {
    case 'json':
      return 'application/json';
    case 'xml':
      return 'application/xml; charset=utf-8';
    case 'form':
      return 'application/x-www-form-urlencoded';
    case 'plain':
      return 'text/plain; charset=utf-8';
  }
}

// Characters XML cannot carry even as references would make the receiver reject the whole body.
function escapeXml(value: string): string {
  return (
    wellFormed(value)
      // eslint-disable-next-line no-control-regex -- these control characters are what XML cannot carry
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
      .replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!)
  );
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

// application/x-www-form-urlencoded as the WHATWG URL standard defines it: space is `+`, and only
// alphanumerics and `*-._` stay unencoded (encodeURIComponent would also leave `!'()~`).
function formEncode(value: string): string {
  return encodeURIComponent(wellFormed(value))
    .replace(/%20/g, '+')
    .replace(/[!'()~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

// A header value can carry only visible ASCII and spaces safely (undici refuses anything outside
// Latin-1, a CR or LF would split the header). Everything else becomes percent-encoded UTF-8
// (`Zürich – Hauptsitz` -> `Z%C3%BCrich %E2%80%93 Hauptsitz`); an ASCII value (a token) passes unchanged.
function headerEncode(value: string): string {
  return wellFormed(value).replace(/[^\u0020-\u007e]+/g, (run) => encodeURIComponent(run));
}

// encodeURIComponent throws on a lone surrogate; a reason typed by an operator must never break an action.
function wellFormed(value: string): string {
  return value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}
