// The test bed checks itself before the scenarios trust it: every host reaches the others only
// through the router, faults cut exactly the paths they should, PowerDNS answers and takes a PATCH
// through the counting proxy, and teardown leaves nothing behind.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DNS, INTERNET, Lab, PRIMARY, STANDBY, ZONE_URL } from './lab.js';
import { HOSTS, ip, listNamespaces } from './net.js';
import { pointBody } from './pdns.js';

describe('fault test bed', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await Lab.open(['selftest']);
    await lab.agents.primary.serve('selftest', PRIMARY, 8000);
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('gives every host an address in 198.18.0.0/15 and no default route', async () => {
    for (const host of HOSTS) {
      const routes = await ip('-n', lab.net.ns(host), 'route', 'show');
      expect(routes, host).not.toMatch(/^default/m);
      expect(routes, host).toMatch(/^198\.18\.0\.0\/15 via 198\.18\.\d+\.1/m);
    }
  });

  it('lets the watcher reach the primary, the standby, the internet site and the DNS API through the router', async () => {
    const w = lab.agents.watcher;
    expect((await w.fetch(`http://${PRIMARY}:8000/`)).status).toBe(200);
    expect((await w.fetch(`http://${STANDBY}/`)).status).toBe(200);
    expect((await w.fetch(`http://${INTERNET}/`)).status).toBe(200);
    expect((await w.fetch(ZONE_URL, { headers: { 'X-API-Key': lab.apiKey } })).status).toBe(200);
    expect((await w.fetch(ZONE_URL, { headers: { 'X-API-Key': 'wrong' } })).status).toBe(401);
  });

  it('cuts only the watcher-to-primary path with a blackhole route', async () => {
    await lab.net.blackhole('watcher', 'primary');
    try {
      expect((await lab.agents.watcher.fetch(`http://${PRIMARY}:8000/`)).error).toBeDefined();
      expect((await lab.agents.watcher.fetch(`http://${INTERNET}/`)).status).toBe(200);
      expect((await lab.agents.internet.fetch(`http://${PRIMARY}:8000/`)).status).toBe(200);
    } finally {
      await lab.net.unblackhole('watcher', 'primary');
    }
    expect((await lab.agents.watcher.fetch(`http://${PRIMARY}:8000/`)).status).toBe(200);
  });

  it("cuts everything of the watcher's when its uplink goes down, and heals when it comes back", async () => {
    await lab.net.cutUplink('watcher');
    try {
      const timeoutMs = 500;
      expect((await lab.agents.watcher.fetch(`http://${PRIMARY}:8000/`, { timeoutMs })).error).toBeDefined();
      expect((await lab.agents.watcher.fetch(`http://${INTERNET}/`, { timeoutMs })).error).toBeDefined();
    } finally {
      await lab.net.restoreUplink('watcher');
    }
    expect((await lab.agents.watcher.fetch(`http://${INTERNET}/`, { timeoutMs: 5000 })).status).toBe(200);
  });

  it('answers DNS from PowerDNS and changes the record through the counting proxy', async () => {
    expect(await lab.pointsAt('selftest')).toBe(PRIMARY);
    const before = (await lab.requestsFor('selftest')).length;
    const res = await lab.agents.watcher.fetch(ZONE_URL, {
      method: 'PATCH',
      headers: { 'X-API-Key': lab.apiKey, 'content-type': 'application/json' },
      body: pointBody('selftest', STANDBY, 'self-test "quoted" <x> & \\ ok'),
    });
    expect(res.status).toBe(204);
    expect(await lab.pointsAt('selftest')).toBe(STANDBY);
    const after = await lab.requestsFor('selftest');
    expect(after.length).toBe(before + 1);
    expect(after.at(-1)).toMatchObject({
      method: 'PATCH',
      outcome: 'forwarded',
      status: 204,
      contents: [STANDBY],
      comment: 'self-test "quoted" <x> & \\ ok',
    });
    expect(await lab.pointsAt('nosuchname')).toBe('ENOTFOUND');
  });

  it('fails the DNS API on purpose when scripted', async () => {
    await lab.scriptDnsApi('selftest', ['fail500']);
    const send = () =>
      lab.agents.watcher.fetch(ZONE_URL, {
        method: 'PATCH',
        headers: { 'X-API-Key': lab.apiKey, 'content-type': 'application/json' },
        body: pointBody('selftest', PRIMARY),
      });
    expect((await send()).status).toBe(500);
    expect(await lab.pointsAt('selftest')).toBe(STANDBY);
    expect((await send()).status).toBe(204);
    expect(await lab.pointsAt('selftest')).toBe(PRIMARY);
    await lab.dnsApiDown();
    expect((await send()).error).toBe('ECONNREFUSED');
    await lab.dnsApiUp();
    expect((await send()).status).toBe(204);
    expect(DNS).toMatch(/^198\.1[89]\./);
  });

  it('removes every namespace of the run on teardown', async () => {
    const prefix = lab.net.prefix;
    await lab.close();
    expect((await listNamespaces()).filter((n) => n.startsWith(`${prefix}-`))).toEqual([]);
  });
});
