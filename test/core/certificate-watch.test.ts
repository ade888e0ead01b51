// The certificate watch: real TLS servers with openssl-made certificates, a test clock that places
// "now" against their notAfter, and timers fired by hand.

import { afterAll, describe, expect, it } from 'vitest';
import { createCertificateProbe } from '../../src/core/certificate-check.js';
import { CERTIFICATE_EVERY_MS, CertificateWatch, DAY_MS } from '../../src/core/certificate-watch.js';
import { engineContext } from '../../src/core/engine-context.js';
import { createHttpClient } from '../../src/core/http-client.js';
import type { EngineContext, Timers } from '../../src/core/ports.js';
import type { AlertEvent, CertificatesEvent, PairSettings } from '../../src/shared/model.js';
import type { CertificateSettings } from '../../src/shared/pbx-health.js';
import { EventLog, pairSettings } from '../helpers/engine-fixtures.js';
import { waitFor } from '../helpers/http-fixtures.js';
import { perTestScope } from '../helpers/test-scope.js';
import { CertFactory, refusedAddress, TlsFixture } from '../helpers/tls-fixtures.js';

const certs = new CertFactory();
afterAll(() => certs.cleanup());
const scope = perTestScope();

class ManualTimers implements Timers {
  private next = 1;
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { fn, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  fire(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const t of due) t.fn();
  }
  delays(): number[] {
    return [...this.pending.values()].map((t) => t.ms);
  }
}

interface Harness {
  watch: CertificateWatch;
  ctx: EngineContext;
  log: EventLog;
  timers: ManualTimers;
  /** Where "now" is, epoch ms. */
  clock: { at: number };
}

function harness(settings: PairSettings[]): Harness {
  const timers = new ManualTimers();
  const clock = { at: Date.now() };
  const client = createHttpClient();
  const ctx = engineContext({ client, timers, clock: { now: () => clock.at, monotonic: () => performance.now() } });
  const log = new EventLog();
  const watch = new CertificateWatch({
    ctx,
    probe: createCertificateProbe(),
    emit: log.push,
    statusOf: () => undefined,
    timeoutMs: 5000,
  });
  watch.sync(settings);
  scope.cleanups.push(async () => {
    await watch.stop();
    await client.close();
  });
  return { watch, ctx, log, timers, clock };
}

function withChecks(address: string, extra: Partial<CertificateSettings> = {}): PairSettings {
  return pairSettings({
    primaryUrl: 'http://127.0.0.1:9/',
    certificates: { warnDays: 21, criticalDays: 7, checks: [{ name: 'pbx.example.com', address }], ...extra },
  });
}

async function serving(days: number): Promise<TlsFixture> {
  const f = await TlsFixture.start(certs.selfSigned('pbx.example.com', days));
  scope.cleanups.push(() => f.close());
  return f;
}

const alerts = (log: EventLog): AlertEvent[] =>
  log.events.filter((e): e is AlertEvent => e.type === 'alert' && e.alert === 'certificate');
const readings = (log: EventLog): CertificatesEvent[] =>
  log.events.filter((e): e is CertificatesEvent => e.type === 'certificates');

describe('certificate watch', () => {
  it('days left against a test clock; warn, critical and expired alert once each; a renewal alerts once and clears it', async () => {
    const f = await serving(30);
    const h = harness([withChecks(f.address)]);
    h.watch.start();
    h.timers.fire();
    await waitFor(() => readings(h.log).length === 1, 'the first reading');
    const first = readings(h.log)[0]!.certificates[0]!;
    const notAfter = Date.parse(first.notAfter!);
    expect(first).toMatchObject({ target: 'check', name: 'pbx.example.com', address: f.address, nameMatches: true });
    expect(first.trusted).toBe(false);

    const at = async (ms: number) => {
      h.clock.at = ms;
      await h.watch.checkNow('acme');
      return readings(h.log).at(-1)!.certificates[0]!;
    };
    expect(await at(notAfter - 25 * DAY_MS - 3_600_000)).toMatchObject({ daysLeft: 25, level: 'ok' });
    expect(alerts(h.log)).toEqual([]);
    expect(await at(notAfter - 20 * DAY_MS - 3_600_000)).toMatchObject({ daysLeft: 20, level: 'warn' });
    expect(await at(notAfter - 19 * DAY_MS - 3_600_000)).toMatchObject({ daysLeft: 19, level: 'warn' });
    expect(alerts(h.log).map((a) => a.severity)).toEqual(['warning']);
    expect(alerts(h.log)[0]!.message).toMatch(
      /^ACME Corp \(acme\): the certificate for pbx.example.com at 127\.0\.0\.1:\d+ \(check\) expires on .* \(20 days left\)$/,
    );
    expect(await at(notAfter - 3 * DAY_MS - 3_600_000)).toMatchObject({ daysLeft: 3, level: 'critical' });
    expect(await at(notAfter - 2 * DAY_MS - 3_600_000)).toMatchObject({ daysLeft: 2, level: 'critical' });
    expect(alerts(h.log).map((a) => a.severity)).toEqual(['warning', 'critical']);
    expect(h.ctx.certificates.summary('acme')).toEqual({ daysLeft: 2, level: 'critical' });
    expect(await at(notAfter + 3_600_000)).toMatchObject({ daysLeft: -1, level: 'expired' });
    expect(await at(notAfter + 2 * 3_600_000)).toMatchObject({ level: 'expired' });
    expect(alerts(h.log).map((a) => a.severity)).toEqual(['warning', 'critical', 'critical']);
    expect(alerts(h.log)[2]!.message).toContain('expired on');

    // Renewed: a certificate with a later notAfter is served.
    f.serve(certs.selfSigned('pbx.example.com', 90));
    const renewed = await at(notAfter + 3 * 3_600_000);
    expect(renewed.level).toBe('ok');
    // 90 days from the real now, read 30 days later on the test clock.
    expect(renewed.daysLeft).toBe(Math.floor((Date.parse(renewed.notAfter!) - h.clock.at) / DAY_MS));
    expect(renewed.daysLeft).toBeGreaterThanOrEqual(58);
    expect(await at(notAfter + 4 * 3_600_000)).toMatchObject({ level: 'ok' });
    expect(alerts(h.log).map((a) => a.severity)).toEqual(['warning', 'critical', 'critical', 'info']);
    expect(alerts(h.log)[3]!.message).toContain('was renewed');
    expect(h.ctx.certificates.summary('acme')).toEqual({ daysLeft: renewed.daysLeft, level: 'ok' });

    // Renewed certificates are watched afresh: the next warning comes again.
    const next = Date.parse(renewed.notAfter!);
    expect(await at(next - 10 * DAY_MS)).toMatchObject({ level: 'warn' });
    expect(alerts(h.log).map((a) => a.severity)).toEqual(['warning', 'critical', 'critical', 'info', 'warning']);
  });

  it('a certificate with 3 days left raises exactly one critical alert (no warning before it)', async () => {
    const f = await serving(3);
    const h = harness([withChecks(f.address)]);
    h.watch.start();
    h.timers.fire();
    await waitFor(() => readings(h.log).length === 1, 'the first reading');
    // openssl -days 3 a moment ago: 2 whole days and nearly 24 hours left.
    expect(readings(h.log)[0]!.certificates[0]!).toMatchObject({ daysLeft: 2, level: 'critical' });
    expect(alerts(h.log).map((a) => [a.severity, a.alert])).toEqual([['critical', 'certificate']]);
    await h.watch.checkNow('acme');
    expect(alerts(h.log)).toHaveLength(1);
  });

  it('reads at start and every 6 hours on the timers port', async () => {
    const f = await serving(30);
    const h = harness([withChecks(f.address)]);
    expect(h.timers.delays()).toEqual([]);
    h.watch.start();
    expect(h.timers.delays()).toEqual([0]);
    h.timers.fire();
    await waitFor(() => readings(h.log).length === 1, 'the first reading');
    await waitFor(() => h.timers.delays().length === 1, 'the next reading set');
    expect(h.timers.delays()).toEqual([CERTIFICATE_EVERY_MS]);
    h.timers.fire();
    await waitFor(() => readings(h.log).length === 2, 'the second reading');
    await h.watch.stop();
    expect(h.timers.delays()).toEqual([]);
  });

  it('a refused connection is an error on the reading, not an alert; wrong name and untrusted are reported', async () => {
    const refused = await refusedAddress();
    const f = await serving(30);
    const h = harness([
      withChecks(refused, {
        checks: [
          { name: 'pbx.example.com', address: refused },
          { name: 'other.example.com', address: f.address },
        ],
      }),
    ]);
    h.watch.start();
    h.timers.fire();
    await waitFor(() => readings(h.log).length === 1, 'the first reading');
    const [down, wrong] = readings(h.log)[0]!.certificates;
    expect(down).toMatchObject({ target: 'check', address: refused, error: 'connection refused' });
    expect(down!.daysLeft).toBeUndefined();
    expect(wrong).toMatchObject({ name: 'other.example.com', nameMatches: false, trusted: false, level: 'ok' });
    expect(alerts(h.log)).toEqual([]);
    expect(h.ctx.certificates.summary('acme').level).toBe('ok');
  });

  it('without <check>s reads the https: URLs; follows changed and removed pairs', async () => {
    const f = await serving(30);
    const plain = pairSettings({ primaryUrl: `https://127.0.0.1:${f.port}/health`, standbyUrl: 'http://127.0.0.1:9/' });
    const h = harness([plain]);
    h.watch.start();
    h.timers.fire();
    await waitFor(() => readings(h.log).length === 1, 'the first reading');
    expect(readings(h.log)[0]!.certificates).toEqual([
      expect.objectContaining({ target: 'primary', name: '127.0.0.1', address: f.address, nameMatches: false }),
    ]);
    // New targets are read at once.
    h.watch.sync([withChecks(f.address)]);
    h.timers.fire();
    await waitFor(() => readings(h.log).length === 2, 'the reading of the new target');
    expect(readings(h.log)[1]!.certificates[0]).toMatchObject({ target: 'check', nameMatches: true });
    h.watch.sync([]);
    expect(h.ctx.certificates.list('acme')).toEqual([]);
    expect(h.timers.delays()).toEqual([]);
  });
});
