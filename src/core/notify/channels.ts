// One channel per `<notify type=…>`: the factory the dispatcher uses.

import type { NotifySettings } from '../../shared/notify.js';
import type { HttpClient } from '../http-client.js';
import type { NotifyChannel } from '../ports.js';
import { emailChannel } from './email.js';
import { pagerDutyChannel } from './pagerduty.js';
import { slackChannel } from './slack.js';
import { teamsChannel } from './teams.js';
import { webhookChannel } from './webhook.js';

export function createChannel(s: NotifySettings, client: HttpClient): NotifyChannel {
  switch (s.type) {
    case 'slack':
      return slackChannel(s, client);
    case 'teams':
      return teamsChannel(s, client);
    case 'pagerduty':
      return pagerDutyChannel(s, client);
    case 'email':
      return emailChannel(s);
    case 'webhook':
      return webhookChannel(s, client);
  }
}
