// The first screen's pair list is requested by public/boot.js before the dashboard's bundle has run,
// and the app takes that answer instead of asking again (issue #17: the list on its way while the
// scripts download). Real Chromium against the real service.
import type { Browser, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { HttpFixture } from '../helpers/http-fixtures.js';
import { startTestService, type TestService } from '../helpers/service-harness.js';
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

it('asks for the pair list once, in columns, before the bundle runs, with the token from the address; loads a view on the way to its link', async () => {
  const site = await HttpFixture.start();
  cleanups.push(() => site.close());
  const s: TestService = await startTestService({
    rendererDir: RENDERER_DIR,
    xml: configXml([
      {
        id: 'acme',
        name: 'ACME',
        primaryUrl: site.url('/p'),
        interval: 1,
        tolerated: 2,
        validationUrl: site.url('/v'),
        actionUrl: site.url('/a'),
      },
    ]),
  });
  cleanups.push(() => s.dispose());
  const page = await browser.newPage();
  cleanups.push(() => page.close());
  const errors = collectPageErrors(page);
  const requests: Request[] = [];
  page.on('request', (r) => requests.push(r));
  await page.goto(s.dashboardUrl);
  await page.getByText('ACME').first().waitFor();
  const paths = requests.map((r) => new URL(r.url()).pathname);
  const listIndex = paths.indexOf('/api/pairs');
  expect(listIndex).toBeGreaterThanOrEqual(0);
  expect(paths.filter((p) => p === '/api/pairs')).toHaveLength(1);
  // The list was asked for by boot.js (async, beside the bundle's own requests), before the bundle ran.
  const { listAskedAt, bundleRanAt } = await page.evaluate(() => ({
    listAskedAt: performance.getEntriesByType('resource').find((e) => e.name.includes('/api/pairs?'))?.startTime,
    bundleRanAt: performance.getEntriesByName('bundle-running')[0]?.startTime,
  }));
  expect(listAskedAt).toBeDefined();
  expect(bundleRanAt).toBeDefined();
  expect(listAskedAt!).toBeLessThan(bundleRanAt!);
  expect(await requests[listIndex]!.headerValue('authorization')).toBe(`Bearer ${s.token}`);
  // In the compact form (shared/pair-columns.ts), which the app reads back into the statuses shown.
  expect(new URL(requests[listIndex]!.url()).search).toBe('?format=columns');
  expect(errors).toEqual([]);

  // The other views are not loaded with the first screen, only as the pointer heads for a link to one.
  const detailChunk = (r: Request) => /\/assets\/PairDetail-.*\.js$/.test(new URL(r.url()).pathname);
  expect(requests.some(detailChunk)).toBe(false);
  const loading = page.waitForRequest(detailChunk);
  await page.getByRole('link', { name: 'ACME' }).hover();
  await loading;
  await page.getByRole('link', { name: 'ACME' }).click();
  await page.getByRole('heading', { name: 'ACME' }).first().waitFor();
  expect(errors).toEqual([]);
});
