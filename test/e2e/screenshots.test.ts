// Screenshots for the README: the overview with pairs in every kind of trouble,
// one pair's 24-hour timeline (a day of history written as the engine lays
// it out, followed by a live outage), and the overview once the service has
// stopped (the stale view). Also proves that the live dashboard shows each of
// those situations.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpFixture } from '../helpers/http-fixtures.js';
import { REPO_ROOT, startTestService, tempServerdir, type TestService } from '../helpers/service-harness.js';
import type { HistoryEvent } from '../../src/shared/model.js';
import {
  collectPageErrors,
  configXml,
  ensureRendererBuilt,
  launchChromium,
  RENDERER_DIR,
  type PairXmlOptions,
} from './dashboard-harness.js';
import { stateEvent, writeSyntheticHistory } from './synthetic-history.js';

const SHOTS = join(REPO_ROOT, 'docs', 'screenshots');
const MIN = 60_000;
const H = 3_600_000;

let browser: Browser;
let service: TestService;
const fixtures: HttpFixture[] = [];

async function fixture(status = 200): Promise<HttpFixture> {
  const f = await HttpFixture.start({ status });
  fixtures.push(f);
  return f;
}

beforeAll(async () => {
  ensureRendererBuilt();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await service?.dispose();
  for (const f of fixtures) await f.close();
});

function globexHistory(now: number): HistoryEvent[] {
  const p = 'globex';
  const iso = (t: number) => new Date(t).toISOString();
  const pause = now - 19 * H;
  const outage = now - 8 * H;
  return [
    stateEvent(p, now - 24 * H, 'starting', 'waiting', 'primary answered'),
    {
      type: 'operator',
      pair: p,
      at: iso(pause),
      action: 'pause',
      operator: 'maria',
      reason: 'PBX firmware update 68.0.31',
      outcome: 'ok',
    },
    stateEvent(p, pause, 'waiting', 'paused', 'PBX firmware update 68.0.31', true, 'maria'),
    {
      type: 'operator',
      pair: p,
      at: iso(pause + 42 * MIN),
      action: 'resume',
      operator: 'maria',
      reason: 'update done',
      outcome: 'ok',
    },
    stateEvent(p, pause + 42 * MIN, 'paused', 'starting', 'update done', true, 'maria'),
    stateEvent(p, pause + 43 * MIN, 'starting', 'waiting', 'primary answered'),
    stateEvent(
      p,
      outage + 2 * MIN,
      'waiting',
      'verifying',
      '4 failed checks in a row (3 tolerated): connection timed out',
    ),
    {
      type: 'alert',
      pair: p,
      at: iso(outage + 2 * MIN),
      alert: 'verifying',
      severity: 'warning',
      message: 'Globex (globex): primary failed 4 times in a row',
    },
    stateEvent(
      p,
      outage + 2 * MIN + 400,
      'verifying',
      'failover',
      'primary failed 4 checks in a row; 1 of 1 validation URLs answered',
    ),
    {
      type: 'alert',
      pair: p,
      at: iso(outage + 2 * MIN + 400),
      alert: 'failover',
      severity: 'critical',
      message: 'Globex (globex): failing over',
    },
    {
      type: 'action',
      pair: p,
      at: iso(outage + 2 * MIN + 900),
      kind: 'failover',
      phase: 'succeeded',
      attempt: { attempt: 1, at: iso(outage + 2 * MIN + 900), ok: true, status: 200, latencyMs: 182 },
    },
    {
      type: 'alert',
      pair: p,
      at: iso(outage + 74 * MIN),
      alert: 'primary-answering',
      severity: 'critical',
      message: 'Globex (globex): the primary answers again while in failover',
    },
    {
      type: 'operator',
      pair: p,
      at: iso(outage + 95 * MIN),
      action: 'rearm',
      operator: 'tom',
      reason: 'primary DC back, failback approved by customer',
      outcome: 'ok',
    },
    stateEvent(
      p,
      outage + 95 * MIN,
      'failover',
      'starting',
      'primary DC back, failback approved by customer',
      true,
      'tom',
    ),
    stateEvent(p, outage + 96 * MIN, 'starting', 'waiting', 'primary answered'),
  ];
}

describe('README screenshots', () => {
  it("shows pairs in every kind of trouble on the overview, and a day on one pair's timeline", async () => {
    const now = Date.now();
    const serverdir = await tempServerdir('pfm-shots-');
    const validation = await fixture();
    const dns = await fixture();
    const brokenDns = await fixture(503);
    const deadStandby = await fixture();
    await deadStandby.refuse();
    const names = [
      'ACME Corp',
      'Globex',
      'Initech',
      'Umbrella Health',
      'Stark Logistics',
      'Wayne Hotels',
      'Hooli Sales',
      'Vandelay Import',
      'Soylent Foods',
      'Cyberdyne Labs',
    ];
    const pairs: PairXmlOptions[] = [];
    const primaries = new Map<string, HttpFixture>();
    for (const name of names) {
      const id = name.split(' ')[0]!.toLowerCase();
      const primary = await fixture();
      primaries.set(id, primary);
      pairs.push({
        id,
        name,
        primaryUrl: primary.url('/'),
        standbyUrl:
          id === 'hooli'
            ? deadStandby.url('/')
            : id === 'acme' || id === 'globex'
              ? validation.url('/standby')
              : undefined,
        interval: 0.5,
        tolerated: id === 'initech' ? 100 : 3,
        validationUrl: validation.url('/'),
        actionUrl: (id === 'stark' ? brokenDns : dns).url('/api/records/pbx'),
      });
    }
    for (const p of pairs) {
      await writeSyntheticHistory({
        serverdir,
        pair: p.id,
        name: p.name,
        from: now - 24 * H,
        to: now - 2 * MIN,
        checksPerMinute: 120,
        hasStandby: !!p.standbyUrl,
        primaryDown:
          p.id === 'globex'
            ? [{ from: now - 8 * H, to: now - 8 * H + 75 * MIN }]
            : p.id === 'vandelay'
              ? [{ from: now - 3 * H, to: now - 3 * H + 4 * MIN }]
              : [],
        flaps: Array.from(
          { length: p.id === 'wayne' ? 40 : 6 },
          (_, i) => now - ((i * 7919 + p.id.length * 104_729) % (24 * 60)) * MIN,
        ),
        ...(p.id === 'globex' ? { events: globexHistory(now) } : {}),
      });
    }
    service = await startTestService({ serverdir, xml: configXml(pairs), rendererDir: RENDERER_DIR });
    const page = await browser.newPage({ viewport: { width: 1440, height: 820 }, colorScheme: 'dark' });
    const errors = collectPageErrors(page);
    await page.goto(service.dashboardUrl);
    await page.locator('[data-connection="live"]').waitFor();
    await page.locator('[data-pair="acme"][data-state="waiting"]').waitFor({ timeout: 20_000 });

    // Make trouble: an outage, a failed DNS change, a paused pair, a flaky primary, a dead standby.
    await primaries.get('globex')!.refuse();
    await primaries.get('stark')!.refuse();
    primaries.get('initech')!.setStatus(503);
    await service.json('/api/pairs/umbrella/pause', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'PBX migration to v69, back at 14:00', operator: 'maria' }),
    });

    await page.locator('[data-pair="globex"][data-state="failover"]').waitFor({ timeout: 20_000 });
    await page.locator('[data-pair="stark"][data-state="failover"]').waitFor({ timeout: 20_000 });
    await page.locator('[data-pair="umbrella"][data-state="paused"]').waitFor({ timeout: 20_000 });
    await expect
      .poll(() => page.locator('[data-pair="stark"]').textContent(), { timeout: 20_000 })
      .toContain('action failed');
    await expect
      .poll(() => page.locator('[data-pair="hooli"]').textContent(), { timeout: 20_000 })
      .toContain('Standby down');
    await expect
      .poll(() => page.locator('[data-pair="initech"]').textContent(), { timeout: 20_000 })
      .toMatch(/\b([5-9]|\d\d)\/100/);
    // Availability from the day of history has arrived for the visible rows.
    await expect
      .poll(() => page.locator('[data-pair="wayne"]').textContent(), { timeout: 10_000 })
      .toMatch(/9\d\.\d+%/);

    const order = await page.locator('[data-pair]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-pair')));
    expect(order.slice(0, 2).sort()).toEqual(['globex', 'stark']);
    expect(order[0]).toBe('stark');

    await mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'overview.png') });

    await page.getByRole('link', { name: 'Globex' }).click();
    await page.getByRole('button', { name: '24h' }).click();
    await expect
      .poll(() =>
        page.evaluate(() => (globalThis as { __pbxPerf?: { timelineDraws: number } }).__pbxPerf?.timelineDraws ?? 0),
      )
      .toBeGreaterThan(1);
    await page.getByTestId('action-panel').locator('[data-phase="succeeded"]').waitFor({ timeout: 15_000 });
    const log = await page.getByTestId('event-log').textContent();
    expect(log).toContain('PBX firmware update 68.0.31');
    expect(log).toContain('primary DC back, failback approved by customer');
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(SHOTS, 'timeline.png'), clip: { x: 0, y: 0, width: 1440, height: 820 } });
    expect(errors).toEqual([]);

    // The service stops: the overview says there is no contact and shows only what it last knew.
    await page.getByRole('link', { name: '← Overview' }).click();
    await page.locator('[data-pair="stark"]').waitFor();
    await service.close();
    await page.getByTestId('stale-banner').waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator('[data-pair][data-stale="true"]').count()).toBeGreaterThan(5);
    await page.screenshot({ path: join(SHOTS, 'stale.png') });
  });
});
