import { describe, expect, it } from 'vitest';
import { createSipClient } from '../../src/core/sip-client.js';
import { sipTarget } from '../../src/core/sip-message.js';
import type { SipClient, SipTarget } from '../../src/core/ports.js';
import type { ProbeOutcome } from '../../src/core/http-client.js';
import { selfSignedCert } from '../helpers/sip-cert.js';
import { startSipResponder, type SipResponder, type SipScript } from '../helpers/sip-responder.js';
import { perTestScope } from '../helpers/test-scope.js';

const scope = perTestScope();

async function responder(script?: SipScript, withTls = false): Promise<SipResponder> {
  const r = await startSipResponder({ ...(script ? { script } : {}), ...(withTls ? { tls: selfSignedCert() } : {}) });
  scope.cleanups.push(() => r.close());
  return r;
}

function client(): SipClient {
  const c = createSipClient();
  scope.cleanups.push(() => c.close());
  return c;
}

function udp(r: SipResponder): SipTarget {
  return sipTarget({ uri: `sip:127.0.0.1:${r.port}`, transport: 'udp', accept: '200-299' });
}

function tcp(r: SipResponder): SipTarget {
  return sipTarget({ uri: `sip:127.0.0.1:${r.tcpPort}`, transport: 'tcp', accept: '200-299' });
}

async function options(c: SipClient, target: SipTarget, timeoutMs = 2000): Promise<ProbeOutcome> {
  return c.options(target, timeoutMs).result;
}

describe('SIP OPTIONS over UDP', () => {
  it('sends a minimal RFC 3261 OPTIONS and reports a 200', async () => {
    const r = await responder();
    const outcome = await options(client(), udp(r));
    expect(outcome.status).toBe(200);
    expect(outcome.error).toBeUndefined();
    const text = r.requests[0]!.text;
    expect(text).toMatch(new RegExp(`^OPTIONS sip:127\\.0\\.0\\.1:${r.port} SIP/2\\.0\\r\\n`));
    expect(text).toMatch(/^Via: SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=z9hG4bK[0-9a-f]+;rport\r$/m);
    expect(text).toMatch(/^Max-Forwards: 70\r$/m);
    expect(text).toMatch(/^From: <sip:monitor@127\.0\.0\.1>;tag=[0-9a-f]+\r$/m);
    expect(text).toMatch(new RegExp(`^To: <sip:127\\.0\\.0\\.1:${r.port}>\\r$`, 'm'));
    expect(text).toMatch(/^Call-ID: \S+\r$/m);
    expect(text).toMatch(/^CSeq: \d+ OPTIONS\r$/m);
    expect(text).toMatch(/^Contact: <sip:monitor@127\.0\.0\.1:\d+>\r$/m);
    expect(text).toMatch(/^User-Agent: pbx-failover-monitor\r$/m);
    expect(text.endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
  });

  it('reports a 503 as the status it is', async () => {
    const r = await responder(() => [{ status: 503, reason: 'Service Unavailable' }]);
    expect((await options(client(), udp(r))).status).toBe(503);
  });

  it('skips 100 Trying and waits for the final answer', async () => {
    const r = await responder(() => [
      { status: 100, reason: 'Trying' },
      { status: 200, reason: 'OK', delayMs: 200 },
    ]);
    expect((await options(client(), udp(r))).status).toBe(200);
  });

  it('only 100 Trying then silence: no SIP answer in N s, never a made-up 408', async () => {
    const r = await responder(() => [{ status: 100, reason: 'Trying' }]);
    const outcome = await options(client(), udp(r), 1000);
    expect(outcome.status).toBeUndefined();
    expect(outcome.error).toBe('no SIP answer in 1 s (only 100 Trying)');
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(990);
  });

  it.each(['branch', 'call-id', 'cseq'] as const)('ignores a reply with the wrong %s', async (wrong) => {
    const r = await responder(() => [
      { status: 200, reason: 'OK', wrong },
      { status: 503, reason: 'Real', delayMs: 150 },
    ]);
    expect((await options(client(), udp(r))).status).toBe(503);
    r.script = () => [{ status: 200, reason: 'OK', wrong }];
    expect((await options(client(), udp(r), 800)).error).toBe('no SIP answer in 0.8 s');
  });

  it('a reply that arrives after the timeout counts for nothing, not even for the next check', async () => {
    // Far later than the deadline, even one extended once for a stalled loop.
    const r = await responder(() => [{ status: 200, reason: 'Late', delayMs: 2500 }]);
    const c = client();
    expect((await options(c, udp(r), 800)).error).toBe('no SIP answer in 0.8 s');
    // The next check's own answer comes after the first check's late 200s (from 2.5 s): only its own counts.
    r.script = (req) => (req.copy === 1 ? [{ status: 486, reason: 'Busy', delayMs: 2200 }] : []);
    const lateBefore = r.requests.length;
    expect((await options(c, udp(r), 4000)).status).toBe(486);
    expect(r.requests.length - lateBefore).toBeGreaterThanOrEqual(1);
  });

  it('a lost first datagram: the retransmission after T1 answers', async () => {
    const r = await responder((req) => (req.copy === 1 ? [] : [{ status: 200, reason: 'OK' }]));
    const outcome = await options(client(), udp(r), 3000);
    expect(outcome.status).toBe(200);
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(490);
    expect(r.requests.map((q) => q.copy)).toEqual([1, 2]);
    expect(r.requests[1]!.branch).toBe(r.requests[0]!.branch);
    expect(r.requests[1]!.callId).toBe(r.requests[0]!.callId);
  });

  it('retransmits at T1 doubling (0, 0.5, 1.5 s) and gives up at the timeout', async () => {
    const r = await responder(() => []);
    const outcome = await options(client(), udp(r), 2200);
    expect(outcome.error).toBe('no SIP answer in 2.2 s');
    // A deadline delayed by a stalled loop is extended once (a fourth copy may then go out at 3.5 s).
    expect(r.requests.map((q) => q.copy).slice(0, 3)).toEqual([1, 2, 3]);
    expect(r.requests.length).toBeLessThanOrEqual(4);
    const [a, b, c] = r.requests.map((q) => q.at);
    expect(b! - a!).toBeGreaterThanOrEqual(450);
    expect(c! - b!).toBeGreaterThanOrEqual(950);
  });

  it('one UDP socket serves every target', async () => {
    const [a, b] = [await responder(), await responder()];
    const c = client();
    const outcomes = await Promise.all([options(c, udp(a)), options(c, udp(b)), options(c, udp(a))]);
    expect(outcomes.map((o) => o.status)).toEqual([200, 200, 200]);
    const sources = new Set([...a.requests, ...b.requests].map((q) => q.source));
    expect(sources.size).toBe(1);
    // Each check is its own transaction.
    expect(new Set(a.requests.map((q) => q.branch)).size).toBe(2);
  });

  it('cancel settles at once as no answer', async () => {
    const r = await responder(() => []);
    const call = client().options(udp(r), 5000);
    call.cancel();
    expect((await call.result).error).toBe('no SIP answer in 5 s');
  });
});

describe('SIP OPTIONS over TCP and TLS', () => {
  it('reuses one connection per target and opens a new one when the server closed it', async () => {
    const r = await responder();
    const c = client();
    expect((await options(c, tcp(r))).status).toBe(200);
    expect((await options(c, tcp(r))).status).toBe(200);
    expect(r.requests[0]!.transport).toBe('tcp');
    expect(r.requests[0]!.text).toMatch(/^Via: SIP\/2\.0\/TCP 127\.0\.0\.1:\d+;branch=z9hG4bK/m);
    expect(r.requests[1]!.source).toBe(r.requests[0]!.source);
    r.dropConnections();
    // The close may be seen before or after the next check starts: that check fails or answers, the next answers.
    await expect.poll(async () => (await options(c, tcp(r))).status, { timeout: 5000 }).toBe(200);
    expect(r.requests.at(-1)!.source).not.toBe(r.requests[0]!.source);
  });

  it('a 503 over TCP, and several checks in flight on one connection', async () => {
    const r = await responder((req) => [{ status: req.copy === 1 ? 503 : 200, reason: 'X' }]);
    const c = client();
    const outcomes = await Promise.all([options(c, tcp(r)), options(c, tcp(r)), options(c, tcp(r))]);
    expect(outcomes.map((o) => o.status)).toEqual([503, 503, 503]);
    expect(new Set(r.requests.map((q) => q.source)).size).toBe(1);
  });

  it('ignores a reply with the wrong Call-ID on the stream', async () => {
    const r = await responder(() => [{ status: 200, reason: 'OK', wrong: 'call-id' }]);
    expect((await options(client(), tcp(r), 700)).error).toBe('no SIP answer in 0.7 s');
  });

  it('connection refused is reported as such', async () => {
    const r = await responder();
    const target = tcp(r);
    await r.close();
    scope.cleanups.pop();
    expect((await options(client(), target)).error).toBe('connection refused');
  });

  it('TLS with a self-signed certificate: answered without verify, refused with verify="true"', async () => {
    const r = await responder(undefined, true);
    const c = client();
    const uri = `sips:127.0.0.1:${r.tlsPort}`;
    const plain = await options(c, sipTarget({ uri, transport: 'tls', accept: '200-299' }));
    expect(plain.status).toBe(200);
    expect(r.requests[0]!.transport).toBe('tls');
    expect(r.requests[0]!.text).toMatch(/^Via: SIP\/2\.0\/TLS /m);
    const verified = await options(c, sipTarget({ uri, transport: 'tls', accept: '200-299', verify: true }));
    expect(verified.status).toBeUndefined();
    expect(verified.error).toBe('TLS certificate is self-signed');
  });
});
