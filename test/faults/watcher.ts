// The engine under test, run inside the watcher's namespace: `node --import tsx watcher.ts <serverdir>`.
// It opens the real monitor on a serverdir, forwards every engine event to the test process and
// runs the operator's calls (MonitorApi) it is sent, all over the IPC channel.

import type { MonitorApi } from '../../src/shared/api.js';
import type { EngineEvent } from '../../src/shared/model.js';
import { openMonitor } from '../../src/core/monitor.js';

export interface CallMessage {
  seq: number;
  method: keyof MonitorApi;
  args: unknown[];
}

export type WatcherMessage =
  | { kind: 'ready'; pid: number }
  | { kind: 'event'; event: EngineEvent }
  | { kind: 'reply'; seq: number; ok: true; result: unknown }
  | { kind: 'reply'; seq: number; ok: false; error: { code?: string | undefined; message: string; problems?: unknown } }
  | { kind: 'fatal'; message: string };

function send(msg: WatcherMessage): void {
  process.send?.(msg);
}

async function main(): Promise<void> {
  const serverdir = process.argv[2];
  if (!serverdir) throw new Error('usage: watcher.ts <serverdir>');
  const monitor = await openMonitor({ serverdir, version: 'fault-suite', defaultOperator: 'fault-suite' });
  monitor.subscribe((event) => send({ kind: 'event', event }));
  process.on('message', (msg: CallMessage) => {
    const fn = monitor[msg.method] as (...args: unknown[]) => Promise<unknown>;
    fn.apply(monitor, msg.args).then(
      (result) => send({ kind: 'reply', seq: msg.seq, ok: true, result: result ?? null }),
      (err: { code?: string; message?: string; problems?: unknown }) =>
        send({
          kind: 'reply',
          seq: msg.seq,
          ok: false,
          error: { code: err.code, message: String(err.message ?? err), problems: err.problems },
        }),
    );
  });
  // An orderly stop when the test process lets go; SIGKILL (scenario 8) skips all of this on purpose.
  process.on('disconnect', () => {
    void monitor.close().finally(() => process.exit(0));
  });
  send({ kind: 'ready', pid: process.pid });
}

main().catch((err: unknown) => {
  send({ kind: 'fatal', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
