// A scripted SIP responder on loopback for the SIP check's tests: one UDP socket, one TCP server and
// (optionally) one TLS server on 127.0.0.1, answering each OPTIONS as the test's script says, with real
// packets. The script sees every request (its branch, Call-ID, CSeq) and returns what to send back:
// replies with their own status, delay and deliberately wrong fields, or nothing at all.

import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';

export interface SipRequestSeen {
  transport: 'udp' | 'tcp' | 'tls';
  method: string;
  text: string;
  branch: string;
  callId: string;
  cseq: string;
  /** Where it came from, address:port (one UDP socket for every pair shows as one port). */
  source: string;
  /** performance.now() at arrival. */
  at: number;
  /** How many requests with this branch arrived so far (1 for the first, 2 for its first retransmission, …). */
  copy: number;
}

export interface ScriptedReply {
  status: number;
  reason?: string;
  delayMs?: number;
  /** Send it with another branch or Call-ID or CSeq than the request's (must be ignored). */
  wrong?: 'branch' | 'call-id' | 'cseq';
}

export type SipScript = (request: SipRequestSeen) => ScriptedReply[];

export interface SipResponder {
  readonly port: number;
  readonly tcpPort: number;
  readonly tlsPort: number | undefined;
  readonly requests: SipRequestSeen[];
  script: SipScript;
  /** Stop answering (requests are still recorded). */
  silent: boolean;
  /** Drops the TCP/TLS connections it holds (the client must open a new one). */
  dropConnections(): void;
  close(): Promise<void>;
}

export const answer200: SipScript = () => [{ status: 200, reason: 'OK' }];

function header(text: string, name: string): string {
  const m = new RegExp(`^${name}[ \\t]*:[ \\t]*(.*)$`, 'im').exec(text);
  return m ? m[1]!.trim() : '';
}

/** The response to `text` (a request), as RFC 3261 8.2.6 copies Via, From, To, Call-ID and CSeq. */
export function replyTo(text: string, reply: ScriptedReply): string {
  let via = header(text, 'Via');
  let callId = header(text, 'Call-ID');
  let cseq = header(text, 'CSeq');
  if (reply.wrong === 'branch') via = via.replace(/branch=[^;\s]+/, 'branch=z9hG4bKsomeoneelse');
  if (reply.wrong === 'call-id') callId = `other-${callId}`;
  if (reply.wrong === 'cseq') cseq = cseq.replace(/^\d+/, (n) => String(Number(n) + 1000));
  return (
    `SIP/2.0 ${reply.status} ${reply.reason ?? 'Reason'}\r\n` +
    `Via: ${via};received=127.0.0.1\r\n` +
    `From: ${header(text, 'From')}\r\n` +
    `To: ${header(text, 'To')};tag=responder\r\n` +
    `Call-ID: ${callId}\r\n` +
    `CSeq: ${cseq}\r\n` +
    `Server: sip-responder\r\n` +
    `Content-Length: 0\r\n\r\n`
  );
}

export async function startSipResponder(
  opts: { script?: SipScript; tls?: { key: string; cert: string } } = {},
): Promise<SipResponder> {
  const copies = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<net.Socket>();
  const udp = dgram.createSocket('udp4');
  const responder: SipResponder = {
    port: 0,
    tcpPort: 0,
    tlsPort: undefined,
    requests: [],
    script: opts.script ?? answer200,
    silent: false,
    dropConnections() {
      for (const s of sockets) s.destroy();
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
        secure ? new Promise<void>((resolve) => secure.close(() => resolve())) : undefined,
      ]);
    },
  };

  function handle(
    transport: SipRequestSeen['transport'],
    source: string,
    text: string,
    send: (reply: string) => void,
  ): void {
    const first = /^(\S+)/.exec(text)?.[1] ?? '';
    const branch = /branch=([^;\s,]+)/.exec(header(text, 'Via'))?.[1] ?? '';
    const copy = (copies.get(branch) ?? 0) + 1;
    copies.set(branch, copy);
    const seen: SipRequestSeen = {
      transport,
      source,
      at: performance.now(),
      method: first,
      text,
      branch,
      callId: header(text, 'Call-ID'),
      cseq: header(text, 'CSeq'),
      copy,
    };
    responder.requests.push(seen);
    if (responder.silent) return;
    for (const reply of responder.script(seen)) {
      const out = replyTo(text, reply);
      if (!reply.delayMs) send(out);
      else {
        const t = setTimeout(() => {
          timers.delete(t);
          send(out);
        }, reply.delayMs);
        timers.add(t);
      }
    }
  }

  udp.on('message', (msg, rinfo) =>
    handle('udp', `${rinfo.address}:${rinfo.port}`, msg.toString('utf8'), (reply) =>
      udp.send(reply, rinfo.port, rinfo.address),
    ),
  );
  const onStream = (transport: 'tcp' | 'tls') => (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (let end = buffer.indexOf('\r\n\r\n'); end >= 0; end = buffer.indexOf('\r\n\r\n')) {
        const length = Number(header(buffer.slice(0, end), 'Content-Length') || 0);
        if (buffer.length < end + 4 + length) break;
        const text = buffer.slice(0, end + 4 + length);
        buffer = buffer.slice(end + 4 + length);
        handle(transport, `${socket.remoteAddress}:${socket.remotePort}`, text, (reply) => {
          if (!socket.destroyed) socket.write(reply);
        });
      }
    });
  };
  const tcp = net.createServer(onStream('tcp'));
  const secure = opts.tls ? tls.createServer({ key: opts.tls.key, cert: opts.tls.cert }, onStream('tls')) : undefined;

  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', () => resolve()));
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve()));
  if (secure) await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', () => resolve()));
  Object.assign(responder, {
    port: udp.address().port,
    tcpPort: (tcp.address() as net.AddressInfo).port,
    tlsPort: secure ? (secure.address() as net.AddressInfo).port : undefined,
  });
  return responder;
}
