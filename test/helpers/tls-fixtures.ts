// Certificates made by the tests with openssl (a self-signed leaf, a small CA and a leaf it signed)
// and real TLS servers on loopback that serve them, can change what they serve (a renewal), or never
// finish a handshake.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

export interface Pem {
  key: string;
  cert: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export class CertFactory {
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'pbx-certs-'));
  private n = 0;

  /** A self-signed certificate for `name` (CN and SAN) valid for `days` from now. */
  selfSigned(name: string, days: number): Pem {
    const { key, cert } = this.files();
    this.openssl([
      'req',
      '-x509',
      ...EC,
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      String(days),
      '-subj',
      `/CN=${name}/O=Test PBX`,
      '-addext',
      `subjectAltName=DNS:${name}`,
    ]);
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  }

  /** A CA valid for `days` that can sign leaves. */
  ca(days: number, cn = 'Test PBX CA'): Pem {
    const { key, cert } = this.files();
    this.openssl([
      'req',
      '-x509',
      ...EC,
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      String(days),
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  }

  /** A leaf for `name` signed by `ca`, valid for `days`. */
  signed(ca: Pem, name: string, days: number): Pem {
    const { key, cert } = this.files();
    const csr = `${cert}.csr`;
    const caKey = `${cert}.ca-key`;
    const caCert = `${cert}.ca-cert`;
    const ext = `${cert}.ext`;
    writeFileSync(caKey, ca.key);
    writeFileSync(caCert, ca.cert);
    writeFileSync(ext, `subjectAltName=DNS:${name}\nbasicConstraints=CA:FALSE\n`);
    this.openssl(['req', '-new', ...EC, '-keyout', key, '-out', csr, '-subj', `/CN=${name}`]);
    this.openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      caCert,
      '-CAkey',
      caKey,
      '-set_serial',
      String(1000 + this.n),
      '-out',
      cert,
      '-days',
      String(days),
      '-extfile',
      ext,
    ]);
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private files(): { key: string; cert: string } {
    this.n++;
    return { key: path.join(this.dir, `${this.n}.key`), cert: path.join(this.dir, `${this.n}.crt`) };
  }

  private openssl(args: string[]): void {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  }
}

/** A TLS server on 127.0.0.1 serving `pem` (cert may hold a chain); `serve` swaps it (a renewal). */
export class TlsFixture {
  /** The SNI name of each handshake that sent one. */
  readonly servernames: string[] = [];
  private context: tls.SecureContext;
  private constructor(
    private readonly server: tls.Server,
    readonly port: number,
    pem: Pem,
  ) {
    this.context = tls.createSecureContext({ key: pem.key, cert: pem.cert });
  }

  static async start(pem: Pem): Promise<TlsFixture> {
    const made: { fixture?: TlsFixture } = {};
    const server = tls.createServer({
      key: pem.key,
      cert: pem.cert,
      SNICallback: (name, cb) => {
        made.fixture?.servernames.push(name);
        cb(null, made.fixture?.context);
      },
    });
    server.on('tlsClientError', () => undefined);
    // Nothing is read or sent after the handshake; the client hangs up.
    server.on('secureConnection', (socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    made.fixture = new TlsFixture(server, (server.address() as net.AddressInfo).port, pem);
    return made.fixture;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  serve(pem: Pem): void {
    this.server.setSecureContext({ key: pem.key, cert: pem.cert });
    this.context = tls.createSecureContext({ key: pem.key, cert: pem.cert });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A TCP server that accepts and never answers: a TLS handshake with it never finishes. */
export async function silentServer(): Promise<{ address: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nobody listens on (taken and released). */
export async function refusedAddress(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}
