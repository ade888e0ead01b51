// An import that would remove pairs, end to end: real headless Chromium against the real service.
// The dry run shows the pairs the file lacks with their states (the one in failover marked), merge
// keeps them, and replace removes them only after the typed word and a reason, which reach the
// audit log. Also writes docs/screenshots/import-confirm.png for the README.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpFixture } from '../helpers/http-fixtures.js';
import { jsonBody, REPO_ROOT, startTestService, type TestService } from '../helpers/service-harness.js';
import type { HistoryEvent, PairStatus } from '../../src/shared/model.js';
import {
  collectPageErrors,
  configXml,
  ensureRendererBuilt,
  launchChromium,
  RENDERER_DIR,
  type PairXmlOptions,
} from './dashboard-harness.js';

const SHOTS = join(REPO_ROOT, 'docs', 'screenshots');

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

interface Bed {
  s: TestService;
  page: Page;
  errors: string[];
  pair: (id: string, name: string, interval?: number) => PairXmlOptions;
}

/** Three pairs watched, one of them failed over by an operator; the dashboard open on Import / export. */
async function bed(): Promise<Bed> {
  const primary = await fixture();
  const validation = await fixture();
  const receiver = await fixture();
  const pair = (id: string, name: string, interval = 0.5): PairXmlOptions => ({
    id,
    name,
    primaryUrl: primary.url(`/${id}`),
    interval,
    tolerated: 3,
    validationUrl: validation.url('/'),
    actionUrl: receiver.url('/dns'),
  });
  const s = await startTestService({
    rendererDir: RENDERER_DIR,
    xml: configXml([pair('acme', 'ACME Corp'), pair('globex', 'Globex'), pair('initech', 'Initech')]),
  });
  cleanups.push(() => s.dispose());
  await expect
    .poll(async () => (await s.json<PairStatus[]>('/api/pairs')).every((p) => p.state === 'waiting'), {
      timeout: 20_000,
    })
    .toBe(true);
  await s.json('/api/pairs/globex/failover', jsonBody('POST', { reason: 'primary DC flooded', operator: 'maria' }));

  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  cleanups.push(() => page.close());
  const errors = collectPageErrors(page);
  await page.goto(s.dashboardUrl);
  await page.locator('[data-connection="live"]').waitFor();
  await page.locator('[data-pair="globex"][data-state="failover"]').waitFor({ timeout: 15_000 });
  await page.getByRole('link', { name: 'Import / export' }).click();
  // The file keeps ACME with a new interval and adds Hooli; Globex (in failover) and Initech are not in it.
  const file = configXml([pair('acme', 'ACME Corp', 1), pair('hooli', 'Hooli')]);
  await page.getByText('…or paste the XML').click();
  await page.getByLabel('XML to import').fill(file);
  await page.getByRole('button', { name: 'Check' }).click();
  await page.getByTestId('import-lacking').waitFor();
  return { s, page, errors, pair };
}

const ids = async (s: TestService) => (await s.json<PairStatus[]>('/api/pairs')).map((p) => p.id).sort();

describe('import confirmation in headless Chromium', () => {
  it('a dry run shows the pairs the file lacks, with their states, before anything changes', async () => {
    const { s, page, errors } = await bed();
    const lacking = page.getByTestId('import-lacking');
    expect(
      await lacking.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-pair'))),
    ).toEqual(['globex', 'initech']);
    const globex = lacking.locator('tr[data-pair="globex"]');
    expect(await globex.locator('[data-state]').getAttribute('data-state')).toBe('failover');
    expect(await globex.textContent()).toContain('in failover');
    expect(await page.getByRole('radio', { name: /Merge/ }).isChecked()).toBe(true);
    const preview = page.getByTestId('import-changes');
    expect(await preview.locator('tr[data-pair="hooli"]').getAttribute('data-change')).toBe('added');
    expect(await preview.locator('tr[data-pair="acme"]').getAttribute('data-change')).toBe('changed');
    expect(await preview.locator('tr[data-pair="acme"]').textContent()).toContain('interval');

    // Replace chosen on purpose: the screenshot shows what the operator must confirm.
    await page.getByRole('radio', { name: /Replace/ }).click();
    await page.getByLabel(/Type replace/).fill('repl');
    expect(await page.getByRole('button', { name: 'Apply import and remove 2' }).isDisabled()).toBe(true);
    // The pasted text folded away and a window tall enough for the whole confirmation.
    await page.getByText('…or paste the XML').click();
    await page.setViewportSize({ width: 1280, height: 1230 });
    await page.locator('main').evaluate((m) => m.scrollTo(0, 0));
    await mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'import-confirm.png') });

    // Nothing changed by looking.
    expect(await ids(s)).toEqual(['acme', 'globex', 'initech']);
    expect(errors).toEqual([]);
  });

  // Needs the API's import modes (PUT /api/config.xml?mode=merge): until then the service replaces.
  it('merge, the default, adds and updates and keeps the pairs the file lacks', async () => {
    const { s, page, errors } = await bed();
    await page.getByRole('button', { name: 'Apply import', exact: true }).click();
    await page.getByTestId('import-result').waitFor();
    expect(await ids(s)).toEqual(['acme', 'globex', 'hooli', 'initech']);
    expect((await s.json<PairStatus>('/api/pairs/globex')).state).toBe('failover');
    expect((await s.json<PairStatus>('/api/pairs/acme')).interval).toBe(1);
    expect(errors).toEqual([]);
  });

  it('replace removes them only after the typed word and a reason, and the audit log says why', async () => {
    const { s, page, errors } = await bed();
    await page.getByRole('radio', { name: /Replace/ }).click();
    const apply = page.getByRole('button', { name: 'Apply import and remove 2' });
    await page.getByLabel(/Type replace/).fill('replace');
    expect(await apply.isDisabled()).toBe(true);
    await page.getByLabel(/Reason/).fill('Globex and Initech moved to the new platform');
    expect(await apply.isDisabled()).toBe(false);
    await apply.click();
    await page.getByTestId('import-result').waitFor();
    expect(await ids(s)).toEqual(['acme', 'hooli']);
    expect(await page.getByRole('status').filter({ hasText: 'Back to the overview' }).textContent()).toContain(
      '2 removed',
    );
    const audit = await s.json<HistoryEvent[]>('/api/audit');
    expect(
      audit.some((e) => e.type === 'operator' && e.reason === 'Globex and Initech moved to the new platform'),
    ).toBe(true);
    expect(errors).toEqual([]);
  });
});
