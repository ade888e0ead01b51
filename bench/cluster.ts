// Row 6: two cluster nodes (serve --cluster's engine) watching the same 1,000 pairs on one etcd,
// beside one node alone on the same pairs: CPU per node in the same window, and etcd's own CPU
// while both nodes run. Each node is its own child process (the engine worker of row 1 with a
// cluster option); etcd is Debian's, on free loopback ports with its own data directory.

import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdServer, ETCD_BIN } from '../test/helpers/etcd.js';
import { Child } from './child.js';
import { LoopbackServers } from './loopback.js';
import { benchPairs } from './pairs-xml.js';
import type { ScaleJob, ScaleResult } from './schedule-stats.js';
import { count, notMeasured, row, type Row } from './table.js';

export interface ClusterBenchOptions {
  pairs: number;
  intervalMs: number;
  warmupMs: number;
  durationMs: number;
}

/** user + system CPU of a process so far, ms (Linux /proc). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100;
}

async function runNode(job: ScaleJob): Promise<ScaleResult> {
  const serverdir = await mkdtemp(join(tmpdir(), 'pbx-bench-cluster-'));
  const child = await Child.start('engine-worker.ts');
  try {
    return await child.call<ScaleResult>('run', { ...job, serverdir }, job.warmupMs + job.durationMs + 180_000);
  } finally {
    await child.stop(15_000);
    await rm(serverdir, { recursive: true, force: true });
  }
}

export async function clusterRows(opts: ClusterBenchOptions): Promise<Row[]> {
  const group = `6. Cluster, 2 nodes x ${count(opts.pairs)} pairs on etcd`;
  if (!existsSync(ETCD_BIN)) return [notMeasured(group, `no etcd at ${ETCD_BIN} (Debian: etcd-server)`)];
  const servers = await LoopbackServers.start();
  const etcd = await EtcdServer.start();
  try {
    const ports = await servers.listen(opts.pairs + 1);
    const receiverPort = await servers.receiver();
    const job: ScaleJob = {
      pairs: benchPairs(opts.pairs, ports.slice(1)),
      toleratedFailures: 3,
      validationUrl: `http://127.0.0.1:${ports[0]}/validation`,
      actionUrl: `http://127.0.0.1:${receiverPort}/action/`,
      intervalMs: opts.intervalMs,
      warmupMs: opts.warmupMs,
      durationMs: opts.durationMs,
    };
    const alone = await runNode(job);
    const cluster = { endpoints: [etcd.url], prefix: '/pfm-bench/', leaseTtl: 5 };
    const etcdBefore = cpuMsOf(etcd.pid);
    const started = performance.now();
    const [a, b] = await Promise.all([
      runNode({ ...job, cluster: { ...cluster, node: 'n1' } }),
      runNode({ ...job, cluster: { ...cluster, node: 'n2' } }),
    ]);
    const spanMs = performance.now() - started;
    const etcdMs = cpuMsOf(etcd.pid) - etcdBefore;
    const cpu = (r: ScaleResult): string =>
      `${(r.cpuMs / 1000).toFixed(2)} s (${((100 * r.cpuMs) / r.windowMs).toFixed(0)}% of a core)`;
    const window = `${(alone.windowMs / 1000).toFixed(0)} s`;
    const checks = (r: ScaleResult): string =>
      `${count(r.checksDone)} / ${count(r.checksDue)}, ${count(r.missed)} missed${r.verifying || r.failovers ? `; false alarms: ${count(r.verifying ?? 0)} to verifying, ${count(r.failovers ?? 0)} failed over` : ''}`;
    const ratio = (a.cpuMs / a.windowMs + b.cpuMs / b.windowMs) / 2 / (alone.cpuMs / alone.windowMs);
    return [
      row({
        group,
        measure: `CPU per node in ${window}`,
        engine: `n1 ${cpu(a)}, n2 ${cpu(b)}`,
        limit: `one node alone ${cpu(alone)}`,
        ratio: `${ratio.toFixed(2)}x`,
      }),
      row({
        group,
        measure: "etcd's own CPU while both nodes ran",
        engine: `${(etcdMs / 1000).toFixed(2)} s in ${(spanMs / 1000).toFixed(0)} s (${((100 * etcdMs) / spanMs).toFixed(0)}% of a core), start and seeding included`,
      }),
      row({
        group,
        measure: 'checks done / due per node',
        engine: `n1 ${checks(a)}; n2 ${checks(b)}`,
        limit: `one node alone ${checks(alone)}`,
      }),
      row({
        group,
        measure: 'lag p99 per node',
        engine: `n1 ${a.lagP99Ms.toFixed(0)} ms, n2 ${b.lagP99Ms.toFixed(0)} ms`,
        limit: `one node alone ${alone.lagP99Ms.toFixed(0)} ms`,
      }),
    ];
  } finally {
    await etcd.stop();
    await servers.close();
  }
}
