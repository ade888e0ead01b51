// Destructive actions through real HTTP: removing a pair needs a reason and refuses a pair in
// failover or with an action in flight unless force=true; an import merges or replaces, and its
// dry run shows the live state of every existing pair it touches.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiErrorBody } from '../../src/shared/api.js';
import type { HistoryEvent, ImportResult, PairStatus } from '../../src/shared/model.js';
import { HttpFixture } from '../helpers/http-fixtures.js';
import {
  CONFIG_FILE,
  configXml,
  jsonBody,
  startTestService,
  waitFor,
  type TestPair,
  type TestService,
} from '../helpers/service-harness.js';

let primary: HttpFixture;
let validation: HttpFixture;
let receiver: HttpFixture;
let svc: TestService;
let pairs: TestPair[];
const xml = (list: TestPair[]) => configXml(list).replaceAll('timeout="2"', 'timeout="8"');

beforeEach(async () => {
  [primary, validation, receiver] = await Promise.all([HttpFixture.start(), HttpFixture.start(), HttpFixture.start()]);
  const base = {
    primaryUrl: primary.url(),
    validationUrl: validation.url(),
    actionUrl: receiver.url('/dns'),
    interval: 0.2,
    retries: 1,
  };
  pairs = [
    { id: 'acme', ...base },
    { id: 'beta', ...base },
    { id: 'gamma', ...base },
  ];
  // A long action timeout: an action held by the receiver stays in flight for the whole test.
  svc = await startTestService({ xml: xml(pairs) });
});

afterEach(async () => {
  await svc.dispose();
  await Promise.all([primary.close(), validation.close(), receiver.close()]);
});

const ids = async () => (await svc.json<PairStatus[]>('/api/pairs')).map((p) => p.id);
const status = async (id: string) => (await svc.json<PairStatus[]>('/api/pairs')).find((p) => p.id === id);
const configFile = () => readFile(join(svc.serverdir, CONFIG_FILE), 'utf8');

async function failOver(id: string): Promise<void> {
  await svc.json(`/api/pairs/${id}/failover`, jsonBody('POST', { reason: 'maintenance' }));
}

describe('DELETE /api/pairs/:id', () => {
  it('needs a reason: 400 naming the field, nothing removed', async () => {
    for (const path of ['/api/pairs/beta', '/api/pairs/beta?reason=%20%20']) {
      const res = await svc.api(path, { method: 'DELETE' });
      expect(res.status).toBe(400);
      expect(((await res.json()) as ApiErrorBody).problems).toEqual([
        expect.objectContaining({ pair: 'beta', field: 'reason' }),
      ]);
    }
    expect(await ids()).toEqual(['acme', 'beta', 'gamma']);
  });

  it('takes the reason from the query or a JSON body, and audits who and why', async () => {
    expect((await svc.api('/api/pairs/beta?reason=customer%20left&operator=alice', { method: 'DELETE' })).status).toBe(
      204,
    );
    expect(
      (await svc.api('/api/pairs/gamma', jsonBody('DELETE', { reason: 'duplicate', operator: 'bob' }))).status,
    ).toBe(204);
    expect(await ids()).toEqual(['acme']);
    expect(await configFile()).not.toContain('id="beta"');
    const audit = await waitFor('both removals in the audit', async () => {
      const events = (await svc.json<HistoryEvent[]>('/api/audit')).filter(
        (e) => e.type === 'operator' && e.action === 'remove',
      );
      return events.length === 2 ? events : undefined;
    });
    expect(audit).toEqual([
      expect.objectContaining({ pair: 'beta', operator: 'alice', reason: 'customer left', outcome: 'ok' }),
      expect.objectContaining({ pair: 'gamma', operator: 'bob', reason: 'duplicate', outcome: 'ok' }),
    ]);
  });

  it('refuses a pair in failover with 409 unless force=true', async () => {
    await failOver('beta');
    await waitFor('the action to finish', async () => (await status('beta'))?.action?.phase === 'succeeded');
    const refused = await svc.api('/api/pairs/beta?reason=cleanup', { method: 'DELETE' });
    expect(refused.status).toBe(409);
    const body = (await refused.json()) as ApiErrorBody;
    expect(body.message).toBe(
      'pair "beta" was not removed: it is in failover; remove it with force=true if that is what you mean',
    );
    expect(await ids()).toEqual(['acme', 'beta', 'gamma']);

    expect((await svc.api('/api/pairs/beta?reason=cleanup&force=true', { method: 'DELETE' })).status).toBe(204);
    expect(await ids()).toEqual(['acme', 'gamma']);
    const audit = await svc.json<HistoryEvent[]>('/api/audit');
    expect(audit.find((e) => e.type === 'operator' && e.action === 'remove')).toMatchObject({
      detail: 'removed "beta" (forced: it is in failover)',
    });
  });
});

describe('PUT /api/config.xml?mode=', () => {
  const put = (query: string, xml: string) =>
    svc.api(`/api/config.xml${query}`, { method: 'PUT', headers: { 'content-type': 'application/xml' }, body: xml });

  it("dry run in replace mode (the default) lists the removals with each pair's live state", async () => {
    await failOver('gamma');
    await waitFor('gamma in failover', async () => (await status('gamma'))?.state === 'failover');
    const file = xml([pairs[0]!, { ...pairs[1]!, interval: 0.3 }, { ...pairs[0]!, id: 'delta' }]);
    for (const query of ['?dry-run=true', '?dry-run=true&mode=replace']) {
      const res = await put(query, file);
      expect(res.status).toBe(200);
      const result = (await res.json()) as ImportResult;
      expect(result.applied).toBe(false);
      expect(result.changes).toEqual([
        { pair: 'acme', change: 'unchanged', state: expect.stringMatching(/^(starting|waiting)$/) },
        { pair: 'beta', change: 'changed', state: expect.stringMatching(/^(starting|waiting)$/), fields: ['interval'] },
        { pair: 'delta', change: 'added' },
        { pair: 'gamma', change: 'removed', state: 'failover' },
      ]);
    }
    expect(await ids()).toEqual(['acme', 'beta', 'gamma']);
  });

  it('merge adds and updates only: pairs the file lacks stay, in place, new ones at the end', async () => {
    const file = xml([
      { ...pairs[1]!, interval: 0.3 },
      { ...pairs[0]!, id: 'delta' },
    ]);
    const dry = (await (await put('?mode=merge&dry-run=1', file)).json()) as ImportResult;
    expect(dry.changes.map((c) => [c.pair, c.change])).toEqual([
      ['beta', 'changed'],
      ['delta', 'added'],
    ]);
    const res = await put('?mode=merge&reason=add%20delta&operator=carol', file);
    expect(res.status).toBe(200);
    expect(((await res.json()) as ImportResult).applied).toBe(true);
    expect(await ids()).toEqual(['acme', 'beta', 'gamma', 'delta']);
    expect((await status('beta'))?.interval).toBe(0.3);
    expect(await configFile()).toContain('id="delta"');
  });

  it('replace removes what the file lacks', async () => {
    const res = await put('?mode=replace&reason=new%20layout', xml([pairs[2]!]));
    expect(res.status).toBe(200);
    expect(await ids()).toEqual(['gamma']);
  });

  it('refuses an unknown mode with 400 naming the field, changing nothing', async () => {
    const res = await put('?mode=overwrite', xml([pairs[2]!]));
    expect(res.status).toBe(400);
    const body = (await res.json()) as ApiErrorBody;
    expect(body.problems).toEqual([expect.objectContaining({ field: 'mode' })]);
    expect(await ids()).toEqual(['acme', 'beta', 'gamma']);
  });
});
