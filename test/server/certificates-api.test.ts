// Done when: a certificate with 3 days left raises exactly one critical alert and shows 3 (or 2) days
// in GET /api/pairs/:id and GET /api/pairs: the service on a serverdir, a real TLS server on loopback.

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AlertEvent, PairDetail, PairStatus } from '../../src/shared/model.js';
import { configWith, minimalPair } from '../helpers/xml-samples.js';
import { jsonBody, startTestService, waitFor, type TestService } from '../helpers/service-harness.js';
import { CertFactory, TlsFixture } from '../helpers/tls-fixtures.js';

const certs = new CertFactory();
afterAll(() => certs.cleanup());
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function start(days: number): Promise<{ service: TestService; tls: TlsFixture }> {
  const tls = await TlsFixture.start(certs.selfSigned('pbx.example.com', days));
  cleanups.push(() => tls.close());
  const xml = configWith(
    minimalPair(
      'acme',
      `<certificates warn-days="21" critical-days="7"><check name="pbx.example.com" address="${tls.address}"/></certificates>`,
    ),
  );
  const service = await startTestService({ xml });
  cleanups.push(() => service.dispose());
  return { service, tls };
}

const certificateAlerts = async (service: TestService): Promise<AlertEvent[]> =>
  (await service.json<AlertEvent[]>('/api/alerts')).filter((a) => a.alert === 'certificate');

describe('GET /api/pairs/:id certificates', () => {
  it('a certificate with 3 days left: one critical alert, 2 or 3 days left in the pair and the list', async () => {
    const { service, tls } = await start(3);
    const detail = await waitFor('the certificate read', async () => {
      const d = await service.json<PairDetail>('/api/pairs/acme');
      return d.certificates?.length ? d : undefined;
    });
    const [c] = detail.certificates!;
    expect(c).toMatchObject({
      target: 'check',
      name: 'pbx.example.com',
      address: tls.address,
      subject: 'CN=pbx.example.com, O=Test PBX',
      issuer: 'CN=pbx.example.com, O=Test PBX',
      nameMatches: true,
      trusted: false,
      level: 'critical',
    });
    expect(c!.error).toBeUndefined();
    expect([2, 3]).toContain(c!.daysLeft);
    expect(Date.parse(c!.notAfter!) - Date.now()).toBeGreaterThan(2 * 86_400_000);
    expect(detail.certificateDaysLeft).toBe(c!.daysLeft);
    expect(detail.certificateLevel).toBe('critical');
    const [listed] = await service.json<PairStatus[]>('/api/pairs');
    expect(listed!.certificateDaysLeft).toBe(c!.daysLeft);

    const alerts = await waitFor('the alert in the history', async () => {
      const a = await certificateAlerts(service);
      return a.length > 0 ? a : undefined;
    });
    expect(alerts.map((a) => [a.pair, a.severity])).toEqual([['acme', 'critical']]);

    // "Test now" of the stored pair reads it again: still one alert.
    const before = tls.servernames.length;
    const settings = detail.settings;
    await service.json('/api/test-urls', jsonBody('POST', settings));
    await waitFor('the second reading', () => tls.servernames.length > before);
    const again = await waitFor('the second reading in the detail', async () => {
      const d = await service.json<PairDetail>('/api/pairs/acme');
      return d.certificates![0]!.checkedAt !== c!.checkedAt ? d : undefined;
    });
    expect(again.certificates![0]!.level).toBe('critical');
    // An operator move after the second reading: once it is in the history, an alert of that reading would be too.
    await service.json('/api/pairs/acme/pause', jsonBody('POST', { reason: 'after the second reading' }));
    await waitFor('the pause in the audit', async () => {
      const audit = await service.json<Array<{ reason: string }>>('/api/audit');
      return audit.some((e) => e.reason === 'after the second reading');
    });
    expect(await certificateAlerts(service)).toHaveLength(1);
  });

  it('a pair without TLS targets answers an empty list and no days left', async () => {
    const service = await startTestService({ xml: configWith(minimalPair('plain')) });
    cleanups.push(() => service.dispose());
    const d = await service.json<PairDetail>('/api/pairs/plain');
    expect(d.certificates).toEqual([]);
    expect(d.certificateDaysLeft).toBeUndefined();
  });
});
