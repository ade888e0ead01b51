// Reads a TLS server's certificate: one handshake to an address with an SNI name, nothing sent after it.
// Trust is reported, not required (a PBX often uses its own CA), so the connection never rejects a
// chain: `authorized` says whether it verifies against the system store, X509Certificate.checkHost
// whether the name matches, and the chain's earliest notAfter is what runs out first.

import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import tls, { type DetailedPeerCertificate } from 'node:tls';
import { splitAddress } from '../shared/validate-certificates.js';
import { systemTimers, type CertificateProbe, type CertificateReading, type Timers } from './ports.js';

export interface CertificateProbeOptions {
  /** CA certificates that stand for the system store (tests); default Node's own list. */
  ca?: string | string[];
  timers?: Timers;
}

export function createCertificateProbe(opts: CertificateProbeOptions = {}): CertificateProbe {
  const timers = opts.timers ?? systemTimers;
  return {
    read(target, timeoutMs) {
      const address = splitAddress(target.address);
      if (!address) return Promise.resolve({ ok: false, error: `"${target.address}" is not host:port` });
      return new Promise<CertificateReading>((resolve) => {
        let done = false;
        const finish = (reading: CertificateReading): void => {
          if (done) return;
          done = true;
          timers.clearTimeout(timer);
          socket.destroy();
          resolve(reading);
        };
        const name = bare(target.name);
        const socket = tls.connect({
          host: address.host,
          port: address.port,
          // RFC 6066: no IP address as a server name.
          ...(isIP(name) === 0 ? { servername: name } : {}),
          rejectUnauthorized: false,
          ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
        });
        const timer = timers.setTimeout(
          () => finish({ ok: false, error: `no TLS handshake within ${formatSeconds(timeoutMs)} s` }),
          timeoutMs,
        );
        socket.once('secureConnect', () => {
          try {
            finish(readingOf(socket, name));
          } catch (error) {
            finish({ ok: false, error: `the certificate cannot be read: ${(error as Error).message}` });
          }
        });
        socket.once('error', (error: NodeJS.ErrnoException) => finish({ ok: false, error: errorWords(error) }));
        socket.once('close', () => finish({ ok: false, error: 'the connection was closed during the TLS handshake' }));
      });
    },
  };
}

function readingOf(socket: tls.TLSSocket, name: string): CertificateReading {
  // The chain first: once the leaf was taken as an X509Certificate, Node 20 answers an empty object here.
  const chain = chainNotAfters(socket.getPeerCertificate(true));
  const leaf = socket.getPeerX509Certificate();
  if (!leaf) return { ok: false, error: 'the server sent no certificate' };
  const notAfter = Date.parse(leaf.validTo);
  const trustError = socket.authorizationError;
  const reading: CertificateReading = {
    ok: true,
    notAfter,
    chainNotAfter: Math.min(notAfter, ...chain),
    subject: oneLine(leaf.subject),
    issuer: oneLine(leaf.issuer),
    altNames: leaf.subjectAltName ? leaf.subjectAltName.split(/,\s*/) : [],
    nameMatches: matches(leaf, name),
    trusted: socket.authorized,
  };
  if (!socket.authorized && trustError) reading.trustError = String(trustError);
  return reading;
}

/** The notAfter of each certificate of the chain Node built from what the server sent. */
function chainNotAfters(cert: DetailedPeerCertificate): number[] {
  const out: number[] = [];
  const seen = new Set<string>();
  let c: DetailedPeerCertificate | undefined = cert;
  while (c && c.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    const at = Date.parse(new X509Certificate(c.raw).validTo);
    if (Number.isFinite(at)) out.push(at);
    c = c.issuerCertificate;
  }
  return out;
}

function matches(leaf: X509Certificate, name: string): boolean {
  return isIP(name) === 0 ? leaf.checkHost(name) !== undefined : leaf.checkIP(name) !== undefined;
}

/** "CN=pbx.example.com\nO=Example" → "CN=pbx.example.com, O=Example". */
function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

function bare(name: string): string {
  return name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
}

function formatSeconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}

function errorWords(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'the connection was reset during the TLS handshake';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the name ${(error as { hostname?: string }).hostname ?? ''} cannot be resolved`.replace('  ', ' ');
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to the host';
    case 'ETIMEDOUT':
      return 'the connection timed out';
    default:
      return error.code?.startsWith('ERR_SSL') || /SSL|TLS/i.test(error.message)
        ? `TLS handshake failed: ${error.message}`
        : error.message;
  }
}
