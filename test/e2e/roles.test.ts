// Roles and the two-person rule in real headless Chromium against the real service: a viewer's
// dashboard shows the failover button disabled with the reason; with the rule, one operator's request
// shows as a banner in another operator's dashboard, whose approval fires the action once.
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpFixture } from '../helpers/http-fixtures.js';
import { jsonBody, startTestService, waitFor, type TestService } from '../helpers/service-harness.js';
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

async function service(policy: boolean): Promise<{ s: TestService; receiver: HttpFixture }> {
  const [primary, validation, receiver] = await Promise.all([
    HttpFixture.start(),
    HttpFixture.start(),
    HttpFixture.start(),
  ]);
  cleanups.push(() => Promise.all([primary.close(), validation.close(), receiver.close()]));
  let xml = configXml([
    {
      id: 'acme',
      name: 'ACME Corp',
      primaryUrl: primary.url('/'),
      validationUrl: validation.url('/'),
      actionUrl: receiver.url('/dns'),
      interval: 0.5,
      tolerated: 3,
    },
  ]);
  if (policy) xml = xml.replace(/(<pbxctrl-failover[^>]*>)/, '$1\n  <policy two-person="failover"/>');
  const s = await startTestService({ rendererDir: RENDERER_DIR, xml });
  cleanups.push(() => s.dispose());
  return { s, receiver };
}

async function token(s: TestService, name: string, role: string): Promise<string> {
  return (await s.json<{ token: string }>('/api/tokens', jsonBody('POST', { name, role }))).token;
}

async function open(s: TestService, tokenValue: string, hash = '') {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  cleanups.push(() => page.close());
  const errors = collectPageErrors(page);
  await page.goto(`${s.url}/#token=${tokenValue}`);
  await page.locator('[data-connection="live"]').waitFor();
  if (hash)
    await page.evaluate((h) => ((globalThis as unknown as { location: { hash: string } }).location.hash = h), hash);
  return { page, errors };
}

describe('roles in the browser', () => {
  it('a viewer sees the failover button disabled, with the reason', async () => {
    const { s } = await service(false);
    const { page, errors } = await open(s, await token(s, 'wall', 'viewer'), '#/pair/acme');
    const button = page.getByRole('button', { name: 'Fail over now…' });
    await button.waitFor();
    expect(await button.isDisabled()).toBe(true);
    expect(await page.getByTestId('actions-denied').textContent()).toBe(
      'Your token “wall” has role viewer; this needs role operator.',
    );
    expect(await page.getByTestId('whoami').textContent()).toMatch(/wall · viewer/);
    expect(errors).toEqual([]);
  }, 60_000);

  it('a second operator approves a held failover from the banner, and the action fires once', async () => {
    const { s, receiver } = await service(true);
    const alice = await token(s, 'alice', 'operator');
    const bob = await token(s, 'bob', 'operator');
    const { page } = await open(s, bob);
    const res = await fetch(`${s.url}/api/pairs/acme/failover`, {
      ...jsonBody('POST', { reason: 'PBX A drops calls' }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${alice}` },
    });
    expect(res.status).toBe(202);
    const banner = page.getByTestId('request-banner');
    await banner.waitFor({ timeout: 15_000 });
    expect(await banner.textContent()).toMatch(/alice asks for a manual failover of ACME Corp: “PBX A drops calls”/);
    expect(receiver.hits).toBe(0);
    await page.getByLabel('Your reason').fill('confirmed on the phone');
    await page.getByRole('button', { name: 'Approve' }).click();
    await waitFor('the action', () => receiver.hits >= 1);
    await banner.waitFor({ state: 'detached', timeout: 15_000 });
    expect((await s.json<PairStatus>('/api/pairs/acme')).state).toBe('failover');
    expect(receiver.hits).toBe(1);
  }, 60_000);
});
