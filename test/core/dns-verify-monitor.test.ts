// `<dns-verify>` in the running engine: a manual failover whose action really changes a PowerDNS
// record (its HTTP API on loopback) converges, and GET /api/pairs/:id's `dns`, the list's `dnsPhase`
// and the history say so; a receiver that answers 200 and changes nothing ends not-converged with an alert.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertEvent, DnsEvent, PairSettings } from '../../src/shared/model.js';
import { pairSettings } from '../helpers/engine-fixtures.js';
import { waitFor } from '../helpers/http-fixtures.js';
import { LocalPowerDns } from '../helpers/pdns-local.js';
import { fastTuning, open, tempServerdir, writeConfig } from '../helpers/serverdir.js';
import { perTestScope } from '../helpers/test-scope.js';

const ZONE = 'pbx.test.';
const PRIMARY = '127.0.0.10';
const STANDBY = '127.0.0.20';
const { cleanups, fixture } = perTestScope();
let pdns: LocalPowerDns;

beforeAll(async () => {
  pdns = await LocalPowerDns.start(ZONE, [
    { name: 'good', type: 'A', content: PRIMARY },
    { name: 'liar', type: 'A', content: PRIMARY },
  ]);
});
afterAll(async () => {
  await pdns?.stop();
});

async function pair(id: string, actionUrl: string, body: string): Promise<PairSettings> {
  const primary = await fixture();
  const base = pairSettings({ id, primaryUrl: primary.url('/'), actionUrl });
  return {
    ...base,
    action: { ...base.action, method: 'PATCH', headers: [{ name: 'X-API-Key', value: pdns.apiKey }], body },
    dnsVerify: {
      name: `${id}.${ZONE}`,
      type: 'A',
      failover: [STANDBY],
      failback: [PRIMARY],
      within: 2,
      maxTtl: 300,
      servers: [pdns.server],
    },
  };
}

function pointAt(id: string, address: string): string {
  return JSON.stringify({
    rrsets: [
      {
        name: `${id}.${ZONE}`,
        type: 'A',
        ttl: 60,
        changetype: 'REPLACE',
        records: [{ content: address, disabled: false }],
      },
    ],
  });
}

describe('DNS verification in the engine', () => {
  it('a failover through the real DNS API converges: dns in the detail, dnsPhase in the list, the rounds in history', async () => {
    const dir = await tempServerdir(cleanups);
    await writeConfig(dir, [await pair('good', pdns.zoneUrl, pointAt('good', STANDBY))]);
    const { monitor, events } = await open(dir, cleanups, { ...fastTuning, dnsRoundMs: 200 });
    expect((await monitor.getPair('good')).dns).toEqual({ phase: 'idle', expected: [], servers: [] });
    expect((await monitor.listPairs())[0]!.dnsPhase).toBe('idle');
    await monitor.failover('good', { reason: 'drill', operator: 'eve' });
    const dns = () => events.filter((e): e is DnsEvent => e.type === 'dns');
    await waitFor(() => dns().some((e) => e.phase === 'converged'), 'converged', 10_000);
    const last = dns().at(-1)!;
    expect(last.message).toMatch(/^DNS converged in [\d.]+ s$/);
    expect(last.status?.dnsPhase).toBe('converged');
    const detail = await monitor.getPair('good');
    expect(detail.dns).toMatchObject({
      phase: 'converged',
      expected: [STANDBY],
      servers: [{ server: pdns.server, answers: [STANDBY], ttl: 60, authoritative: true, rcode: 'NOERROR', ok: true }],
    });
    expect(detail.dns?.convergedAt).toBe(last.at);
    expect(detail.dnsPhase).toBe('converged');
    expect((await monitor.listPairs())[0]!.dnsPhase).toBe('converged');
    expect(events.some((e) => e.type === 'alert' && e.alert === 'dns-not-converged')).toBe(false);
    // The history keeps the rounds and the "converged" line (without the live status).
    let stored: DnsEvent[] = [];
    const deadline = Date.now() + 10_000;
    while (!stored.some((e) => e.phase === 'converged')) {
      if (Date.now() > deadline) throw new Error('the history has no converged round');
      stored = (await monitor.history('good')).events.filter((e): e is DnsEvent => e.type === 'dns');
      await new Promise((r) => setTimeout(r, 100));
    }
    const converged = stored.find((e) => e.phase === 'converged')!;
    expect(converged.message).toBe(last.message);
    expect(converged.status).toBeUndefined();
  });

  it('a receiver that answers 200 and changes nothing: not-converged and the alert within `within`', async () => {
    const liar = await fixture(200);
    const dir = await tempServerdir(cleanups);
    await writeConfig(dir, [await pair('liar', liar.url('/api'), pointAt('liar', STANDBY))]);
    const { monitor, events } = await open(dir, cleanups, { ...fastTuning, dnsRoundMs: 200 });
    await monitor.failover('liar', { reason: 'drill', operator: 'eve' });
    const started = Date.now();
    const alerts = () => events.filter((e): e is AlertEvent => e.type === 'alert' && e.alert === 'dns-not-converged');
    await waitFor(() => alerts().length > 0, 'the alert', 10_000);
    expect(Date.now() - started).toBeLessThan(2000 + 2000 + 1500);
    expect(alerts()[0]!.message).toContain(`${pdns.server} answers ${PRIMARY}`);
    expect((await monitor.getPair('liar')).dns?.phase).toBe('not-converged');
    expect((await monitor.listPairs())[0]!.dnsPhase).toBe('not-converged');
    // Nothing changed in the DNS: the action's 200 was a lie.
    expect(events.some((e) => e.type === 'action' && e.phase === 'succeeded')).toBe(true);
  });
});
