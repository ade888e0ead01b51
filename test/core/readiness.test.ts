// Failover readiness against real servers: loopback HTTP validation sites and action receivers, a
// real PowerDNS pair on loopback (two servers, one zone each, changed through PowerDNS's own API),
// and certificate readings as the certificate watch reports them. Rounds are run with checkNow();
// the schedule itself with fake timers.

import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDnsClient } from '../../src/core/dns-client.js';
import { createHttpClient } from '../../src/core/http-client.js';
import { engineContext } from '../../src/core/engine-context.js';
import { FIRST_ROUND_SPACING_MS, ReadinessWatch, type ReadinessSources } from '../../src/core/readiness.js';
import type { AlertEvent, EngineEvent, PairSettings, PairStatus } from '../../src/shared/model.js';
import type { CertificateStatus } from '../../src/shared/pbx-health.js';
import { pairSettings } from '../helpers/engine-fixtures.js';
import { HttpFixture } from '../helpers/http-fixtures.js';
import { LocalPowerDns } from '../helpers/pdns-local.js';
import { perTestScope } from '../helpers/test-scope.js';

const ZONE = 'pbx.test.';
const PRIMARY = '127.0.0.10';
const STANDBY = '127.0.0.20';
const scope = perTestScope();
let dnsA: LocalPowerDns;
let dnsB: LocalPowerDns;
const client = createHttpClient();

beforeAll(async () => {
  [dnsA, dnsB] = await Promise.all([
    LocalPowerDns.start(ZONE, [{ name: 'pbx', type: 'A', content: PRIMARY }]),
    LocalPowerDns.start(ZONE, [{ name: 'pbx', type: 'A', content: PRIMARY }]),
  ]);
});
afterAll(async () => {
  await Promise.all([dnsA?.stop(), dnsB?.stop()]);
  await client.close();
});
// Every test starts with both servers answering the failback set with the same SOA serial (each
// change through the API bumps only that server's serial, so the lower one is bumped until they meet).
beforeEach(async () => {
  await Promise.all([dnsA.replace('pbx', 'A', [PRIMARY]), dnsB.replace('pbx', 'A', [PRIMARY])]);
  const dns = createDnsClient();
  const serial = async (p: LocalPowerDns) => (await dns.query(p.server, 'pbx.pbx.test.', 'SOA', 2000)).serial ?? 0;
  for (let i = 0; i < 50; i++) {
    const [a, b] = await Promise.all([serial(dnsA), serial(dnsB)]);
    if (a === b) return;
    await (a < b ? dnsA : dnsB).replace('pbx', 'A', [PRIMARY], 60 + (i % 2));
  }
  throw new Error('could not bring the two PowerDNS serials together');
});

function liveStatus(settings: PairSettings, extra: Partial<PairStatus> = {}): PairStatus {
  return {
    id: settings.id,
    name: settings.name,
    state: 'waiting',
    since: new Date().toISOString(),
    consecutiveFailures: 0,
    toleratedFailures: settings.toleratedFailures,
    interval: settings.interval,
    primaryAnswering: false,
    standbyDown: false,
    isolated: false,
    ...extra,
  };
}

interface Harness {
  watch: ReadinessWatch;
  events: EngineEvent[];
  alerts(): AlertEvent[];
  settings: PairSettings;
  status: PairStatus;
  certificates: CertificateStatus[] | undefined;
}

async function harness(overrides: Partial<PairSettings> = {}): Promise<Harness> {
  const [receiver, validation] = await Promise.all([HttpFixture.start(), HttpFixture.start()]);
  scope.cleanups.push(
    () => receiver.close(),
    () => validation.close(),
  );
  const settings = pairSettings({
    primaryUrl: 'http://127.0.0.1:9/',
    standbyUrl: 'http://127.0.0.1:9/standby',
    actionUrl: receiver.url('/dns'),
    validation: { quorum: 1, urls: [validation.url('/a')] },
    dnsVerify: {
      name: 'pbx.pbx.test.',
      type: 'A',
      failover: [STANDBY],
      failback: [PRIMARY],
      within: 120,
      maxTtl: 300,
      servers: [dnsA.server, dnsB.server],
    },
    ...overrides,
  });
  const at = new Date().toISOString();
  const h: Harness = {
    events: [],
    alerts: () => h.events.filter((e): e is AlertEvent => e.type === 'alert'),
    settings,
    status: liveStatus(settings, {
      lastStandby: { target: 'standby', url: settings.standbyUrl!, ok: true, status: 200, latencyMs: 3, at },
    }),
    certificates: undefined,
    watch: undefined as unknown as ReadinessWatch,
  };
  const sources: ReadinessSources = {
    settings: (id) => (id === settings.id ? h.settings : undefined),
    status: (id) => (id === settings.id ? h.status : undefined),
    certificates: () => h.certificates,
    emit: (e) => h.events.push(e),
  };
  const ctx = { ...engineContext({ client }), dns: createDnsClient() };
  h.watch = new ReadinessWatch(ctx, sources, { firstDelayMs: 3_600_000 });
  h.watch.watch(settings.id);
  scope.cleanups.push(async () => h.watch.stop());
  // Kept for tests that stop them.
  Object.assign(h, { receiver, validation });
  return h;
}

function item(h: Harness, key: string) {
  return h.watch.readiness(h.settings.id)?.items.find((i) => i.key === key);
}

describe('readiness', () => {
  it('is ready when the standby answers, the DNS servers agree on a known set, the receiver and validation answer', async () => {
    const h = await harness();
    const r = await h.watch.checkNow(h.settings.id);
    expect(r?.items.map((i) => [i.key, i.ok])).toEqual([
      ['standby', true],
      ['dns', true],
      ['action-receiver', true],
      ['validation', true],
    ]);
    expect(r?.ready).toBe(true);
    expect(item(h, 'dns')?.message).toContain(`agree on ${PRIMARY}`);
    expect(h.alerts()).toEqual([]);
    const event = h.events.find((e) => e.type === 'readiness');
    expect(event).toMatchObject({ type: 'readiness', pair: 'acme', readiness: { ready: true } });
  });

  it('turns not ready once per episode and ready again once, naming what is wrong', async () => {
    const h = await harness();
    await h.watch.checkNow(h.settings.id);
    h.status = {
      ...h.status,
      standbyDown: true,
      lastStandby: { ...h.status.lastStandby!, ok: false, error: 'connection refused' },
    };
    await h.watch.checkNow(h.settings.id);
    await h.watch.checkNow(h.settings.id);
    expect(item(h, 'standby')).toMatchObject({ ok: false });
    expect(item(h, 'standby')?.message).toContain('connection refused');
    const notReady = h.alerts().filter((a) => a.alert === 'not-ready');
    expect(notReady).toHaveLength(1);
    expect(notReady[0]).toMatchObject({ severity: 'warning' });
    expect(notReady[0]!.message).toContain('standby');
    h.status = { ...h.status, standbyDown: false, lastStandby: { ...h.status.lastStandby!, ok: true } };
    delete h.status.lastStandby!.error;
    await h.watch.checkNow(h.settings.id);
    await h.watch.checkNow(h.settings.id);
    expect(h.alerts().map((a) => a.alert)).toEqual(['not-ready', 'ready']);
  });

  it('is not ready when a secondary is out of sync (another answer, another serial)', async () => {
    const h = await harness();
    await dnsA.replace('pbx', 'A', [STANDBY]);
    await h.watch.checkNow(h.settings.id);
    expect(item(h, 'dns')?.ok).toBe(false);
    expect(item(h, 'dns')?.message).toContain(
      `${dnsB.server} answers ${PRIMARY} but ${dnsA.server} answers ${STANDBY}`,
    );
  });

  it('is not ready when the servers agree on the answer but not on the SOA serial', async () => {
    const h = await harness();
    // Two independent servers: each change through the API bumps only that server's serial.
    await h.watch.checkNow(h.settings.id);
    expect(item(h, 'dns')?.ok).toBe(true);
    await dnsA.replace('pbx', 'A', [PRIMARY], 61);
    await dnsA.replace('pbx', 'A', [PRIMARY], 60);
    await h.watch.checkNow(h.settings.id);
    expect(item(h, 'dns')?.ok).toBe(false);
    expect(item(h, 'dns')?.message).toMatch(/has SOA serial \d+ but .* has \d+: a secondary is out of sync/);
  });

  it('is not ready when the TTL is above max-ttl, or the answer is neither set', async () => {
    const h = await harness();
    h.settings = { ...h.settings, dnsVerify: { ...h.settings.dnsVerify!, servers: [dnsA.server] } };
    await dnsA.replace('pbx', 'A', [PRIMARY], 3600);
    await h.watch.checkNow(h.settings.id);
    expect(item(h, 'dns')?.message).toContain('the TTL is 3600 s, above max-ttl 300 s');
    await dnsA.replace('pbx', 'A', ['127.0.0.99']);
    await h.watch.checkNow(h.settings.id);
    expect(item(h, 'dns')?.message).toContain('neither the failback set');
  });

  it('is not ready when a DNS server does not answer', async () => {
    const h = await harness({
      dnsVerify: {
        name: 'pbx.pbx.test.',
        type: 'A',
        failover: [STANDBY],
        failback: [PRIMARY],
        within: 120,
        maxTtl: 300,
        servers: [dnsA.server, '127.0.0.1:9'],
      },
    });
    await h.watch.checkNow(h.settings.id);
    expect(item(h, 'dns')).toMatchObject({ ok: false });
    expect(item(h, 'dns')?.message).toContain('127.0.0.1:9');
  });

  it('is not ready when the action receiver takes no connection, or too few validation URLs answer', async () => {
    const h = await harness({ actionUrl: 'http://127.0.0.1:9/dns' } as Partial<PairSettings>);
    h.settings = { ...h.settings, action: { ...h.settings.action, url: 'http://127.0.0.1:9/dns' } };
    const { validation } = h as unknown as { validation: HttpFixture };
    validation.answer = { status: 503 };
    await h.watch.checkNow(h.settings.id);
    expect(item(h, 'action-receiver')).toMatchObject({ ok: false });
    expect(item(h, 'action-receiver')?.message).toContain('connection refused');
    expect(item(h, 'validation')?.message).toContain('only 0 of 1 validation URLs answer, quorum is 1');
    // Nothing was sent to any receiver: readiness never fires an action.
    expect(h.events.filter((e) => e.type === 'action')).toEqual([]);
  });

  it('takes the certificate readings: one expiring within critical-days makes the pair not ready', async () => {
    const h = await harness({ certificates: { warnDays: 21, criticalDays: 7, checks: [] } });
    h.certificates = [{ target: 'standby', name: 'pbx.example.com', address: '198.18.2.2:443', daysLeft: 3 }];
    await h.watch.checkNow(h.settings.id);
    expect(item(h, 'certificate')).toMatchObject({ ok: false });
    expect(item(h, 'certificate')?.message).toContain('expires in 3 d');
    h.certificates = [{ target: 'standby', name: 'pbx.example.com', address: '198.18.2.2:443', daysLeft: 80 }];
    await h.watch.checkNow(h.settings.id);
    expect(item(h, 'certificate')).toMatchObject({ ok: true, message: 'certificates valid, fewest 80 d left' });
  });
});

describe('readiness answers shared between pairs', () => {
  it('sends one validation request and one receiver connection for pairs sharing them; check now probes afresh', async () => {
    const [receiver, validation] = await Promise.all([HttpFixture.start(), HttpFixture.start()]);
    scope.cleanups.push(
      () => receiver.close(),
      () => validation.close(),
    );
    const ids = ['a', 'b', 'c'];
    const settings = new Map(
      ids.map((id) => [
        id,
        pairSettings({
          id,
          primaryUrl: 'http://127.0.0.1:9/',
          // Each pair its own path and query on the receiver: only where the connection goes is shared.
          actionUrl: receiver.url(`/dns?pair=${id}`),
          validation: { quorum: 1, urls: [validation.url('/shared')] },
        }),
      ]),
    );
    const rounds: string[] = [];
    const base = engineContext({ client });
    // A monotonic clock that stands still: every scheduled round falls within the sharing window.
    const ctx = { ...base, clock: { ...base.clock, monotonic: () => 1_000_000 }, dns: createDnsClient() };
    const watch = new ReadinessWatch(
      ctx,
      {
        settings: (id) => settings.get(id),
        status: () => undefined,
        emit: (e) => void (e.type === 'readiness' && rounds.push(e.pair)),
      },
      { firstDelayMs: 1 },
    );
    scope.cleanups.push(async () => watch.stop());
    for (const id of ids) watch.watch(id);
    await vi.waitFor(() => expect(rounds.sort()).toEqual(ids), { timeout: 20_000 });
    for (const id of ids) expect(watch.readiness(id)?.ready).toBe(true);
    expect(validation.requests).toHaveLength(1);
    expect(receiver.connections).toBe(1);

    // The operator's round does not take the shared answer.
    await watch.checkNow('b');
    expect(validation.requests).toHaveLength(2);
    expect(receiver.connections).toBe(2);
  });
});

describe('readiness schedule', () => {
  it('runs the first round after the first delay and then every readiness interval', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const rounds: string[] = [];
      const settings = { ...pairSettings({ primaryUrl: 'http://127.0.0.1:9/' }), readinessInterval: 60 };
      const watch = new ReadinessWatch(
        { ...engineContext({ client }), dns: createDnsClient() },
        {
          settings: () => settings,
          status: () => undefined,
          emit: (e) => void (e.type === 'readiness' && rounds.push(e.at)),
        },
        { firstDelayMs: 1000 },
      );
      // No validation URLs and an unreachable receiver: a round is quick and needs no server.
      watch.watch('acme');
      await vi.advanceTimersByTimeAsync(999);
      expect(rounds).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1);
      await vi.waitFor(() => expect(rounds).toHaveLength(1));
      await vi.advanceTimersByTimeAsync(59_000);
      expect(rounds).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1_000);
      await vi.waitFor(() => expect(rounds).toHaveLength(2));
      watch.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('spreads the first rounds of pairs watched together instead of starting them all at once', () => {
    // A manual monotonic clock and timers that only record their delays: the schedule is exact.
    let now = 0;
    const delays: number[] = [];
    const base = engineContext({ client });
    const watch = new ReadinessWatch(
      {
        ...base,
        clock: { ...base.clock, monotonic: () => now },
        timers: { setTimeout: (_fn: () => void, ms: number) => delays.push(ms), clearTimeout: () => {} },
        dns: createDnsClient(),
      },
      { settings: () => undefined, status: () => undefined, emit: () => {} },
      { firstDelayMs: 1000 },
    );
    for (const id of ['a', 'b', 'c']) watch.watch(id);
    expect(delays).toEqual([1000, 1000 + FIRST_ROUND_SPACING_MS, 1000 + 2 * FIRST_ROUND_SPACING_MS]);
    // A pair watched long after the others waits only its own first delay.
    now = 5000;
    watch.watch('d');
    expect(delays.at(-1)).toBe(1000);
    watch.stop();
  });
});
