// SIP OPTIONS pings on node:dgram, node:net and node:tls (no SIP library: the popular ones are
// WebSocket/WebRTC user agents). Every check is its own client transaction: a fresh branch, Call-ID and
// CSeq, and only a response carrying all three counts (a stray or late packet never does). Over UDP one
// socket (per address family) serves every pair, and the request is retransmitted from T1 = 500 ms,
// doubling (RFC 3261 Timer A/E, capped at T2 = 4 s, every T2 once a provisional answer came); over TCP and
// TLS one connection per target is kept and reused, its stream framed by Content-Length, and opened again
// when the far end closed it. The check gives up at its timeout: "no SIP answer in N s".

import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import tls from 'node:tls';
import type { ProbeCall, ProbeOutcome } from './http-client.js';
import { describeNetworkError, secondsText } from './http-client.js';
import type { Logger, SipClient, SipTarget, Timers } from './ports.js';
import { silentLogger, systemTimers } from './ports.js';
import { buildOptions, frameMessages, newBranch, newToken, parseResponse, type SipResponse } from './sip-message.js';

export const T1_MS = 500;
export const T2_MS = 4000;
/** An idle TCP/TLS connection is closed after this long without a check (longer than any sane interval). */
const IDLE_MS = 60_000;
/** Socket buffer asked for the shared UDP socket (each way). */
const UDP_BUFFER_BYTES = 4 * 1024 * 1024;
/** A deadline timer this much late means the event loop stalled (as in check-schedule.ts). */
const STALL_MS = 100;

export interface SipClientOptions {
  timers?: Timers;
  log?: Logger;
  /** Address the UDP sockets bind to (default all interfaces of the family). */
  bindAddress?: { v4?: string; v6?: string };
}

export function noSipAnswer(timeoutMs: number): string {
  return `no SIP answer in ${secondsText(timeoutMs)} s`;
}

/** One OPTIONS transaction in flight. */
class SipCall implements ProbeCall {
  readonly result: Promise<ProbeOutcome>;
  readonly branch = newBranch();
  readonly callId = `${newToken(12)}@pbx-failover-monitor`;
  readonly started = performance.now();
  /** The last provisional answer, "100 Trying". */
  provisional: string | undefined;
  done = false;
  private resolve!: (outcome: ProbeOutcome) => void;
  private readonly cleanups: Array<() => void> = [];

  constructor(
    readonly cseq: number,
    private readonly timeoutMs: number,
    private readonly onSettled: (call: SipCall) => void,
  ) {
    this.result = new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  /** Run when the call settles (timers, the transaction's entry). */
  onDone(fn: () => void): void {
    if (this.done) fn();
    else this.cleanups.push(fn);
  }

  /** Whether `r` answers this transaction (branch, Call-ID and CSeq number and method all match). */
  matches(r: SipResponse): boolean {
    return r.branch === this.branch && r.callId === this.callId && r.cseq === this.cseq && r.cseqMethod === 'OPTIONS';
  }

  answer(r: SipResponse): void {
    if (r.status < 200) {
      this.provisional = `${r.status} ${r.reason}`.trim();
      return;
    }
    this.finish({ status: r.status, latencyMs: performance.now() - this.started });
  }

  fail(error: string): void {
    this.finish({ latencyMs: performance.now() - this.started, error });
  }

  giveUp(): void {
    const words = noSipAnswer(this.timeoutMs);
    this.fail(this.provisional !== undefined ? `${words} (only ${this.provisional})` : words);
  }

  cancel(): void {
    this.giveUp();
  }

  private finish(outcome: ProbeOutcome): void {
    if (this.done) return;
    this.done = true;
    for (const fn of this.cleanups.splice(0)) fn();
    this.onSettled(this);
    this.resolve(outcome);
  }
}

export function createSipClient(options: SipClientOptions = {}): SipClient {
  const timers = options.timers ?? systemTimers;
  const log = options.log ?? silentLogger;
  const calls = new Map<string, SipCall>();
  const udp = new UdpSide(options.bindAddress ?? {}, log, onMessage);
  const streams = new Map<string, StreamConnection>();
  let cseq = 0;
  let closed = false;

  function onMessage(text: string): void {
    const response = parseResponse(text);
    if (!response || response.branch === undefined) return;
    const call = calls.get(response.branch);
    if (call && call.matches(response)) call.answer(response);
  }

  function start(timeoutMs: number): SipCall {
    cseq = cseq >= 0x7fffffff ? 1 : cseq + 1;
    const call = new SipCall(cseq, timeoutMs, (c) => calls.delete(c.branch));
    if (closed) {
      call.fail('monitor is shutting down');
      return call;
    }
    calls.set(call.branch, call);
    // A deadline that an event-loop stall delayed is extended once: what arrived meanwhile is not read yet.
    const planned = performance.now() + timeoutMs;
    let extended = false;
    const onDeadline = () => {
      if (!extended && performance.now() - planned > STALL_MS) {
        extended = true;
        deadline = timers.setTimeout(onDeadline, timeoutMs);
        return;
      }
      call.giveUp();
    };
    let deadline = timers.setTimeout(onDeadline, timeoutMs);
    call.onDone(() => timers.clearTimeout(deadline));
    return call;
  }

  return {
    options(target, timeoutMs) {
      const call = start(timeoutMs);
      if (call.done) return call;
      if (target.transport === 'udp') void sendUdp(call, target);
      else streamFor(target).send(call, target);
      return call;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const call of [...calls.values()]) call.fail('monitor is shutting down');
      for (const s of streams.values()) s.destroy();
      streams.clear();
      await udp.close();
    },
  };

  async function sendUdp(call: SipCall, target: SipTarget): Promise<void> {
    let route: { address: string; family: 4 | 6; local: { host: string; port: number } };
    try {
      route = await udp.route(target.host, target.port);
    } catch (error) {
      return call.fail(describeNetworkError(error));
    }
    if (call.done) return;
    const message = Buffer.from(
      buildOptions({
        target,
        branch: call.branch,
        callId: call.callId,
        cseq: call.cseq,
        fromTag: newToken(6),
        localHost: route.local.host,
        localPort: route.local.port,
      }),
    );
    let interval = T1_MS;
    let timer: unknown;
    const transmit = () => {
      if (call.done) return;
      udp.send(route.family, message, target.port, route.address, (error) => {
        if (error) log.warn('SIP OPTIONS not sent', { uri: target.uri, error: describeNetworkError(error) });
      });
      // Timer A/E: T1 doubling up to T2; once a provisional answer came, every T2.
      timer = timers.setTimeout(transmit, call.provisional !== undefined ? T2_MS : interval);
      interval = Math.min(interval * 2, T2_MS);
    };
    call.onDone(() => timers.clearTimeout(timer));
    transmit();
  }

  function streamFor(target: SipTarget): StreamConnection {
    const key = `${target.transport}|${target.host}|${target.port}|${target.verify}`;
    let s = streams.get(key);
    if (!s || s.closed) {
      s = new StreamConnection(target, onMessage, () => {
        if (streams.get(key) === s) streams.delete(key);
      });
      streams.set(key, s);
    }
    return s;
  }
}

/** The UDP socket(s) every pair shares, bound on first use; the route to each target host remembered. */
class UdpSide {
  private readonly sockets = new Map<4 | 6, Promise<dgram.Socket>>();
  private readonly locals = new Map<string, Promise<string>>();

  constructor(
    private readonly bind: { v4?: string; v6?: string },
    private readonly log: Logger,
    private readonly onMessage: (text: string) => void,
  ) {}

  async route(host: string, port: number) {
    const family = net.isIP(host);
    const address = family !== 0 ? host : (await lookup(host)).address;
    const fam = net.isIP(address) === 6 ? 6 : 4;
    const socket = await this.socket(fam);
    const localHost = await this.localAddress(address, port, fam);
    return { address, family: fam as 4 | 6, local: { host: localHost, port: socket.address().port } };
  }

  send(family: 4 | 6, message: Buffer, port: number, address: string, cb: (error: Error | null) => void): void {
    void this.socket(family).then((s) => s.send(message, port, address, cb), cb);
  }

  private socket(family: 4 | 6): Promise<dgram.Socket> {
    let p = this.sockets.get(family);
    if (!p) {
      p = new Promise((resolve, reject) => {
        const s = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
        s.on('message', (msg) => this.onMessage(msg.toString('utf8')));
        s.once('error', reject);
        s.bind({ port: 0, address: family === 6 ? (this.bind.v6 ?? '::') : (this.bind.v4 ?? '0.0.0.0') }, () => {
          s.off('error', reject);
          // Answers of a thousand pairs can arrive while the loop is busy: the default buffer (about 200
          // datagrams) would drop them, and a dropped answer is a failed check. The kernel caps this at rmem_max.
          try {
            s.setRecvBufferSize(UDP_BUFFER_BYTES);
            s.setSendBufferSize(UDP_BUFFER_BYTES);
          } catch {
            // Left at the system default.
          }
          s.on('error', (error) => this.log.warn('SIP UDP socket error', { error: describeNetworkError(error) }));
          s.unref();
          resolve(s);
        });
      });
      this.sockets.set(family, p);
      p.catch(() => this.sockets.delete(family));
    }
    return p;
  }

  /** Our address as seen on the way to `address` (the kernel's route), for Via and Contact; asked once per host. */
  private localAddress(address: string, port: number, family: 4 | 6): Promise<string> {
    let p = this.locals.get(address);
    if (!p) {
      p = new Promise<string>((resolve) => {
        const probe = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
        const fallback = family === 6 ? '::1' : '127.0.0.1';
        probe.once('error', () => {
          probe.close();
          resolve(fallback);
        });
        probe.connect(port, address, () => {
          const local = probe.address().address;
          probe.close();
          resolve(local === '0.0.0.0' || local === '::' ? fallback : local);
        });
      });
      this.locals.set(address, p);
    }
    return p;
  }

  async close(): Promise<void> {
    const sockets = await Promise.allSettled([...this.sockets.values()]);
    this.sockets.clear();
    await Promise.all(
      sockets.map((r) =>
        r.status === 'fulfilled' ? new Promise<void>((resolve) => r.value.close(() => resolve())) : undefined,
      ),
    );
  }
}

/** One TCP or TLS connection to a target, reused by every check of it; opened on demand. */
class StreamConnection {
  closed = false;
  private socket: net.Socket | undefined;
  private connected = false;
  private buffer: Buffer = Buffer.alloc(0);
  /** Calls waiting for the connection, or answered on it; failed together when it closes. */
  private readonly waiting = new Set<{ call: SipCall; write: () => void }>();

  constructor(
    private readonly target: SipTarget,
    private readonly onMessage: (text: string) => void,
    private readonly onClosed: () => void,
  ) {}

  send(call: SipCall, target: SipTarget): void {
    const entry = {
      call,
      write: () => {
        const s = this.socket!;
        s.write(
          buildOptions({
            target,
            branch: call.branch,
            callId: call.callId,
            cseq: call.cseq,
            fromTag: newToken(6),
            localHost: s.localAddress ?? '127.0.0.1',
            localPort: s.localPort ?? 0,
          }),
        );
      },
    };
    this.waiting.add(entry);
    call.onDone(() => this.waiting.delete(entry));
    if (!this.socket) this.open();
    else if (this.connected) entry.write();
  }

  destroy(): void {
    this.closed = true;
    this.socket?.destroy();
  }

  private open(): void {
    const t = this.target;
    const onConnect = () => {
      this.connected = true;
      for (const entry of [...this.waiting]) entry.write();
    };
    const socket =
      t.transport === 'tls'
        ? tls.connect(
            {
              host: t.host,
              port: t.port,
              rejectUnauthorized: t.verify,
              ...(net.isIP(t.host) === 0 ? { servername: t.host } : {}),
            },
            onConnect,
          )
        : net.connect({ host: t.host, port: t.port }, onConnect);
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setTimeout(IDLE_MS, () => socket.destroy());
    socket.unref();
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', (error) => this.close(describeNetworkError(error)));
    socket.on('close', () => this.close('connection closed by the server'));
  }

  private read(chunk: Buffer): void {
    const framed = frameMessages(this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]));
    this.buffer = framed.rest;
    for (const m of framed.messages) this.onMessage(m);
    if (framed.overflow) this.close('answer too large');
  }

  private close(error: string): void {
    if (this.closed) return;
    this.closed = true;
    this.socket?.destroy();
    this.onClosed();
    for (const { call } of [...this.waiting]) call.fail(error);
  }
}
