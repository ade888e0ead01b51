import { describe, expect, it } from 'vitest';
import { frameMessages, parseResponse, sipTarget } from '../../src/core/sip-message.js';

const reply = (status: number, body = '') =>
  `SIP/2.0 ${status} X\r\nv: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKa;rport=1, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKb\r\n` +
  `i: call-1\r\nCSeq: 7 OPTIONS\r\nl: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe('SIP messages', () => {
  it('reads the status and the top Via branch, Call-ID and CSeq (compact forms too)', () => {
    expect(parseResponse(reply(200))).toEqual({
      status: 200,
      reason: 'X',
      branch: 'z9hG4bKa',
      callId: 'call-1',
      cseq: 7,
      cseqMethod: 'OPTIONS',
    });
    expect(parseResponse('OPTIONS sip:x SIP/2.0\r\n\r\n')).toBeUndefined();
    expect(parseResponse('garbage')).toBeUndefined();
  });

  it('frames a stream by Content-Length: split messages, two in one chunk, keep-alive CRLFs', () => {
    const stream = Buffer.from(`\r\n\r\n${reply(200, 'v=0\r\n')}${reply(503)}`);
    const half = frameMessages(stream.subarray(0, 40));
    expect(half.messages).toEqual([]);
    const all = frameMessages(Buffer.concat([half.rest, stream.subarray(40)]));
    expect(all.messages.map((m) => parseResponse(m)!.status)).toEqual([200, 503]);
    expect(all.messages[0]!.endsWith('v=0\r\n')).toBe(true);
    expect(all.rest.length).toBe(0);
    const body = frameMessages(Buffer.from(reply(200, 'x'.repeat(10)).slice(0, -4)));
    expect(body.messages).toEqual([]);
    expect(frameMessages(Buffer.from('SIP/2.0 200 X\r\nContent-Length: 99999999\r\n\r\n')).overflow).toBe(true);
  });

  it('targets: default ports by transport, sips implies tls', () => {
    expect(sipTarget({ uri: 'sip:pbx.example.com', transport: 'udp', accept: '200' })).toMatchObject({
      host: 'pbx.example.com',
      port: 5060,
      transport: 'udp',
      verify: false,
    });
    expect(sipTarget({ uri: 'sips:[2001:db8::1]', transport: 'udp', accept: '200' })).toMatchObject({
      host: '2001:db8::1',
      port: 5061,
      transport: 'tls',
    });
    expect(sipTarget({ uri: 'sip:1.2.3.4', transport: 'tls', accept: '200', verify: true })).toMatchObject({
      port: 5061,
      verify: true,
    });
  });
});
