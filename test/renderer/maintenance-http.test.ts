// @vitest-environment node
/// <reference types="node" />
// The dashboard's HTTP backend against the real headless service: the maintenance calls reach
// /api/maintenance with the shapes the engine answers, and a refusal comes back with its problems.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpBackend } from '../../src/renderer/src/lib/backend/http';
import { MonitorError } from '$shared/api';
import { HttpFixture } from '../helpers/http-fixtures';
import { configXml, startTestService, type TestService } from '../helpers/service-harness';

let fixture: HttpFixture;
let svc: TestService;

beforeEach(async () => {
  fixture = await HttpFixture.start();
  svc = await startTestService({
    xml: configXml([
      { id: 'acme', primaryUrl: fixture.url(), validationUrl: fixture.url(), actionUrl: fixture.url('/a') },
    ]),
  });
});

afterEach(async () => {
  await svc.dispose();
  await fixture.close();
});

describe('HttpBackend maintenance calls against the service', () => {
  it('adds, lists, updates and removes a window; a refusal carries every problem', async () => {
    const backend = new HttpBackend({ baseUrl: svc.url, token: svc.token });
    const w = {
      id: 'pbx-updates',
      reason: 'weekly PBX update',
      pairs: ['acme'],
      every: { cron: '0 3 * * 0', duration: 5400, tz: 'Europe/Berlin' },
    };
    const added = await backend.addMaintenance(w, { reason: 'planned', operator: 'alice' });
    expect(added).toMatchObject({ ...w, active: false });
    expect((await backend.listMaintenance()).map((x) => x.id)).toEqual(['pbx-updates']);
    const changed = await backend.updateMaintenance('pbx-updates', { ...w, pairs: 'all' });
    expect(changed.pairs).toBe('all');
    const refused = await backend
      .addMaintenance({ ...w, id: 'x', pairs: ['ghost'], every: { cron: 'no', duration: 0 } })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(refused).toBeInstanceOf(MonitorError);
    expect((refused as MonitorError).problems!.map((p) => p.field).sort()).toEqual([
      'maintenance[x].every.cron',
      'maintenance[x].every.duration',
      'maintenance[x].pairs',
    ]);
    await backend.removeMaintenance('pbx-updates', { reason: 'done', operator: 'bob' });
    expect(await backend.listMaintenance()).toEqual([]);
    const audit = await backend.audit();
    expect(audit.flatMap((e) => (e.type === 'operator' ? [[e.action, e.operator]] : []))).toEqual([
      ['maintenance-add', 'alice'],
      ['maintenance-update', 'api'],
      ['maintenance-remove', 'bob'],
    ]);
  });
});
