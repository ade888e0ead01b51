// The dashboard must never look live when it is not: real headless Chromium against the real
// service, which is then stopped. Within the grace the banner says since when there is no contact,
// every row is marked stale and the "in state" timers stop.
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

describe('the stale view in headless Chromium', () => {
  it('shows the banner and marks every row stale when the service stops, with the timers stopped', async () => {
    const validation = await fixture();
    const dns = await fixture();
    const primaries = [await fixture(), await fixture()];
    const xml = configXml(
      ['acme', 'globex'].map((id, i) => ({
        id,
        name: id === 'acme' ? 'ACME Corp' : 'Globex',
        primaryUrl: primaries[i]!.url('/'),
        interval: 0.5,
        tolerated: 3,
        validationUrl: validation.url('/'),
        actionUrl: dns.url('/dns'),
      })),
    );
    const service = await startTestService({ rendererDir: RENDERER_DIR, xml });
    cleanups.push(() => service.dispose());
    const page = await browser.newPage({ viewport: { width: 1400, height: 700 } });
    cleanups.push(() => page.close());
    const errors = collectPageErrors(page);
    await page.goto(service.dashboardUrl);
    await page.locator('[data-connection="live"]').waitFor();
    await page.locator('[data-pair="acme"][data-state="waiting"]').waitFor({ timeout: 20_000 });
    await page.locator('[data-pair="globex"][data-state="waiting"]').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('stale-banner').count()).toBe(0);
    expect(await page.locator('[data-pair][data-stale]').count()).toBe(0);

    await service.close();
    const banner = page.getByTestId('stale-banner');
    await banner.waitFor({ timeout: 15_000 });
    expect(await banner.textContent()).toMatch(/No contact with the service since \d\d:\d\d:\d\d/);
    expect(await banner.textContent()).toContain('2 pairs: 2 waiting');
    expect(await page.locator('[data-pair][data-stale="true"]').count()).toBe(2);
    expect(await page.locator('[data-connection="no contact"]').count()).toBe(1);

    // The timers are stopped: "at least" the time in state at the moment contact was lost, and it does not move.
    const inState = () => page.locator('[data-pair="acme"] [role="cell"]').nth(2).textContent();
    const first = await inState();
    expect(first).toMatch(/^≥ /);
    await expect.poll(() => banner.textContent(), { timeout: 10_000 }).not.toMatch(/\((\d)s ago\)/);
    expect(await inState()).toBe(first);
    // The only errors are the failed reconnects to the stopped service.
    expect(errors.filter((e) => !/ERR_CONNECTION_REFUSED|Failed to fetch|Failed to load resource/.test(e))).toEqual([]);
  });

  it('says "token rejected: ask for a new one" for a wrong token', async () => {
    const service = await startTestService({ rendererDir: RENDERER_DIR });
    cleanups.push(() => service.dispose());
    const page = await browser.newPage({ viewport: { width: 1200, height: 600 } });
    cleanups.push(() => page.close());
    await page.goto(`${service.url}/#token=not-the-token`);
    await page.getByTestId('token-rejected').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('token-rejected').textContent()).toBe('Token rejected: ask for a new one');
    await page.locator('[data-connection="token rejected"]').waitFor();
    // The right token connects.
    await page.getByLabel('Token').fill(service.token);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.locator('[data-connection="live"]').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('token-rejected').count()).toBe(0);
  });
});
