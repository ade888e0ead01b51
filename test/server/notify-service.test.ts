// Done when: a failover reaches a loopback Slack, Teams, PagerDuty and webhook receiver and the SMTP
// sink once each, with a resolved message later; an acknowledgement made through one client shows
// in another client's event stream; the channels' secrets never leave masked (API, export, logs).

import { afterEach, describe, expect, it } from 'vitest';
import type { AlertEvent, EngineEvent, HistoryEvent, OperatorEvent, PairStatus } from '../../src/shared/model.js';
import type { NotifyOverview, NotifyTestResult, SilenceInfo } from '../../src/shared/notify.js';
import { HttpFixture } from '../helpers/http-fixtures.js';
import { configXml, jsonBody, startTestService, waitFor, type TestService } from '../helpers/service-harness.js';
import { startSmtpSink, type SmtpSink } from '../core/notify/notify-helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function fixture(status = 200): Promise<HttpFixture> {
  const f = await HttpFixture.start({ status });
  cleanups.push(() => f.close());
  return f;
}

/** One SSE client of the service: every event it was sent. */
async function sseClient(svc: TestService) {
  const res = await svc.api('/api/events');
  const stream = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: EngineEvent[] = [];
  let buffer = '';
  void (async () => {
    for (;;) {
      const { value, done } = await stream.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const msg = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (msg.startsWith('event: events\n'))
          events.push(...(JSON.parse(msg.slice(msg.indexOf('data: ') + 6)) as EngineEvent[]));
      }
    }
  })();
  cleanups.push(() => stream.cancel().catch(() => undefined));
  return events;
}

const SECRETS = ['SLACKTOKEN', 'TEAMSSIG', 'R0UT1NGK3Y', 'mailpass', 'HOOKTOKEN'];

describe('alert channels in the service', () => {
  it('a failover reaches every channel once, resolved later; an acknowledgement shows in another client', async () => {
    const primary = await fixture(200);
    const validation = await fixture(200);
    const action = await fixture(200);
    const slack = await fixture(200);
    const teams = await fixture(202);
    const pd = await fixture(202);
    const hook = await fixture(200);
    const sink: SmtpSink = await startSmtpSink({ user: 'mon', pass: 'mailpass' });
    cleanups.push(() => sink.close());
    const channels = `
  <notify id="noc-slack" type="slack" min-severity="warning"><url>${slack.url('/services/T0/B0/SLACKTOKEN')}</url></notify>
  <notify id="noc-teams" type="teams" min-severity="warning"><url>${teams.url('/workflows/abc?sig=TEAMSSIG')}</url></notify>
  <notify id="oncall" type="pagerduty" min-severity="critical"><url>${pd.url('/v2/enqueue')}</url><routing-key>R0UT1NGK3Y</routing-key></notify>
  <notify id="ops-mail" type="email" min-severity="critical"><smtp>smtp://mon:mailpass@127.0.0.1:${sink.port}</smtp><from>pbx-monitor@example.com</from><to>noc@example.com</to></notify>
  <notify id="hook" type="webhook" method="POST" encoding="json" pairs="acme beta" min-severity="warning">
    <url>${hook.url('/pbx')}</url><header name="X-Token">HOOKTOKEN</header>
    <body>{"pair":"{pair}","kind":"{alert}","severity":"{severity}","text":"{text}","resolved":{resolved}}</body>
  </notify>
`;
    const xml = configXml([
      {
        id: 'acme',
        name: 'ACME Corp',
        primaryUrl: primary.url('/'),
        validationUrl: validation.url('/'),
        actionUrl: action.url('/dns'),
      },
    ]).replace('</pbxctrl-failover>', `${channels}</pbxctrl-failover>`);
    const svc = await startTestService({ xml });
    cleanups.push(() => svc.dispose());
    const clientA = await sseClient(svc);
    const clientB = await sseClient(svc);

    primary.setStatus(503);
    /* eslint-disable @typescript-eslint/no-explicit-any -- the receivers' JSON, read field by field */
    // What each receiver was told: the alert kind and whether it is the resolve.
    type Told = { kind: string; resolved: boolean; ack?: boolean };
    const told = (f: HttpFixture, read: (b: any) => Told): Told[] => f.requests.map((r) => read(JSON.parse(r.body)));
    const bySlack = (b: any): Told => ({
      kind: b.attachments[0].fields[1].value,
      resolved: b.attachments[0].fields[3].value === 'resolved',
    });
    const byTeams = (b: any): Told => ({
      kind: b.attachments[0].content.body[2].facts[1].value,
      resolved: b.attachments[0].content.body[0].text.startsWith('RESOLVED'),
    });
    const byPd = (b: any): Told => ({
      kind: String(b.dedup_key).split(':')[1]!,
      resolved: b.event_action === 'resolve',
      ack: b.event_action === 'acknowledge',
    });
    const byHook = (b: any): Told => ({ kind: b.kind, resolved: b.resolved });
    const receivers: Array<[HttpFixture, (b: any) => Told]> = [
      [slack, bySlack],
      [teams, byTeams],
      [pd, byPd],
      [hook, byHook],
    ];
    const count = (f: HttpFixture, read: (b: any) => Told, resolved: boolean) =>
      told(f, read).filter((t) => t.kind === 'failover' && t.resolved === resolved && !t.ack).length;
    const subjects = () => sink.mails.map((m) => /^Subject: (.*)$/m.exec(m.raw)?.[1] ?? '');
    await waitFor(
      'the failover at every receiver',
      () =>
        receivers.every(([f, read]) => count(f, read, false) >= 1) &&
        subjects().includes('CRITICAL: ACME Corp failover'),
    );
    await waitFor('the action received', () => action.requests.length >= 1);
    await waitFor(
      'the action done',
      async () => (await svc.json<PairStatus>('/api/pairs/acme')).action?.phase === 'succeeded',
    );
    primary.setStatus(200);

    // The failover alert, with its id, through the API; acknowledged by one client, seen by the other.
    const alerts = await svc.json<HistoryEvent[]>('/api/alerts');
    const failover = alerts.find((a): a is AlertEvent => a.type === 'alert' && a.alert === 'failover')!;
    expect(failover.id).toEqual(expect.any(String));
    const acked = await svc.json<AlertEvent>(
      `/api/alerts/${failover.id}/ack`,
      jsonBody('POST', { reason: 'on it', operator: 'alice' }),
    );
    expect(acked.acknowledged).toMatchObject({ operator: 'alice', reason: 'on it' });
    const seen = (events: EngineEvent[]) =>
      events.find((e): e is OperatorEvent => e.type === 'operator' && e.action === 'ack' && e.alertId === failover.id);
    const inB = await waitFor('the acknowledgement in the other client', () => seen(clientB));
    expect(inB).toMatchObject({ operator: 'alice', reason: 'on it', pair: 'acme' });
    expect(seen(clientA)).toBeDefined();
    const again = await svc.api(`/api/alerts/${failover.id}/ack`, jsonBody('POST', { reason: 'me too' }));
    expect(again.status).toBe(409);
    const listed = await svc.json<HistoryEvent[]>('/api/alerts');
    expect(listed.find((a) => a.type === 'alert' && a.id === failover.id)).toMatchObject({
      acknowledged: { operator: 'alice', reason: 'on it' },
    });
    await waitFor('the PagerDuty acknowledge', () =>
      pd.requests.some((r) => r.body.includes('"event_action":"acknowledge"')),
    );

    await svc.json(`/api/pairs/acme/rearm`, jsonBody('POST', { failback: false, reason: 'primary is back' }));
    await waitFor(
      'the resolved failover at every receiver',
      () =>
        receivers.every(([f, read]) => count(f, read, true) >= 1) &&
        subjects().includes('RESOLVED: ACME Corp failover'),
    );
    // Once each: one trigger and one resolve of the failover per receiver.
    for (const [f, read] of receivers) {
      expect(count(f, read, false)).toBe(1);
      expect(count(f, read, true)).toBe(1);
    }
    expect(subjects().filter((s) => s === 'CRITICAL: ACME Corp failover')).toHaveLength(1);
    expect(subjects().filter((s) => s === 'RESOLVED: ACME Corp failover')).toHaveLength(1);
    const pdBodies = pd.requests.map((r) => JSON.parse(r.body) as { event_action: string; dedup_key: string });
    expect(pdBodies.filter((b) => b.dedup_key === 'acme:failover').map((b) => b.event_action)).toEqual([
      'trigger',
      'acknowledge',
      'resolve',
    ]);
    const hookBodies = hook.requests.map((r) => JSON.parse(r.body) as { kind: string; resolved: boolean });
    expect(hookBodies.filter((b) => b.kind === 'failover')).toEqual([
      expect.objectContaining({ pair: 'acme', kind: 'failover', severity: 'critical', resolved: false }),
      expect.objectContaining({ pair: 'acme', kind: 'failover', severity: 'critical', resolved: true }),
    ]);
    expect(hook.requests[0]!.headers['x-token']).toBe('HOOKTOKEN');

    // Deliveries are in the history as notify events.
    const history = await svc.json<{ events: HistoryEvent[] }>('/api/pairs/acme/history');
    const delivered = history.events.filter((e) => e.type === 'notify' && e.ok);
    expect(delivered.find((e) => e.type === 'notify' && e.channel === 'oncall')).toMatchObject({ status: 202 });
    expect(new Set(delivered.map((e) => (e.type === 'notify' ? e.channel : '')))).toEqual(
      new Set(['noc-slack', 'noc-teams', 'oncall', 'ops-mail', 'hook']),
    );

    // Send test, the channel list and the silence.
    const test = await svc.json<NotifyTestResult>('/api/notify/noc-slack/test', jsonBody('POST', { reason: 'check' }));
    expect(test).toMatchObject({ channel: 'noc-slack', ok: true, status: 200 });
    expect(slack.requests.at(-1)!.body).toContain('Test message');
    expect((await svc.api('/api/notify/nope/test', jsonBody('POST', {}))).status).toBe(404);
    const bad = await svc.api('/api/pairs/acme/silence', jsonBody('POST', { duration: -5, reason: 'x' }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { problems: { field: string }[] }).problems[0]!.field).toBe('duration');
    const silence = await svc.json<SilenceInfo>(
      '/api/pairs/acme/silence',
      jsonBody('POST', { duration: 3600, reason: 'works', operator: 'bob' }),
    );
    expect(silence).toMatchObject({ pair: 'acme', operator: 'bob', reason: 'works' });
    const overview = await svc.json<NotifyOverview>('/api/notify');
    expect(overview.channels.map((c) => c.settings.id)).toEqual([
      'noc-slack',
      'noc-teams',
      'oncall',
      'ops-mail',
      'hook',
    ]);
    expect(overview.silences).toEqual([silence]);
    expect(overview.channels[0]!.lastDelivery).toMatchObject({ ok: true, status: 200 });

    // No secret of a channel in any answer, the masked export or the log.
    const masked = await (await svc.api('/api/config.xml?masked=true')).text();
    const texts = [
      JSON.stringify(overview),
      masked,
      JSON.stringify(await svc.json('/api/alerts')),
      JSON.stringify(history),
      svc.log.lines.join('\n'),
      JSON.stringify(clientA),
    ];
    for (const text of texts) for (const secret of SECRETS) expect(text).not.toContain(secret);
  }, 60_000);
});
