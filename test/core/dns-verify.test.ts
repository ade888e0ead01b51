// The DNS verification after an action, against a real PowerDNS on loopback whose record the test
// changes through PowerDNS's own API (as an action URL would), with short rounds and a short `within`.

import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDnsClient } from '../../src/core/dns-client.js';
import { DnsVerifier } from '../../src/core/dns-verify.js';
import { silentLogger, systemClock, systemTimers } from '../../src/core/ports.js';
import type { ActionKind, AlertEvent, DnsEvent, EngineEvent, PairSettings } from '../../src/shared/model.js';
import type { DnsVerifySettings } from '../../src/shared/pbx-health.js';
import { waitFor } from '../helpers/http-fixtures.js';
import { pairSettings } from '../helpers/engine-fixtures.js';
import { LocalPowerDns, freePort } from '../helpers/pdns-local.js';
import { perTestScope } from '../helpers/test-scope.js';

const ZONE = 'pbx.test.';
const PRIMARY = '127.0.0.10';
const STANDBY = '127.0.0.20';
let pdns: LocalPowerDns;
const scope = perTestScope();

beforeAll(async () => {
  pdns = await LocalPowerDns.start(ZONE, [{ name: 'pbx', type: 'A', content: PRIMARY }]);
});
afterAll(async () => {
  await pdns?.stop();
});
beforeEach(async () => {
  await pdns.replace('pbx', 'A', [PRIMARY]);
});

function harness(dnsVerify: Partial<DnsVerifySettings> = {}) {
  const events: EngineEvent[] = [];
  const settings: PairSettings = {
    ...pairSettings({ primaryUrl: 'http://127.0.0.1:9/' }),
    dnsVerify: {
      name: 'pbx.pbx.test.',
      type: 'A',
      failover: [STANDBY],
      failback: [PRIMARY],
      within: 3,
      maxTtl: 300,
      servers: [pdns.server],
      ...dnsVerify,
    },
  };
  const verifier = new DnsVerifier({
    dns: createDnsClient(),
    clock: systemClock,
    timers: systemTimers,
    log: silentLogger,
    emit: (e) => events.push(e),
    settingsOf: (id) => (id === settings.id ? settings : undefined),
    roundMs: 200,
    queryTimeoutMs: 500,
  });
  scope.cleanups.push(async () => verifier.stop());
  const succeeded = (kind: ActionKind = 'failover'): void =>
    verifier.handle({ type: 'action', pair: settings.id, at: new Date().toISOString(), kind, phase: 'succeeded' });
  const dns = () => events.filter((e): e is DnsEvent => e.type === 'dns');
  const alerts = () => events.filter((e): e is AlertEvent => e.type === 'alert');
  return { verifier, settings, events, succeeded, dns, alerts };
}

describe('DNS verification after an action', () => {
  it('converges once the server answers the standby: rounds until then, then "DNS converged in N s"', async () => {
    const h = harness();
    expect(h.verifier.status('acme')).toEqual({ phase: 'idle', expected: [], servers: [] });
    h.succeeded();
    expect(h.verifier.status('acme')?.phase).toBe('checking');
    await waitFor(() => h.dns().length >= 2, 'two rounds before the change');
    expect(h.dns()[0]).toMatchObject({
      kind: 'failover',
      phase: 'checking',
      expected: [STANDBY],
      servers: [{ server: pdns.server, answers: [PRIMARY], authoritative: true, rcode: 'NOERROR', ok: false }],
    });
    const serialBefore = h.dns()[0]!.servers[0]!.serial!;
    expect(serialBefore).toBeGreaterThan(0);
    await pdns.replace('pbx', 'A', [STANDBY]);
    await waitFor(() => h.dns().some((e) => e.phase === 'converged'), 'converged', 5000);
    const last = h.dns().at(-1)!;
    expect(last.message).toMatch(/^DNS converged in \d+(\.\d)? s$/);
    expect(last.servers).toEqual([
      {
        server: pdns.server,
        answers: [STANDBY],
        ttl: 60,
        authoritative: true,
        rcode: 'NOERROR',
        ok: true,
        serial: serialBefore + 1,
      },
    ]);
    const status = h.verifier.status('acme')!;
    expect(status).toMatchObject({ phase: 'converged', expected: [STANDBY], servers: last.servers });
    expect(status.convergedAt).toBe(last.at);
    expect(h.alerts()).toEqual([]);
    // Nothing more is asked once converged.
    const rounds = h.dns().length;
    await new Promise((r) => setTimeout(r, 600));
    expect(h.dns().length).toBe(rounds);
  });

  it('a receiver that says 2xx but changes nothing: not-converged and an alert naming the server, within `within`', async () => {
    const h = harness({ within: 1.5 });
    const started = performance.now();
    h.succeeded();
    await waitFor(() => h.alerts().length > 0, 'the alert', 5000);
    const took = performance.now() - started;
    // The last round starts at `within`; its questions may take up to the query timeout.
    expect(took).toBeGreaterThanOrEqual(1500);
    expect(took).toBeLessThan(1500 + 500 + 2500);
    const [alert] = h.alerts();
    expect(alert).toMatchObject({ pair: 'acme', alert: 'dns-not-converged', severity: 'critical' });
    expect(alert!.message).toContain(`pbx.pbx.test. A should be ${STANDBY}`);
    expect(alert!.message).toContain(`${pdns.server} answers ${PRIMARY}`);
    expect(alert!.message).toContain('still the old set');
    const last = h.dns().at(-1)!;
    expect(last).toMatchObject({ phase: 'not-converged', message: alert!.message });
    expect(h.verifier.status('acme')?.phase).toBe('not-converged');
    expect(h.dns().length).toBeGreaterThanOrEqual(3);
  });

  it('names a server that does not answer and one that is not authoritative; the good one is not named', async () => {
    const silent = createSocket('udp4');
    const port = await freePort();
    await new Promise<void>((r) => silent.bind(port, '127.0.0.1', r));
    scope.cleanups.push(() => new Promise<void>((r) => silent.close(() => r())));
    await pdns.replace('pbx', 'A', [STANDBY]);
    // Asked for a name of a zone it does not have, PowerDNS refuses: not authoritative.
    const h = harness({ within: 1, servers: [pdns.server, `127.0.0.1:${port}`] });
    h.succeeded();
    await waitFor(() => h.alerts().length > 0, 'the alert', 5000);
    const message = h.alerts()[0]!.message;
    expect(message).toContain(`127.0.0.1:${port}: no answer in`);
    expect(message).not.toContain(`${pdns.server} answers`);
    const last = h.dns().at(-1)!;
    expect(last.servers.map((s) => s.ok)).toEqual([true, false]);

    const other = harness({ within: 0.5, name: 'pbx.other.test.' });
    other.succeeded();
    await waitFor(() => other.alerts().length > 0, 'the alert', 5000);
    expect(other.alerts()[0]!.message).toContain(`${pdns.server} answers no record (REFUSED) (not authoritative)`);
  });

  it('after a failback the failback set is verified; without one nothing is asked', async () => {
    const h = harness();
    h.succeeded('failback');
    await waitFor(() => h.dns().some((e) => e.phase === 'converged'), 'converged', 5000);
    expect(h.dns()[0]).toMatchObject({ kind: 'failback', expected: [PRIMARY] });

    const none = harness({ failback: [] });
    none.succeeded('failback');
    expect(none.verifier.status('acme')?.phase).toBe('idle');
    await new Promise((r) => setTimeout(r, 300));
    expect(none.dns()).toEqual([]);
  });

  it('a pair removed while checking stops being asked about', async () => {
    const h = harness();
    h.succeeded();
    await waitFor(() => h.dns().length >= 1, 'a round');
    h.verifier.handle({ type: 'config', pair: 'acme', at: new Date().toISOString(), change: 'removed' });
    const rounds = h.dns().length;
    await new Promise((r) => setTimeout(r, 600));
    expect(h.dns().length).toBe(rounds);
    expect(h.alerts()).toEqual([]);
  });

  it('a re-arm ends the failover episode: its verification stops and the phase is idle again', async () => {
    const h = harness({ within: 1 });
    h.succeeded();
    await waitFor(() => h.alerts().length > 0, 'the alert', 5000);
    expect(h.verifier.phase('acme')).toBe('not-converged');
    const at = new Date().toISOString();
    h.verifier.handle({
      type: 'state',
      pair: 'acme',
      at,
      from: 'failover',
      to: 'starting',
      reason: 're-armed',
      manual: true,
    });
    expect(h.verifier.status('acme')).toEqual({ phase: 'idle', expected: [], servers: [] });
  });

  it('on the Timers port: rounds every 2 s of engine time until `within` (120 s), then the alert, with no real wait', async () => {
    // The engine's clock and timers, advanced by hand; the questions go to the real PowerDNS.
    let now = 0;
    const due: Array<{ at: number; fn: () => void }> = [];
    const events: EngineEvent[] = [];
    const settings: PairSettings = {
      ...pairSettings({ primaryUrl: 'http://127.0.0.1:9/' }),
      dnsVerify: {
        name: 'pbx.pbx.test.',
        type: 'A',
        failover: [STANDBY],
        failback: [],
        within: 120,
        maxTtl: 300,
        servers: [pdns.server],
      },
    };
    const verifier = new DnsVerifier({
      dns: createDnsClient(),
      clock: { monotonic: () => now, now: () => Date.UTC(2026, 11, 2) + now },
      timers: {
        setTimeout: (fn, ms) => due.push({ at: now + ms, fn }),
        clearTimeout: () => undefined,
      },
      log: silentLogger,
      emit: (e) => events.push(e),
      settingsOf: () => settings,
    });
    scope.cleanups.push(async () => verifier.stop());
    const rounds = () => events.filter((e): e is DnsEvent => e.type === 'dns');
    verifier.handle({
      type: 'action',
      pair: 'acme',
      at: new Date().toISOString(),
      kind: 'failover',
      phase: 'succeeded',
    });
    const started = performance.now();
    for (let n = 1; ; n++) {
      await waitFor(() => rounds().length === n, `round ${n}`, 5000, 5);
      if (rounds().at(-1)!.phase !== 'checking') break;
      // Exactly one next round is scheduled, 2 s after this one started (the last one at `within`).
      expect(due).toHaveLength(1);
      const next = due.shift()!;
      expect(next.at).toBe(Math.min(n * 2000, 120_000));
      now = next.at;
      next.fn();
    }
    expect(rounds().map((e) => e.elapsed)).toEqual([...Array.from({ length: 61 }, (_, i) => i * 2)]);
    expect(rounds().at(-1)).toMatchObject({ phase: 'not-converged', elapsed: 120 });
    expect(events.filter((e) => e.type === 'alert')).toHaveLength(1);
    expect(rounds().at(-1)!.message).toMatch(/^DNS not converged in 120 s after the failover/);
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});
