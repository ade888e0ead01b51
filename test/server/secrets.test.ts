// Secrets through the real service (trust issue, items 7 and 8): a masked secret never follows a
// changed action URL to another origin, and no answer or masked export shows a secret, also not
// rendered through {primary} into the recorded request. Loopback fixtures, a real serverdir.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiErrorBody } from '../../src/shared/api.js';
import { SECRET_MASK, type PairDetail, type PairSettings, type PairStatus } from '../../src/shared/model.js';
import { CONFIG_FILE, jsonBody, startTestService, waitFor, type TestService } from '../helpers/service-harness.js';
import { HttpFixture } from '../helpers/http-fixtures.js';

const SECRETS = ['primary-pw', 'primary-tok', 'action-pw', 'ovh-consumer-key', 'literal-body-secret'];

let primary: HttpFixture;
let validation: HttpFixture;
let dns: HttpFixture;
let other: HttpFixture;
let svc: TestService;

const portOf = (f: HttpFixture) => new URL(f.url()).port;
const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function xml(): string {
  const primaryUrl = `http://mon:primary-pw@127.0.0.1:${portOf(primary)}/status?token=primary-tok`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<pbxctrl-failover version="1">
  <pair id="acme">
    <name>ACME Corp</name>
    <primary-url>${escapeXml(primaryUrl)}</primary-url>
    <interval>0.1</interval>
    <tolerated-failures>1</tolerated-failures>
    <validation quorum="1"><url>${validation.url()}</url></validation>
    <action method="POST" encoding="json" auth="basic" retries="2" timeout="2">
      <url>${dns.url('/dns')}</url>
      <user>api</user><pass>action-pw</pass>
      <header name="X-Ovh-Consumer">ovh-consumer-key</header>
      <header name="Accept">application/json</header>
      <body>{"from":"{primary}","reason":"{reason}"}</body>
    </action>
    <failback-action method="POST" encoding="json">
      <url>${dns.url('/back')}</url>
      <body secret="true">{"apikey":"literal-body-secret"}</body>
    </failback-action>
  </pair>
</pbxctrl-failover>
`;
}

beforeEach(async () => {
  [primary, validation, dns, other] = await Promise.all([
    HttpFixture.start(),
    HttpFixture.start(),
    HttpFixture.start(),
    HttpFixture.start(),
  ]);
  svc = await startTestService({ xml: xml(), events: { batchMs: 50 } });
});

afterEach(async () => {
  await svc.dispose();
  await Promise.all([primary.close(), validation.close(), dns.close(), other.close()]);
});

const detail = () => svc.json<PairDetail>('/api/pairs/acme');
const configFile = () => readFile(join(svc.serverdir, CONFIG_FILE), 'utf8');

function expectNoSecret(text: string, where: string): void {
  for (const secret of SECRETS) expect(text, `${secret} in ${where}`).not.toContain(secret);
}

describe('masked secrets and a changed action URL (item 7)', () => {
  it('refuses the mask for a new origin with a Problem per field, and changes nothing', async () => {
    const masked = (await detail()).settings;
    const moved: PairSettings = { ...masked, action: { ...masked.action, url: other.url('/dns') } };
    const res = await svc.api('/api/pairs/acme', jsonBody('PUT', moved));
    expect(res.status).toBe(400);
    const body = (await res.json()) as ApiErrorBody;
    expect(body.problems!.map((p) => p.field).sort()).toEqual(['action.headers[0].value', 'action.pass']);
    for (const p of body.problems!) expect(p.message).toMatch(/origin changed .* type the secret again/);
    expect((await detail()).settings.action.url).toBe(dns.url('/dns'));
    expect(await configFile()).toContain('action-pw');
  });

  it('keeps the stored secrets for the same origin; typed again, they go to the new host and nowhere else', async () => {
    const masked = (await detail()).settings;
    const samePlace: PairSettings = { ...masked, action: { ...masked.action, url: dns.url('/dns/v2') } };
    await svc.json('/api/pairs/acme', jsonBody('PUT', samePlace));
    expect(await configFile()).toContain('action-pw');

    const retyped: PairSettings = {
      ...masked,
      action: {
        ...masked.action,
        url: other.url('/dns'),
        pass: 'new-pw',
        headers: [
          { name: 'X-Ovh-Consumer', value: 'new-ck' },
          { name: 'Accept', value: 'application/json' },
        ],
      },
    };
    await svc.json('/api/pairs/acme', jsonBody('PUT', retyped));
    await waitFor('waiting', async () => (await detail()).state === 'waiting');
    await primary.refuse();
    await waitFor('the action at the new host', () => other.hits === 1);
    const sent = other.requests[0]!;
    expect(sent.headers['authorization']).toBe(`Basic ${Buffer.from('api:new-pw').toString('base64')}`);
    expect(sent.headers['x-ovh-consumer']).toBe('new-ck');
    expect(dns.hits).toBe(0);
  });

  it('refuses an import of a masked export whose action URL points elsewhere', async () => {
    const exported = await (await svc.api('/api/config.xml?masked=1')).text();
    const res = await svc.api('/api/config.xml', {
      method: 'PUT',
      headers: { 'content-type': 'application/xml' },
      body: exported.replace(dns.url('/dns'), other.url('/dns')),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ApiErrorBody;
    expect(body.problems!.map((p) => `${p.pair}:${p.field}`).sort()).toEqual([
      'acme:action.headers[0].value',
      'acme:action.pass',
    ]);
    // The unchanged export imports back and keeps every secret.
    const back = await svc.api('/api/config.xml', {
      method: 'PUT',
      headers: { 'content-type': 'application/xml' },
      body: exported,
    });
    expect(back.status).toBe(200);
    expect(await configFile()).toContain('literal-body-secret');
  });
});

describe('no secret in any masked answer, also after a failover (item 8)', () => {
  it('GET /api/pairs, GET /api/pairs/:id and the masked export show no credential, token, body secret or API-key header', async () => {
    await waitFor('waiting', async () => (await detail()).state === 'waiting');
    await primary.refuse();
    await waitFor('the action done', async () => (await detail()).action?.phase === 'succeeded');
    // The wire got everything, {primary} with its credentials included.
    expect(JSON.parse(dns.requests[0]!.body).from).toBe(
      `http://mon:primary-pw@127.0.0.1:${portOf(primary)}/status?token=primary-tok`,
    );
    expect(dns.requests[0]!.headers['x-ovh-consumer']).toBe('ovh-consumer-key');

    const list = await svc.json<PairStatus[]>('/api/pairs');
    const one = await detail();
    expectNoSecret(JSON.stringify(list), 'GET /api/pairs');
    expectNoSecret(JSON.stringify(one), 'GET /api/pairs/acme');
    expect(JSON.parse(one.action!.request!.body!).from).toBe(
      `http://mon:${SECRET_MASK}@127.0.0.1:${portOf(primary)}/status?token=${SECRET_MASK}`,
    );
    expect(one.action!.request!.headers).toContainEqual({ name: 'x-ovh-consumer', value: SECRET_MASK });
    expect(one.action!.request!.headers).toContainEqual({ name: 'accept', value: 'application/json' });
    expect(one.settings.failbackAction!.body).toBe(SECRET_MASK);

    const masked = await (await svc.api('/api/config.xml?masked=1')).text();
    expectNoSecret(masked, 'the masked export');
    expect(masked).toContain(`<body secret="true">${SECRET_MASK}</body>`);

    // The failback's secret body goes out whole, and is recorded masked.
    await svc.json('/api/pairs/acme/rearm', jsonBody('POST', { reason: 'primary repaired', failback: true }));
    await waitFor('the failback', () => dns.requests.some((r) => r.url === '/back'));
    expect(dns.requests.find((r) => r.url === '/back')!.body).toBe('{"apikey":"literal-body-secret"}');
    const after = await detail();
    expect(after.action!.request!.body).toBe(SECRET_MASK);
    expectNoSecret(JSON.stringify(after), 'GET /api/pairs/acme after the failback');
    for (const line of svc.log.lines) expectNoSecret(line, 'the log');
  });
});
