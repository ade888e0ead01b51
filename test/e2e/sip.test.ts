// SIP OPTIONS in the dashboard end to end: real Chromium against the real service, a loopback HTTP primary and
// the scripted SIP responder. The editor adds a pair with a primary SIP URI, "Test now" shows both halves, and when
// the SIP stack goes silent while HTTP still answers the pair fails over and its page says which half failed.
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpFixture } from '../helpers/http-fixtures.js';
import { startTestService } from '../helpers/service-harness.js';
import { startSipResponder } from '../helpers/sip-responder.js';
import { collectPageErrors, ensureRendererBuilt, launchChromium, RENDERER_DIR } from './dashboard-harness.js';

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

describe('SIP OPTIONS in the dashboard', () => {
  it('adds a pair with a primary SIP URI, tests it, and shows the SIP half that decided the failover', async () => {
    const [primary, validation, receiver] = [await fixture(), await fixture(), await fixture()];
    const sip = await startSipResponder();
    cleanups.push(() => sip.close());
    const s = await startTestService({ rendererDir: RENDERER_DIR });
    cleanups.push(() => s.dispose());
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    cleanups.push(() => page.close());
    const errors = collectPageErrors(page);
    await page.goto(s.dashboardUrl);
    await page.locator('[data-connection="live"]').waitFor();

    await page.getByRole('link', { name: '+ Add pair' }).first().click();
    await page.getByLabel('Id', { exact: true }).fill('acme');
    await page.getByLabel('Name', { exact: true }).fill('ACME Corp');
    await page.getByLabel('Primary URL').fill(primary.url('/'));
    await page.getByLabel('Interval (s)').fill('0.3');
    await page.getByLabel('Tolerated failures').fill('1');
    await page.getByLabel('Timeout (s, optional)').fill('0.6');
    await page.getByLabel('Validation URL 1', { exact: true }).fill(validation.url('/'));
    await page.getByLabel('URL', { exact: true }).fill(receiver.url('/dns'));
    expect(await page.getByTestId('sip-explained').textContent()).toContain('200-299,403,404,405,488');
    await page.getByLabel('Primary SIP URI').fill(`sip:127.0.0.1:${sip.tcpPort}`);
    await page.locator('select[name="primarySip-transport"]').selectOption('tcp');

    await page.getByRole('button', { name: 'Test now' }).click();
    const results = page.getByRole('table', { name: 'Test results' });
    await results.waitFor();
    const primaryRow = results.locator('tbody tr').first();
    expect(await primaryRow.getAttribute('data-ok')).toBe('true');
    expect(await primaryRow.locator('[data-half="SIP"]').textContent()).toMatch(/✓ SIP 200 in/);
    expect(sip.requests.map((q) => q.transport)).toEqual(['tcp']);

    await page.getByRole('button', { name: 'Add pair', exact: true }).click();
    await page.waitForURL(/#\/pair\/acme/, { timeout: 10_000 }).catch(async () => {
      throw new Error(`not saved: ${await page.locator('form').innerText()}`);
    });
    const state = page.getByTestId('pair-state');
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 15_000 }).toBe('waiting');
    expect(await page.getByTestId('primary-halves').textContent()).toMatch(/✓ HTTP 200 .*✓ SIP 200/);

    sip.silent = true;
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 15_000 }).toBe('failover');
    await expect.poll(() => receiver.hits, { timeout: 10_000 }).toBe(1);
    const decision = page.getByTestId('decision');
    await expect
      .poll(() => decision.locator('[data-half="SIP"]').first().textContent(), { timeout: 10_000 })
      .toBe(' ✕ SIP no SIP answer in 0.6 s');
    expect(await decision.locator('[data-half="HTTP"]').first().textContent()).toMatch(/✓ HTTP 200/);
    expect(errors).toEqual([]);
  });
});
