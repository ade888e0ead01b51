// PagerDuty Events API v2: one incident per pair and alert kind (`dedup_key`), triggered by the
// alert, acknowledged when an operator acknowledges it here, resolved when the condition clears.
// `<url>` may point elsewhere (a proxy, a test receiver); the default is PagerDuty's endpoint.

import type { NotifyMessage, NotifySettings } from '../../shared/notify.js';
import type { HttpClient } from '../http-client.js';
import type { NotifyChannel } from '../ports.js';
import { deliver, jsonPost, titleOf } from './http-post.js';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export function pagerDutyPayload(routingKey: string, m: NotifyMessage): Record<string, unknown> {
  const base = { routing_key: routingKey, event_action: m.action, dedup_key: m.dedupKey };
  if (m.action !== 'trigger') return base;
  return {
    ...base,
    payload: {
      summary: `${titleOf(m)}: ${m.text}`.slice(0, 1024),
      source: m.pair === '*' ? 'pbx-failover-monitor' : m.pair,
      severity: m.severity,
      timestamp: m.at,
      component: m.pair,
      class: m.alert,
      custom_details: { pair: m.pair, name: m.pairName, alert: m.alert, text: m.text, alert_id: m.alertId },
    },
    client: 'PBX Failover Monitor',
  };
}

export function pagerDutyChannel(s: NotifySettings, client: HttpClient): NotifyChannel {
  return {
    id: s.id,
    type: 'pagerduty',
    handles: () => true,
    send: (m, timeoutMs) =>
      deliver(client, jsonPost(s.url ?? PAGERDUTY_EVENTS_URL, pagerDutyPayload(s.routingKey!, m)), timeoutMs),
  };
}
