// The port held while the engine opens: a client that connects meanwhile is reset at once, so
// it cannot hold the release (and with it the service's start); a port in use is named.

import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { reservePort } from '../../src/server/port-reservation.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((done) => s.close(done));
});

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((done) => probe.close(done));
  return port;
}

describe('reservePort', () => {
  it('resets a client that connects while the port is held, so the release does not wait for it', async () => {
    const port = await freePort();
    const reserved = await reservePort('127.0.0.1', port);
    // A client that sends a request and would wait for ever for the answer.
    const client = connect({ host: '127.0.0.1', port });
    const closed = new Promise<boolean>((done) => client.once('close', done));
    client.on('error', () => {});
    client.write('GET /api/events HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    // Reset by the reservation, not hung up by the client.
    expect(await closed).toBe(true);
    // Released while that client never hung up of its own accord: the port is free again.
    await reserved.release();
    const next = createServer();
    servers.push(next);
    next.listen({ host: '127.0.0.1', port, exclusive: true });
    await once(next, 'listening');
    expect((next.address() as AddressInfo).port).toBe(port);
  });

  it('names a port that is in use', async () => {
    const busy = createServer();
    servers.push(busy);
    busy.listen(0, '127.0.0.1');
    await once(busy, 'listening');
    const { port } = busy.address() as AddressInfo;
    await expect(reservePort('127.0.0.1', port)).rejects.toThrow(
      `port ${port} on 127.0.0.1 is already in use; choose another with --port`,
    );
  });

  it('holds nothing for port 0', async () => {
    const reserved = await reservePort('127.0.0.1', 0);
    await expect(reserved.release()).resolves.toBeUndefined();
  });
});
