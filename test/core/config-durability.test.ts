// A writer killed with SIGKILL at random moments while it saves in a tight loop: after every kill
// the file must read and validate, hold at least the last generation the writer reported as
// saved, and the next writer must start from it. Once with whole-file writes (every pair's
// settings change), once with state writes (one pair's state changes: the fast path).

import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readConfigFile } from '../../src/core/config-store.js';

const SAVE_LOOP = fileURLToPath(new URL('./fixtures/save-loop.ts', import.meta.url));
const STATE_LOOP = fileURLToPath(new URL('./fixtures/state-loop.ts', import.meta.url));
// Four serverdirs side by side, eight kills each: the child's start-up dominates the run time.
const LANES = 4;
const KILLS_PER_LANE = 8;

let root: string;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'config-durability-'));
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

interface Run {
  lastSaved: number;
  /** What each save rewrote, as the writer printed it after the generation (state loop only). */
  how: string[];
}

/** Start the writer, let it save at least once, then kill it at a random moment. */
function runAndKill(dir: string, delayMs: number, loop = SAVE_LOOP): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', loop, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let lastSaved = 0;
    const how: string[] = [];
    let saves = 0;
    let stderr = '';
    let buffer = '';
    let timer: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the writer never saved within 20 s; stderr: ${stderr}`));
    }, 20_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        const m = /^saved (\d+)(?: (\S+))?$/.exec(line);
        if (!m) continue;
        lastSaved = Number(m[1]);
        if (m[2] !== undefined) how.push(m[2]);
        saves++;
        if (saves === 1) timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(deadline);
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`the writer exited by itself (code ${code}); stderr: ${stderr}`));
      else resolve({ lastSaved, how });
    });
  });
}

it(
  `leaves a valid file after each of ${LANES * KILLS_PER_LANE} SIGKILLs in the middle of saving`,
  { timeout: 300_000 },
  async () => {
    const lanes = Array.from({ length: LANES }, (_, i) => killRepeatedly(path.join(root, `lane-${i}`)));
    const kills = (await Promise.all(lanes)).reduce((a, b) => a + b, 0);
    expect(kills).toBe(LANES * KILLS_PER_LANE);
  },
);

async function killRepeatedly(dir: string): Promise<number> {
  await fs.mkdir(dir);
  const file = path.join(dir, 'pbxctrl-failover.xml');
  let kills = 0;
  for (let i = 0; i < KILLS_PER_LANE; i++) {
    // The writer does nothing but save, so any moment after its first save is in the middle of one.
    const run = await runAndKill(dir, Math.floor(Math.random() * 150));
    kills++;
    const where = `${path.basename(dir)}, kill ${i + 1}`;

    const result = await readConfigFile(file);
    if (!result.ok) throw new Error(`${where}: the file does not validate: ${JSON.stringify(result.problems)}`);
    const generations = new Set(result.config.pairs.map((p) => Number(/gen (\d+)/.exec(p.settings.name)?.[1])));
    // One save writes one generation into every pair: a mix would be a torn write.
    expect(generations.size, `${where}: pairs from different saves`).toBe(1);
    const onDisk = [...generations][0]!;
    // A save reported as done is on disk; at most the one in flight may have landed after it.
    expect(onDisk, where).toBeGreaterThanOrEqual(run.lastSaved);
    expect(onDisk, where).toBeLessThanOrEqual(run.lastSaved + 1);
    expect(result.config.pairs, where).toHaveLength(20 + (onDisk % 20));

    if (onDisk > 1) {
      const backup = await readConfigFile(`${file}.bak`);
      expect(backup.ok, `${where}: .bak does not validate`).toBe(true);
    }
  }
  return kills;
}

it(
  `leaves a valid file after each of ${2 * KILLS_PER_LANE} SIGKILLs in the middle of state writes that rewrite one pair`,
  { timeout: 300_000 },
  async () => {
    const lanes = Array.from({ length: 2 }, (_, i) => killStateWrites(path.join(root, `state-lane-${i}`)));
    const kills = (await Promise.all(lanes)).reduce((a, b) => a + b, 0);
    expect(kills).toBe(2 * KILLS_PER_LANE);
  },
);

async function killStateWrites(dir: string): Promise<number> {
  await fs.mkdir(dir);
  const file = path.join(dir, 'pbxctrl-failover.xml');
  let kills = 0;
  for (let i = 0; i < KILLS_PER_LANE; i++) {
    const run = await runAndKill(dir, Math.floor(Math.random() * 150), STATE_LOOP);
    kills++;
    const where = `${path.basename(dir)}, kill ${i + 1}`;
    // Every save after the first of a run (the file as the app wrote it) rewrote just the one pair.
    expect(
      run.how.slice(1).every((h) => h === '1'),
      `${where}: ${run.how.join(' ')}`,
    ).toBe(true);

    const result = await readConfigFile(file);
    if (!result.ok) throw new Error(`${where}: the file does not validate: ${JSON.stringify(result.problems)}`);
    expect(result.config.pairs, where).toHaveLength(30);
    const onDisk = Math.max(
      ...result.config.pairs.map((p) => Number(/gen (\d+)/.exec(p.persisted?.reason ?? '')?.[1])),
    );
    // A save reported as done is on disk; at most the one in flight may have landed after it.
    expect(onDisk, where).toBeGreaterThanOrEqual(run.lastSaved);
    expect(onDisk, where).toBeLessThanOrEqual(run.lastSaved + 1);
    const backup = await readConfigFile(`${file}.bak`);
    expect(backup.ok, `${where}: .bak does not validate`).toBe(true);
  }
  return kills;
}
