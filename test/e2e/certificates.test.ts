// Done when, in the dashboard: a pair whose certificate (made by openssl, served by a real TLS server on
// loopback) has 3 days left shows 2 or 3 days in the overview and in the pair's certificate block, in
// real headless Chromium against the real service.
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestService } from '../helpers/service-harness.js';
import { CertFactory, TlsFixture } from '../helpers/tls-fixtures.js';
import { configWith, minimalPair } from '../helpers/xml-samples.js';
import { collectPageErrors, ensureRendererBuilt, launchChromium, RENDERER_DIR } from './dashboard-harness.js';

let browser: Browser;
const certs = new CertFactory();
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  ensureRendererBuilt();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  certs.cleanup();
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('certificate days left in headless Chromium', () => {
  it('shows 2 or 3 days in the overview and the pair page for a certificate with 3 days left', async () => {
    const tls = await TlsFixture.start(certs.selfSigned('pbx.example.com', 3));
    cleanups.push(() => tls.close());
    const xml = configWith(
      minimalPair('acme', `<certificates><check name="pbx.example.com" address="${tls.address}"/></certificates>`),
    );
    const service = await startTestService({ rendererDir: RENDERER_DIR, xml });
    cleanups.push(() => service.dispose());
    const page = await browser.newPage({ viewport: { width: 1500, height: 700 } });
    cleanups.push(() => page.close());
    const errors = collectPageErrors(page);
    await page.goto(service.dashboardUrl);
    const cell = page.locator('[data-pair="acme"] [data-testid="certificate-days"]');
    await cell.filter({ hasText: /^\s*\d+\s*$/ }).waitFor({ timeout: 15_000 });
    expect(['2', '3']).toContain((await cell.textContent())!.trim());
    expect(await cell.getAttribute('class')).toContain('cert-critical');

    await page.locator('[data-pair="acme"] a').click();
    const row = page.locator('[data-testid="certificate"]');
    await row.waitFor({ timeout: 15_000 });
    const days = (await row.locator('[data-testid="certificate-days-left"]').textContent())!.replace(/\s+/g, ' ');
    expect(days).toMatch(/^[23] critical$/);
    expect(await row.textContent()).toContain('pbx.example.com');
    expect(errors).toEqual([]);
  });
});
