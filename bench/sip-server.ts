// A UDP SIP responder for the benchmark's SIP variant: every OPTIONS is answered 200 OK at once, its
// Via, From, To, Call-ID and CSeq copied back (RFC 3261 8.2.6). Runs in the servers' process.

import dgram from 'node:dgram';

const header = (text: string, name: string): string =>
  new RegExp(`^${name}[ \\t]*:[ \\t]*(.*)$`, 'im').exec(text)?.[1]?.trim() ?? '';

export class BenchSipServer {
  answered = 0;
  private constructor(private readonly socket: dgram.Socket) {
    socket.on('message', (msg, rinfo) => {
      const text = msg.toString('utf8');
      if (!text.startsWith('OPTIONS ')) return;
      this.answered++;
      const reply =
        `SIP/2.0 200 OK\r\nVia: ${header(text, 'Via')}\r\nFrom: ${header(text, 'From')}\r\n` +
        `To: ${header(text, 'To')};tag=bench\r\nCall-ID: ${header(text, 'Call-ID')}\r\nCSeq: ${header(text, 'CSeq')}\r\n` +
        `Content-Length: 0\r\n\r\n`;
      socket.send(reply, rinfo.port, rinfo.address);
    });
  }

  static async start(): Promise<BenchSipServer> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    // A burst of a thousand OPTIONS must not overflow the default buffer (about 200 datagrams).
    socket.setRecvBufferSize(4 * 1024 * 1024);
    socket.setSendBufferSize(4 * 1024 * 1024);
    return new BenchSipServer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
