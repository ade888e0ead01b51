// Alert channels: `<notify>` elements of pbxctrl-failover.xml (Slack, Teams, PagerDuty, e-mail,
// webhook), the message every channel is handed, and the masking of their secrets with the same
// rules as the action's (SECRET_MASK, secret query parameters, passwords in URLs, headers).

import { SECRET_MASK, type AlertKind, type BodyEncoding, type HttpMethod, type Severity } from './model.js';
import { isSecretHeader, maskUrl } from './secrets.js';

export const NOTIFY_TYPES = ['slack', 'teams', 'pagerduty', 'email', 'webhook'] as const;
export type NotifyType = (typeof NOTIFY_TYPES)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const satisfies readonly Severity[];

/** Extra template variables of a webhook, beside the action URL's. */
export const NOTIFY_VARIABLES = ['alert', 'severity', 'text', 'resolved'] as const;

export interface NotifyHeader {
  name: string;
  value: string;
}

/** One `<notify>` element. */
export interface NotifySettings {
  /** Lower-case letters, digits, `-` and `_`, as a pair id. */
  id: string;
  type: NotifyType;
  /** `min-severity`: alerts below it are not sent through this channel (default info: everything). */
  minSeverity: Severity;
  /** `pairs="acme beta"`: only alerts of these pairs (and of the whole configuration, pair `*`); absent: all. */
  pairs?: string[];
  /** Slack, Teams and webhook: where the message is posted. A secret in its path or query (masked). */
  url?: string;
  /** PagerDuty: the Events v2 integration's routing key. A secret. */
  routingKey?: string;
  /** E-mail: `smtp://user:pass@host:587` or `smtps://…`; the password is a secret. */
  smtp?: string;
  from?: string;
  to?: string[];
  /** Webhook: default POST. */
  method?: HttpMethod;
  /** Webhook: default json. */
  encoding?: BodyEncoding;
  /** Webhook: extra headers; every header off the harmless list is a secret, as in an action. */
  headers: NotifyHeader[];
  /** Webhook: a template with the action URL's variables plus {alert}, {severity}, {text}, {resolved}. */
  body?: string;
}

/** What happens to the incident of one pair and alert kind (PagerDuty's event_action). */
export type NotifyAction = 'trigger' | 'resolve' | 'acknowledge';

/** One message as the dispatcher hands it to a channel. */
export interface NotifyMessage {
  /** The id of the alert this message is about (for a resolve: the alert that raised the condition). */
  alertId: string;
  pair: string;
  pairName: string;
  /** The alert kind of the condition (`test` for "Send test"). */
  alert: AlertKind | 'test';
  severity: Severity;
  /** The message in words. */
  text: string;
  action: NotifyAction;
  /** One key per pair and alert kind: PagerDuty's dedup_key, the same for trigger, acknowledge and resolve. */
  dedupKey: string;
  /** ISO 8601 */
  at: string;
  /** Values of the action URL's template variables that are known (pair, name, time, epoch, primary, standby…). */
  values: Record<string, string>;
  /** For an acknowledgement: who and why. */
  ack?: { operator: string; reason: string };
}

/** A channel as the API and the dashboard see it: settings masked, last delivery. */
export interface NotifyChannelInfo {
  settings: NotifySettings;
  /** Failed deliveries in a row (0 when the last one worked). */
  failures: number;
  /** The channel raised notify-failing and has not delivered since. */
  failing: boolean;
  lastDelivery?: { at: string; ok: boolean; status?: number; error?: string };
}

/** `GET /api/notify`: the channels (masked) and the pairs silenced now. */
export interface NotifyOverview {
  channels: NotifyChannelInfo[];
  silences: SilenceInfo[];
}

/** `POST /api/pairs/:id/silence`: nothing is sent for the pair for `duration` seconds (0 ends a silence). */
export interface SilenceRequest {
  duration: number;
  reason: string;
  operator?: string;
}

export interface SilenceInfo {
  pair: string;
  /** ISO 8601 end of the silence. */
  until: string;
  operator: string;
  reason: string;
}

/** Who acknowledged an alert, shown on every dashboard. */
export interface AlertAck {
  operator: string;
  reason: string;
  at: string;
}

/** `POST /api/notify/:id/test` answers the outcome of one delivery. */
export interface NotifyTestResult {
  channel: string;
  ok: boolean;
  status?: number;
  latencyMs: number;
  error?: string;
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export function severityAtLeast(severity: Severity, min: Severity): boolean {
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[min];
}

/** Does this channel take alerts of this pair (`*`: the whole configuration, always taken)? */
export function channelTakesPair(s: NotifySettings, pair: string): boolean {
  return s.pairs === undefined || pair === '*' || s.pairs.includes(pair);
}

/** A copy with every secret replaced by SECRET_MASK (for the API, the UI, the export and logs). */
export function maskNotify(s: NotifySettings): NotifySettings {
  const out: NotifySettings = {
    ...s,
    headers: s.headers.map((h) => (isSecretHeader(h.name) && h.value !== '' ? { ...h, value: SECRET_MASK } : { ...h })),
  };
  if (s.pairs) out.pairs = [...s.pairs];
  if (s.to) out.to = [...s.to];
  if (s.url !== undefined) out.url = maskHookUrl(s.url);
  if (s.smtp !== undefined) out.smtp = maskUrl(s.smtp);
  if (s.routingKey !== undefined && s.routingKey !== '') out.routingKey = SECRET_MASK;
  return out;
}

/**
 * A webhook URL of Slack or Teams is itself the credential: its path carries the token
 * (`/services/T0/B0/x`, `/workflows/…?sig=…`). Masked: the password, secret query parameters (the
 * action's rules) and every path segment after the first, so the host and the kind stay readable.
 */
export function maskHookUrl(url: string): string {
  const masked = maskUrl(url);
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*)(\/[^?#]*)?(.*)$/s.exec(masked);
  if (!m || !m[2]) return masked;
  const segments = m[2].split('/');
  // ['', 'services', 'T0', 'B0', 'x'] -> ['', 'services', mask]
  const kept = segments.length > 2 ? [...segments.slice(0, 2), SECRET_MASK] : segments;
  return m[1]! + kept.join('/') + m[3]!;
}

export { SECRET_MASK };
