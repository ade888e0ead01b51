// One side of the engine-scale row alone, for profiling: the loopback servers and either the engine
// or the bare loop at N pairs (one port per pair up to 1,000, then shared), one window, its figures
// printed. With --profile DIR, the window's CPU profile, allocation profile and memory after a full
// collection are written there (bench/engine-profile.ts); --snapshot adds a heap snapshot.
//
//   node --import tsx bench/engine-one.ts engine 1000 [--seconds 15] [--profile /tmp/prof] [--snapshot]

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Child } from './child.js';
import { LoopbackServers } from './loopback.js';
import { benchPairs } from './pairs-xml.js';
import type { ScaleJob, ScaleResult } from './schedule-stats.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '15' },
    profile: { type: 'string' },
    snapshot: { type: 'boolean', default: false },
  },
});
const [side, n] = positionals;
const size = Number(n);
if ((side !== 'engine' && side !== 'bare') || !Number.isInteger(size) || size < 1) {
  console.error('usage: engine-one.ts engine|bare <pairs> [--seconds S] [--profile DIR] [--snapshot]');
  process.exit(2);
}

const name = `${side}-${size}`;
const servers = await LoopbackServers.start();
const serverdir = await mkdtemp(join(tmpdir(), 'pbx-bench-one-'));
try {
  const ports = await servers.listen(Math.min(size, 1000) + 1);
  const receiverPort = await servers.receiver();
  const job: ScaleJob & { serverdir: string } = {
    pairs: benchPairs(size, ports.slice(1)),
    toleratedFailures: 3,
    validationUrl: `http://127.0.0.1:${ports[0]}/validation`,
    actionUrl: `http://127.0.0.1:${receiverPort}/action/`,
    intervalMs: 1000,
    warmupMs: 2000,
    durationMs: Number(values.seconds) * 1000,
    serverdir,
    ...(values.profile ? { profile: { dir: values.profile, name, snapshot: values.snapshot } } : {}),
  };
  const child = await Child.start(side === 'bare' ? 'bare-loop.ts' : 'engine-worker.ts');
  const r = await child.call<ScaleResult>('run', job, job.durationMs + 240_000);
  await child.stop(15_000);
  const f = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(1));
  console.log(
    `${name}: CPU ${f(r.cpuMs / 1000)} s in ${f(r.windowMs / 1000)} s, peak RSS ${f(r.peakRssMb)} MB (end ${f(r.endRssMb)}, JS heap ${f(r.heapUsedMb)}), ` +
      `checks ${r.checksDone} / ${r.checksDue}, ${r.missed} missed, ${r.failed} failed${r.topError ? ` (${r.topError})` : ''}, ` +
      `lag p50 ${f(r.lagP50Ms)} p99 ${f(r.lagP99Ms)} max ${f(r.lagMaxMs)} ms, all checked once after ${f(r.startupMs / 1000)} s` +
      (r.verifying || r.failovers ? `, false alarms: ${r.verifying} verifying, ${r.failovers} failed over` : '') +
      (r.note ? `; ${r.note}` : ''),
  );
  if (values.profile) {
    const memory = JSON.parse(await readFile(join(values.profile, `${name}.memory.json`), 'utf8')) as {
      atEnd: NodeJS.MemoryUsage;
      afterGc: NodeJS.MemoryUsage;
    };
    const mb = (b: number): string => `${(b / 1e6).toFixed(1)} MB`;
    console.log(
      `JS heap at the end ${mb(memory.atEnd.heapUsed)}, after a full collection ${mb(memory.afterGc.heapUsed)}; profiles in ${values.profile}`,
    );
  }
} finally {
  await servers.close();
  await rm(serverdir, { recursive: true, force: true });
}
