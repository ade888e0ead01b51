// Named tokens with roles against the real service: tokens made by the command line (a real child
// process) and by the API, kept hashed in a 0600 file, each route refused beyond its role with 403
// naming the role it needs, the audit's who the token's name, and a revoked token's stream closed.

import { readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiErrorBody } from '../../src/shared/api.js';
import type { HistoryEvent, PairStatus } from '../../src/shared/model.js';
import { TOKENS_FILE_NAME } from '../../src/server/tokens.js';
import { HttpFixture } from '../helpers/http-fixtures.js';
import {
  configXml,
  jsonBody,
  runCli,
  startTestService,
  waitFor,
  type TestPair,
  type TestService,
} from '../helpers/service-harness.js';

const SECRET = 'pa55-only-in-the-file';
let primary: HttpFixture;
let validation: HttpFixture;
let receiver: HttpFixture;
let svc: TestService;

beforeEach(async () => {
  [primary, validation, receiver] = await Promise.all([HttpFixture.start(), HttpFixture.start(), HttpFixture.start()]);
  const acme: TestPair = {
    id: 'acme',
    primaryUrl: primary.url(),
    validationUrl: validation.url(),
    actionUrl: receiver.url('/dns'),
    pass: SECRET,
    interval: 0.2,
  };
  svc = await startTestService({ xml: configXml([acme]), events: { batchMs: 50 } });
});

afterEach(async () => {
  await svc.dispose();
  await Promise.all([primary.close(), validation.close(), receiver.close()]);
});

/** `token …` of the real command line, as a child process. */
async function tokenCli(...args: string[]) {
  return runCli(['token', ...args, '--serverdir', svc.serverdir]);
}

async function addByCli(name: string, role: string): Promise<string> {
  const run = await tokenCli('add', name, '--role', role);
  expect(run.code, run.stderr).toBe(0);
  const token = run.stdout.trim();
  expect(token).toMatch(/^[0-9a-f]{64}$/);
  return token;
}

function as(token: string, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(`${svc.url}${path}`, { ...init, headers });
}

async function refused(res: Response, status: number): Promise<ApiErrorBody> {
  expect(res.status).toBe(status);
  return (await res.json()) as ApiErrorBody;
}

describe('named tokens from the command line', () => {
  it('prints the token once, keeps only its sha-256 in a 0600 file, lists without it, and revokes it', async () => {
    const token = await addByCli('night-shift', 'operator');
    const file = join(svc.serverdir, TOKENS_FILE_NAME);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(token);
    expect(text).toContain(createHash('sha256').update(token).digest('hex'));

    // The running service was started before the token existed: it reads the file on its own.
    expect(await (await as(token, '/api/whoami')).json()).toMatchObject({ name: 'night-shift', role: 'operator' });

    const list = await tokenCli('list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^night-shift\toperator\tcreated \d{4}-\d\d-\d\dT[^\t]+\tlast used /m);
    expect(list.stdout + list.stderr).not.toContain(token);

    const again = await tokenCli('add', 'night-shift', '--role', 'viewer');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/a token named "night-shift" exists already/);
    const badRole = await tokenCli('add', 'x', '--role', 'root');
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toMatch(/--role must be one of viewer, operator, admin/);

    const revoke = await tokenCli('revoke', 'night-shift');
    expect(revoke.code, revoke.stderr).toBe(0);
    expect((await as(token, '/api/pairs')).status).toBe(401);
    expect((await tokenCli('revoke', 'night-shift')).code).toBe(1);
    // The service audits what the command line changed, once each.
    const audit = await waitFor('the token changes in the audit', async () => {
      const events = (await svc.json<HistoryEvent[]>('/api/audit')).filter((e) => e.type === 'operator');
      return events.some((e) => e.action === 'token-revoke') ? events : undefined;
    });
    expect(audit.filter((e) => e.action.startsWith('token-')).map((e) => [e.action, e.operator, e.detail])).toEqual([
      ['token-add', 'command line', 'added token "night-shift" (operator)'],
      ['token-revoke', 'command line', 'revoked token "night-shift"'],
    ]);
  }, 60_000);

  it('closes an open event stream of a token the moment it is revoked', async () => {
    const token = await addByCli('wallboard', 'viewer');
    const res = await as(token, '/api/events');
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain(': connected');
    const ended = (async () => {
      for (;;) if ((await reader.read()).done) return true;
    })();
    await tokenCli('revoke', 'wallboard');
    await expect(
      Promise.race([
        ended,
        new Promise((_, reject) => setTimeout(() => reject(new Error('stream still open after 10 s')), 10_000)),
      ]),
    ).resolves.toBe(true);
    expect((await as(token, '/api/events')).status).toBe(401);
  }, 60_000);
});

describe('roles', () => {
  let viewer: string;
  let operator: string;

  beforeEach(async () => {
    const add = async (name: string, role: string) => {
      const res = await svc.api('/api/tokens', jsonBody('POST', { name, role }));
      expect(res.status).toBe(201);
      const body = (await res.json()) as { name: string; role: string; token: string; created: string };
      expect(body).toMatchObject({ name, role });
      return body.token;
    };
    viewer = await add('wall', 'viewer');
    operator = await add('olga', 'operator');
  });

  it('a viewer reads everything but a secret, and gets 403 naming operator on a failover (nothing fired)', async () => {
    expect((await as(viewer, '/api/pairs')).status).toBe(200);
    expect((await as(viewer, '/api/audit')).status).toBe(200);
    expect((await as(viewer, '/metrics')).status).toBe(200);
    expect(await (await as(viewer, '/api/whoami')).json()).toMatchObject({ name: 'wall', role: 'viewer' });

    const failover = await as(viewer, '/api/pairs/acme/failover', jsonBody('POST', { reason: 'try' }));
    expect(await refused(failover, 403)).toEqual({ error: 'forbidden', message: 'needs role operator' });
    for (const move of ['rearm', 'pause', 'resume', 'action/retry', 'action/mark-done']) {
      const res = await as(viewer, `/api/pairs/acme/${move}`, jsonBody('POST', { reason: 'try', failback: false }));
      expect((await refused(res, 403)).message).toBe('needs role operator');
    }
    expect(receiver.hits).toBe(0);
    expect((await svc.json<PairStatus>('/api/pairs/acme')).state).not.toBe('failover');

    expect((await refused(await as(viewer, '/api/config.xml'), 403)).message).toBe('needs role admin');
    const masked = await as(viewer, '/api/config.xml?masked=1');
    expect(masked.status).toBe(200);
    const xml = await masked.text();
    expect(xml).toContain('<pair id="acme"');
    expect(xml).not.toContain(SECRET);
  });

  it('an operator moves pairs under its own name, and gets 403 naming admin on settings, import and tokens', async () => {
    const res = await as(
      operator,
      '/api/pairs/acme/failover',
      jsonBody('POST', { reason: 'drill', operator: 'Olga K.' }),
    );
    expect(res.status).toBe(200);
    await waitFor('the action', () => receiver.hits === 1);
    const audit = await svc.json<HistoryEvent[]>('/api/audit');
    expect(audit).toContainEqual(
      expect.objectContaining({ action: 'failover', operator: 'olga', note: 'Olga K.', reason: 'drill' }),
    );

    const detail = await svc.json<{ settings: unknown }>('/api/pairs/acme');
    const put = await as(operator, '/api/pairs/acme', jsonBody('PUT', detail.settings));
    expect(await refused(put, 403)).toEqual({ error: 'forbidden', message: 'needs role admin' });
    const imp = await as(operator, '/api/config.xml', {
      method: 'PUT',
      headers: { 'content-type': 'application/xml' },
      body: '<pbxctrl-failover version="1"/>',
    });
    expect((await refused(imp, 403)).message).toBe('needs role admin');
    expect((await refused(await as(operator, '/api/tokens'), 403)).message).toBe('needs role admin');
    const mint = await as(operator, '/api/tokens', jsonBody('POST', { name: 'mine', role: 'admin' }));
    expect((await refused(mint, 403)).message).toBe('needs role admin');
    expect((await refused(await as(operator, '/api/config.xml'), 403)).message).toBe('needs role admin');
    expect((await as(operator, '/api/config.xml?masked=true')).status).toBe(200);
    expect((await svc.json<PairStatus[]>('/api/pairs')).length).toBe(1);
  });

  it('the admin lists tokens without the token, coalesces last used without rewriting the file, and revokes', async () => {
    const file = join(svc.serverdir, TOKENS_FILE_NAME);
    const before = await readFile(file, 'utf8');
    const mtime = (await stat(file)).mtimeMs;
    for (let i = 0; i < 5; i++) expect((await as(viewer, '/api/pairs')).status).toBe(200);
    const list = await svc.json<{ name: string; role: string; created: string; lastUsed?: string }[]>('/api/tokens');
    expect(list.map((t) => [t.name, t.role])).toEqual([
      ['wall', 'viewer'],
      ['olga', 'operator'],
    ]);
    expect(list[0]!.lastUsed).toMatch(/^\d{4}-/);
    expect(JSON.stringify(list)).not.toContain(viewer);
    expect(JSON.stringify(list)).not.toMatch(/hash|token/);
    expect(await readFile(file, 'utf8')).toBe(before);
    expect((await stat(file)).mtimeMs).toBe(mtime);

    const del = await svc.api('/api/tokens/wall', { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect((await as(viewer, '/api/pairs')).status).toBe(401);
    expect((await svc.api('/api/tokens/wall', { method: 'DELETE' })).status).toBe(404);
    const bad = await svc.api('/api/tokens', jsonBody('POST', { name: 'api', role: 'viewer' }));
    expect(bad.status).toBe(400);
    // Audited once, under the caller's name (the file token: "api"), never also as the command line's.
    // The 401 above made the service read the tokens file again: a change it took for the command line's would show now.
    const audit = (await svc.json<HistoryEvent[]>('/api/audit')).filter(
      (e) => e.type === 'operator' && e.action.startsWith('token-'),
    );
    expect(audit.map((e) => (e.type === 'operator' ? [e.action, e.operator, e.detail] : []))).toEqual([
      ['token-add', 'api', 'added token "wall" (viewer)'],
      ['token-add', 'api', 'added token "olga" (operator)'],
      ['token-revoke', 'api', 'revoked token "wall"'],
    ]);
  });

  it('the admin file token keeps its who from the body (or "api")', async () => {
    await svc.json('/api/pairs/acme/pause', jsonBody('POST', { reason: 'change window', operator: 'root-on-call' }));
    await svc.json('/api/pairs/acme/resume', jsonBody('POST', { reason: 'done' }));
    const audit = await svc.json<HistoryEvent[]>('/api/audit');
    expect(audit).toContainEqual(expect.objectContaining({ action: 'pause', operator: 'root-on-call' }));
    expect(audit).toContainEqual(expect.objectContaining({ action: 'resume', operator: 'api' }));
    expect(await svc.json('/api/whoami')).toMatchObject({ name: 'api', role: 'admin' });
  });
});
