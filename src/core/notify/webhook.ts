// A webhook with the action URL's template rules: URL, headers and body are templates with the
// action's variables plus {alert}, {severity}, {text} and {resolved}, each value escaped for where
// it stands (URL, header, JSON, XML, form).

import type { NotifyMessage, NotifySettings } from '../../shared/notify.js';
import { bodyContext, contentTypeOf, renderTemplate } from '../../shared/template.js';
import type { HttpClient } from '../http-client.js';
import type { NotifyChannel } from '../ports.js';
import { deliver } from './http-post.js';

/** The body sent when `<body>` is left out (JSON; other encodings send {text}). */
export const DEFAULT_WEBHOOK_BODY =
  '{"pair":"{pair}","alert":"{alert}","severity":"{severity}","text":"{text}","resolved":{resolved},"time":"{time}"}';

export function webhookValues(m: NotifyMessage): Record<string, string> {
  return {
    ...m.values,
    alert: m.alert,
    severity: m.severity,
    text: m.text,
    resolved: m.action === 'resolve' ? 'true' : 'false',
  };
}

export function webhookRequest(s: NotifySettings, m: NotifyMessage) {
  const values = webhookValues(m);
  const method = s.method ?? 'POST';
  const encoding = s.encoding ?? 'json';
  const headers: Record<string, string> = {};
  const withBody = method !== 'GET';
  if (withBody) headers['content-type'] = contentTypeOf(encoding);
  for (const h of s.headers) headers[h.name.toLowerCase()] = renderTemplate(h.value, values, 'header');
  const template = s.body ?? (encoding === 'json' ? DEFAULT_WEBHOOK_BODY : '{text}');
  const req = { method, url: renderTemplate(s.url!, values, 'url'), headers } as {
    method: string;
    url: string;
    headers: Record<string, string>;
    body?: string;
  };
  if (withBody) req.body = renderTemplate(template, values, bodyContext(encoding));
  return req;
}

export function webhookChannel(s: NotifySettings, client: HttpClient): NotifyChannel {
  return {
    id: s.id,
    type: 'webhook',
    handles: (action) => action !== 'acknowledge',
    send: (m, timeoutMs) => deliver(client, webhookRequest(s, m), timeoutMs),
  };
}
