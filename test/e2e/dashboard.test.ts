// The dashboard end to end: real headless Chromium against the real headless
// service, with loopback primaries, a validation site and an action receiver.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpFixture, sleep } from '../helpers/http-fixtures.js';
import { CONFIG_FILE, startTestService, type TestService } from '../helpers/service-harness.js';
import type { PairStatus } from '../../src/shared/model.js';
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

async function fixture(status = 200): Promise<HttpFixture> {
  const f = await HttpFixture.start({ status });
  cleanups.push(() => f.close());
  return f;
}

async function service(xml?: string): Promise<TestService> {
  const s = await startTestService({ rendererDir: RENDERER_DIR, ...(xml ? { xml } : {}) });
  cleanups.push(() => s.dispose());
  return s;
}

async function openDashboard(s: TestService): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  cleanups.push(() => page.close());
  const errors = collectPageErrors(page);
  await page.goto(s.dashboardUrl);
  await page.locator('[data-connection="live"]').waitFor();
  return { page, errors };
}

async function operatorAction(page: Page, open: string, confirm: string, name: string, reason: string): Promise<void> {
  await page.getByRole('button', { name: open }).click();
  const dialog = page.getByRole('dialog');
  const button = dialog.getByRole('button', { name: confirm, exact: true });
  await dialog.getByLabel(/Reason/).fill(reason);
  expect(await button.isDisabled()).toBe(true);
  await dialog.getByLabel(/Type the pair's name/).fill(name);
  await button.click();
  await dialog.getByText('Done:').waitFor({ timeout: 10_000 });
  await dialog.getByRole('button', { name: 'Close', exact: true }).last().click();
  await dialog.waitFor({ state: 'detached' });
}

const stateOf = (page: Page) => page.getByTestId('pair-state').getAttribute('data-state');

describe('dashboard in headless Chromium', () => {
  it('adds a pair in the editor, watches it reach waiting, then fail over when its primary stops', async () => {
    const primary = await fixture();
    const validation = await fixture();
    const receiver = await fixture();
    // The DNS API fails once: the dashboard shows both attempts.
    receiver.script({ status: 500 });
    const s = await service();
    const { page, errors } = await openDashboard(s);
    // The token left the address bar.
    expect(page.url()).not.toContain('token');

    await page.getByText('No pairs yet').waitFor();
    await page.getByRole('link', { name: '+ Add pair' }).first().click();
    await page.getByLabel('Id', { exact: true }).fill('acme');
    await page.getByLabel('Name', { exact: true }).fill('ACME Corp');
    await page.getByLabel('Primary URL').fill(primary.url('/'));
    await page.getByLabel('Interval (s)').fill('0.2');
    await page.getByLabel('Tolerated failures').fill('2');
    // Generous for a loaded test machine: a refused connection fails at once anyway.
    await page.getByLabel('Timeout (s, optional)').fill('2');
    await page.getByLabel('Validation URL 1', { exact: true }).fill(validation.url('/'));
    await page.getByLabel('URL', { exact: true }).fill(receiver.url('/dns?pair={pair}&to={to}'));
    // "Test now" runs one check of each URL from the watcher, before anything is saved.
    await page.getByRole('button', { name: 'Test now' }).click();
    const results = page.getByRole('table', { name: 'Test results' });
    await results.waitFor();
    expect(await results.locator('tr[data-ok="true"]').count()).toBe(2);
    expect(await results.textContent()).toContain(primary.url('/'));
    expect(receiver.hits).toBe(0);
    await page.getByRole('button', { name: 'Add pair', exact: true }).click();

    await expect.poll(() => stateOf(page), { timeout: 15_000 }).toBe('waiting');
    expect(receiver.hits).toBe(0);

    await primary.refuse();
    await expect.poll(() => stateOf(page), { timeout: 15_000 }).toBe('failover');
    const log = page.getByTestId('event-log');
    await expect.poll(() => log.textContent(), { timeout: 10_000 }).toContain('waiting → verifying');
    expect(await log.textContent()).toContain('verifying → failover');

    const action = page.getByTestId('action-panel');
    await action.locator('[data-phase="succeeded"]').waitFor({ timeout: 15_000 });
    const attempts = action.locator('tbody tr');
    await expect.poll(() => attempts.count()).toBe(2);
    expect(await attempts.nth(0).textContent()).toContain('500');
    expect(await attempts.nth(1).textContent()).toContain('✓ ok');
    expect(receiver.hits).toBe(2);
    expect(receiver.requests[1]!.url).toBe('/dns?pair=acme&to=failover');

    const unread = page.getByTestId('unread-count');
    await expect.poll(async () => Number(await unread.textContent()), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    await page.getByRole('link', { name: /^Notifications/ }).click();
    const failoverAlert = page.locator('tr[data-alert="failover"]');
    await failoverAlert.first().waitFor();
    expect(await failoverAlert.first().textContent()).toContain('ACME Corp');
    // Acknowledging all (with a reason, for the team) clears the count, and the acknowledgement survives a reload.
    await page.getByRole('button', { name: 'Acknowledge all…' }).click();
    await page.locator('dialog textarea[name="reason"]').fill('seen the failover');
    await page.locator('dialog').getByRole('button', { name: 'Acknowledge', exact: true }).click();
    await expect.poll(() => unread.count()).toBe(0);
    await page.reload();
    await page.locator('tr[data-alert="failover"]').first().waitFor();
    expect(await page.getByTestId('unread-count').count()).toBe(0);

    expect(errors).toEqual([]);
  });

  it('performs a controlled failover: typed confirmation, one request, the reason in the audit log', async () => {
    const primary = await fixture();
    const validation = await fixture();
    const receiver = await fixture();
    const s = await service(
      configXml([
        {
          id: 'globex',
          name: 'Globex',
          primaryUrl: primary.url('/'),
          interval: 0.2,
          tolerated: 3,
          validationUrl: validation.url('/'),
          actionUrl: receiver.url('/dns'),
        },
      ]),
    );
    const { page, errors } = await openDashboard(s);
    await page.locator('[data-pair="globex"][data-state="waiting"]').waitFor({ timeout: 15_000 });
    await page.getByRole('link', { name: 'Globex' }).click();
    await expect.poll(() => stateOf(page)).toBe('waiting');

    await page.getByRole('button', { name: 'Fail over now…' }).click();
    const dialog = page.getByRole('dialog');
    const confirm = dialog.getByRole('button', { name: 'Fail over now' });
    expect(await dialog.getByTestId('request-preview').textContent()).toContain(`POST ${receiver.url('/dns')}`);
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/Type the pair's name/).fill('Globex');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/Reason/).fill('planned move of the primary data center');
    await dialog.getByLabel('Operator').fill('alice');
    expect(await confirm.isDisabled()).toBe(false);
    await confirm.click();

    await dialog.getByText('Done:').waitFor({ timeout: 10_000 });
    await dialog.locator('[data-phase="succeeded"]').waitFor({ timeout: 10_000 });
    expect(await dialog.locator('tbody tr').count()).toBe(1);
    await dialog.getByRole('button', { name: 'Close', exact: true }).last().click();
    expect(await stateOf(page)).toBe('failover');

    // Exactly one request, also a while later.
    await sleep(1000);
    expect(receiver.hits).toBe(1);
    expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({
      pair: 'globex',
      to: 'failover',
      reason: 'planned move of the primary data center',
    });

    // Re-arm (without failback) and pause follow the same pattern, and send nothing.
    await operatorAction(page, 'Re-arm…', 'Re-arm', 'Globex', 'primary DC is back');
    await expect.poll(() => stateOf(page), { timeout: 10_000 }).toMatch(/starting|waiting/);
    await operatorAction(page, 'Pause for maintenance…', 'Pause for maintenance', 'Globex', 'firmware update');
    await expect.poll(() => stateOf(page), { timeout: 10_000 }).toBe('paused');
    expect(receiver.hits).toBe(1);

    await page.getByRole('link', { name: 'Audit log' }).click();
    const row = page.locator('tr[data-action="failover"]');
    await row.first().waitFor();
    const text = await row.first().textContent();
    expect(text).toContain('planned move of the primary data center');
    expect(text).toContain('alice');
    expect(text).toContain('globex');
    expect(await page.locator('tr[data-action="rearm"]').first().textContent()).toContain('primary DC is back');
    expect(await page.locator('tr[data-action="pause"]').first().textContent()).toContain('firmware update');
    expect(errors).toEqual([]);
  });

  it('shows every problem of a broken import and changes nothing', async () => {
    const primary = await fixture();
    const receiver = await fixture();
    const xml = configXml([
      {
        id: 'initech',
        name: 'Initech',
        primaryUrl: primary.url('/'),
        interval: 0.5,
        tolerated: 3,
        actionUrl: receiver.url('/dns'),
      },
    ]);
    const s = await service(xml);
    // The engine writes the pair's state into the file; wait until that has settled.
    await expect
      .poll(async () => (await s.json<PairStatus[]>('/api/pairs'))[0]?.state, { timeout: 15_000 })
      .toBe('waiting');
    await expect
      .poll(() => readFile(join(s.serverdir, CONFIG_FILE), 'utf8'), { timeout: 10_000 })
      .toContain('>waiting</state>');
    await sleep(500);
    const before = await readFile(join(s.serverdir, CONFIG_FILE), 'utf8');
    const pairsBefore = await s.json<PairStatus[]>('/api/pairs');
    const settingsBefore = await s.json('/api/pairs/initech');
    const { page, errors } = await openDashboard(s);

    await page.getByRole('link', { name: 'Import / export' }).click();
    const broken = configXml([
      {
        id: 'initech',
        name: 'Initech',
        primaryUrl: primary.url('/'),
        interval: 0.01,
        tolerated: 3,
        actionUrl: receiver.url('/dns'),
      },
      {
        id: 'hooli',
        name: 'Hooli',
        primaryUrl: 'not a url',
        interval: 1,
        tolerated: 3,
        actionUrl: receiver.url('/dns?x={nosuchvariable}'),
      },
    ]);
    await page.getByText('…or paste the XML').click();
    await page.getByLabel('XML to import').fill(broken);
    await page.getByRole('button', { name: 'Check' }).click();
    const error = page.getByTestId('import-error');
    await error.waitFor();
    const text = (await error.textContent())!;
    expect(text).toContain('pair “initech”, interval');
    expect(text).toContain('pair “hooli”, primary-url');
    expect(text).toContain('nosuchvariable');
    expect(text).toContain('Nothing was changed.');
    expect(await page.getByRole('button', { name: 'Apply import' }).count()).toBe(0);

    expect(await readFile(join(s.serverdir, CONFIG_FILE), 'utf8')).toBe(before);

    // Export downloads the file as the engine writes it.
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export pbxctrl-failover.xml' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('pbxctrl-failover.xml');
    const exported = await readFile((await file.path())!, 'utf8');
    expect(exported).toContain('<pair id="initech">');
    expect(exported).toContain(receiver.url('/dns'));
    expect((await s.json<PairStatus[]>('/api/pairs')).map((p) => p.id)).toEqual(pairsBefore.map((p) => p.id));
    expect((await s.json<{ settings: unknown }>('/api/pairs/initech')).settings).toEqual(
      (settingsBefore as { settings: unknown }).settings,
    );
    // The CSP blocked nothing the dashboard needs.
    expect(errors.filter((e) => !e.includes('400'))).toEqual([]);
  });

  it('asks for the token when the address has none, and works once it is given', async () => {
    const primary = await fixture();
    const receiver = await fixture();
    const s = await service(
      configXml([
        {
          id: 'soylent',
          name: 'Soylent Foods',
          primaryUrl: primary.url('/'),
          interval: 0.5,
          tolerated: 3,
          actionUrl: receiver.url('/dns'),
        },
      ]),
    );
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    cleanups.push(() => page.close());
    await page.goto(`${s.url}/`);
    await page.getByText('Access token needed').waitFor();
    await page.getByLabel('Token').fill(s.token);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.locator('[data-pair="soylent"]').waitFor({ timeout: 15_000 });
    await page.locator('[data-connection="live"]').waitFor({ timeout: 15_000 });
    // The token is kept for the session only, never in the address.
    expect(page.url()).not.toContain(s.token);
    await page.reload();
    await page.locator('[data-pair="soylent"]').waitFor({ timeout: 15_000 });
  });
});
