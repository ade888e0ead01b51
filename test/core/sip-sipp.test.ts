// The SIP check against sipp (Debian's sip-tester) as a UAS answering OPTIONS: a real SIP stack, not ours.

import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createSipClient } from '../../src/core/sip-client.js';
import { sipTarget } from '../../src/core/sip-message.js';
import type { SipTransport } from '../../src/shared/pbx-health.js';
import { perTestScope } from '../helpers/test-scope.js';

const scope = perTestScope();
const SCENARIO = fileURLToPath(new URL('../helpers/sipp-options-uas.xml', import.meta.url));

async function freePort(transport: 'udp' | 'tcp'): Promise<number> {
  if (transport === 'udp') {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
    const port = s.address().port;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    return port;
  }
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startSipp(transport: 'udp' | 'tcp'): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort(transport);
  const args = ['-sf', SCENARIO, '-i', '127.0.0.1', '-p', String(port), '-nostdin', '-trace_err'];
  if (transport === 'tcp') args.push('-t', 't1');
  const child = spawn('sipp', args, { stdio: 'ignore', cwd: '/tmp' });
  scope.cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { port, child };
}

describe('SIP OPTIONS against sipp as a UAS', () => {
  it.each(['udp', 'tcp'] as const)('sipp answers 200 over %s; every check its own transaction', async (transport) => {
    const { port } = await startSipp(transport);
    const client = createSipClient();
    scope.cleanups.push(() => client.close());
    const target = sipTarget({ uri: `sip:127.0.0.1:${port}`, transport: transport as SipTransport, accept: '200' });
    // sipp takes a moment to listen: ask until it answers (no answer yet is "no SIP answer" or refused).
    await expect
      .poll(async () => (await client.options(target, 500).result).status, { timeout: 10_000, interval: 100 })
      .toBe(200);
    const outcomes = await Promise.all([1, 2, 3].map(() => client.options(target, 2000).result));
    expect(outcomes.map((o) => o.status)).toEqual([200, 200, 200]);
    for (const o of outcomes) expect(o.error).toBeUndefined();
  });

  it('sipp gone: no SIP answer over UDP, connection refused over TCP', async () => {
    const udp = await startSipp('udp');
    const client = createSipClient();
    scope.cleanups.push(() => client.close());
    const target = sipTarget({ uri: `sip:127.0.0.1:${udp.port}`, transport: 'udp', accept: '200' });
    await expect.poll(async () => (await client.options(target, 500).result).status, { timeout: 10_000 }).toBe(200);
    const exited = new Promise((resolve) => udp.child.once('exit', resolve));
    udp.child.kill('SIGKILL');
    await exited;
    expect((await client.options(target, 700).result).error).toBe('no SIP answer in 0.7 s');
    const tcp = await startSipp('tcp');
    const tcpTarget = sipTarget({ uri: `sip:127.0.0.1:${tcp.port}`, transport: 'tcp', accept: '200' });
    await expect.poll(async () => (await client.options(tcpTarget, 500).result).status, { timeout: 10_000 }).toBe(200);
    const tcpExited = new Promise((resolve) => tcp.child.once('exit', resolve));
    tcp.child.kill('SIGKILL');
    await tcpExited;
    await expect
      .poll(async () => (await client.options(tcpTarget, 700).result).error, { timeout: 5000 })
      .toBe('connection refused');
  });
});
