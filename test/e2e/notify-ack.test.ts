// An acknowledgement in one browser shows in another: two headless Chromium pages on the real
// service, one acknowledges an alert with a reason, the other shows who and why without a reload.
// The channel list shows the channel masked, and "Send test" reaches the loopback receiver.
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpFixture } from '../helpers/http-fixtures.js';
import { startTestService } from '../helpers/service-harness.js';
import {
  collectPageErrors,
  configXml,
  ensureRendererBuilt,
  launchChromium,
  RENDERER_DIR,
} from './dashboard-harness.js';

let browser: Browser;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  ensureRendererBuilt();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function fixture(): Promise<HttpFixture> {
  const f = await HttpFixture.start({ status: 200 });
  cleanups.push(() => f.close());
  return f;
}

describe('acknowledgement shared by the team, in headless Chromium', () => {
  it('an alert acknowledged in one browser shows as acknowledged (who, why) in another', async () => {
    const primary = await fixture();
    const validation = await fixture();
    const dns = await fixture();
    const slack = await fixture();
    const standby = await fixture();
    const standbyUrl = standby.url('/');
    await standby.refuse();
    const xml = configXml([
      {
        id: 'acme',
        name: 'ACME Corp',
        primaryUrl: primary.url('/'),
        standbyUrl,
        interval: 0.5,
        tolerated: 3,
        validationUrl: validation.url('/'),
        actionUrl: dns.url('/dns'),
      },
    ]).replace(
      '</pbxctrl-failover>',
      `  <notify id="noc-slack" type="slack"><url>${slack.url('/services/T0/B0/SECRETTOKEN')}</url></notify>\n</pbxctrl-failover>`,
    );
    const service = await startTestService({ rendererDir: RENDERER_DIR, xml });
    cleanups.push(() => service.dispose());
    const pages = [];
    for (let i = 0; i < 2; i++) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
      cleanups.push(() => page.close());
      pages.push({ page, errors: collectPageErrors(page) });
    }
    const [a, b] = pages as [(typeof pages)[0], (typeof pages)[0]];
    for (const { page } of pages) {
      await page.goto(service.dashboardUrl);
      await page.locator('[data-connection="live"]').waitFor();
      await page.evaluate(() => {
        (globalThis as unknown as { location: { hash: string } }).location.hash = '#/notifications';
      });
      await page.locator('tr[data-alert="standby-down"]').waitFor({ timeout: 20_000 });
    }

    // The channel, masked, and Send test.
    const row = a.page.locator('tr[data-channel="noc-slack"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('/services/••••••••');
    expect(await a.page.content()).not.toContain('SECRETTOKEN');
    await row.getByRole('button', { name: 'Send test' }).click();
    await expect
      .poll(() => row.getByTestId('test-result').textContent(), { timeout: 10_000 })
      .toMatch(/^\s*sent \(200/);
    expect(slack.requests.some((r) => r.body.includes('Test message'))).toBe(true);

    // Acknowledged in A, with a reason and an operator.
    await a.page.locator('tr[data-alert="standby-down"]').getByRole('button', { name: 'Acknowledge…' }).click();
    await a.page.locator('dialog textarea[name="reason"]').fill('standby in repair');
    await a.page.locator('dialog input[name="operator"]').fill('alice');
    await a.page.locator('dialog').getByRole('button', { name: 'Acknowledge', exact: true }).click();
    await a.page.locator('tr[data-alert="standby-down"] [data-testid="acked-by"]').waitFor();

    // B shows it without a reload.
    const inB = b.page.locator('tr[data-alert="standby-down"] [data-testid="acked-by"]');
    await inB.waitFor({ timeout: 10_000 });
    expect(await inB.textContent()).toMatch(/acknowledged by\s*alice: standby in repair/);
    expect(
      await b.page.locator('tr[data-alert="standby-down"]').getByRole('button', { name: 'Acknowledge…' }).count(),
    ).toBe(0);
    for (const p of pages) expect(p.errors).toEqual([]);
  }, 90_000);
});
