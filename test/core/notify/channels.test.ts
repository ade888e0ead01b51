// Each alert channel against a loopback receiver: the exact payload shape of Slack, Teams,
// PagerDuty (dedup_key: trigger, acknowledge, resolve) and a webhook template, and mail through an
// SMTP sink.

import { describe, expect, it } from 'vitest';
import { SECRET_MASK } from '../../../src/shared/model.js';
import type { NotifySettings } from '../../../src/shared/notify.js';
import { waitFor } from '../../helpers/http-fixtures.js';
import { perTestScope } from '../../helpers/test-scope.js';
import { alertEvent, startDispatcher, startSmtpSink } from './notify-helpers.js';

const scope = perTestScope();

function channel(id: string, type: NotifySettings['type'], extra: Partial<NotifySettings>): NotifySettings {
  return { id, type, minSeverity: 'info', headers: [], ...extra };
}

describe('alert channels', () => {
  it('posts Slack its message format, green when resolved', async () => {
    const slack = await scope.fixture(200);
    const h = startDispatcher([channel('s', 'slack', { url: slack.url('/services/T0/B0/x') })]);
    scope.cleanups.push(() => h.close());
    h.dispatcher.handle(alertEvent('standby-down', 'warning', 'acme', 'ACME Corp: the standby does not answer'));
    h.dispatcher.handle(alertEvent('standby-up', 'info', 'acme', 'ACME Corp: the standby answers again'));
    // A post is on the receiver before its reply is back at the dispatcher: wait for both.
    await waitFor(() => slack.requests.length === 2, 'two Slack posts');
    await waitFor(() => h.events.filter((e) => e.type === 'notify').length === 2, 'both deliveries reported');
    expect(slack.requests[0]!.url).toBe('/services/T0/B0/x');
    expect(slack.requests[0]!.headers['content-type']).toBe('application/json');
    const first = JSON.parse(slack.requests[0]!.body);
    expect(first).toEqual({
      text: 'WARNING: ACME Corp standby-down: ACME Corp: the standby does not answer',
      attachments: [
        {
          color: '#e8a317',
          title: 'WARNING: ACME Corp standby-down',
          text: 'ACME Corp: the standby does not answer',
          fields: [
            { title: 'Pair', value: 'acme', short: true },
            { title: 'Alert', value: 'standby-down', short: true },
            { title: 'Severity', value: 'warning', short: true },
            { title: 'Status', value: 'firing', short: true },
          ],
          footer: 'PBX Failover Monitor',
          ts: expect.any(Number),
        },
      ],
    });
    const second = JSON.parse(slack.requests[1]!.body);
    expect(second.text).toBe('RESOLVED: ACME Corp standby-down: ACME Corp: the standby answers again');
    expect(second.attachments[0].color).toBe('#2eb67d');
    const notify = h.events.filter((e) => e.type === 'notify');
    expect(notify).toHaveLength(2);
    expect(notify[0]).toMatchObject({
      type: 'notify',
      channel: 's',
      ok: true,
      status: 200,
      action: 'trigger',
      attempt: 1,
    });
    expect(notify[1]).toMatchObject({ action: 'resolve', alert: 'standby-down' });
  });

  it('posts Teams (Workflows) an Adaptive Card', async () => {
    const teams = await scope.fixture(202);
    const h = startDispatcher([channel('t', 'teams', { url: teams.url('/workflows/abc') })]);
    scope.cleanups.push(() => h.close());
    h.dispatcher.handle(alertEvent('isolated', 'warning', 'acme', 'cut off'));
    await waitFor(() => teams.requests.length === 1, 'a Teams post');
    await waitFor(() => h.events.some((e) => e.type === 'notify'), 'the delivery reported');
    const body = JSON.parse(teams.requests[0]!.body);
    expect(body.type).toBe('message');
    expect(body.attachments).toHaveLength(1);
    const a = body.attachments[0];
    expect(a.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(a.contentUrl).toBeNull();
    expect(a.content).toMatchObject({
      type: 'AdaptiveCard',
      version: '1.4',
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    });
    expect(a.content.body[0]).toEqual({
      type: 'TextBlock',
      text: 'WARNING: ACME Corp isolated',
      weight: 'Bolder',
      size: 'Medium',
      wrap: true,
      color: 'Warning',
    });
    expect(a.content.body[1]).toEqual({ type: 'TextBlock', text: 'cut off', wrap: true });
    expect(a.content.body[2].type).toBe('FactSet');
    expect(a.content.body[2].facts).toContainEqual({ title: 'Alert', value: 'isolated' });
    expect(h.events.find((e) => e.type === 'notify')).toMatchObject({ ok: true, status: 202 });
  });

  it('sends PagerDuty Events v2 with one dedup_key per pair and alert kind: trigger, acknowledge, resolve', async () => {
    const pd = await scope.fixture(202);
    const h = startDispatcher([
      channel('pd', 'pagerduty', { minSeverity: 'critical', routingKey: 'R0UT1NGK3Y', url: pd.url('/v2/enqueue') }),
    ]);
    scope.cleanups.push(() => h.close());
    const failed = alertEvent('action-failed', 'critical', 'acme', 'the action failed 5 times');
    h.dispatcher.handle(alertEvent('standby-down', 'warning')); // below min-severity
    h.dispatcher.handle(failed);
    await waitFor(() => pd.requests.length === 1, 'a trigger');
    h.dispatcher.handle({
      type: 'operator',
      pair: 'acme',
      at: new Date().toISOString(),
      action: 'ack',
      operator: 'alice',
      reason: 'on it',
      outcome: 'ok',
      alertId: failed.id!,
    });
    await waitFor(() => pd.requests.length === 2, 'an acknowledge');
    h.dispatcher.handle(alertEvent('action-succeeded', 'info', 'acme', 'the action succeeded'));
    await waitFor(() => pd.requests.length === 3, 'a resolve');
    const [trigger, ack, resolve] = pd.requests.map((r) => JSON.parse(r.body));
    expect(trigger).toEqual({
      routing_key: 'R0UT1NGK3Y',
      event_action: 'trigger',
      dedup_key: 'acme:action-failed',
      payload: {
        summary: 'CRITICAL: ACME Corp action-failed: the action failed 5 times',
        source: 'acme',
        severity: 'critical',
        timestamp: failed.at,
        component: 'acme',
        class: 'action-failed',
        custom_details: {
          pair: 'acme',
          name: 'ACME Corp',
          alert: 'action-failed',
          text: 'the action failed 5 times',
          alert_id: failed.id,
        },
      },
      client: 'PBX Failover Monitor',
    });
    expect(ack).toEqual({ routing_key: 'R0UT1NGK3Y', event_action: 'acknowledge', dedup_key: 'acme:action-failed' });
    // The resolve carries the trigger's severity, so it passes the same min-severity.
    expect(resolve).toEqual({ routing_key: 'R0UT1NGK3Y', event_action: 'resolve', dedup_key: 'acme:action-failed' });
  });

  it('fills a webhook template with the action variables plus alert, severity, text and resolved', async () => {
    const hook = await scope.fixture(200);
    const h = startDispatcher([
      channel('hook', 'webhook', {
        method: 'POST',
        encoding: 'json',
        pairs: ['acme', 'beta'],
        url: hook.url('/pbx?pair={pair}'),
        headers: [{ name: 'X-Token', value: 't0k3n' }],
        body: '{"pair":"{pair}","kind":"{alert}","severity":"{severity}","text":"{text}","resolved":{resolved},"name":"{name}","primary":"{primary}"}',
      }),
    ]);
    scope.cleanups.push(() => h.close());
    h.dispatcher.handle(alertEvent('standby-down', 'warning', 'other')); // not one of the pairs
    h.dispatcher.handle(alertEvent('standby-down', 'warning', 'acme', 'said "down"\nnow'));
    h.dispatcher.handle(alertEvent('standby-up', 'info', 'acme', 'up'));
    await waitFor(() => hook.requests.length === 2, 'two webhook calls');
    const r = hook.requests[0]!;
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/pbx?pair=acme');
    expect(r.headers['x-token']).toBe('t0k3n');
    expect(JSON.parse(r.body)).toEqual({
      pair: 'acme',
      kind: 'standby-down',
      severity: 'warning',
      text: 'said "down"\nnow',
      resolved: false,
      name: 'ACME Corp',
      primary: `http://user:${SECRET_MASK}@127.0.0.1:1/`,
    });
    expect(JSON.parse(hook.requests[1]!.body)).toMatchObject({ kind: 'standby-down', resolved: true, text: 'up' });
  });

  it('mails through SMTP with nodemailer, authenticated, the password never in a failure', async () => {
    const sink = await startSmtpSink({ user: 'mon', pass: 's3cr3t' });
    scope.cleanups.push(() => sink.close());
    const h = startDispatcher(
      [
        channel('mail', 'email', {
          smtp: `smtp://mon:s3cr3t@127.0.0.1:${sink.port}`,
          from: 'pbx-monitor@example.com',
          to: ['noc@example.com', 'b@example.com'],
        }),
        channel('bad', 'email', {
          smtp: `smtp://mon:wr0ngpass@127.0.0.1:${sink.port}`,
          from: 'pbx-monitor@example.com',
          to: ['noc@example.com'],
        }),
      ],
      { attempts: 1 },
    );
    scope.cleanups.push(() => h.close());
    h.dispatcher.handle(alertEvent('lock-lost', 'critical', '*', 'another instance took the lock'));
    await waitFor(() => h.events.filter((e) => e.type === 'notify').length === 2, 'both deliveries');
    expect(sink.mails).toHaveLength(1);
    const mail = sink.mails[0]!;
    expect(mail.from).toBe('pbx-monitor@example.com');
    expect(mail.to).toEqual(['noc@example.com', 'b@example.com']);
    expect(mail.user).toBe('mon');
    expect(mail.raw).toMatch(/^Subject: CRITICAL: PBX Failover Monitor lock-lost$/m);
    expect(mail.raw).toContain('another instance took the lock');
    const bad = h.events.find((e) => e.type === 'notify' && e.channel === 'bad');
    expect(bad).toMatchObject({ ok: false, status: 535 });
    expect(JSON.stringify(h.events)).not.toContain('wr0ngpass');
    expect(JSON.stringify(h.events)).not.toContain('s3cr3t');
  });
});
