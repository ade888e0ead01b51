// Real serverdirs in temp directories for engine tests: write a
// pbxctrl-failover.xml from pair settings, open the monitor on it, read back.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serializeConfigXml } from '../../src/core/config-xml.js';
import { openMonitor, type EngineTuning } from '../../src/core/monitor.js';
import type { Monitor, PairRecord } from '../../src/core/ports.js';
import type { EngineEvent, PairSettings } from '../../src/shared/model.js';

export async function tempServerdir(cleanups: Array<() => Promise<void>>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pbx-engine-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export function configFile(serverdir: string): string {
  return path.join(serverdir, 'pbxctrl-failover.xml');
}

export async function writeConfig(serverdir: string, pairs: Array<PairSettings | PairRecord>): Promise<void> {
  const records = pairs.map((p) => ('settings' in p ? p : { settings: p }));
  await writeFile(configFile(serverdir), serializeConfigXml({ pairs: records }));
}

export async function readConfigText(serverdir: string): Promise<string> {
  return readFile(configFile(serverdir), 'utf8');
}

export const fastTuning: EngineTuning = {
  actionBackoff: (n) => 30 * n,
  configPollMs: 200,
  saveCoalesceMs: 50,
  closeGraceMs: 2000,
};

export interface OpenedMonitor {
  monitor: Monitor;
  events: EngineEvent[];
}

export async function open(
  serverdir: string,
  cleanups: Array<() => Promise<void>>,
  tuning: EngineTuning = fastTuning,
): Promise<OpenedMonitor> {
  const monitor = await openMonitor({ serverdir, version: 'test', defaultOperator: 'tester', ...tuning });
  const events: EngineEvent[] = [];
  monitor.subscribe((e) => events.push(e));
  cleanups.push(() => monitor.close());
  return { monitor, events };
}
