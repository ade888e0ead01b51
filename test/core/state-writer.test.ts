// The state writer once the serverdir lock is lost: a write asked for before the loss whose turn
// comes after it writes nothing, and settled() tells when the last write that was already running ended.

import { promises as fs } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { MonitorError } from '../../src/shared/api.js';
import type { EngineEvent } from '../../src/shared/model.js';
import { createConfigStore } from '../../src/core/config-store.js';
import { HealthProblems } from '../../src/core/health-problems.js';
import type { FailoverConfig } from '../../src/core/ports.js';
import { silentLogger, systemClock } from '../../src/core/ports.js';
import { StateWriter } from '../../src/core/state-writer.js';
import { pairSettings } from '../helpers/engine-fixtures.js';
import { configFile, tempServerdir, writeConfig } from '../helpers/serverdir.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('state writer after the lock is lost', () => {
  it('a write queued before the loss writes nothing; settled() waits for the one already running', async () => {
    const dir = await tempServerdir(cleanups);
    const settings = pairSettings({ id: 'dc1', name: 'dc1', primaryUrl: 'http://127.0.0.1:9/dc1' });
    await writeConfig(dir, [settings]);
    let renames = 0;
    let reachedRename!: () => void;
    const atRename = new Promise<void>((resolve) => (reachedRename = resolve));
    let letRename!: () => void;
    const gate = new Promise<void>((resolve) => (letRename = resolve));
    const store = createConfigStore(dir, {
      beforeReplace: async () => {
        renames++;
        reachedRename();
        await gate;
      },
    });
    await store.load();
    let state = 'waiting';
    const snapshot = (): FailoverConfig => ({
      pairs: [
        { settings, persisted: { state: state as 'waiting', since: new Date().toISOString(), primaryAnswered: true } },
      ],
    });
    const problems = new HealthProblems();
    const events: EngineEvent[] = [];
    let conflicts = 0;
    const writer = new StateWriter({
      store,
      clock: systemClock,
      log: silentLogger,
      problems,
      snapshot,
      emit: (e) => events.push(e),
      onConflict: () => conflicts++,
      closing: () => false,
    });

    const running = writer.persistNow();
    await atRename;
    state = 'verifying';
    const queued = writer.persistNow().then(
      () => undefined,
      (error: unknown) => error,
    );
    writer.lockLost('taken over by pid 4242');
    let settled = false;
    const idle = writer.settled().then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);

    letRename();
    await idle;
    await running;
    const atSettled = await fs.readFile(configFile(dir), 'utf8');
    expect(atSettled).toContain('>waiting</state>');
    const refused = await queued;
    expect(refused).toBeInstanceOf(MonitorError);
    expect(refused).toMatchObject({ code: 'conflict', message: 'taken over by pid 4242' });
    expect(renames).toBe(1);
    expect(await fs.readFile(configFile(dir), 'utf8')).toBe(atSettled);
    // Not a failed write: no problem, no alert, no retry, no hand-edit check.
    expect(problems.has('state-write')).toBe(false);
    expect(events).toEqual([]);
    expect(conflicts).toBe(0);
    await expect(writer.persistNow()).rejects.toMatchObject({ code: 'conflict' });
  });
});
