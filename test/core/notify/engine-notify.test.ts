// The alert channels inside the running engine: a receiver that drops what it is sent (accepts the
// connection and never answers) leaves the watchers' schedule alone, and an acknowledgement
// survives a restart (read back from the history): the alert is not sent again.

import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { serializeConfigXml } from '../../../src/core/config-xml.js';
import type { AlertEvent, CheckEvent, NotifyEvent } from '../../../src/shared/model.js';
import type { NotifySettings } from '../../../src/shared/notify.js';
import { pairSettings } from '../../helpers/engine-fixtures.js';
import { waitFor } from '../../helpers/http-fixtures.js';
import { configFile, fastTuning, open, tempServerdir } from '../../helpers/serverdir.js';
import { perTestScope } from '../../helpers/test-scope.js';

const scope = perTestScope();

/** A TCP server that takes every connection and never answers a byte. */
async function blackHole(): Promise<{ url: string; connections: () => number }> {
  const sockets = new Set<Socket>();
  let n = 0;
  const server = createServer((s) => {
    n++;
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  scope.cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, connections: () => n };
}

async function refusedUrl(): Promise<string> {
  const f = await scope.fixture(200);
  const url = f.url('/');
  await f.refuse();
  return url;
}

const slack = (url: string): NotifySettings => ({ id: 'noc', type: 'slack', minSeverity: 'info', headers: [], url });

describe('alert channels in the engine', () => {
  it('a receiver that never answers does not delay the checks', async () => {
    const primary = await scope.fixture(200);
    const hole = await blackHole();
    const dir = await tempServerdir(scope.cleanups);
    const settings = pairSettings({ primaryUrl: primary.url('/'), standbyUrl: await refusedUrl(), interval: 0.1 });
    await writeFile(configFile(dir), serializeConfigXml({ pairs: [{ settings }], notify: [slack(hole.url)] }));
    const { events } = await open(dir, scope.cleanups, {
      ...fastTuning,
      notifyTuning: { timeoutMs: 300, attempts: 50, backoff: () => 10, failingAfter: 3 },
    });
    const failed = () => events.filter((e): e is NotifyEvent => e.type === 'notify' && !e.ok);
    await waitFor(() => failed().length >= 6, 'six deliveries timed out', 20_000);
    expect(failed()[0]!.error).toMatch(/timed out/);
    expect(events.some((e) => e.type === 'alert' && e.alert === 'notify-failing')).toBe(true);
    // While the deliveries hung (6 x 300 ms), the primary was checked every 100 ms.
    const from = Date.parse(failed()[0]!.at) - 300;
    const to = Date.parse(failed().at(-1)!.at);
    const checks = events
      .filter((e): e is CheckEvent => e.type === 'check' && e.result.target === 'primary')
      .map((e) => Date.parse(e.at))
      .filter((t) => t >= from && t <= to);
    const span = to - from;
    expect(span).toBeGreaterThan(1500);
    expect(checks.length).toBeGreaterThanOrEqual(Math.floor(span / 100 / 2));
    const gaps = checks.slice(1).map((t, i) => t - checks[i]!);
    expect(Math.max(...gaps)).toBeLessThan(1000);
    expect(hole.connections()).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('keeps an acknowledgement across a restart: the alert is not sent again', async () => {
    const primary = await scope.fixture(200);
    const receiver = await scope.fixture(200);
    const dir = await tempServerdir(scope.cleanups);
    const settings = pairSettings({ primaryUrl: primary.url('/'), standbyUrl: await refusedUrl(), interval: 0.1 });
    await writeFile(
      configFile(dir),
      serializeConfigXml({ pairs: [{ settings }], notify: [slack(receiver.url('/s'))] }),
    );
    const first = await open(dir, scope.cleanups);
    const down = () => first.events.find((e): e is AlertEvent => e.type === 'alert' && e.alert === 'standby-down');
    await waitFor(() => down() !== undefined && receiver.requests.length === 1, 'standby-down sent');
    const id = down()!.id!;
    await first.monitor.ackAlert(id, { reason: 'standby in repair', operator: 'dana' });
    const missing = await first.monitor.ackAlert('nope', { reason: 'x' }).catch((e: Error) => e);
    expect((missing as { code?: string }).code).toBe('not-found');
    const noReason = await first.monitor.ackAlert(id, { reason: '' }).catch((e: Error) => e);
    expect((noReason as { code?: string }).code).toBe('invalid');
    await first.monitor.close();

    const second = await open(dir, scope.cleanups);
    const alerts = await second.monitor.alerts();
    expect(alerts.find((a) => a.type === 'alert' && a.id === id)).toMatchObject({
      acknowledged: { operator: 'dana', reason: 'standby in repair' },
    });
    // The standby is still down after the restart: raised again, but acknowledged, so not sent.
    await waitFor(
      () => second.events.some((e) => e.type === 'alert' && e.alert === 'standby-down'),
      'standby-down raised again',
    );
    // The engine keeps working: a notice of another kind still goes out, through the same queue. The
    // channel delivers in order, so a standby-down sent again would have come before it.
    await second.monitor.failover('acme', { reason: 'drill', operator: 'dana' });
    await waitFor(() => receiver.requests.some((r) => r.body.includes('manual failover')), 'the failover notice');
    expect(receiver.requests.filter((r) => r.body.includes('standby-down'))).toHaveLength(1);
  }, 30_000);
});
