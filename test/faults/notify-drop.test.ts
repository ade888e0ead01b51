// An alert channel whose receiver's packets are dropped (the router blackholes its address, no
// ICMP): every delivery waits out its deadline, and the watcher's checks keep their schedule.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serializeConfigXml } from '../../src/core/config-xml.js';
import type { CheckEvent, EngineEvent, NotifyEvent } from '../../src/shared/model.js';
import { Lab, PRIMARY } from './lab.js';
import { INTERVAL, faultPair } from './pairs.js';
import { WatcherProcess } from './watcher-process.js';

/** In the internet host's subnet, silenced at the router: SYNs to it vanish. */
const DROPPED = '198.18.3.9';
const WAIT = 40_000;

let lab: Lab | undefined;
let watcher: WatcherProcess | undefined;

afterAll(async () => {
  await watcher?.stop();
  await lab?.close();
});

describe('alert channel with dropped packets', () => {
  it('keeps the checks on schedule while deliveries to a silent receiver time out', async () => {
    lab = await Lab.open(['nd1']);
    await lab.net.silence(DROPPED);
    await lab.agents.primary.serve('nd1', PRIMARY, 8091);
    const dir = join(lab.dir, 'serverdir-notify-drop');
    await mkdir(dir, { recursive: true });
    // The standby is silent too, so that the pair raises standby-down (sent to the silent hook).
    const settings = { ...faultPair('nd1', lab.apiKey, { port: 8091 }), standbyUrl: `http://${DROPPED}:81/` };
    const xml = serializeConfigXml({
      pairs: [{ settings }],
      notify: [{ id: 'hook', type: 'webhook', minSeverity: 'info', headers: [], url: `http://${DROPPED}/hook` }],
    });
    await writeFile(join(dir, 'pbxctrl-failover.xml'), xml);
    watcher = await WatcherProcess.start(lab.net.ns('watcher'), dir);
    const w = watcher;
    await w.waitFor((e) => e.type === 'alert' && e.alert === 'standby-down', WAIT, 0, 'standby-down');
    const from = w.events.length;
    const failed = (await w.waitFor(
      (e) => e.type === 'notify' && !e.ok,
      WAIT,
      from,
      'a delivery to time out',
    )) as NotifyEvent;
    expect(failed.error).toMatch(/timed out after 10 s/);
    expect(failed.latencyMs).toBeGreaterThanOrEqual(9_000);
    // While the delivery hung for 10 s, the primary was checked every 0.3 s and the pair stayed waiting.
    const during = w.events.slice(from).map((e) => e.event);
    const checks = during
      .filter((e: EngineEvent): e is CheckEvent => e.type === 'check' && e.result.target === 'primary')
      .map((e) => Date.parse(e.at));
    const gaps = checks.slice(1).map((t, i) => t - checks[i]!);
    expect(checks.length).toBeGreaterThanOrEqual(Math.floor(9 / INTERVAL / 2));
    expect(Math.max(...gaps)).toBeLessThan(INTERVAL * 1000 * 4);
    expect(during.filter((e) => e.type === 'state')).toEqual([]);
  }, 90_000);
});
