import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient, describeNetworkError, prepareUrl, type HttpClient } from '../../src/core/http-client.js';
import { probeOnce } from '../../src/core/probe.js';
import { acceptsStatus, compileAcceptStatus } from '../../src/shared/accept-status.js';
import { type FixtureAnswer, HttpFixture } from '../helpers/http-fixtures.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function fixture(answer: FixtureAnswer = { status: 200 }): Promise<HttpFixture> {
  const f = await HttpFixture.start(answer);
  cleanups.push(() => f.close());
  return f;
}

function client(): HttpClient {
  const c = createHttpClient();
  cleanups.push(() => c.close());
  return c;
}

const accept200 = compileAcceptStatus('200');

describe('probe', () => {
  it('reports status, latency and the time of an accepted answer', async () => {
    const server = await fixture({ status: 200, delayMs: 30 });
    const result = await probeOnce(client(), 'primary', server.url('/health'), 1000, accept200);
    expect(result).toMatchObject({ target: 'primary', url: server.url('/health'), ok: true, status: 200 });
    expect(result.latencyMs).toBeGreaterThanOrEqual(25);
    expect(Date.now() - Date.parse(result.at)).toBeLessThan(5000);
    expect(server.requests[0]).toMatchObject({ method: 'GET', url: '/health' });
  });

  it('puts failures in words: status, refused, timeout, not a URL', async () => {
    const c = client();
    const server = await fixture({ status: 503 });
    expect(await probeOnce(c, 'primary', server.url(), 1000, accept200)).toMatchObject({
      ok: false,
      status: 503,
      error: 'status 503',
    });

    server.setStatus(200, 800);
    const slow = await probeOnce(c, 'primary', server.url(), 200, accept200);
    expect(slow).toMatchObject({ ok: false, error: 'timed out after 0.2 s' });
    expect(slow.status).toBeUndefined();
    expect(slow.latencyMs).toBeLessThan(700);

    await server.refuse();
    expect(await probeOnce(c, 'standby', server.url(), 1000, accept200)).toMatchObject({
      ok: false,
      error: 'connection refused',
    });
    expect(await probeOnce(c, 'validation', 'ftp://127.0.0.1/', 1000, accept200)).toMatchObject({
      ok: false,
      error: 'not a valid http(s) URL',
    });
  });

  it('does not follow redirects; accepted statuses can be widened', async () => {
    const server = await fixture({ status: 301, headers: { location: '/elsewhere' } });
    const c = client();
    expect(await probeOnce(c, 'primary', server.url(), 1000, accept200)).toMatchObject({
      ok: false,
      status: 301,
      error: 'status 301',
    });
    expect(server.hits).toBe(1);
    server.setStatus(204);
    expect(await probeOnce(c, 'primary', server.url(), 1000, compileAcceptStatus('200-299'))).toMatchObject({
      ok: true,
      status: 204,
    });
    expect(await probeOnce(c, 'primary', server.url(), 1000, compileAcceptStatus('200,301'))).toMatchObject({
      ok: false,
      status: 204,
    });
  });

  it('compiles accepted statuses with exactly the semantics of acceptsStatus', () => {
    for (const spec of ['200', '200-299', '200,204', '200, 300-302', '599']) {
      const compiled = compileAcceptStatus(spec);
      for (let status = 100; status < 600; status++) expect(compiled(status)).toBe(acceptsStatus(spec, status));
    }
    expect(compileAcceptStatus('200-299')(700)).toBe(false);
  });

  it('reuses keep-alive connections for checks of one server', async () => {
    const server = await fixture();
    const c = client();
    for (let i = 0; i < 10; i++) expect((await probeOnce(c, 'primary', server.url(), 1000, accept200)).ok).toBe(true);
    expect(server.hits).toBe(10);
    // Back to back, undici may open a second connection before the first is marked idle; never one per check.
    expect(server.connections).toBeLessThanOrEqual(2);
  });

  it('reads at most a capped part of an endless body', async () => {
    const server = await fixture({ status: 200, body: 'endless' });
    const c = client();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 10; i++) {
      const outcome = await c.probe(prepareUrl(server.url()), 2000).result;
      expect(outcome.status).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(server.streamedBytes).toBeLessThan(10 * 8 * 1024 * 1024);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(50 * 1024 * 1024);
  });

  it('names network errors without their URL', () => {
    expect(
      describeNetworkError(Object.assign(new Error('getaddrinfo ENOTFOUND pbx.example.com'), { code: 'ENOTFOUND' })),
    ).toBe('DNS lookup failed');
    expect(describeNetworkError({ cause: { code: 'EHOSTUNREACH' } })).toBe('host unreachable');
    expect(describeNetworkError({ code: 'UND_ERR_SOCKET' })).toBe('connection closed by the server');
    expect(describeNetworkError(new Error('http://user:secret@host/ broke'))).toBe('request failed');
  });
});
