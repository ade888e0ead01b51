// The same yardstick for the engine and the bare loop: every check's start
// time per pair, and from it checks done, missed slots and lag.
//
// Lag is the gap between the starts of two consecutive checks of a pair minus
// the interval (the engine's events carry no scheduled time). A check that is
// late by x ms shows as +x here; a whole slot skipped shows as a missed check.

import { readFileSync } from 'node:fs';
import { startWindowProfile } from './engine-profile.js';
import type { BenchPair } from './pairs-xml.js';

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * The process's high-water mark of resident memory. Read from /proc because
 * getrusage's maxRSS survives exec, so a forked child would report its parent's.
 */
export function peakRssMb(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  return kb ? (Number(kb) * 1024) / 1e6 : Number.NaN;
}

export interface ScaleResult {
  pairs: number;
  windowMs: number;
  /** CPU time (user + system) of the process during the window. */
  cpuMs: number;
  /** Peak resident set size of the process over its whole life. */
  peakRssMb: number;
  /** Resident set size at the end of the window. */
  endRssMb: number;
  /** JavaScript heap in use at the end of the window (the rest of RSS is code, sockets, buffers). */
  heapUsedMb: number;
  checksDone: number;
  checksDue: number;
  missed: number;
  failed: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** From process start until every pair had been checked once. */
  startupMs: number;
  /** Pairs not yet checked twice when the window had to open (at the settling deadline). */
  unsettled: number;
  /** The commonest reason checks failed in the window, with its count. */
  topError?: string;
  /** Pairs of a healthy fleet that went to verifying or failover in the window (engine only). */
  verifying?: number;
  failovers?: number;
  /** How the run differed from the plan, in words. */
  note?: string;
}

export class CheckLog {
  private readonly lastStart = new Map<string, number>();
  private readonly lags: number[] = [];
  private windowStart = Number.POSITIVE_INFINITY;
  private windowEnd = Number.POSITIVE_INFINITY;
  private done = 0;
  private missed = 0;
  private failed = 0;
  private cpuAtStart: NodeJS.CpuUsage = process.cpuUsage();
  private cpuMs = 0;
  private endRssMb = 0;
  private heapUsedMb = 0;
  private allSeenAt: number | undefined;
  private readonly seenTwice = new Set<string>();
  private unsettled = 0;
  private readonly errors = new Map<string, number>();

  constructor(
    private readonly pairs: number,
    private readonly intervalMs: number,
  ) {}

  /** A check of `pair` started at monotonic `startMs`. */
  record(pair: string, startMs: number, ok: boolean, error?: string): void {
    if (startMs >= this.windowEnd) return;
    const previous = this.lastStart.get(pair);
    this.lastStart.set(pair, startMs);
    if (previous === undefined && this.lastStart.size === this.pairs) this.allSeenAt = performance.now();
    if (previous !== undefined && !this.seenTwice.has(pair)) this.seenTwice.add(pair);
    if (startMs < this.windowStart) return;
    this.done++;
    if (!ok) {
      this.failed++;
      const reason = error ?? 'failed';
      this.errors.set(reason, (this.errors.get(reason) ?? 0) + 1);
    }
    if (previous === undefined || previous < this.windowStart) return;
    const gap = startMs - previous;
    this.lags.push(gap - this.intervalMs);
    this.missed += Math.max(0, Math.round(gap / this.intervalMs) - 1);
  }

  /** Every pair has been checked at least twice: connections are open, the schedule has settled. */
  get settled(): boolean {
    return this.seenTwice.size === this.pairs;
  }

  startWindow(): void {
    this.unsettled = this.pairs - this.seenTwice.size;
    this.windowStart = performance.now();
    this.cpuAtStart = process.cpuUsage();
  }

  endWindow(): void {
    this.windowEnd = performance.now();
    const cpu = process.cpuUsage(this.cpuAtStart);
    this.cpuMs = (cpu.user + cpu.system) / 1000;
    const memory = process.memoryUsage();
    this.endRssMb = memory.rss / 1e6;
    this.heapUsedMb = memory.heapUsed / 1e6;
    this.missed += this.missedAtEnd();
  }

  /** Slots more than half an interval overdue when the window closes, including pairs never checked. */
  private missedAtEnd(): number {
    let missed = 0;
    for (const start of this.lastStart.values()) {
      const tail = this.windowEnd - Math.max(start, this.windowStart);
      missed += Math.max(0, Math.ceil(tail / this.intervalMs - 0.5) - 1);
    }
    const neverSeen = this.pairs - this.lastStart.size;
    return missed + neverSeen * Math.round((this.windowEnd - this.windowStart) / this.intervalMs);
  }

  result(): ScaleResult {
    const windowMs = this.windowEnd - this.windowStart;
    const sorted = Float64Array.from(this.lags).sort();
    return {
      pairs: this.pairs,
      windowMs,
      cpuMs: this.cpuMs,
      peakRssMb: peakRssMb(),
      endRssMb: this.endRssMb,
      heapUsedMb: this.heapUsedMb,
      checksDone: this.done,
      checksDue: Math.round((this.pairs * windowMs) / this.intervalMs),
      missed: this.missed,
      failed: this.failed,
      lagP50Ms: percentile(sorted, 50),
      lagP99Ms: percentile(sorted, 99),
      lagMaxMs: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
      startupMs: this.allSeenAt ?? Number.NaN,
      unsettled: this.unsettled,
      ...this.topError(),
    };
  }

  private topError(): { topError?: string } {
    const top = [...this.errors].sort((a, b) => b[1] - a[1])[0];
    return top ? { topError: `${top[1]} x "${top[0]}"` } : {};
  }
}

/** The work both sides of the scale row do; the engine also needs validation and action URLs. */
export interface ScaleJob {
  pairs: BenchPair[];
  toleratedFailures: number;
  validationUrl: string;
  actionUrl: string;
  intervalMs: number;
  /** Steady state begins this long after every pair has been checked twice. */
  warmupMs: number;
  durationMs: number;
  /** Write a CPU and a sampling heap profile of the window into `dir` (bench/engine-profile.ts). */
  profile?: { dir: string; name: string; snapshot?: boolean };
  /** Row 6: run the engine as a node of this cluster (serve --cluster). */
  cluster?: { endpoints: string[]; node: string; prefix: string; leaseTtl: number };
}

/** Opening thousands of connections takes seconds; measure only once every pair is polled. */
const SETTLE_DEADLINE_MS = 30_000;

export async function measureWindow(
  log: CheckLog,
  job: ScaleJob,
  onWindow: () => void = () => {},
): Promise<ScaleResult> {
  const deadline = performance.now() + SETTLE_DEADLINE_MS;
  while (!log.settled && performance.now() < deadline) await sleep(50);
  await sleep(job.warmupMs);
  const profile = job.profile && (await startWindowProfile(job.profile.dir, job.profile.name, job.profile.snapshot));
  log.startWindow();
  onWindow();
  await sleep(job.durationMs);
  log.endWindow();
  if (profile) await profile.stop();
  return log.result();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
