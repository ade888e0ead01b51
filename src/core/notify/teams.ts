// Microsoft Teams through a Workflows webhook ("Post to a channel when a webhook request is
// received"): a message with one Adaptive Card attachment (the format Workflows expects; the old
// MessageCard connectors are retired).

import type { NotifyMessage, NotifySettings } from '../../shared/notify.js';
import type { HttpClient } from '../http-client.js';
import type { NotifyChannel } from '../ports.js';
import { deliver, jsonPost, titleOf } from './http-post.js';

const COLOR = { critical: 'Attention', warning: 'Warning', info: 'Accent' } as const;

export function teamsPayload(m: NotifyMessage): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              text: titleOf(m),
              weight: 'Bolder',
              size: 'Medium',
              wrap: true,
              color: m.action === 'resolve' ? 'Good' : COLOR[m.severity],
            },
            { type: 'TextBlock', text: m.text, wrap: true },
            {
              type: 'FactSet',
              facts: [
                { title: 'Pair', value: m.pair === '*' ? 'configuration' : m.pair },
                { title: 'Alert', value: m.alert },
                { title: 'Severity', value: m.severity },
                { title: 'Time', value: m.at },
              ],
            },
          ],
        },
      },
    ],
  };
}

export function teamsChannel(s: NotifySettings, client: HttpClient): NotifyChannel {
  return {
    id: s.id,
    type: 'teams',
    handles: (action) => action !== 'acknowledge',
    send: (m, timeoutMs) => deliver(client, jsonPost(s.url!, teamsPayload(m)), timeoutMs),
  };
}
