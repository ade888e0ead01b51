// The per-pair series of GET /metrics, kept in flat arrays and written straight to text. With
// thousands of pairs these are almost all of a scrape, and prom-client's label maps and per-sample
// formatting took fifteen times what writing the same lines takes (bench row 5), so they are written
// here; prom-client keeps the process metrics and the low-cardinality series.
//
// A scrape of 5,000 pairs is 10 MB of text in 135,000 lines. Building it as strings (a template
// string per line, then a join) costs more in garbage collection than in writing: so each line is
// copied into one byte buffer from pieces that exist once (the metric name and the fixed labels
// shared by every pair, each pair's `pair="…"` encoded once), with the numbers written as digits.

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
  /** `pair="acme"`, escaped once, as UTF-8. */
  label: Uint8Array;
  /** The label as text, for the rare lines written as strings. */
  labelText: string;
  /** The label holds more than ASCII (a pair id is [a-z0-9_-], but this writer does not rely on it). */
  wide: boolean;
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
      const labelText = `pair="${escapeLabel(pair)}"`;
      s = {
        label: Buffer.from(labelText, 'utf8'),
        labelText,
        wide: Buffer.byteLength(labelText, 'utf8') !== labelText.length,
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
    const stats = statuses.map((p) => this.pairs.get(p.id) ?? this.stats(p.id));
    const out = new TextOut(this.lastBytes);
    if (stats.some((s) => s.wide)) out.wide();

    out.text(FAMILY.state);
    statuses.forEach((p, i) => {
      const label = stats[i]!.label;
      for (let k = 0; k < PAIR_STATES.length; k++) {
        out.line(PAIR_STATE, label, STATE_LABELS[k]!);
        out.digit(p.state === PAIR_STATES[k] ? 1 : 0);
      }
    });
    out.text(FAMILY.consecutive);
    statuses.forEach((p, i) => {
      out.line(CONSECUTIVE, stats[i]!.label, CLOSE);
      out.number(p.consecutiveFailures);
    });
    out.text(FAMILY.tolerated);
    statuses.forEach((p, i) => {
      out.line(TOLERATED, stats[i]!.label, CLOSE);
      out.number(p.toleratedFailures);
    });
    out.text(FAMILY.ready);
    statuses.forEach((p, i) => {
      if (p.ready === undefined) return;
      out.line(READY, stats[i]!.label, CLOSE);
      out.digit(p.ready ? 1 : 0);
    });
    out.text(FAMILY.certificates);
    for (const s of stats) {
      for (const c of s.certificates) {
        out.text(
          `pbx_certificate_expiry_timestamp_seconds{${s.labelText},target="${escapeLabel(c.target)}",address="${escapeLabel(c.address)}"} ${c.expiry}\n`,
        );
      }
    }
    out.text(FAMILY.duration);
    for (const s of stats) {
      for (let k = 0; k < TARGETS.length; k++) {
        const t = s.targets[TARGETS[k]!];
        if (!t) continue;
        const fixed = TARGET_LABELS[k]!;
        let cumulative = 0;
        for (let i = 0; i < BUCKET_LABELS.length; i++) {
          cumulative += t.buckets[i]!;
          out.line(BUCKET, s.label, fixed.buckets[i]!);
          out.number(cumulative);
        }
        out.line(SUM, s.label, fixed.close);
        out.number(t.sum);
        out.line(COUNT, s.label, fixed.close);
        out.number(cumulative);
      }
    }
    out.text(FAMILY.checks);
    for (const s of stats) {
      for (let k = 0; k < TARGETS.length; k++) {
        const t = s.targets[TARGETS[k]!];
        if (!t) continue;
        const fixed = TARGET_LABELS[k]!;
        out.line(CHECKS, s.label, fixed.ok);
        out.number(t.ok);
        out.line(CHECKS, s.label, fixed.failed);
        out.number(t.failed);
      }
    }
    out.text(FAMILY.failovers);
    for (const s of stats) {
      const l = s.labelText;
      if (s.failovers.manual) out.text(`pbx_failovers_total{${l},manual="true"} ${s.failovers.manual}\n`);
      if (s.failovers.watcher) out.text(`pbx_failovers_total{${l},manual="false"} ${s.failovers.watcher}\n`);
    }
    out.text(FAMILY.attempts);
    for (const s of stats) {
      for (const kind of ['failover', 'failback'] as const) {
        const a = s.attempts[kind];
        if (a.ok + a.failed === 0) continue;
        out.text(
          `pbx_action_attempts_total{${s.labelText},kind="${kind}",result="ok"} ${a.ok}\n` +
            `pbx_action_attempts_total{${s.labelText},kind="${kind}",result="failed"} ${a.failed}\n`,
        );
      }
    }
    out.text(FAMILY.dns);
    for (const s of stats)
      if (s.dnsSeconds !== undefined) out.text(`pbx_dns_convergence_seconds{${s.labelText}} ${s.dnsSeconds}\n`);
    this.lastBytes = out.length;
    return out.finish();
  }

  /** The size of the last scrape, so the next one starts with a buffer that fits. */
  private lastBytes = 0;
}

const bytes = (text: string): Uint8Array => Buffer.from(text, 'utf8');

function family(name: string, type: string, help: string): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
}

const FAMILY = {
  state: family('pbx_pair_state', 'gauge', '1 for the state the pair is in, 0 for the others.'),
  consecutive: family('pbx_pair_consecutive_failures', 'gauge', 'Failed checks of the primary in a row.'),
  tolerated: family(
    'pbx_pair_tolerated_failures',
    'gauge',
    'Failed checks in a row the pair tolerates before it verifies.',
  ),
  ready: family('pbx_pair_ready', 'gauge', 'Failover readiness: 1 ready, 0 not ready (absent until first checked).'),
  certificates: family(
    'pbx_certificate_expiry_timestamp_seconds',
    'gauge',
    'notAfter of each watched certificate, Unix seconds.',
  ),
  duration: family('pbx_check_duration_seconds', 'histogram', 'How long checks took, by pair and target.'),
  checks: family('pbx_checks_total', 'counter', 'Checks by pair, target and result.'),
  failovers: family(
    'pbx_failovers_total',
    'counter',
    'Moves into failover, manual (an operator) or not (the watcher).',
  ),
  attempts: family('pbx_action_attempts_total', 'counter', 'Failover and failback action attempts by result.'),
  dns: family(
    'pbx_dns_convergence_seconds',
    'gauge',
    'Seconds the DNS servers took to answer the expected records after the last action.',
  ),
};

// Each line is NAME{ + the pair's label + the rest of its labels and "} ", then the value.
const PAIR_STATE = bytes('pbx_pair_state{');
const CONSECUTIVE = bytes('pbx_pair_consecutive_failures{');
const TOLERATED = bytes('pbx_pair_tolerated_failures{');
const READY = bytes('pbx_pair_ready{');
const BUCKET = bytes('pbx_check_duration_seconds_bucket{');
const SUM = bytes('pbx_check_duration_seconds_sum{');
const COUNT = bytes('pbx_check_duration_seconds_count{');
const CHECKS = bytes('pbx_checks_total{');
const CLOSE = bytes('} ');
const STATE_LABELS = PAIR_STATES.map((s) => bytes(`,state="${s}"} `));
const TARGET_LABELS = TARGETS.map((target) => ({
  buckets: BUCKET_LABELS.map((le) => bytes(`,target="${target}",le="${le}"} `)),
  close: bytes(`,target="${target}"} `),
  ok: bytes(`,target="${target}",result="ok"} `),
  failed: bytes(`,target="${target}",result="failed"} `),
}));

/** One growing byte buffer of exposition text. */
class TextOut {
  private buf: Buffer;
  length = 0;
  /** Only ASCII so far: the bytes are then their own text, no UTF-8 decoding needed. */
  private ascii = true;

  constructor(expected: number) {
    this.buf = Buffer.allocUnsafe(Math.max(64 * 1024, Math.ceil(expected * 1.1)));
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }

  /** NAME{ label rest: everything of a line but its value (a label longer than 4 kB still fits). */
  line(name: Uint8Array, label: Uint8Array, rest: Uint8Array): void {
    this.room(name.length + label.length + rest.length + 32);
    const buf = this.buf;
    buf.set(name, this.length);
    this.length += name.length;
    buf.set(label, this.length);
    this.length += label.length;
    buf.set(rest, this.length);
    this.length += rest.length;
  }

  /** 0 or 1 and the newline; room() of line() left space for it. */
  digit(d: 0 | 1): void {
    this.buf[this.length++] = 0x30 + d;
    this.buf[this.length++] = 0x0a;
  }

  /** A value and the newline: a count digit by digit, anything else as JavaScript prints it. */
  number(n: number): void {
    if (!(Number.isSafeInteger(n) && n >= 0)) {
      this.text(`${n}\n`);
      return;
    }
    this.room(18);
    const buf = this.buf;
    let digits = 1;
    for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    let at = this.length + digits;
    this.length = at + 1;
    buf[at] = 0x0a;
    let rest = n;
    do {
      buf[--at] = 0x30 + (rest % 10);
      rest = Math.floor(rest / 10);
    } while (rest > 0);
  }

  wide(): void {
    this.ascii = false;
  }

  text(s: string): void {
    this.room(s.length * 3);
    const written = this.buf.write(s, this.length, 'utf8');
    if (this.ascii && written !== s.length) this.ascii = false;
    this.length += written;
  }

  finish(): string {
    return this.buf.toString(this.ascii ? 'latin1' : 'utf8', 0, this.length);
  }
}
