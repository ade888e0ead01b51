// GET /api/pairs?format=columns against the real service: the same statuses as the plain list, in
// fewer bytes; the plain list is unchanged for every other client, and an unknown format is refused.
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { PairStatus } from '../../src/shared/model.js';
import { fromPairColumns } from '../../src/shared/pair-columns.js';
import { configXml, startTestService, waitFor, type TestService } from '../helpers/service-harness.js';
import { HttpFixture } from '../helpers/http-fixtures.js';

let site: HttpFixture;
let svc: TestService;

beforeEach(async () => {
  site = await HttpFixture.start();
  const pair = (id: string, name: string) => ({
    id,
    name,
    primaryUrl: site.url(`/${id}`),
    validationUrl: site.url('/v'),
    actionUrl: site.url('/a'),
    interval: 0.1,
    toleratedFailures: 1,
  });
  svc = await startTestService({ xml: configXml([pair('acme', 'ACME Corp'), pair('beta', 'Beta')]) });
});

afterEach(async () => {
  await svc.dispose();
  await site.close();
});

it('answers the same statuses in columns, and the plain list as before', async () => {
  await waitFor('both pairs checked', async () => {
    const list = await svc.json<PairStatus[]>('/api/pairs');
    return list.every((p) => p.state === 'waiting' && p.lastPrimary);
  });
  // Pause both so that nothing moves between the reads.
  for (const id of ['acme', 'beta']) {
    const res = await svc.api(`/api/pairs/${id}/pause`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'hold still' }),
    });
    expect(res.status).toBe(200);
  }
  // A check already in flight when the pause came still lands: take the two shapes from a moment
  // in which the plain list read the same before and after the columns.
  let plainText = '';
  let columnsText = '';
  await waitFor('two reads with nothing moving between them', async () => {
    const before = await (await svc.api('/api/pairs')).text();
    columnsText = await (await svc.api('/api/pairs?format=columns')).text();
    plainText = await (await svc.api('/api/pairs')).text();
    return before === plainText;
  });
  const plain = JSON.parse(plainText) as PairStatus[];
  expect(Array.isArray(plain)).toBe(true);
  expect(plain.map((p) => p.id).sort()).toEqual(['acme', 'beta']);
  expect(fromPairColumns(JSON.parse(columnsText))).toEqual(plain);
  expect(columnsText.length).toBeLessThan(plainText.length);
});

it('refuses a format it does not know, naming the parameter', async () => {
  const res = await svc.api('/api/pairs?format=csv');
  expect(res.status).toBe(400);
  expect(await res.text()).toMatch(/format/);
});
