// The DNS client against a real PowerDNS on loopback, and against two tiny UDP servers of the test's
// own: one that never answers, one that first answers with the wrong id.

import { createSocket, type Socket } from 'node:dgram';
import * as packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsClient } from '../../src/core/dns-client.js';
import { LocalPowerDns, freePort } from '../helpers/pdns-local.js';
import { perTestScope } from '../helpers/test-scope.js';

const ZONE = 'pbx.test.';
const MANY = Array.from({ length: 60 }, (_, i) => `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`);
let pdns: LocalPowerDns;
const client = createDnsClient();
const scope = perTestScope();

beforeAll(async () => {
  pdns = await LocalPowerDns.start(ZONE, [
    { name: 'pbx', type: 'A', content: '127.0.0.10', ttl: 120 },
    { name: 'pbx', type: 'A', content: '127.0.0.11', ttl: 120 },
    { name: 'v6', type: 'AAAA', content: '2001:DB8:0:0::1' },
    { name: 'alias', type: 'CNAME', content: 'PBX.pbx.test.' },
    ...MANY.map((content) => ({ name: 'many', type: 'A', content })),
  ]);
});

afterAll(async () => {
  await pdns?.stop();
});

/** A UDP socket on a free loopback port that hands each query to `reply` (which may send nothing). */
async function udpServer(reply: (query: packet.DecodedPacket, send: (p: packet.Packet) => void) => void) {
  const socket: Socket = createSocket('udp4');
  const port = await freePort();
  await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', resolve));
  let received = 0;
  socket.on('message', (msg, rinfo) => {
    received++;
    reply(packet.decode(msg), (p) => socket.send(packet.encode(p), rinfo.port, rinfo.address));
  });
  scope.cleanups.push(() => new Promise<void>((r) => socket.close(() => r())));
  return { server: `127.0.0.1:${port}`, received: () => received };
}

describe('DNS client against PowerDNS', () => {
  it('reads an authoritative NOERROR answer: the whole set, its TTL, recursion not asked for', async () => {
    const r = await client.query(pdns.server, 'pbx.pbx.test.', 'A', 2000);
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ server: pdns.server, authoritative: true, rcode: 'NOERROR', ttl: 120, transport: 'udp' });
    expect([...r.answers].sort()).toEqual(['127.0.0.10', '127.0.0.11']);
  });

  it('reads the SOA serial, and sees it change when the API changes the zone', async () => {
    const before = await client.query(pdns.server, 'pbx.test.', 'SOA', 2000);
    expect(before).toMatchObject({ authoritative: true, rcode: 'NOERROR', answers: ['ns1.pbx.test.'] });
    expect(before.serial).toBe(1);
    // A question for a name without that type carries the SOA in the authority section.
    const nodata = await client.query(pdns.server, 'pbx.pbx.test.', 'AAAA', 2000);
    expect(nodata).toMatchObject({ rcode: 'NOERROR', answers: [], serial: 1, authoritative: true });
  });

  it('reports NXDOMAIN with the zone serial from the authority section', async () => {
    const r = await client.query(pdns.server, 'missing.pbx.test.', 'A', 2000);
    expect(r).toMatchObject({ authoritative: true, rcode: 'NXDOMAIN', answers: [], serial: 1 });
    expect(r.error).toBeUndefined();
  });

  it('normalises AAAA and CNAME values (compressed lower case; lower-case name with the final dot)', async () => {
    expect((await client.query(pdns.server, 'v6.pbx.test', 'AAAA', 2000)).answers).toEqual(['2001:db8::1']);
    const cname = await client.query(pdns.server, 'ALIAS.pbx.test.', 'CNAME', 2000);
    expect(cname).toMatchObject({ answers: ['pbx.pbx.test.'], authoritative: true, rcode: 'NOERROR' });
    // Asked for A, the alias resolves through the chain inside the zone.
    expect((await client.query(pdns.server, 'alias.pbx.test.', 'A', 2000)).answers.sort()).toEqual([
      '127.0.0.10',
      '127.0.0.11',
    ]);
  });

  it('asks again over TCP when the UDP answer is truncated', async () => {
    const r = await client.query(pdns.server, 'many.pbx.test.', 'A', 3000);
    expect(r.error).toBeUndefined();
    expect(r.transport).toBe('tcp');
    expect([...r.answers].sort()).toEqual([...MANY].sort());
  });

  it('a name of another zone: REFUSED and not authoritative', async () => {
    const r = await client.query(pdns.server, 'pbx.example.org.', 'A', 2000);
    expect(r).toMatchObject({ authoritative: false, rcode: 'REFUSED', answers: [] });
  });
});

describe('DNS client against servers that misbehave', () => {
  it('a server that never answers times out, in words', async () => {
    const silent = await udpServer(() => undefined);
    const r = await client.query(silent.server, 'pbx.pbx.test.', 'A', 400);
    expect(r.error).toBe('no answer in 0.4 s');
    expect(r.rcode).toBeUndefined();
    expect(r.latencyMs).toBeGreaterThanOrEqual(390);
    expect(silent.received()).toBe(1);
  });

  it('nothing listening: connection refused', async () => {
    const port = await freePort();
    const r = await client.query(`127.0.0.1:${port}`, 'pbx.pbx.test.', 'A', 2000);
    expect(r.error).toBe('connection refused');
  });

  it('ignores an answer with another id or question and takes the one that matches', async () => {
    const liar = await udpServer((q, send) => {
      const question = q.questions![0]!;
      const answer = (id: number, name: string, data: string): packet.Packet => ({
        type: 'response',
        id,
        flags: packet.AUTHORITATIVE_ANSWER,
        questions: [{ ...question, name }],
        answers: [{ type: 'A', name, ttl: 30, data }],
      });
      send(answer((q.id! + 1) % 65536, question.name, '192.0.2.66'));
      send(answer(q.id!, 'other.pbx.test', '192.0.2.67'));
      send(answer(q.id!, question.name, '192.0.2.10'));
    });
    const r = await client.query(liar.server, 'pbx.pbx.test.', 'A', 2000);
    expect(r).toMatchObject({ answers: ['192.0.2.10'], authoritative: true, rcode: 'NOERROR', ttl: 30 });
  });

  it('sends a random id with recursion desired off', async () => {
    const seen: packet.DecodedPacket[] = [];
    const s = await udpServer((q) => seen.push(q));
    await Promise.all([1, 2, 3].map(() => client.query(s.server, 'pbx.pbx.test.', 'A', 200)));
    expect(seen).toHaveLength(3);
    for (const q of seen) expect(q.flag_rd).toBe(false);
    expect(new Set(seen.map((q) => q.id)).size).toBeGreaterThan(1);
  });

  it('a server that is not host or host:port is an error, not a throw', async () => {
    expect((await client.query('not a server', 'pbx.pbx.test.', 'A', 200)).error).toMatch(/not host or host:port/);
  });
});
