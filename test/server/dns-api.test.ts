// The `dns` field of GET /api/pairs/:id and `dnsPhase` of GET /api/pairs through the real service:
// a pair read from pbxctrl-failover.xml with `<dns-verify>`, a failover over HTTP whose action really
// changes a PowerDNS record (its API on loopback), and the service log's line for the result.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeConfigXml } from '../../src/core/config-xml.js';
import type { PairDetail, PairStatus } from '../../src/shared/model.js';
import { pairSettings } from '../helpers/engine-fixtures.js';
import { HttpFixture } from '../helpers/http-fixtures.js';
import { LocalPowerDns } from '../helpers/pdns-local.js';
import { jsonBody, startTestService, waitFor, type TestService } from '../helpers/service-harness.js';

const ZONE = 'pbx.test.';
let pdns: LocalPowerDns;
let primary: HttpFixture;
let service: TestService;

beforeAll(async () => {
  pdns = await LocalPowerDns.start(ZONE, [{ name: 'acme', type: 'A', content: '127.0.0.10' }]);
  primary = await HttpFixture.start({ status: 200 });
  const base = pairSettings({ id: 'acme', primaryUrl: primary.url('/'), actionUrl: pdns.zoneUrl });
  const body = JSON.stringify({
    rrsets: [
      {
        name: `acme.${ZONE}`,
        type: 'A',
        ttl: 30,
        changetype: 'REPLACE',
        records: [{ content: '127.0.0.20', disabled: false }],
      },
    ],
  });
  const settings = {
    ...base,
    action: { ...base.action, method: 'PATCH' as const, headers: [{ name: 'X-API-Key', value: pdns.apiKey }], body },
  };
  const xml = serializeConfigXml({ pairs: [{ settings }] }).replace(
    '</action>',
    `</action>\n    <dns-verify name="acme.${ZONE}" failover="127.0.0.20" within="20"><server>${pdns.server}</server></dns-verify>`,
  );
  service = await startTestService({ xml });
});

afterAll(async () => {
  await service?.dispose();
  await primary?.close();
  await pdns?.stop();
});

describe('GET /api/pairs/:id dns', () => {
  it('is idle before an action, converges after a failover, and the list carries dnsPhase', async () => {
    const before = await service.json<PairDetail>('/api/pairs/acme');
    expect(before.settings.dnsVerify).toMatchObject({ name: 'acme.pbx.test.', failover: ['127.0.0.20'], within: 20 });
    expect(before.dns).toEqual({ phase: 'idle', expected: [], servers: [] });
    await service.json('/api/pairs/acme/failover', jsonBody('POST', { reason: 'drill' }));
    const detail = await waitFor('converged', async () => {
      const d = await service.json<PairDetail>('/api/pairs/acme');
      return d.dns?.phase === 'converged' ? d : undefined;
    });
    expect(detail.dns).toMatchObject({
      phase: 'converged',
      expected: ['127.0.0.20'],
      servers: [
        { server: pdns.server, answers: ['127.0.0.20'], ttl: 30, authoritative: true, rcode: 'NOERROR', ok: true },
      ],
    });
    expect(typeof detail.dns?.checkedAt).toBe('string');
    expect(detail.dns?.convergedAt).toBe(detail.dns?.checkedAt);
    const list = await service.json<PairStatus[]>('/api/pairs');
    expect(list[0]?.dnsPhase).toBe('converged');
    await waitFor('the log line', () => service.log.lines.find((l) => /^info DNS converged in/.test(l)));
  });
});
