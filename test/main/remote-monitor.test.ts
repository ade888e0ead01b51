// The remote client of the desktop against a real headless service on loopback: every MonitorApi
// call goes to the service's /api/ path and its errors come back as the service's MonitorError; a
// list of node addresses moves on to the next live one; the event stream is read as the dashboard
// reads it; a wrong token is refused and the stream stops for good.

import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MonitorError } from '../../src/shared/api.js';
import type { EngineEvent } from '../../src/shared/model.js';
import { RemoteMonitor } from '../../src/main/remote/remote-monitor.js';
import { codeOfStatus, errorOfResponse } from '../../src/main/remote/remote-http.js';
import { HttpFixture } from '../helpers/http-fixtures.js';
import { configXml, pairSettings, startTestService, waitFor, type TestService } from '../helpers/service-harness.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

async function service(): Promise<{ svc: TestService; primary: HttpFixture; receiver: HttpFixture }> {
  const primary = await HttpFixture.start({ status: 200 });
  const validation = await HttpFixture.start({ status: 200 });
  const receiver = await HttpFixture.start({ status: 200 });
  cleanups.push(
    () => primary.close(),
    () => validation.close(),
    () => receiver.close(),
  );
  const svc = await startTestService({
    xml: configXml([
      {
        id: 'acme',
        name: 'ACME Corp',
        primaryUrl: primary.url(),
        validationUrl: validation.url(),
        actionUrl: receiver.url('/dns'),
      },
    ]),
    events: { batchMs: 20, checkBatchMs: 50, pingMs: 200 },
  });
  cleanups.push(() => svc.dispose());
  return { svc, primary, receiver };
}

function client(urls: string[], token: string, extra: Partial<ConstructorParameters<typeof RemoteMonitor>[0]> = {}) {
  const m = new RemoteMonitor({ urls, token, backoffMs: [50, 100], ...extra });
  cleanups.push(() => m.close());
  return m;
}

/** A node that accepts connections and never says a word. */
async function blackHole(): Promise<{ url: string; connections: number }> {
  const sockets = new Set<Socket>();
  const box = { url: '', connections: 0 };
  const server = createServer((socket) => {
    box.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  box.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((done) => server.close(done));
  });
  return box;
}

async function caught(p: Promise<unknown>): Promise<MonitorError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MonitorError);
  return err as MonitorError;
}

describe('RemoteMonitor against a real service', () => {
  it('forwards reads and changes to /api/ and maps the service errors back with code, message and problems', async () => {
    const { svc } = await service();
    const m = client([svc.url], svc.token);
    expect((await m.listPairs()).map((p) => p.id)).toEqual(['acme']);
    expect((await m.getPair('acme')).settings.name).toBe('ACME Corp');
    expect((await m.health()).ok).toBe(true);
    // The secret stays masked unless asked for, as the service answers it.
    expect(await m.exportXml({ masked: true })).not.toContain('not-a-secret');
    expect(await m.exportXml({ masked: false })).toContain('not-a-secret');

    const missing = await caught(m.getPair('nope'));
    expect(missing.code).toBe('not-found');
    expect(missing.message).toMatch(/nope/);

    const bad = pairSettings({
      id: 'bad',
      primaryUrl: 'not a url',
      validationUrl: 'http://127.0.0.1:9/',
      actionUrl: 'http://127.0.0.1:9/',
    });
    const invalid = await caught(m.addPair(bad, { reason: 'test' }));
    expect(invalid.code).toBe('invalid');
    expect(invalid.problems?.map((p) => p.field)).toContain('primaryUrl');
    expect((await svc.monitor.listPairs()).map((p) => p.id)).toEqual(['acme']);

    const noReason = await caught(m.pause('acme', { reason: '' }));
    expect(noReason.code).toBe('invalid');
    expect(noReason.problems?.[0]?.field).toBe('reason');

    const paused = await m.pause('acme', { reason: 'maintenance window', operator: 'alice' });
    expect(paused.state).toBe('paused');
    const audit = await m.audit();
    expect(
      audit.some((e) => e.type === 'operator' && e.operator === 'alice' && e.reason === 'maintenance window'),
    ).toBe(true);
    // The service's admin file token is named "api".
    expect(await m.whoami()).toEqual({ name: 'api', role: 'admin', twoPerson: [] });
  });

  it('uses the next node of the list when the first cannot be reached, for requests and the stream', async () => {
    const { svc, primary } = await service();
    const dead = await HttpFixture.start();
    await dead.refuse();
    cleanups.push(() => dead.close());
    const m = client([dead.url().replace(/\/$/, ''), svc.url], svc.token);
    const states: unknown[] = [];
    m.onConnection((c) => states.push(c));
    const events: EngineEvent[] = [];
    m.subscribe((e) => events.push(e));
    expect((await m.listPairs()).map((p) => p.id)).toEqual(['acme']);
    await waitFor('the stream is live on the second node', () => {
      const c = m.connection;
      return c !== 'local' && c.live && c.url === svc.url;
    });
    expect(m.url).toBe(svc.url);
    // Real engine events arrive one by one, in order.
    await primary.refuse();
    await waitFor('failover arrives on the stream', () =>
      events.some((e) => e.type === 'state' && e.to === 'failover'),
    );
    const to = events.flatMap((e) => (e.type === 'state' ? [e.to] : []));
    expect(to.indexOf('verifying')).toBeLessThan(to.indexOf('failover'));
    expect(states).toContainEqual({ url: svc.url, live: true });
  });

  it('moves on from a node that accepts the connection and never answers', async () => {
    const { svc } = await service();
    const silent = await blackHole();
    const m = client([silent.url, svc.url], svc.token, { connectTimeoutMs: 1_000, timeoutMs: 1_000 });
    m.subscribe(() => {});
    await waitFor('the stream is live on the second node', () => {
      const c = m.connection;
      return c !== 'local' && c.live && c.url === svc.url;
    });
    expect(silent.connections).toBeGreaterThanOrEqual(1);
  });

  it('keeps a stream open longer than the connect timeout', async () => {
    const { svc } = await service();
    const m = client([svc.url], svc.token, { connectTimeoutMs: 200 });
    const states: unknown[] = [];
    m.onConnection((c) => states.push(c));
    m.subscribe(() => {});
    const liveAt = await waitFor('live', () => {
      const c = m.connection;
      return c !== 'local' && c.live && Date.now();
    });
    // Five connect timeouts with the stream open: a timeout still armed would have cut it by now.
    await waitFor('five connect timeouts', () => Date.now() - liveAt > 1_000);
    // From the first time it was live (a loaded machine may have needed more than one attempt).
    const live = states.findIndex((c) => (c as { live?: boolean }).live === true);
    expect(states.slice(live)).toEqual([{ url: svc.url, live: true }]);
  });

  it('says "Token rejected" for a wrong token, and the stream stops reconnecting', async () => {
    const { svc } = await service();
    let streamAttempts = 0;
    const counting: typeof fetch = (input, init) => {
      if (String(input).endsWith('/api/events')) streamAttempts++;
      return fetch(input, init);
    };
    const m = client([svc.url], 'x'.repeat(64), { fetch: counting });
    m.subscribe(() => {});
    await waitFor('rejected', () => m.connection !== 'local' && m.connection.rejected === true);
    const err = await caught(m.listPairs());
    expect(err.code).toBe('unauthorized');
    expect(err.message).toBe(`Token rejected by ${svc.url}: wrong API token`);
    // The backoff is 50-100 ms: in a second a reconnecting stream would have tried again many times.
    const attempts = streamAttempts;
    await new Promise((r) => setTimeout(r, 1000));
    expect(streamAttempts).toBe(attempts);
    expect(attempts).toBe(1);
  });

  it('says the service cannot be reached when no node answers, naming each', async () => {
    const dead = await HttpFixture.start();
    await dead.refuse();
    cleanups.push(() => dead.close());
    const url = dead.url().replace(/\/$/, '');
    const m = client([url], 'x'.repeat(64));
    const err = await caught(m.listPairs());
    expect(err.code).toBe('internal');
    expect(err.message).toContain(`${url}: ECONNREFUSED`);
  });
});

describe('error mapping', () => {
  it('keeps the service code, falls back to the status, and keeps problems', () => {
    expect(errorOfResponse(409, { error: 'conflict', message: 'changed' }, 'x').toBody()).toEqual({
      error: 'conflict',
      message: 'changed',
    });
    expect(
      errorOfResponse(403, { error: 'forbidden', message: 'needs role operator' }, 'POST /api/pairs/a/failover').code,
    ).toBe('forbidden');
    const p = errorOfResponse(400, { error: 'invalid', message: 'bad', problems: [{ field: 'a', message: 'b' }] }, 'x');
    expect(p.problems).toEqual([{ field: 'a', message: 'b' }]);
    expect(errorOfResponse(502, undefined, 'GET /api/pairs').toBody()).toEqual({
      error: 'internal',
      message: 'GET /api/pairs: HTTP 502',
    });
    expect(errorOfResponse(403, { error: 'something-new', message: 'm' }, 'x').code).toBe('forbidden');
    expect(codeOfStatus(418)).toBe('invalid');
    expect(codeOfStatus(404)).toBe('not-found');
  });
});

describe('a change is never sent twice', () => {
  it('does not resend a failover to the next node when the first may have taken it, but does after a 503', async () => {
    const { svc, receiver } = await service();
    await waitFor('pair waiting', async () => (await svc.monitor.listPairs())[0]!.state === 'waiting');
    // The first node takes the request and answers too late: it may have done it.
    const slow = await HttpFixture.start({ status: 200, delayMs: 3_000 });
    cleanups.push(() => slow.close());
    const m = client([slow.url().replace(/\/$/, ''), svc.url], svc.token, { timeoutMs: 300 });
    const err = await caught(m.failover('acme', { reason: 'test', operator: 'alice' }));
    expect(err.message).toMatch(/did not answer \(no answer in time\); it may or may not have done it/);
    expect(slow.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /api/pairs/acme/failover']);
    expect((await svc.monitor.listPairs())[0]!.state).toBe('waiting');

    // A node that says 503 did not take it: the next one does, once.
    slow.answer = { status: 503, body: '{"error":"internal","message":"not the leader"}' };
    const done = await m.failover('acme', { reason: 'test', operator: 'alice' });
    expect(done.state).toBe('failover');
    await waitFor('action fired', () => receiver.hits === 1);
    expect(m.url).toBe(svc.url);
  });
});
