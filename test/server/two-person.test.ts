// The two-person rule against the real service: two operator tokens, a loopback action receiver that
// counts what was fired, real files. One operator's request fires nothing, the same operator cannot
// approve it, a second operator's approval fires the action exactly once, a lapsed or rejected request
// changes nothing, and the audit names both people and their reasons.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiErrorBody, TwoPersonRequest } from '../../src/shared/api.js';
import type { HistoryEvent, PairStatus } from '../../src/shared/model.js';
import { HttpFixture } from '../helpers/http-fixtures.js';
import {
  CONFIG_FILE,
  configXml,
  jsonBody,
  startTestService,
  waitFor,
  type TestPair,
  type TestService,
  type TestServiceOptions,
} from '../helpers/service-harness.js';

let primary: HttpFixture;
let validation: HttpFixture;
let receiver: HttpFixture;
let svc: TestService;
let acme: TestPair;
let alice: string;
let bob: string;
let wall: string;

function xmlWithPolicy(words: string): string {
  return configXml([acme]).replace(
    '<pbxctrl-failover version="1">\n',
    `<pbxctrl-failover version="1">\n  <policy two-person="${words}"/>\n`,
  );
}

async function start(opts: TestServiceOptions = {}): Promise<void> {
  svc = await startTestService({ xml: xmlWithPolicy('failover failback remove'), events: { batchMs: 50 }, ...opts });
  const add = async (name: string, role: string) =>
    (await svc.json<{ token: string }>('/api/tokens', jsonBody('POST', { name, role }))).token;
  alice = await add('alice', 'operator');
  bob = await add('bob', 'operator');
  wall = await add('wall', 'viewer');
}

beforeEach(async () => {
  [primary, validation, receiver] = await Promise.all([HttpFixture.start(), HttpFixture.start(), HttpFixture.start()]);
  acme = {
    id: 'acme',
    primaryUrl: primary.url(),
    validationUrl: validation.url(),
    actionUrl: receiver.url('/dns'),
    interval: 0.1,
    toleratedFailures: 1,
  };
});

afterEach(async () => {
  await svc?.dispose();
  await Promise.all([primary.close(), validation.close(), receiver.close()]);
});

function as(token: string, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(`${svc.url}${path}`, { ...init, headers });
}

async function request(token: string, reason: string): Promise<TwoPersonRequest> {
  const res = await as(token, '/api/pairs/acme/failover', jsonBody('POST', { reason }));
  expect(res.status).toBe(202);
  const body = (await res.json()) as PairStatus & { request: TwoPersonRequest };
  expect(body.state).not.toBe('failover');
  return body.request;
}

const decide = (token: string, id: string, verb: 'approve' | 'reject', reason: string) =>
  as(token, `/api/requests/${id}/${verb}`, jsonBody('POST', { reason }));

const stateOf = async () => (await svc.json<PairStatus>('/api/pairs/acme')).state;

describe('two-person rule', () => {
  it('holds a failover until a different operator approves it, then fires it exactly once, audited with both', async () => {
    await start();
    expect(await (await as(alice, '/api/whoami')).json()).toEqual({
      name: 'alice',
      role: 'operator',
      twoPerson: ['failover', 'failback', 'remove'],
    });
    const req = await request(alice, 'PBX A drops calls');
    expect(req).toMatchObject({ pair: 'acme', action: 'failover', requestedBy: 'alice', state: 'pending' });
    expect(Date.parse(req.expires) - Date.parse(req.at)).toBe(600_000);
    const listed = await svc.json<TwoPersonRequest[]>('/api/requests');
    expect(listed.map((r) => [r.id, r.state])).toEqual([[req.id, 'pending']]);
    const alerts = await svc.json<HistoryEvent[]>('/api/alerts');
    expect(alerts).toContainEqual(
      expect.objectContaining({ alert: 'request-pending', message: expect.stringMatching(/alice.*PBX A drops calls/) }),
    );
    expect(receiver.hits).toBe(0);

    const self = await decide(alice, req.id, 'approve', 'me again');
    expect(self.status).toBe(409);
    expect(((await self.json()) as ApiErrorBody).message).toMatch(/alice asked for this and cannot approve it too/);
    const viewer = await decide(wall, req.id, 'approve', 'looks fine');
    expect(((await viewer.json()) as ApiErrorBody).message).toBe('needs role operator');
    const fileToken = await svc.api(`/api/requests/${req.id}/approve`, jsonBody('POST', { reason: 'admin' }));
    expect(fileToken.status).toBe(403);
    expect(((await fileToken.json()) as ApiErrorBody).message).toMatch(/named token/);
    const noReason = await decide(bob, req.id, 'approve', '  ');
    expect(noReason.status).toBe(400);
    expect(receiver.hits).toBe(0);
    expect(await stateOf()).not.toBe('failover');

    const [first, second] = await Promise.all([
      decide(bob, req.id, 'approve', 'confirmed on the phone'),
      decide(bob, req.id, 'approve', 'confirmed twice'),
    ]);
    expect([first.status, second.status].sort()).toEqual([200, 409]);
    await waitFor('the failover action', () => receiver.hits >= 1);
    await waitFor(
      'the action done',
      async () => (await svc.json<PairStatus>('/api/pairs/acme')).action?.phase === 'succeeded',
    );
    expect(await stateOf()).toBe('failover');
    expect(receiver.hits).toBe(1);

    const audit = await svc.json<HistoryEvent[]>('/api/audit');
    const ops = audit.filter((e) => e.type === 'operator');
    expect(ops).toContainEqual(
      expect.objectContaining({ action: 'request', operator: 'alice', reason: 'PBX A drops calls', outcome: 'ok' }),
    );
    expect(ops).toContainEqual(expect.objectContaining({ action: 'approve', operator: 'alice', outcome: 'failed' }));
    expect(ops).toContainEqual(
      expect.objectContaining({ action: 'approve', operator: 'bob', reason: 'confirmed on the phone', outcome: 'ok' }),
    );
    expect(ops).toContainEqual(
      expect.objectContaining({
        action: 'failover',
        operator: 'alice',
        reason: 'PBX A drops calls',
        detail: expect.stringContaining('approved by bob: confirmed on the phone'),
      }),
    );
    // The state writes since kept the policy in the file.
    await waitFor('the failover on disk', async () =>
      (await readFile(join(svc.serverdir, CONFIG_FILE), 'utf8')).includes('>failover</state>'),
    );
    expect(await readFile(join(svc.serverdir, CONFIG_FILE), 'utf8')).toContain(
      '<policy two-person="failover failback remove"/>',
    );
    const after = await svc.json<TwoPersonRequest[]>('/api/requests');
    expect(after[0]).toMatchObject({ state: 'approved', decidedBy: 'bob', outcome: 'ok' });
  }, 60_000);

  it('a rejected or lapsed request changes nothing', async () => {
    await start({ requestLapseMs: 400 });
    const rejected = await request(alice, 'maybe');
    const res = await decide(bob, rejected.id, 'reject', 'primary is fine');
    expect(res.status).toBe(200);
    expect(((await res.json()) as TwoPersonRequest).state).toBe('rejected');
    expect((await decide(bob, rejected.id, 'approve', 'changed my mind')).status).toBe(409);

    const lapsing = await request(alice, 'later');
    await waitFor('the request to lapse', async () =>
      (await svc.json<TwoPersonRequest[]>('/api/requests')).some((r) => r.id === lapsing.id && r.state === 'lapsed'),
    );
    const late = await decide(bob, lapsing.id, 'approve', 'too late');
    expect(late.status).toBe(409);
    expect(((await late.json()) as ApiErrorBody).message).toMatch(/lapsed/);
    expect(receiver.hits).toBe(0);
    expect(await stateOf()).not.toBe('failover');
    const audit = await svc.json<HistoryEvent[]>('/api/audit');
    expect(audit).toContainEqual(
      expect.objectContaining({ action: 'reject', operator: 'bob', reason: 'primary is fine' }),
    );
    expect(audit).toContainEqual(
      expect.objectContaining({ action: 'reject', operator: 'policy', detail: expect.stringMatching(/lapsed/) }),
    );
  }, 60_000);

  it('holds a removal and a re-arm with failback, but never an automatic failover', async () => {
    await start();
    const del = await svc.api('/api/pairs/acme', jsonBody('DELETE', { reason: 'customer left' }));
    expect(del.status).toBe(202);
    const removal = ((await del.json()) as { request: TwoPersonRequest }).request;
    expect(removal).toMatchObject({ action: 'remove', requestedBy: 'api' });
    expect((await svc.json<PairStatus[]>('/api/pairs')).length).toBe(1);

    primary.setStatus(503);
    await waitFor('the automatic failover', async () => (await stateOf()) === 'failover');
    await waitFor('its action', () => receiver.hits === 1);
    // Received is not done: a re-arm is refused while the action's reply is still being read.
    await waitFor(
      'its action done',
      async () => (await svc.json<PairStatus>('/api/pairs/acme')).action?.phase === 'succeeded',
    );

    const rearm = await as(alice, '/api/pairs/acme/rearm', jsonBody('POST', { reason: 'back', failback: true }));
    expect(rearm.status).toBe(202);
    expect(await stateOf()).toBe('failover');
    const plain = await as(alice, '/api/pairs/acme/rearm', jsonBody('POST', { reason: 'back', failback: false }));
    expect(plain.status).toBe(200);

    expect((await decide(bob, removal.id, 'approve', 'confirmed with sales')).status).toBe(200);
    expect((await svc.json<PairStatus[]>('/api/pairs')).length).toBe(0);
  }, 60_000);

  it('refuses a policy with an unknown word, naming <policy>', async () => {
    svc = undefined as unknown as TestService;
    const error = await startTestService({ xml: xmlWithPolicy('failover reboot') }).then(
      () => undefined,
      (e: unknown) => e as { problems?: { field: string; message: string }[] },
    );
    expect(error?.problems).toEqual([
      {
        field: 'policy',
        message:
          '<policy two-person>: "reboot" is not a move of the two-person rule; use any of failover, failback, remove',
      },
    ]);
  });
});
