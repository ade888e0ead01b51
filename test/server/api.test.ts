// The HTTP API against the real service and engine: loopback primaries, validation sites and an
// action receiver, a real serverdir, fetch() as the client.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiErrorBody } from '../../src/shared/api.js';
import {
  SECRET_MASK,
  type CheckResult,
  type EngineEvent,
  type HistoryEvent,
  type ImportResult,
  type PairDetail,
  type PairHistory,
  type PairStatus,
} from '../../src/shared/model.js';
import {
  CONFIG_FILE,
  configXml,
  jsonBody,
  pairSettings,
  startTestService,
  waitFor,
  type TestPair,
  type TestService,
} from '../helpers/service-harness.js';
import { HttpFixture } from '../helpers/http-fixtures.js';

const SECRET = 'pa55-w0rd-only-in-the-file';

let primary: HttpFixture;
let validation: HttpFixture;
let receiver: HttpFixture;
let svc: TestService;
let acme: TestPair;

beforeEach(async () => {
  [primary, validation, receiver] = await Promise.all([HttpFixture.start(), HttpFixture.start(), HttpFixture.start()]);
  acme = {
    id: 'acme',
    name: 'ACME Corp',
    primaryUrl: primary.url(),
    validationUrl: validation.url(),
    actionUrl: receiver.url('/dns'),
    pass: SECRET,
    interval: 0.1,
    toleratedFailures: 1,
  };
  svc = await startTestService({ xml: configXml([acme]), events: { batchMs: 50 } });
});

afterEach(async () => {
  await svc.dispose();
  await Promise.all([primary.close(), validation.close(), receiver.close()]);
});

const configFile = () => readFile(join(svc.serverdir, CONFIG_FILE), 'utf8');
const pair = (id: string) => svc.json<PairDetail>(`/api/pairs/${id}`);
const stateOf = async (id: string) => (await pair(id)).state;
const reaches = (id: string, state: string) =>
  waitFor(`${id} to reach ${state}`, async () => (await stateOf(id)) === state);

/** Pause acme and wait until that is on disk: from then on only a request can change the file. */
async function quiet(): Promise<void> {
  await svc.json('/api/pairs/acme/pause', jsonBody('POST', { reason: 'keep the file still' }));
  await waitFor('the pause on disk', async () => (await configFile()).includes('>paused</state>'));
}

async function errorOf(res: Response): Promise<ApiErrorBody> {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const text = await res.text();
  expect(text).not.toMatch(/\n\s+at /); // never a stack trace
  return JSON.parse(text) as ApiErrorBody;
}

describe('authentication', () => {
  it('answers /api/health without a token', async () => {
    const res = await svc.api('/api/health', { auth: false });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, problems: [], version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });

  it('refuses every other /api/ path without the token or with a wrong one, and changes nothing', async () => {
    await quiet();
    const before = await configFile();
    const calls: [string, string, unknown?][] = [
      ['GET', '/api/pairs'],
      ['POST', '/api/pairs', pairSettings({ ...acme, id: 'other' })],
      ['GET', '/api/pairs/acme'],
      ['PUT', '/api/pairs/acme', pairSettings(acme)],
      ['DELETE', '/api/pairs/acme'],
      ['POST', '/api/pairs/acme/failover', { reason: 'x' }],
      ['POST', '/api/pairs/acme/rearm', { failback: false, reason: 'x' }],
      ['POST', '/api/pairs/acme/pause', { reason: 'x' }],
      ['POST', '/api/pairs/acme/resume', { reason: 'x' }],
      ['POST', '/api/pairs/acme/action/retry', {}],
      ['GET', '/api/pairs/acme/history'],
      ['GET', '/api/audit'],
      ['GET', '/api/alerts'],
      ['GET', '/api/events'],
      ['GET', '/api/config.xml'],
      ['POST', '/api/test-urls', pairSettings(acme)],
    ];
    for (const [method, path, body] of calls) {
      for (const authorization of [undefined, 'Bearer wrong-token', `Bearer ${svc.token}x`, `Basic ${svc.token}`]) {
        const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
        if (authorization) headers.authorization = authorization;
        const res = await svc.api(path, {
          auth: false,
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        expect(res.status, `${method} ${path} with ${authorization}`).toBe(401);
        expect((await errorOf(res)).error).toBe('unauthorized');
      }
    }
    const put = await svc.api('/api/config.xml', {
      auth: false,
      method: 'PUT',
      headers: { 'content-type': 'application/xml' },
      body: configXml([]),
    });
    expect(put.status).toBe(401);
    expect(await configFile()).toBe(before);
    expect(receiver.requests).toHaveLength(0);
    expect((await svc.json<PairStatus[]>('/api/pairs')).map((p) => p.id)).toEqual(['acme']);
  });
});

describe('pairs', () => {
  it('lists every pair with its live status', async () => {
    await reaches('acme', 'waiting');
    const [status] = await svc.json<PairStatus[]>('/api/pairs');
    expect(status).toMatchObject({
      id: 'acme',
      name: 'ACME Corp',
      state: 'waiting',
      consecutiveFailures: 0,
      toleratedFailures: 1,
      interval: 0.1,
      lastPrimary: { target: 'primary', ok: true, status: 200 },
    });
    expect(Date.parse(status!.since)).not.toBeNaN();
    expect(status!.lastPrimary!.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('shows one pair with its settings and every secret masked', async () => {
    const res = await svc.api('/api/pairs/acme');
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).not.toContain(SECRET);
    const detail = JSON.parse(text) as PairDetail;
    expect(detail.settings.action.pass).toBe(SECRET_MASK);
    expect(detail.settings.primaryUrl).toBe(primary.url());
  });

  it('answers 404 for an unknown pair on every pair path', async () => {
    const calls: [string, string, unknown?][] = [
      ['GET', '/api/pairs/nope'],
      ['PUT', '/api/pairs/nope', pairSettings({ ...acme, id: 'nope' })],
      ['DELETE', '/api/pairs/nope'],
      ['POST', '/api/pairs/nope/failover', { reason: 'x' }],
      ['POST', '/api/pairs/nope/rearm', { failback: false, reason: 'x' }],
      ['POST', '/api/pairs/nope/pause', { reason: 'x' }],
      ['POST', '/api/pairs/nope/resume', { reason: 'x' }],
      ['POST', '/api/pairs/nope/action/retry', {}],
      ['GET', '/api/pairs/nope/history'],
    ];
    for (const [method, path, body] of calls) {
      const res = await svc.api(path, body === undefined ? { method } : jsonBody(method, body));
      expect(res.status, `${method} ${path}`).toBe(404);
      expect((await errorOf(res)).error).toBe('not-found');
    }
  });

  it('adds, updates and removes pairs; invalid settings get 400 with every problem and change nothing', async () => {
    const beta: TestPair = { ...acme, id: 'beta', name: 'Beta', pass: 'beta-secret-value' };
    const bad = {
      ...pairSettings(beta),
      interval: 0.01,
      primaryUrl: 'not a url',
      action: { ...pairSettings(beta).action, url: receiver.url('/{nope}') },
    };
    await quiet();
    const before = await configFile();

    const refused = await svc.api('/api/pairs', jsonBody('POST', bad));
    expect(refused.status).toBe(400);
    const body = await errorOf(refused);
    expect(body.error).toBe('invalid');
    expect(body.problems!.map((p) => p.field)).toEqual(
      expect.arrayContaining(['interval', 'primaryUrl', 'action.url']),
    );
    expect((await svc.json<PairStatus[]>('/api/pairs')).map((p) => p.id)).toEqual(['acme']);
    expect(await configFile()).toBe(before);

    const added = await svc.api('/api/pairs', jsonBody('POST', pairSettings(beta)));
    expect(added.status).toBe(201);
    expect(((await added.json()) as PairDetail).settings.action.pass).toBe(SECRET_MASK);
    expect((await svc.json<PairStatus[]>('/api/pairs')).map((p) => p.id).sort()).toEqual(['acme', 'beta']);
    expect(await configFile()).toContain('beta-secret-value');

    const duplicate = await svc.api('/api/pairs', jsonBody('POST', pairSettings(beta)));
    expect([400, 409]).toContain(duplicate.status);

    // The mask sent back keeps the stored secret.
    const masked = {
      ...pairSettings(beta),
      interval: 0.3,
      action: { ...pairSettings(beta).action, pass: SECRET_MASK },
    };
    const updated = await svc.json<PairDetail>('/api/pairs/beta', jsonBody('PUT', masked));
    expect(updated.settings.interval).toBe(0.3);
    const exported = await (await svc.api('/api/config.xml')).text();
    expect(exported).toContain('beta-secret-value');

    const badUpdate = await svc.api('/api/pairs/beta', jsonBody('PUT', { ...masked, toleratedFailures: -1 }));
    expect(badUpdate.status).toBe(400);
    expect((await errorOf(badUpdate)).problems!.map((p) => p.field)).toContain('toleratedFailures');
    expect((await pair('beta')).settings.interval).toBe(0.3);
    expect((await pair('beta')).toleratedFailures).toBe(1);

    const removed = await svc.api('/api/pairs/beta?reason=no+longer+watched', { method: 'DELETE' });
    expect(removed.status).toBe(204);
    expect((await svc.api('/api/pairs/beta')).status).toBe(404);
    expect(await configFile()).not.toContain('beta-secret-value');
  });
});

describe('operator actions', () => {
  it('manual failover fires the action once, is audited with its reason, and re-arm, pause and resume follow', async () => {
    await reaches('acme', 'waiting');
    const missing = await svc.api('/api/pairs/acme/failover', jsonBody('POST', {}));
    expect(missing.status).toBe(400);
    expect((await errorOf(missing)).problems!.map((p) => p.field)).toContain('reason');
    const blank = await svc.api('/api/pairs/acme/failover', jsonBody('POST', { reason: '   ' }));
    expect(blank.status).toBe(400);
    expect(receiver.requests).toHaveLength(0);

    const status = await svc.json<PairStatus>(
      '/api/pairs/acme/failover',
      jsonBody('POST', { reason: 'datacenter move', operator: 'alice' }),
    );
    expect(status.state).toBe('failover');
    await waitFor('the action to succeed', async () => (await pair('acme')).action?.phase === 'succeeded');
    expect(receiver.requests).toHaveLength(1);
    expect(JSON.parse(receiver.requests[0]!.body)).toEqual({ pair: 'acme', reason: 'datacenter move' });

    const audit = await svc.json<HistoryEvent[]>('/api/audit');
    expect(audit).toContainEqual(
      expect.objectContaining({
        type: 'operator',
        pair: 'acme',
        action: 'failover',
        operator: 'alice',
        reason: 'datacenter move',
      }),
    );
    const alerts = await svc.json<HistoryEvent[]>('/api/alerts');
    expect(alerts.some((e) => e.type === 'alert' && e.pair === 'acme')).toBe(true);
    // The action's outcome reaches the history a moment after the status, and the primary (still up)
    // raises primary-answering at the next check: wait for both, so the two shapes below are read
    // with the same events (nothing else is added for acme until a re-arm).
    await waitFor('the action outcome and the primary-answering alert in the history', async () => {
      const { events } = await svc.json<PairHistory>('/api/pairs/acme/history');
      return (
        events.some((e) => e.type === 'action' && e.phase === 'succeeded') &&
        events.some((e) => e.type === 'alert' && e.alert === 'primary-answering')
      );
    });
    const history = await svc.json<PairHistory>('/api/pairs/acme/history');
    expect(history.pair).toBe('acme');
    expect(history.events).toContainEqual(expect.objectContaining({ type: 'state', to: 'failover', manual: true }));
    // The opt-in columnar shape: the same checks as arrays, `minutes` left empty; a wrong parameter is named.
    const columns = await svc.json<PairHistory>('/api/pairs/acme/history?shape=columns&bucket=60');
    expect(columns.minutes).toEqual([]);
    expect(columns.columns!.bucketMs).toBe(60_000);
    expect(columns.columns!.primary.checks.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(columns.columns!.primary.t.every((t) => t % 60_000 === 0)).toBe(true);
    expect(columns.events).toEqual(history.events);
    expect((await svc.json<PairHistory>('/api/pairs/acme/history')).columns).toBeUndefined();
    const badBucket = await svc.api('/api/pairs/acme/history?shape=columns&bucket=7');
    expect(badBucket.status).toBe(400);
    expect((await errorOf(badBucket)).problems!.map((p) => p.field)).toEqual(['bucket']);

    const badRearm = await svc.api('/api/pairs/acme/rearm', jsonBody('POST', { reason: 'back' }));
    expect(badRearm.status).toBe(400);
    expect((await errorOf(badRearm)).problems!.map((p) => p.field)).toContain('failback');
    const rearmed = await svc.json<PairStatus>(
      '/api/pairs/acme/rearm',
      jsonBody('POST', { failback: false, reason: 'move done' }),
    );
    expect(['starting', 'waiting']).toContain(rearmed.state);
    await reaches('acme', 'waiting');

    expect(
      (await svc.json<PairStatus>('/api/pairs/acme/pause', jsonBody('POST', { reason: 'PBX update' }))).state,
    ).toBe('paused');
    const resumed = await svc.json<PairStatus>('/api/pairs/acme/resume', jsonBody('POST', { reason: 'update done' }));
    expect(['starting', 'waiting']).toContain(resumed.state);
    const actions = (await svc.json<HistoryEvent[]>('/api/audit')).flatMap((e) =>
      e.type === 'operator' ? [e.action] : [],
    );
    expect(actions).toEqual(expect.arrayContaining(['failover', 'rearm', 'pause', 'resume']));
    expect(receiver.requests).toHaveLength(1);
  });

  it('retries a failed action on request', async () => {
    receiver.setStatus(500);
    await svc.json(
      '/api/pairs/acme',
      jsonBody('PUT', {
        ...pairSettings(acme),
        action: { ...pairSettings(acme).action, pass: SECRET_MASK, retries: 1 },
      }),
    );
    await svc.json('/api/pairs/acme/failover', jsonBody('POST', { reason: 'drill' }));
    await waitFor('the action to fail', async () => (await pair('acme')).action?.phase === 'failed');
    expect(receiver.requests).toHaveLength(1);
    receiver.setStatus(200);
    const retried = await svc.api('/api/pairs/acme/action/retry', { method: 'POST' });
    expect(retried.status).toBe(200);
    await waitFor('the retried action to succeed', async () => (await pair('acme')).action?.phase === 'succeeded');
    expect(receiver.requests).toHaveLength(2);
  });

  it('tests the URLs of settings without saving them', async () => {
    const results = await svc.json<CheckResult[]>(
      '/api/test-urls',
      jsonBody('POST', pairSettings({ ...acme, id: 'probe' })),
    );
    expect(results).toContainEqual(
      expect.objectContaining({ target: 'primary', url: primary.url(), ok: true, status: 200 }),
    );
    expect(results).toContainEqual(expect.objectContaining({ target: 'validation', url: validation.url(), ok: true }));
    expect((await svc.api('/api/pairs/probe')).status).toBe(404);
  });
});

describe('what the file cannot store and what cannot be written', () => {
  it('refuses a reason or operator with a character the file cannot store (400 naming the field), fires nothing, and later writes still happen', async () => {
    await reaches('acme', 'waiting');
    const requests = [
      ['failover', { reason: 'Wartung\u000bRZ-2' }, 'reason'],
      ['failover', { reason: 'Wartung\u0001RZ-2' }, 'reason'],
      ['failover', { reason: 'Wartung \ud800 RZ-2' }, 'reason'],
      ['failover', { reason: 'Wartung RZ-2', operator: 'eve\u000bmallory' }, 'operator'],
      ['pause', { reason: 'Update\u000b' + 'PBX' }, 'reason'],
    ] as const;
    for (const [move, body, field] of requests) {
      const res = await svc.api(`/api/pairs/acme/${move}`, jsonBody('POST', body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = await errorOf(res);
      expect(error.problems).toEqual([
        {
          pair: 'acme',
          field,
          message: expect.stringMatching(/^contains a character that cannot be stored \(U\+[0-9A-F]{4}\)/),
        },
      ]);
    }
    expect(receiver.requests).toHaveLength(0);
    expect(await stateOf('acme')).toBe('waiting');

    // Writing goes on: a new pair and a pause reach the file, the health is good.
    const beta: TestPair = { ...acme, id: 'beta', name: 'Beta', primaryUrl: primary.url('/beta') };
    await svc.json('/api/pairs', jsonBody('POST', pairSettings(beta)));
    await svc.json('/api/pairs/acme/pause', jsonBody('POST', { reason: 'Wartung\nRZ-2', operator: 'eve' }));
    const text = await configFile();
    expect(text).toContain('id="beta"');
    expect(text).toMatch(/<state since="[^"]+" reason="Wartung&#10;RZ-2"[^>]*>paused<\/state>/);
    expect(await svc.json('/api/health')).toMatchObject({ ok: true, problems: [] });
  });

  it('while a hand edit makes the file invalid: a manual failover answers 409 and fires nothing, /api/health says why, and a fix ends it', async () => {
    await reaches('acme', 'waiting');
    await waitFor('the waiting state on disk', async () => (await configFile()).includes('>waiting</state>'));
    const good = await configFile();
    const invalid = good.replace(/<interval>[^<]*<\/interval>/, '<interval>-1</interval>');
    await writeFile(join(svc.serverdir, CONFIG_FILE), invalid);
    const health = await waitFor('the health to turn bad', async () => {
      const h = await svc.json<{ ok: boolean; problems: Array<{ kind: string; message: string }> }>('/api/health');
      return h.ok ? undefined : h;
    });
    expect(health.problems).toEqual([
      {
        kind: 'state-write',
        since: expect.any(String),
        message: expect.stringMatching(
          /^pair states cannot be written to .*pbxctrl-failover\.xml: it was edited by hand and is invalid \(pair "acme", interval: must be at least 0\.1 seconds, got -1\)\. Decisions made now are lost on a restart; fix the file and writing resumes\.$/,
        ),
      },
    ]);

    const refused = await svc.api('/api/pairs/acme/failover', jsonBody('POST', { reason: 'drill' }));
    expect(refused.status).toBe(409);
    expect((await errorOf(refused)).message).toMatch(
      /^pbxctrl-failover\.xml was edited by hand and is invalid; fix the file first \(pair "acme", interval: /,
    );
    expect(receiver.requests).toHaveLength(0);
    expect(await stateOf('acme')).toBe('waiting');
    expect(await configFile()).toBe(invalid);

    await writeFile(
      join(svc.serverdir, CONFIG_FILE),
      good.replace('<name>ACME Corp</name>', '<name>ACME fixed</name>'),
    );
    await waitFor('the health to recover', async () => (await svc.json<{ ok: boolean }>('/api/health')).ok);
    const alerts = (await svc.json<HistoryEvent[]>('/api/alerts')).flatMap((e) =>
      e.type === 'alert' && e.pair === '*' ? [`${e.alert}:${e.severity}`] : [],
    );
    expect(alerts).toEqual(['config-problem:critical', 'state-write-failed:critical', 'state-write-recovered:info']);
    expect((await svc.json<PairStatus>('/api/pairs/acme/failover', jsonBody('POST', { reason: 'drill' }))).state).toBe(
      'failover',
    );
    expect(await configFile()).toMatch(/>failover<\/state>/);
  });
});

describe('config.xml', () => {
  it('exports with secrets by default and masked on request', async () => {
    const full = await svc.api('/api/config.xml');
    expect(full.headers.get('content-type')).toMatch(/^application\/xml/);
    const xml = await full.text();
    expect(xml).toContain(`<pbxctrl-failover`);
    expect(xml).toContain(SECRET);
    const masked = await (await svc.api('/api/config.xml?masked=1')).text();
    expect(masked).not.toContain(SECRET);
    expect(masked).toContain(SECRET_MASK);
  });

  it('refuses a broken or invalid import with every problem and changes nothing', async () => {
    await quiet();
    const before = await readFile(join(svc.serverdir, CONFIG_FILE));
    const broken = await svc.api('/api/config.xml', {
      method: 'PUT',
      headers: { 'content-type': 'application/xml' },
      body: '<pbxctrl-failover version="1"><pair id="x">',
    });
    expect(broken.status).toBe(400);
    expect((await errorOf(broken)).problems!.length).toBeGreaterThan(0);

    const invalid = configXml([acme, { ...acme, id: 'gamma', interval: 0 }]);
    const refused = await svc.api('/api/config.xml', {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: invalid,
    });
    expect(refused.status).toBe(400);
    expect((await errorOf(refused)).problems).toContainEqual(
      expect.objectContaining({ pair: 'gamma', field: 'interval' }),
    );

    const empty = await svc.api('/api/config.xml', {
      method: 'PUT',
      headers: { 'content-type': 'application/xml' },
      body: '',
    });
    expect(empty.status).toBe(400);
    const asJson = await svc.api('/api/config.xml', jsonBody('PUT', { pairs: [] }));
    expect(asJson.status).toBe(400);

    expect(await readFile(join(svc.serverdir, CONFIG_FILE))).toEqual(before);
    expect((await svc.json<PairStatus[]>('/api/pairs')).map((p) => p.id)).toEqual(['acme']);
  });

  it('reports the changes of a dry run without applying them, then applies them', async () => {
    await quiet();
    const before = await readFile(join(svc.serverdir, CONFIG_FILE));
    const next = configXml([
      { ...acme, interval: 0.3 },
      { ...acme, id: 'gamma', name: 'Gamma' },
    ]);
    const dry = await svc.json<ImportResult>('/api/config.xml?dry-run=1', {
      method: 'PUT',
      headers: { 'content-type': 'application/xml' },
      body: next,
    });
    expect(dry.applied).toBe(false);
    expect(dry.changes).toContainEqual(expect.objectContaining({ pair: 'gamma', change: 'added' }));
    expect(dry.changes).toContainEqual(expect.objectContaining({ pair: 'acme', change: 'changed' }));
    expect(await readFile(join(svc.serverdir, CONFIG_FILE))).toEqual(before);
    expect((await svc.api('/api/pairs/gamma')).status).toBe(404);

    const applied = await svc.json<ImportResult>('/api/config.xml', {
      method: 'PUT',
      headers: { 'content-type': 'application/xml' },
      body: next,
    });
    expect(applied.applied).toBe(true);
    expect((await pair('gamma')).name).toBe('Gamma');
    expect((await pair('acme')).interval).toBe(0.3);
    expect(await configFile()).toContain('<pair id="gamma">');
  });
});

describe('bad requests', () => {
  it('answers bad JSON with 400, huge bodies with 413 and unknown routes with 404, all as JSON', async () => {
    const badJson = await svc.api('/api/pairs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"id": "x",',
    });
    expect(badJson.status).toBe(400);
    expect(await errorOf(badJson)).toMatchObject({ error: 'invalid', message: expect.stringMatching(/JSON/) });

    const wrongType = await svc.api('/api/pairs', jsonBody('POST', ['not', 'an', 'object']));
    expect(wrongType.status).toBe(400);

    const hugeJson = await svc.api(
      '/api/pairs',
      jsonBody('POST', { ...pairSettings(acme), name: 'x'.repeat(300 * 1024) }),
    );
    expect(hugeJson.status).toBe(413);
    expect((await errorOf(hugeJson)).error).toBe('too-large');

    const hugeXml = await svc.api('/api/config.xml', {
      method: 'PUT',
      headers: { 'content-type': 'application/xml' },
      body: `<!--${'x'.repeat(17 * 1024 * 1024)}-->`,
    });
    expect(hugeXml.status).toBe(413);

    for (const path of ['/api/nothing', '/api/pairs/acme/explode', '/api']) {
      const res = await svc.api(path);
      expect(res.status, path).toBe(404);
      expect((await errorOf(res)).error).toBe('not-found');
    }
    expect((await svc.json<PairStatus[]>('/api/pairs')).map((p) => p.id)).toEqual(['acme']);
  });

  it('sends a strict Content-Security-Policy and the other safety headers, no CORS grant, no cookie', async () => {
    const answers = await Promise.all([
      svc.api('/api/health', { auth: false }),
      svc.api('/api/pairs'),
      svc.api('/api/pairs', { auth: false }),
      svc.api('/api/nothing'),
      svc.api('/', { auth: false, headers: { origin: 'http://evil.example' } }),
      svc.api('/api/pairs', {
        method: 'OPTIONS',
        headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
      }),
    ]);
    for (const res of answers) {
      const csp = res.headers.get('content-security-policy') ?? '';
      for (const directive of [
        "default-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "img-src 'self' data:",
      ]) {
        expect(csp).toContain(directive);
      }
      expect(csp).not.toMatch(/script-src[^;]*unsafe/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('set-cookie')).toBeNull();
      expect([...res.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
      await res.body?.cancel();
    }
  });
});

describe('live events', () => {
  async function subscribe() {
    const res = await svc.api('/api/events');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const events: EngineEvent[] = [];
    let buffer = '';
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
        if (done) return;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = message.split('\n');
          if (lines[0] !== 'event: events') continue;
          events.push(...(JSON.parse(lines.find((l) => l.startsWith('data: '))!.slice(6)) as EngineEvent[]));
        }
      }
    })();
    return { events, close: () => reader.cancel() };
  }

  it('streams state changes to a client holding the token', async () => {
    await reaches('acme', 'waiting');
    const stream = await subscribe();
    await svc.json('/api/pairs/acme/pause', jsonBody('POST', { reason: 'watching the stream' }));
    await waitFor('the pause on the stream', () =>
      stream.events.some((e) => e.type === 'state' && e.pair === 'acme' && e.to === 'paused'),
    );
    await svc.json('/api/pairs/acme/resume', jsonBody('POST', { reason: 'done' }));
    await reaches('acme', 'waiting');

    primary.setStatus(503);
    await waitFor('the outage on the stream', () =>
      stream.events.some((e) => e.type === 'state' && e.pair === 'acme' && e.to === 'failover'),
    );
    const states = stream.events.flatMap((e) => (e.type === 'state' && e.pair === 'acme' ? [e.to] : []));
    expect(states).toEqual(expect.arrayContaining(['paused', 'starting', 'waiting', 'verifying', 'failover']));
    expect(stream.events.some((e) => e.type === 'check' && !e.result.ok)).toBe(true);
    await stream.close();
  });

  it('never writes the token or a secret to the log', async () => {
    await svc.json('/api/pairs/acme/failover', jsonBody('POST', { reason: 'log check' }));
    await waitFor('the action to finish', async () => (await pair('acme')).action?.phase === 'succeeded');
    await svc.api('/api/pairs', { auth: false, headers: { authorization: `Bearer ${svc.token}-wrong` } });
    const log = svc.log.lines.join('\n');
    expect(log).not.toContain(svc.token);
    expect(log).not.toContain(SECRET);
  });
});
