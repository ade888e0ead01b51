// The request a failover (or failback) will send, as the confirmation dialog
// shows it: built from the settings the API returned (secrets already masked),
// with the variables filled in as the engine will fill them.

import { renderTemplate, bodyContext } from '$shared/template';
import { SECRET_MASK, type ActionSettings, type MaskedRequest, type PairSettings, type PairState } from '$shared/model';

export interface PreviewContext {
  settings: PairSettings;
  from: PairState;
  to: PairState;
  reason: string;
  operator?: string;
  now?: Date;
}

export function previewRequest(action: ActionSettings, ctx: PreviewContext): MaskedRequest {
  const now = ctx.now ?? new Date();
  const values: Record<string, string> = {
    pair: ctx.settings.id,
    name: ctx.settings.name,
    from: ctx.from,
    to: ctx.to,
    reason: ctx.reason,
    manual: 'true',
    time: now.toISOString(),
    epoch: String(Math.floor(now.getTime() / 1000)),
    primary: ctx.settings.primaryUrl,
    standby: ctx.settings.standbyUrl ?? '',
    user: action.user ?? '',
    pass: SECRET_MASK,
  };
  const headers = action.headers.map((h) => ({ name: h.name, value: renderTemplate(h.value, values, 'header') }));
  if (action.auth === 'basic') headers.unshift({ name: 'Authorization', value: `Basic ${SECRET_MASK}` });
  if (action.auth === 'bearer') headers.unshift({ name: 'Authorization', value: `Bearer ${SECRET_MASK}` });
  const request: MaskedRequest = { method: action.method, url: renderTemplate(action.url, values, 'url'), headers };
  if (action.body) request.body = renderTemplate(action.body, values, bodyContext(action.encoding));
  return request;
}
