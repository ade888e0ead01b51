// The HTTP service against hostile or careless clients, with real sockets: a slow body is cut
// off, a refused token closes its connection, event streams are capped per token, a malformed
// address gets the project's error shape and headers, and a foreign Host header is refused.

import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiErrorBody } from '../../src/shared/api.js';
import { SECURITY_HEADERS } from '../../src/server/headers.js';
import { startTestService, type TestService } from '../helpers/service-harness.js';

let svc: TestService;

beforeEach(async () => {
  svc = await startTestService({
    limits: { requestTimeoutMs: 500, headersTimeoutMs: 500, checkEveryMs: 100 },
    events: { maxClientsPerToken: 2 },
    allowedHosts: ['pbx-monitor.example.net'],
  });
});

afterEach(async () => {
  await svc.dispose();
});

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(svc.port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server sends until it closes the socket. */
function untilClosed(socket: Socket): Promise<string> {
  let text = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  return new Promise((resolve) => socket.once('close', () => resolve(text)));
}

/** Reads until one whole HTTP answer (headers and a Content-Length body) has arrived. */
function oneAnswer(socket: Socket): Promise<{ head: string; body: string }> {
  let text = '';
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = text.slice(0, end);
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (Buffer.byteLength(text.slice(end + 4)) < length) return;
      socket.off('data', onData);
      resolve({ head, body: text.slice(end + 4) });
    };
    socket.on('data', onData);
  });
}

describe('slow and refused clients', () => {
  it('cuts off a request whose body trickles in (slowloris)', async () => {
    const socket = await open();
    const closed = untilClosed(socket);
    socket.write(
      `POST /api/pairs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${svc.token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`,
    );
    // One byte every 100 ms keeps the socket busy, so only the request timeout can end it.
    const drip = setInterval(() => socket.writable && socket.write(' '), 100);
    try {
      expect(await closed).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(drip);
    }
  });

  it('answers a body sent without a token at once with 401 and closes, without waiting for the body', async () => {
    const socket = await open();
    const closed = untilClosed(socket);
    socket.write(
      `POST /api/pairs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`,
    );
    const text = await closed;
    expect(text).toMatch(/^HTTP\/1\.1 401 /);
    expect(text).toMatch(/\r\nconnection: close\r\n/i);
  });

  it('closes the connection after a 401, even on keep-alive', async () => {
    const socket = await open();
    const closed = untilClosed(socket);
    socket.write(
      `GET /api/pairs HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nAuthorization: Bearer ${'x'.repeat(40)}\r\n\r\n`,
    );
    const text = await closed;
    expect(text).toMatch(/^HTTP\/1\.1 401 /);
    expect(text).toMatch(/\r\nconnection: close\r\n/i);
  });

  it('keeps a connection with the right token alive (the close is for refusals only)', async () => {
    const socket = await open();
    const request = `GET /api/pairs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${svc.token}\r\n\r\n`;
    socket.write(request);
    expect((await oneAnswer(socket)).head).toMatch(/^HTTP\/1\.1 200 /);
    socket.write(request);
    expect((await oneAnswer(socket)).head).toMatch(/^HTTP\/1\.1 200 /);
    socket.destroy();
  });

  it('caps event streams per token with a clear 429, and frees a place when a stream ends', async () => {
    const request = `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${svc.token}\r\n\r\n`;
    /** Opens a stream; resolves with its socket and the first bytes the server sent. */
    const stream = async (): Promise<{ socket: Socket; text: string }> => {
      const socket = await open();
      socket.setEncoding('utf8');
      const first = new Promise<string>((resolve) => {
        let text = '';
        const onData = (chunk: string) => {
          text += chunk;
          if (!text.includes(': connected\n\n') && !text.endsWith('"}')) return;
          socket.off('data', onData);
          resolve(text);
        };
        socket.on('data', onData);
      });
      socket.write(request);
      return { socket, text: await first };
    };
    const a = await stream();
    const b = await stream();
    expect([a.text, b.text].map((t) => t.slice(0, 15))).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
    const c = await stream();
    expect(c.text).toMatch(/^HTTP\/1\.1 429 /);
    expect(c.text).toMatch(/\r\nretry-after: 10\r\n/i);
    const body = JSON.parse(c.text.slice(c.text.indexOf('\r\n\r\n') + 4)) as ApiErrorBody;
    expect(body.message).toMatch(/already has 2 open event streams \(the limit is 2\)/);
    c.socket.destroy();

    a.socket.destroy();
    let again: { socket: Socket; text: string };
    for (;;) {
      again = await stream();
      if (again.text.startsWith('HTTP/1.1 200')) break;
      again.socket.destroy();
      await new Promise((r) => setTimeout(r, 20));
    }
    again.socket.destroy();
    b.socket.destroy();
  });
});

describe('malformed addresses', () => {
  it.each(['/%ff', '/api/pairs/%ff', '/api/pairs/%E0%A4%A'])(
    '%s gets a 400 in the project shape, with the security headers, not reflecting the URL',
    async (path) => {
      const socket = await open();
      const closed = untilClosed(socket);
      socket.end(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      const text = await closed;
      const [head, body] = text.split('\r\n\r\n') as [string, string];
      expect(head).toMatch(/^HTTP\/1\.1 400 /);
      for (const [name, value] of Object.entries(SECURITY_HEADERS))
        expect(head.toLowerCase()).toContain(`\r\n${name}: ${value.toLowerCase()}`);
      expect(JSON.parse(body)).toEqual({
        error: 'invalid',
        message: 'the address is not valid: it has malformed percent-encoding',
      });
      expect(body).not.toContain('%');
    },
  );
});

describe('Host allow-list (DNS rebinding)', () => {
  async function withHost(host: string, path = '/api/health'): Promise<{ head: string; body: string }> {
    const socket = await open();
    const closed = untilClosed(socket);
    socket.end(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    const text = await closed;
    const at = text.indexOf('\r\n\r\n');
    return { head: text.slice(0, at), body: text.slice(at + 4) };
  }

  it.each([
    '127.0.0.1',
    `127.0.0.1:PORT`,
    'localhost:PORT',
    'LOCALHOST',
    'app.localhost',
    '[::1]:PORT',
    '10.1.2.3:PORT',
    'pbx-monitor.example.net:PORT',
  ])('answers Host %s', async (host) => {
    expect((await withHost(host.replace('PORT', String(svc.port)))).head).toMatch(/^HTTP\/1\.1 200 /);
  });

  it.each(['evil.example', 'evil.example:PORT', 'localhost.evil.example', 'pbx-monitor.example.net.evil.example'])(
    'refuses Host %s with 421 and says how to allow a real name',
    async (host) => {
      for (const path of ['/api/health', '/api/pairs', '/']) {
        const { head, body } = await withHost(host.replace('PORT', String(svc.port)), path);
        expect(head).toMatch(/^HTTP\/1\.1 421 /);
        expect(head.toLowerCase()).toContain(`\r\ncontent-security-policy: `);
        const name = host.replace(/:PORT$/, '');
        expect(JSON.parse(body)).toEqual({
          error: 'invalid',
          message: `this service does not answer to the name "${name}" (Host header); if that is its name, start it with --allowed-host ${name}`,
        });
      }
    },
  );
});
