// The DNS client of `<dns-verify>` and readiness: one question to one server, asked directly with
// recursion off, so that the answer is the server's own (AA flag, response code, SOA serial), which
// node's resolver cannot show. UDP first; a truncated answer (TC) is asked again over TCP with the
// two-byte length framing. Each question has a random id, and only an answer with that id and that
// question counts: anything else arriving on the socket is ignored until the deadline.

import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP, connect } from 'node:net';
import * as packet from 'dns-packet';
import { canonicalIpv6, fqdn, parseDnsServer } from '../shared/dns-values.js';
import type { DnsRecordType } from '../shared/pbx-health.js';
import { systemTimers, type DnsClient, type DnsQueryResult, type Timers } from './ports.js';

type QueryType = DnsRecordType | 'SOA';
type Decoded = packet.DecodedPacket & { rcode?: string };
type Rec = Exclude<packet.Answer, packet.OptAnswer>;

function recordsOf(section: packet.Answer[] | undefined): Rec[] {
  return (section ?? []).filter((r): r is Rec => r.type !== 'OPT');
}

class NoAnswer extends Error {}

export function createDnsClient(opts: { timers?: Timers } = {}): DnsClient {
  const timers = opts.timers ?? systemTimers;
  return {
    async query(server, name, type, timeoutMs) {
      const started = performance.now();
      const result = (fields: Partial<DnsQueryResult>): DnsQueryResult => ({
        server,
        answers: [],
        authoritative: false,
        latencyMs: Math.round(performance.now() - started),
        ...fields,
      });
      const target = parseDnsServer(server);
      if (!target) return result({ error: `"${server}" is not host or host:port` });
      const abort = new AbortController();
      const timer = timers.setTimeout(() => abort.abort(new NoAnswer()), timeoutMs);
      try {
        const address = await within(resolveHost(target.host), abort.signal);
        const id = randomInt(0, 65536);
        const query = packet.encode({ type: 'query', id, flags: 0, questions: [{ type, name, class: 'IN' }] });
        const matches = (p: Decoded): boolean => isAnswerTo(p, id, name, type);
        let answer = await udpExchange(address, target.port, query, matches, abort.signal);
        let transport: 'udp' | 'tcp' = 'udp';
        if (answer.flag_tc) {
          answer = await tcpExchange(address, target.port, query, matches, abort.signal);
          transport = 'tcp';
        }
        return result({ ...interpret(answer, name, type), transport });
      } catch (error) {
        return result({ error: inWords(error, timeoutMs) });
      } finally {
        timers.clearTimeout(timer);
      }
    },
  };
}

async function resolveHost(host: string): Promise<string> {
  if (isIP(host)) return host;
  return (await lookup(host)).address;
}

function isAnswerTo(p: Decoded, id: number, name: string, type: QueryType): boolean {
  if (p.type !== 'response' || p.id !== id) return false;
  const q = p.questions?.[0];
  return q !== undefined && q.type === type && fqdn(q.name) === fqdn(name);
}

/** Settles with `work`, or rejects with the signal's reason once it aborts. */
function within<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function decode(buf: Buffer): Decoded | undefined {
  try {
    return packet.decode(buf) as Decoded;
  } catch {
    return undefined;
  }
}

function udpExchange(
  address: string,
  port: number,
  query: Buffer,
  matches: (p: Decoded) => boolean,
  signal: AbortSignal,
): Promise<Decoded> {
  const socket = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
  const exchange = new Promise<Decoded>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('message', (msg) => {
      const p = decode(msg);
      if (p && matches(p)) resolve(p);
    });
    // Connected, so that only the server's datagrams arrive and an ICMP "port unreachable" is reported.
    socket.connect(port, address, () => socket.send(query, (err) => err && reject(err)));
  });
  return within(exchange, signal).finally(() => socket.close());
}

function tcpExchange(
  address: string,
  port: number,
  query: Buffer,
  matches: (p: Decoded) => boolean,
  signal: AbortSignal,
): Promise<Decoded> {
  const socket = connect({ host: address, port });
  const exchange = new Promise<Decoded>((resolve, reject) => {
    let pending = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('the server closed the TCP connection before answering')));
    socket.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(query.length);
      socket.write(Buffer.concat([length, query]));
    });
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const size = pending.readUInt16BE(0);
        const p = decode(pending.subarray(2, 2 + size));
        pending = pending.subarray(2 + size);
        if (p && matches(p)) return resolve(p);
      }
    });
  });
  return within(exchange, signal).finally(() => socket.destroy());
}

function normalise(type: QueryType, value: string): string {
  if (type === 'AAAA') return canonicalIpv6(value) ?? value.toLowerCase();
  if (type === 'A') return value;
  return fqdn(value);
}

/** The answer's records of `type` at `name`, following a CNAME chain inside the answer section. */
function interpret(p: Decoded, name: string, type: QueryType): Partial<DnsQueryResult> {
  const records = recordsOf(p.answers);
  let owner = fqdn(name);
  if (type !== 'CNAME') {
    for (let hops = 0; hops < 8; hops++) {
      const alias = records.find((r) => r.type === 'CNAME' && fqdn(r.name) === owner);
      if (!alias) break;
      owner = fqdn(alias.data as string);
    }
  }
  const own = records.filter((r) => r.type === type && fqdn(r.name) === owner);
  const out: Partial<DnsQueryResult> = {
    authoritative: p.flag_aa,
    rcode: p.rcode ?? 'NOERROR',
    answers: own.map((r) => (r.type === 'SOA' ? fqdn(r.data.mname) : normalise(type, String(r.data)))),
  };
  const ttls = own.flatMap((r) => (r.ttl === undefined ? [] : [r.ttl]));
  if (ttls.length > 0) out.ttl = Math.min(...ttls);
  const soa = [...own, ...recordsOf(p.authorities)].find((r) => r.type === 'SOA');
  if (soa?.type === 'SOA' && soa.data.serial !== undefined) out.serial = soa.data.serial;
  return out;
}

function inWords(error: unknown, timeoutMs: number): string {
  if (error instanceof NoAnswer) return `no answer in ${timeoutMs / 1000} s`;
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'server name not found';
    default:
      return (error as Error).message || String(error);
  }
}
