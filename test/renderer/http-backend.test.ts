/// <reference types="node" />
// The HTTP backend against a real loopback server that plays the headless service's API.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpBackend } from '../../src/renderer/src/lib/backend/http';
import { takeTokenFromLocation } from '../../src/renderer/src/lib/backend/token';
import { MonitorError, type ConnectionState } from '$shared/api';
import type { EngineEvent, PairStatus } from '$shared/model';
import { toPairColumns, type PairColumns } from '$shared/pair-columns';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

let server: Server;
let base: string;
let seen: Seen[];
let streams: ServerResponse[];
/** Stream requests to leave unanswered (no headers, connection open), as a stuck proxy does. */
let unansweredStreams: number;
/** What GET /api/pairs?format=columns answers; undefined: the service is older than that form. */
let columnsAnswer: PairColumns | undefined;

function route(req: IncomingMessage, res: ServerResponse, body: string): void {
  if (req.headers.authorization !== 'Bearer s3cret') {
    res
      .writeHead(401, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: 'unauthorized', message: 'a valid token is required' }));
    return;
  }
  if (req.url === '/api/events' && unansweredStreams > 0) {
    unansweredStreams--;
    streams.push(res);
    return;
  }
  if (req.url === '/api/events') {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(': ping\n\n');
    streams.push(res);
    return;
  }
  if (req.method === 'POST' && req.url?.startsWith('/api/pairs?')) {
    res.writeHead(400, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        error: 'invalid',
        message: 'the settings have 1 problem',
        problems: [{ pair: 'x', field: 'interval', message: 'must be at least 0.1' }],
      }),
    );
    return;
  }
  if (req.method === 'GET' && req.url === '/api/pairs?format=columns' && columnsAnswer) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(columnsAnswer));
    return;
  }
  // A service older than the columns form ignores the parameter and answers the plain array.
  if (req.method === 'GET' && (req.url === '/api/pairs' || req.url?.startsWith('/api/pairs?'))) {
    res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
    return;
  }
  if (req.url?.startsWith('/api/config.xml')) {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ applied: false, changes: [{ pair: 'a', change: 'added' }], echo: body }));
    return;
  }
  res
    .writeHead(404, { 'content-type': 'application/json' })
    .end(JSON.stringify({ error: 'not-found', message: `no route ${req.url}` }));
}

beforeEach(async () => {
  seen = [];
  unansweredStreams = 0;
  columnsAnswer = undefined;
  streams = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body });
      route(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  for (const s of streams) s.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('HttpBackend', () => {
  it('sends the bearer token on every /api/ call', async () => {
    const backend = new HttpBackend({ baseUrl: base, token: 's3cret' });
    await expect(backend.listPairs()).resolves.toEqual([]);
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/api/pairs?format=columns', authorization: 'Bearer s3cret' });
  });

  it('asks for the pair list in columns and gives back the statuses', async () => {
    const status: PairStatus = {
      id: 'acme',
      name: 'ACME',
      state: 'waiting',
      since: '2026-12-03T05:00:00.000Z',
      consecutiveFailures: 0,
      toleratedFailures: 2,
      interval: 1,
      lastPrimary: {
        target: 'primary',
        url: 'http://p/',
        ok: true,
        status: 200,
        latencyMs: 4,
        at: '2026-12-03T05:00:01.000Z',
      },
      primaryAnswering: false,
      standbyDown: false,
      isolated: false,
    };
    columnsAnswer = toPairColumns([status]);
    const backend = new HttpBackend({ baseUrl: base, token: 's3cret' });
    await expect(backend.listPairs()).resolves.toEqual([status]);
  });

  it('turns an error body into a MonitorError with the problems by field', async () => {
    const backend = new HttpBackend({ baseUrl: base, token: 's3cret' });
    const err = await backend.addPair({ id: 'x' } as never, { reason: 'new customer', operator: 'alice' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MonitorError);
    expect((err as MonitorError).code).toBe('invalid');
    expect((err as MonitorError).problems).toEqual([{ pair: 'x', field: 'interval', message: 'must be at least 0.1' }]);
    // Who and why travel in the query, the settings alone in the body.
    expect(seen[0]!.url).toBe('/api/pairs?reason=new+customer&operator=alice');
    expect(JSON.parse(seen[0]!.body)).toEqual({ id: 'x' });
  });

  it('reports a wrong token as unauthorized', async () => {
    const backend = new HttpBackend({ baseUrl: base, token: 'wrong' });
    await expect(backend.listPairs()).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('sends an import as XML with dryRun in the query', async () => {
    const backend = new HttpBackend({ baseUrl: base, token: 's3cret' });
    const result = await backend.importXml('<pbxctrl-failover version="1"/>', { dryRun: true });
    expect(result.changes).toEqual([{ pair: 'a', change: 'added' }]);
    expect(seen[0]).toMatchObject({
      method: 'PUT',
      url: '/api/config.xml?dryRun=true',
      body: '<pbxctrl-failover version="1"/>',
    });
  });

  it('delivers SSE batches in order, and reconnects after the stream drops', async () => {
    const backend = new HttpBackend({ baseUrl: base, token: 's3cret', backoffMs: [50] });
    const states: ConnectionState[] = [];
    const got: EngineEvent[][] = [];
    backend.onConnection((s) => states.push(s));
    const off = backend.subscribe((events) => got.push(events));
    await expect.poll(() => streams.length).toBe(1);
    await expect.poll(() => states.at(-1)).toBe('live');
    const e1: EngineEvent = { type: 'config', pair: 'a', at: '2026-11-27T09:00:00.000Z', change: 'added' };
    const e2: EngineEvent = { type: 'config', pair: 'b', at: '2026-11-27T09:00:01.000Z', change: 'added' };
    streams[0]!.write(`event: events\ndata: ${JSON.stringify([e1, e2])}\n\n`);
    await expect.poll(() => got.length).toBe(1);
    expect(got[0]).toEqual([e1, e2]);

    streams[0]!.destroy();
    await expect.poll(() => states.includes('lost')).toBe(true);
    await expect.poll(() => streams.length, { timeout: 5000 }).toBe(2);
    await expect.poll(() => states.at(-1)).toBe('live');
    expect(seen.filter((s) => s.url === '/api/events').every((s) => s.authorization === 'Bearer s3cret')).toBe(true);
    off();
    backend.close();
  });
});

describe('HttpBackend when the token is refused or the stream goes silent', () => {
  const eventsSeen = () => seen.filter((s) => s.url === '/api/events').length;

  it('reports a 401 on the stream as rejected and stops reconnecting until a new token is set', async () => {
    const backend = new HttpBackend({ baseUrl: base, token: 'old-token', backoffMs: [0] });
    const states: ConnectionState[] = [];
    backend.onConnection((s) => states.push(s));
    const off = backend.subscribe(() => {});
    await expect.poll(() => states.at(-1)).toBe('rejected');
    expect(states).not.toContain('lost');
    expect(backend.hasToken).toBe(true);
    // A full round trip later the stream has not been tried again (with a 0 ms backoff it would have been, many times).
    await expect(backend.listPairs()).rejects.toMatchObject({ code: 'unauthorized' });
    expect(eventsSeen()).toBe(1);

    backend.setToken('s3cret');
    await expect.poll(() => states.at(-1)).toBe('live');
    expect(eventsSeen()).toBe(2);
    off();
    backend.close();
  });

  it('reports a 401 on a request as rejected', async () => {
    const backend = new HttpBackend({ baseUrl: base, token: 'old-token' });
    const states: ConnectionState[] = [];
    backend.onConnection((s) => states.push(s));
    await expect(backend.listPairs()).rejects.toMatchObject({ code: 'unauthorized' });
    expect(states.at(-1)).toBe('rejected');
  });

  it('treats a stream that stays silent past the limit as lost, and reconnects', async () => {
    const backend = new HttpBackend({ baseUrl: base, token: 's3cret', backoffMs: [0], silenceMs: 150 });
    const states: ConnectionState[] = [];
    backend.onConnection((s) => states.push(s));
    const off = backend.subscribe(() => {});
    await expect.poll(() => states.at(-1)).toBe('live');
    // The server keeps the connection open and says nothing more, as a cut network does.
    await expect.poll(() => states.includes('lost'), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => streams.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    off();
    backend.close();
  });

  it('gives up on a stream request that is never answered, and tries again', async () => {
    unansweredStreams = 1;
    const backend = new HttpBackend({ baseUrl: base, token: 's3cret', backoffMs: [0], silenceMs: 150 });
    const states: ConnectionState[] = [];
    backend.onConnection((s) => states.push(s));
    const off = backend.subscribe(() => {});
    // The first request got no answer at all; the watchdog gave up on it and a later one is live.
    await expect.poll(() => states.includes('live'), { timeout: 10_000 }).toBe(true);
    expect(streams.length).toBeGreaterThanOrEqual(2);
    expect(states.indexOf('lost')).toBeGreaterThanOrEqual(0);
    expect(states.indexOf('lost')).toBeLessThan(states.indexOf('live'));
    off();
    backend.close();
  });
});

describe('token from the address', () => {
  it('moves #token=… into sessionStorage and out of the address bar', () => {
    history.replaceState(null, '', '/dashboard#token=abc%20def');
    expect(takeTokenFromLocation(location, sessionStorage)).toBe('abc def');
    expect(location.hash).toBe('');
    expect(location.pathname).toBe('/dashboard');
    expect(sessionStorage.getItem('pbx-monitor-token')).toBe('abc def');
    // A reload without the fragment keeps the session's token.
    expect(takeTokenFromLocation(location, sessionStorage)).toBe('abc def');
  });
});
