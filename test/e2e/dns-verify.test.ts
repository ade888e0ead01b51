// `<dns-verify>` in the dashboard end to end: real Chromium against the real service, two real
// PowerDNS servers on loopback. The failover's action changes the record on the first server only;
// the pair page shows the first server green and the second red, then the second turning green once
// its record changes too; a pair whose receiver says 200 and changes nothing is marked in the overview.

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeConfigXml } from '../../src/core/config-xml.js';
import type { PairSettings } from '../../src/shared/model.js';
import { pairSettings } from '../helpers/engine-fixtures.js';
import { HttpFixture } from '../helpers/http-fixtures.js';
import { LocalPowerDns } from '../helpers/pdns-local.js';
import { jsonBody, startTestService, type TestService } from '../helpers/service-harness.js';
import { collectPageErrors, ensureRendererBuilt, launchChromium, RENDERER_DIR } from './dashboard-harness.js';

const ZONE = 'pbx.test.';
const OLD = '127.0.0.10';
const NEW = '127.0.0.20';
let browser: Browser;
let first: LocalPowerDns;
let second: LocalPowerDns;
let primary: HttpFixture;
let liar: HttpFixture;
let service: TestService;

function pair(id: string, actionUrl: string, within: number): { settings: PairSettings; dns: string } {
  const base = pairSettings({ id, name: `Pair ${id}`, primaryUrl: primary.url(`/${id}`), actionUrl });
  const body = JSON.stringify({
    rrsets: [
      {
        name: `${id}.${ZONE}`,
        type: 'A',
        ttl: 60,
        changetype: 'REPLACE',
        records: [{ content: NEW, disabled: false }],
      },
    ],
  });
  return {
    settings: {
      ...base,
      interval: 1,
      action: { ...base.action, method: 'PATCH', headers: [{ name: 'X-API-Key', value: first.apiKey }], body },
    },
    dns: `<dns-verify name="${id}.${ZONE}" failover="${NEW}" within="${within}"><server>${first.server}</server><server>${second.server}</server></dns-verify>`,
  };
}

beforeAll(async () => {
  ensureRendererBuilt();
  const records = ['acme', 'liar'].map((name) => ({ name, type: 'A', content: OLD }));
  [first, second, primary, liar] = await Promise.all([
    LocalPowerDns.start(ZONE, records),
    LocalPowerDns.start(ZONE, records),
    HttpFixture.start({ status: 200 }),
    HttpFixture.start({ status: 200 }),
  ]);
  const pairs = [pair('acme', first.zoneUrl, 60), pair('liar', liar.url('/api'), 3)];
  let xml = serializeConfigXml({ pairs: pairs.map((p) => ({ settings: p.settings })) });
  for (const p of pairs)
    xml = xml.replace(`<pair id="${p.settings.id}">`, `<pair id="${p.settings.id}">\n    ${p.dns}`);
  service = await startTestService({ rendererDir: RENDERER_DIR, xml });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await service?.dispose();
  await Promise.all([first?.stop(), second?.stop(), primary?.close(), liar?.close()]);
});

/** The dashboard, signed in (the token in the address) and live. */
async function open(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = collectPageErrors(page);
  await page.goto(service.dashboardUrl);
  await page.locator('[data-connection="live"]').waitFor();
  return { page, errors };
}

describe('DNS verification in the dashboard', () => {
  it('shows each server turning green during the verification, then converged', async () => {
    const { page, errors } = await open();
    await page.locator('[data-pair="acme"] a').click();
    const block = page.getByTestId('dns-verify');
    await block.waitFor();
    expect(await block.getAttribute('data-phase')).toBe('idle');
    await service.json('/api/pairs/acme/failover', jsonBody('POST', { reason: 'drill' }));
    const row = (server: string) => block.locator(`[data-server="${server}"]`);
    await row(first.server).and(page.locator('[data-ok="true"]')).waitFor({ timeout: 15_000 });
    await row(second.server).and(page.locator('[data-ok="false"]')).waitFor({ timeout: 15_000 });
    expect(await row(second.server).textContent()).toContain(OLD);
    expect(await block.getAttribute('data-phase')).toBe('checking');
    await second.replace('acme', 'A', [NEW]);
    await page.locator('[data-testid="dns-verify"][data-phase="converged"]').waitFor({ timeout: 15_000 });
    expect(await row(second.server).getAttribute('data-ok')).toBe('true');
    await page
      .getByTestId('event-log')
      .getByText(/DNS converged in [\d.]+ s/)
      .waitFor();
    expect(errors).toEqual([]);
    await page.close();
  });

  it('marks in the overview a pair whose failover has not converged', async () => {
    const { page, errors } = await open();
    await service.json('/api/pairs/liar/failover', jsonBody('POST', { reason: 'drill' }));
    await page.locator('[data-pair="liar"] [data-testid="dns-not-converged"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-pair="acme"] [data-testid="dns-not-converged"]').count()).toBe(0);
    // The primary still answers (a manual failover), so the row's note warns of that; the mark says the DNS.
    const mark = page.locator('[data-pair="liar"] [data-testid="dns-not-converged"]');
    expect(await mark.textContent()).toBe('DNS ✕');
    expect(await mark.getAttribute('title')).toMatch(/did not all answer the expected records/);
    // The worst first: above the pair whose DNS converged.
    const order = await page.locator('[data-pair]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-pair')));
    expect(order.indexOf('liar')).toBeLessThan(order.indexOf('acme'));
    expect(errors).toEqual([]);
    await page.close();
  });
});
