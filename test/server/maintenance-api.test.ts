// /api/maintenance against the real service and engine: loopback primaries, validation site and
// action receiver, a real serverdir. The done-when of the issue: a window created through the API
// covers an outage without any action (the loopback receiver counts zero requests).

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiErrorBody } from '../../src/shared/api.js';
import type { MaintenanceInfo } from '../../src/shared/maintenance.js';
import type { HistoryEvent, PairDetail } from '../../src/shared/model.js';
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
/** beta's own primary, always up: the outage is acme's. */
let betaPrimary: HttpFixture;
let validation: HttpFixture;
let receiver: HttpFixture;
let svc: TestService;

const pairOf = (id: string, p: HttpFixture): TestPair => ({
  id,
  primaryUrl: p.url(),
  validationUrl: validation.url(),
  actionUrl: receiver.url('/dns'),
  interval: 0.1,
  toleratedFailures: 1,
});

beforeEach(async () => {
  [primary, betaPrimary, validation, receiver] = await Promise.all([
    HttpFixture.start(),
    HttpFixture.start(),
    HttpFixture.start(),
    HttpFixture.start(),
  ]);
  svc = await startTestService({ xml: configXml([pairOf('acme', primary), pairOf('beta', betaPrimary)]) });
});

afterEach(async () => {
  await svc.dispose();
  await Promise.all([primary.close(), betaPrimary.close(), validation.close(), receiver.close()]);
});

const configFile = () => readFile(join(svc.serverdir, CONFIG_FILE), 'utf8');
const pair = (id: string) => svc.json<PairDetail>(`/api/pairs/${id}`);
const isoIn = (ms: number) => new Date(Date.now() + ms).toISOString();

describe('/api/maintenance', () => {
  it('adds, lists, changes and removes windows; each change is in the file and in the audit', async () => {
    expect(await svc.json('/api/maintenance')).toEqual([]);
    const weekly = {
      id: 'pbx-updates',
      reason: 'weekly PBX update',
      pairs: ['acme'],
      every: { cron: '0 3 * * 0', duration: 5400, tz: 'Europe/Berlin' },
    };
    const res = await svc.api('/api/maintenance?operator=alice&reason=planned', jsonBody('POST', weekly));
    expect(res.status).toBe(201);
    const added = (await res.json()) as MaintenanceInfo;
    expect(added).toMatchObject({ ...weekly, active: false });
    // The next Sunday 03:00 in Berlin, 90 minutes long.
    const start = Date.parse(added.nextStart!);
    expect(start).toBeGreaterThan(Date.now());
    expect(Date.parse(added.nextEnd!) - start).toBe(5400 * 1000);
    expect(new Date(start).getUTCDay()).toBe(0);
    expect(await svc.json<MaintenanceInfo[]>('/api/maintenance')).toEqual([added]);
    expect(await configFile()).toMatch(
      /<maintenance id="pbx-updates" reason="weekly PBX update">\s*<pairs>acme<\/pairs>\s*<every cron="0 3 \* \* 0" duration="5400" tz="Europe\/Berlin"\/>/,
    );

    const changed = await svc.json<MaintenanceInfo>(
      '/api/maintenance/pbx-updates?operator=bob',
      jsonBody('PUT', { ...weekly, pairs: 'all', every: { cron: '0 4 * * 6', duration: 600 } }),
    );
    expect(changed).toMatchObject({ pairs: 'all', every: { cron: '0 4 * * 6', duration: 600 } });
    expect(await configFile()).toContain('<pairs all="true"/>');
    expect(await configFile()).not.toContain('tz="Europe/Berlin"');

    const del = await svc.api('/api/maintenance/pbx-updates?operator=carol&reason=done', { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect(await svc.json('/api/maintenance')).toEqual([]);
    expect(await configFile()).not.toContain('<maintenance');

    const audit = await svc.json<HistoryEvent[]>('/api/audit');
    const moves = audit.flatMap((e) => (e.type === 'operator' && e.action.startsWith('maintenance') ? [e] : []));
    expect(moves.map((e) => [e.action, e.operator, e.outcome])).toEqual([
      ['maintenance-add', 'alice', 'ok'],
      ['maintenance-update', 'bob', 'ok'],
      ['maintenance-remove', 'carol', 'ok'],
    ]);
    expect(moves[0]!.reason).toBe('planned');
    expect(moves[0]!.detail).toContain('weekly PBX update');
  });

  it('an import of the file brings its windows (replace mode: windows the file lacks go)', async () => {
    const xml = (await configFile()).replace(
      '</pbxctrl-failover>',
      `  <maintenance id="dc1-network" reason="DC-1 router replacement">
    <pairs>acme beta</pairs>
    <once start="2030-12-06T22:00:00Z" end="2030-12-06T23:30:00Z"/>
  </maintenance>
</pbxctrl-failover>`,
    );
    const res = await svc.api('/api/config.xml?reason=import', {
      method: 'PUT',
      headers: { 'content-type': 'application/xml' },
      body: xml,
    });
    expect(res.status).toBe(200);
    const listed = await svc.json<MaintenanceInfo[]>('/api/maintenance');
    expect(listed.map((w) => [w.id, w.nextStart])).toEqual([['dc1-network', '2030-12-06T22:00:00.000Z']]);
    expect(await configFile()).toContain('<maintenance id="dc1-network"');
    const without = xml.replace(/<maintenance[\s\S]*<\/maintenance>\n/, '');
    await svc.json('/api/config.xml', { method: 'PUT', headers: { 'content-type': 'application/xml' }, body: without });
    expect(await svc.json('/api/maintenance')).toEqual([]);
    expect(await configFile()).not.toContain('<maintenance');

    // Merge: the file's windows by id, the others stay.
    await svc.json(
      '/api/maintenance',
      jsonBody('POST', { id: 'kept', reason: 'r', pairs: ['beta'], every: { cron: '0 1 * * *', duration: 60 } }),
    );
    await svc.json('/api/config.xml?mode=merge', {
      method: 'PUT',
      headers: { 'content-type': 'application/xml' },
      body: xml,
    });
    expect((await svc.json<MaintenanceInfo[]>('/api/maintenance')).map((w) => w.id)).toEqual(['kept', 'dc1-network']);
  });

  it('answers 400 listing every problem, and changes nothing', async () => {
    const res = await svc.api(
      '/api/maintenance',
      jsonBody('POST', {
        id: 'Nope!',
        reason: '',
        pairs: ['ghost'],
        once: { start: '2026-12-06T23:00:00Z', end: '2026-12-06T22:00:00Z' },
      }),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as ApiErrorBody;
    expect(body.error).toBe('invalid');
    expect(body.problems!.map((p) => p.field).sort()).toEqual([
      'maintenance[Nope!].id',
      'maintenance[Nope!].once.end',
      'maintenance[Nope!].pairs',
      'maintenance[Nope!].reason',
    ]);
    const every = await svc.api(
      '/api/maintenance',
      jsonBody('POST', { id: 'w', reason: 'r', pairs: ['acme'], every: { cron: '0 3 * *', duration: 0, tz: 'X/Y' } }),
    );
    expect(every.status).toBe(400);
    const fields = ((await every.json()) as ApiErrorBody).problems!.map((p) => p.field).sort();
    expect(fields).toEqual(['maintenance[w].every.cron', 'maintenance[w].every.duration', 'maintenance[w].every.tz']);
    expect(await svc.json('/api/maintenance')).toEqual([]);
    expect(await configFile()).not.toContain('<maintenance');
    expect((await svc.api('/api/maintenance/none', jsonBody('PUT', { id: 'none' }))).status).toBe(404);
    expect((await svc.api('/api/maintenance/none', { method: 'DELETE' })).status).toBe(404);
  });

  it('a window going on pauses its pairs at once; removing it ends the pause; removing a pair drops it from windows', async () => {
    await waitFor('acme waiting', async () => (await pair('acme')).state === 'waiting');
    const now = {
      id: 'now',
      reason: 'router swap',
      pairs: ['acme', 'beta'],
      once: { start: isoIn(-1000), end: isoIn(600_000) },
    };
    const info = await svc.json<MaintenanceInfo>('/api/maintenance', jsonBody('POST', now));
    expect(info.active).toBe(true);
    expect(await pair('acme')).toMatchObject({
      state: 'paused',
      reason: 'maintenance now: router swap',
      pausedBy: 'schedule',
    });
    await waitFor('paused-by on disk', async () => (await configFile()).includes('paused-by="schedule"'));
    await svc.json('/api/pairs/beta?reason=gone', { method: 'DELETE' });
    expect((await svc.json<MaintenanceInfo[]>('/api/maintenance'))[0]!.pairs).toEqual(['acme']);
    await svc.api('/api/maintenance/now', { method: 'DELETE' });
    expect((await pair('acme')).state).toBe('starting');
  });

  it('done when: a window created through the API covers an outage without any action', async () => {
    await waitFor('acme waiting', async () => (await pair('acme')).state === 'waiting');
    const window = {
      id: 'dc1-network',
      reason: 'DC-1 router replacement',
      pairs: ['acme'],
      once: { start: isoIn(0), end: isoIn(600_000) },
    };
    await svc.json('/api/maintenance', jsonBody('POST', window));
    await waitFor('acme paused by the window', async () => (await pair('acme')).pausedBy === 'schedule');

    // The outage: the primary answers 503 for many intervals (tolerated: 1).
    primary.setStatus(503);
    const before = primary.hits;
    await waitFor('ten failed checks during the window', () => primary.hits >= before + 10);
    expect((await pair('acme')).lastPrimary).toMatchObject({ ok: false, status: 503 });
    expect(await pair('acme')).toMatchObject({ state: 'paused', consecutiveFailures: 0 });
    expect(receiver.hits).toBe(0);

    // The work is done: the primary is back, and the window is ended early through the API.
    primary.setStatus(200);
    await svc.json(
      '/api/maintenance/dc1-network',
      jsonBody('PUT', { ...window, once: { ...window.once, end: isoIn(300) } }),
    );
    await waitFor('acme waiting after the window', async () => (await pair('acme')).state === 'waiting');
    const states = (await svc.json<{ events: HistoryEvent[] }>('/api/pairs/acme/history')).events.flatMap((e) =>
      e.type === 'state' ? [e.to] : [],
    );
    expect(states.slice(-3)).toEqual(['paused', 'starting', 'waiting']);
    expect(receiver.hits).toBe(0);
    const alerts = await svc.json<HistoryEvent[]>('/api/alerts');
    expect(alerts.filter((e) => e.type === 'alert' && (e.alert === 'failover' || e.alert === 'verifying'))).toEqual([]);
  });
});
