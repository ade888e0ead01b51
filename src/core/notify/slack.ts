// Slack incoming webhook: `text` for notifications and clients without attachments, one
// attachment coloured by severity (green when resolved) with the pair, alert and severity as fields.

import type { NotifyMessage, NotifySettings } from '../../shared/notify.js';
import type { HttpClient } from '../http-client.js';
import type { NotifyChannel } from '../ports.js';
import { deliver, jsonPost, titleOf } from './http-post.js';

const COLOR = { critical: '#d00000', warning: '#e8a317', info: '#439fe0', resolved: '#2eb67d' } as const;

export function slackPayload(m: NotifyMessage): Record<string, unknown> {
  const title = titleOf(m);
  return {
    text: `${title}: ${m.text}`,
    attachments: [
      {
        color: m.action === 'resolve' ? COLOR.resolved : COLOR[m.severity],
        title,
        text: m.text,
        fields: [
          { title: 'Pair', value: m.pair === '*' ? 'configuration' : m.pair, short: true },
          { title: 'Alert', value: m.alert, short: true },
          { title: 'Severity', value: m.severity, short: true },
          { title: 'Status', value: m.action === 'resolve' ? 'resolved' : 'firing', short: true },
        ],
        footer: 'PBX Failover Monitor',
        ts: Math.floor(Date.parse(m.at) / 1000),
      },
    ],
  };
}

export function slackChannel(s: NotifySettings, client: HttpClient): NotifyChannel {
  return {
    id: s.id,
    type: 'slack',
    handles: (action) => action !== 'acknowledge',
    send: (m, timeoutMs) => deliver(client, jsonPost(s.url!, slackPayload(m)), timeoutMs),
  };
}
