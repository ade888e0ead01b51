// The per-pair series of GET /metrics, kept in flat arrays and written straight to text. With
// thousands of pairs these are almost all of a scrape, and prom-client's label maps and per-sample
// formatting took fifteen times what writing the same lines takes (bench row 5), so they are written
// here; prom-client keeps the process metrics and the low-cardinality series.

import { PAIR_STATES, type EngineEvent, type PairStatus } from '../shared/model.js';

/** Seconds: a loopback check takes milliseconds, a check near its timeout seconds. */
// Few buckets on purpose: with thousands of pairs they are most of the lines of a scrape.
export const DURATION_BUCKETS = [0.01, 0.05, 0.25, 1, 5];
const TARGETS = ['primary', 'standby', 'validation'] as const;
type Target = (typeof TARGETS)[number];

interface TargetStats {
  /** Checks per bucket (not cumulative); the last slot is above the largest bound. */
  buckets: Float64Array;
  sum: number;
  ok: number;
  failed: number;
}

interface PairStats {
  /** `pair="acme"`, escaped once. */
  label: string;
  targets: Partial<Record<Target, TargetStats>>;
  failovers: { manual: number; watcher: number };
  attempts: Record<'failover' | 'failback', { ok: number; failed: number }>;
  dnsSeconds?: number;
  certificates: Array<{ target: string; address: string; expiry: number }>;
}

export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function bucketIndex(seconds: number): number {
  for (let i = 0; i < DURATION_BUCKETS.length; i++) if (seconds <= DURATION_BUCKETS[i]!) return i;
  return DURATION_BUCKETS.length;
}

const BUCKET_LABELS = [...DURATION_BUCKETS.map(String), '+Inf'];

export class PairSeries {
  private readonly pairs = new Map<string, PairStats>();

  private stats(pair: string): PairStats {
    let s = this.pairs.get(pair);
    if (!s) {
      s = {
        label: `pair="${escapeLabel(pair)}"`,
        targets: {},
        failovers: { manual: 0, watcher: 0 },
        attempts: { failover: { ok: 0, failed: 0 }, failback: { ok: 0, failed: 0 } },
        certificates: [],
      };
      this.pairs.set(pair, s);
    }
    return s;
  }

  forget(pair: string): void {
    this.pairs.delete(pair);
  }

  record(event: EngineEvent): void {
    switch (event.type) {
      case 'check': {
        const r = event.result;
        const s = this.stats(event.pair);
        const t = (s.targets[r.target] ??= {
          buckets: new Float64Array(DURATION_BUCKETS.length + 1),
          sum: 0,
          ok: 0,
          failed: 0,
        });
        const seconds = r.latencyMs / 1000;
        t.buckets[bucketIndex(seconds)]!++;
        t.sum += seconds;
        if (r.ok) t.ok++;
        else t.failed++;
        return;
      }
      case 'state':
        if (event.to === 'failover') {
          const f = this.stats(event.pair).failovers;
          if (event.manual) f.manual++;
          else f.watcher++;
        }
        return;
      case 'action':
        if (event.attempt) {
          const a = this.stats(event.pair).attempts[event.kind];
          if (event.attempt.ok) a.ok++;
          else a.failed++;
        }
        return;
      default:
        this.recordFeature(event as unknown as Record<string, unknown>);
    }
  }

  // Events of the checks beside the state machine, read by shape: a kind not known here is not counted.
  private recordFeature(event: Record<string, unknown>): void {
    const pair = event['pair'];
    if (typeof pair !== 'string') return;
    // The round that ends a DNS verification in "converged" (shared/model.ts DnsEvent): seconds since the action.
    if (event['type'] === 'dns' && event['phase'] === 'converged' && typeof event['elapsed'] === 'number') {
      this.stats(pair).dnsSeconds = event['elapsed'];
    } else if (event['type'] === 'certificates' && Array.isArray(event['certificates'])) {
      const seen: PairStats['certificates'] = [];
      for (const c of event['certificates'] as Array<Record<string, unknown>>) {
        const expiry = typeof c['notAfter'] === 'string' ? Date.parse(c['notAfter']) / 1000 : NaN;
        if (!Number.isFinite(expiry) || typeof c['address'] !== 'string') continue;
        seen.push({ target: String(c['target'] ?? ''), address: c['address'], expiry });
      }
      this.stats(pair).certificates = seen;
    }
  }

  /** The per-pair families as exposition text; `statuses` gives the gauges and which pairs exist. */
  render(statuses: readonly PairStatus[]): string {
    const live = new Set<string>();
    for (const p of statuses) live.add(p.id);
    // A pair removed while no event said so (an import, a hand edit) leaves no series behind.
    for (const id of this.pairs.keys()) if (!live.has(id)) this.pairs.delete(id);
    const labelOf = (p: PairStatus): string => this.pairs.get(p.id)?.label ?? `pair="${escapeLabel(p.id)}"`;
    const out: string[] = [];
    const family = (name: string, type: string, help: string): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };

    family('pbx_pair_state', 'gauge', '1 for the state the pair is in, 0 for the others.');
    for (const p of statuses) {
      const l = labelOf(p);
      for (const s of PAIR_STATES) out.push(`pbx_pair_state{${l},state="${s}"} ${p.state === s ? 1 : 0}`);
    }
    family('pbx_pair_consecutive_failures', 'gauge', 'Failed checks of the primary in a row.');
    for (const p of statuses) out.push(`pbx_pair_consecutive_failures{${labelOf(p)}} ${p.consecutiveFailures}`);
    family('pbx_pair_tolerated_failures', 'gauge', 'Failed checks in a row the pair tolerates before it verifies.');
    for (const p of statuses) out.push(`pbx_pair_tolerated_failures{${labelOf(p)}} ${p.toleratedFailures}`);
    family('pbx_pair_ready', 'gauge', 'Failover readiness: 1 ready, 0 not ready (absent until first checked).');
    for (const p of statuses) if (p.ready !== undefined) out.push(`pbx_pair_ready{${labelOf(p)}} ${p.ready ? 1 : 0}`);
    const stats = statuses.map((p) => this.pairs.get(p.id)).filter((s): s is PairStats => s !== undefined);
    family('pbx_certificate_expiry_timestamp_seconds', 'gauge', 'notAfter of each watched certificate, Unix seconds.');
    for (const s of stats) {
      for (const c of s.certificates) {
        out.push(
          `pbx_certificate_expiry_timestamp_seconds{${s.label},target="${escapeLabel(c.target)}",address="${escapeLabel(c.address)}"} ${c.expiry}`,
        );
      }
    }
    family('pbx_check_duration_seconds', 'histogram', 'How long checks took, by pair and target.');
    for (const s of stats) {
      for (const target of TARGETS) {
        const t = s.targets[target];
        if (!t) continue;
        const l = `${s.label},target="${target}"`;
        let cumulative = 0;
        for (let i = 0; i < BUCKET_LABELS.length; i++) {
          cumulative += t.buckets[i]!;
          out.push(`pbx_check_duration_seconds_bucket{${l},le="${BUCKET_LABELS[i]}"} ${cumulative}`);
        }
        out.push(
          `pbx_check_duration_seconds_sum{${l}} ${t.sum}`,
          `pbx_check_duration_seconds_count{${l}} ${cumulative}`,
        );
      }
    }
    family('pbx_checks_total', 'counter', 'Checks by pair, target and result.');
    for (const s of stats) {
      for (const target of TARGETS) {
        const t = s.targets[target];
        if (!t) continue;
        out.push(
          `pbx_checks_total{${s.label},target="${target}",result="ok"} ${t.ok}`,
          `pbx_checks_total{${s.label},target="${target}",result="failed"} ${t.failed}`,
        );
      }
    }
    family('pbx_failovers_total', 'counter', 'Moves into failover, manual (an operator) or not (the watcher).');
    for (const s of stats) {
      if (s.failovers.manual) out.push(`pbx_failovers_total{${s.label},manual="true"} ${s.failovers.manual}`);
      if (s.failovers.watcher) out.push(`pbx_failovers_total{${s.label},manual="false"} ${s.failovers.watcher}`);
    }
    family('pbx_action_attempts_total', 'counter', 'Failover and failback action attempts by result.');
    for (const s of stats) {
      for (const kind of ['failover', 'failback'] as const) {
        const a = s.attempts[kind];
        if (a.ok + a.failed === 0) continue;
        out.push(
          `pbx_action_attempts_total{${s.label},kind="${kind}",result="ok"} ${a.ok}`,
          `pbx_action_attempts_total{${s.label},kind="${kind}",result="failed"} ${a.failed}`,
        );
      }
    }
    family(
      'pbx_dns_convergence_seconds',
      'gauge',
      'Seconds the DNS servers took to answer the expected records after the last action.',
    );
    for (const s of stats)
      if (s.dnsSeconds !== undefined) out.push(`pbx_dns_convergence_seconds{${s.label}} ${s.dnsSeconds}`);
    out.push('');
    return out.join('\n');
  }
}
