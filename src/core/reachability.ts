// Whether a host:port takes a connection, without sending a request: a TCP connect, and for https a
// TLS handshake that verifies the certificate as the real request would. Readiness uses it for the
// action receiver, so a dead DNS API is found before the failover that needs it.

import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { describeNetworkError, secondsText } from './http-client.js';

export interface Reachability {
  ok: boolean;
  latencyMs: number;
  /** In words: "connection refused", "no connection in 5 s", the TLS error. */
  error?: string;
}

/** Connect to the URL's host and port (TLS for https:), then close at once. Never rejects. */
export function reachUrl(url: string, timeoutMs: number): Promise<Reachability> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.resolve({ ok: false, latencyMs: 0, error: 'not a valid URL' });
  }
  const tls = parsed.protocol === 'https:';
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(parsed.port || (tls ? 443 : 80));
  const started = performance.now();
  return new Promise((resolve) => {
    let socket: Socket;
    const finish = (error?: string): void => {
      clearTimeout(timer);
      socket.destroy();
      const latencyMs = Math.round(performance.now() - started);
      resolve(error === undefined ? { ok: true, latencyMs } : { ok: false, latencyMs, error });
    };
    const timer = setTimeout(() => finish(`no connection in ${secondsText(timeoutMs)} s`), timeoutMs);
    if (tls) {
      socket = tlsConnect({ host, port, servername: host.includes(':') ? '' : host, rejectUnauthorized: true }, () =>
        finish(),
      );
    } else {
      socket = netConnect({ host, port }, () => finish());
    }
    socket.once('error', (err) => finish(describeNetworkError(err)));
  });
}
