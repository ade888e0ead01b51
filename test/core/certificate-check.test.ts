// The certificate probe against real TLS servers on loopback with certificates made by openssl.

import { afterAll, describe, expect, it } from 'vitest';
import { createCertificateProbe } from '../../src/core/certificate-check.js';
import { CertFactory, refusedAddress, silentServer, TlsFixture } from '../helpers/tls-fixtures.js';
import { perTestScope } from '../helpers/test-scope.js';

const certs = new CertFactory();
afterAll(() => certs.cleanup());
const scope = perTestScope();
const DAY = 86_400_000;

async function serving(pem: { key: string; cert: string }): Promise<TlsFixture> {
  const f = await TlsFixture.start(pem);
  scope.cleanups.push(() => f.close());
  return f;
}

describe('certificate probe', () => {
  it('reads notAfter, subject, issuer and SANs of a self-signed leaf; the name matches; not trusted', async () => {
    const pem = certs.selfSigned('pbx.example.com', 3);
    const before = Date.now();
    const f = await serving(pem);
    const r = await createCertificateProbe().read({ name: 'pbx.example.com', address: f.address }, 5000);
    if (!r.ok) throw new Error(r.error);
    // openssl -days 3 from the moment it ran (second precision).
    expect(r.notAfter).toBeGreaterThan(before + 3 * DAY - 60_000);
    expect(r.notAfter).toBeLessThanOrEqual(Date.now() + 3 * DAY);
    expect(r.chainNotAfter).toBe(r.notAfter);
    expect(r.subject).toBe('CN=pbx.example.com, O=Test PBX');
    expect(r.issuer).toBe('CN=pbx.example.com, O=Test PBX');
    expect(r.altNames).toEqual(['DNS:pbx.example.com']);
    expect(r.nameMatches).toBe(true);
    expect(r.trusted).toBe(false);
    expect(r.trustError).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(f.servernames).toEqual(['pbx.example.com']);
  });

  it('reports a name the certificate does not carry (a DNS name or an IP address)', async () => {
    const f = await serving(certs.selfSigned('pbx.example.com', 30));
    const probe = createCertificateProbe();
    const wrong = await probe.read({ name: 'wrong.example.com', address: f.address }, 5000);
    if (!wrong.ok) throw new Error(wrong.error);
    expect(wrong.nameMatches).toBe(false);
    const byIp = await probe.read({ name: '127.0.0.1', address: f.address }, 5000);
    if (!byIp.ok) throw new Error(byIp.error);
    expect(byIp.nameMatches).toBe(false);
    // No IP address as SNI (RFC 6066).
    expect(f.servernames).toEqual(['wrong.example.com']);
  });

  it('a chain signed by a CA: trusted against that CA, not against the system store; earliest expiry of the chain', async () => {
    const ca = certs.ca(2);
    const leaf = certs.signed(ca, 'pbx.example.com', 30);
    const f = await serving({ key: leaf.key, cert: leaf.cert + ca.cert });
    const system = await createCertificateProbe().read({ name: 'pbx.example.com', address: f.address }, 5000);
    if (!system.ok) throw new Error(system.error);
    expect(system.trusted).toBe(false);
    expect(system.trustError).toMatch(/SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT/);
    expect(system.issuer).toBe('CN=Test PBX CA');
    // The CA runs out after 2 days, the leaf after 30: the chain ends with the CA.
    expect(system.notAfter - Date.now()).toBeGreaterThan(29 * DAY);
    expect(system.chainNotAfter - Date.now()).toBeLessThan(2 * DAY + 60_000);
    expect(system.chainNotAfter - Date.now()).toBeGreaterThan(2 * DAY - 120_000);

    const own = await createCertificateProbe({ ca: ca.cert }).read(
      { name: 'pbx.example.com', address: f.address },
      5000,
    );
    if (!own.ok) throw new Error(own.error);
    expect(own.trusted).toBe(true);
    expect(own.trustError).toBeUndefined();
    expect(own.nameMatches).toBe(true);
  });

  it('connection refused, in words', async () => {
    const address = await refusedAddress();
    const r = await createCertificateProbe().read({ name: 'pbx.example.com', address }, 5000);
    expect(r).toEqual({ ok: false, error: 'connection refused' });
  });

  it('a server that never finishes the handshake times out', async () => {
    const silent = await silentServer();
    scope.cleanups.push(() => silent.close());
    const started = Date.now();
    const r = await createCertificateProbe().read({ name: 'pbx.example.com', address: silent.address }, 400);
    expect(r).toEqual({ ok: false, error: 'no TLS handshake within 0.4 s' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
  });

  it('an address that is not host:port', async () => {
    const r = await createCertificateProbe().read({ name: 'pbx.example.com', address: 'pbx.example.com' }, 1000);
    expect(r).toEqual({ ok: false, error: '"pbx.example.com" is not host:port' });
  });
});
