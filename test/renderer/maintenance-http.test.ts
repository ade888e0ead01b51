// @vitest-environment node
/// <reference types="node" />
// The dashboard's HTTP backend against the real headless service: the maintenance calls reach
// /api/maintenance with the shapes the engine answers, and a refusal comes back with its problems.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpBackend } from '../../src/renderer/src/lib/backend/http';
import { MonitorError } from '$shared/api';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Service {
  url: string;
  token: string;
  close(): Promise<void>;
}
// Loaded by a path the dashboard's type check does not follow (the renderer may not import the server).
const SERVICE_MODULE = '../../src/server/service.js';

/** The pair's primary, validation site and action receiver: answers 200 to everything. */
let site: Server;
let siteUrl: string;
let svc: Service;
let dir: string;

beforeEach(async () => {
  site = createServer((_req, res) => res.writeHead(200).end('ok'));
  await new Promise<void>((done) => site.listen(0, '127.0.0.1', done));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'pfm-maint-http-'));
  await writeFile(
    join(dir, 'pbxctrl-failover.xml'),
    `<pbxctrl-failover version="1"><pair id="acme"><primary-url>${siteUrl}/</primary-url><interval>1</interval>` +
      `<tolerated-failures>2</tolerated-failures><validation><url>${siteUrl}/</url></validation>` +
      `<action><url>${siteUrl}/a</url></action></pair></pbxctrl-failover>`,
  );
  const { startService } = (await import(/* @vite-ignore */ SERVICE_MODULE)) as {
    startService(o: object): Promise<Service>;
  };
  const quiet = { info() {}, warn() {}, error() {} };
  svc = await startService({ host: '127.0.0.1', port: 0, serverdir: dir, log: quiet });
});

afterEach(async () => {
  await svc.close();
  site.closeAllConnections();
  await new Promise((done) => site.close(done));
  await rm(dir, { recursive: true, force: true });
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
