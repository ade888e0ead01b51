// Certificate expiry of every pair (`<certificates>`): the pair's targets (its `<check>`s, else its https:
// URLs and TLS SIP targets) are read at start, then every 6 hours and on "Test now", through the
// engine's Timers. Each reading lands in the context's CertificateBook (the pair's status shows the
// fewest days left) and goes out as a `certificates` event. A `certificate` alert is raised once per
// threshold crossed (warn, critical, expired) and once more when a renewed certificate is seen.

import { certificateTargets, type WatchedCertificate } from '../shared/certificate-targets.js';
import type { EngineEvent, PairSettings, PairStatus, Severity } from '../shared/model.js';
import { pairLabel } from '../shared/pair-label.js';
import {
  CERTIFICATE_DEFAULTS,
  CERTIFICATE_LEVELS,
  type CertificateLevel,
  type CertificateStatus,
} from '../shared/pbx-health.js';
import type { CertificateProbe, CertificateReading, EngineContext } from './ports.js';

export const DAY_MS = 86_400_000;
/** Checked at start and then every 6 hours. */
export const CERTIFICATE_EVERY_MS = 6 * 3_600_000;
const TIMEOUT_MS = 10_000;
/** Handshakes at once over all pairs: a thousand pairs do not open two thousand connections at start. */
const CONCURRENCY = 4;

const RANK = new Map<CertificateLevel, number>(CERTIFICATE_LEVELS.map((level, i) => [level, i]));
const SEVERITY: Record<Exclude<CertificateLevel, 'ok'>, Severity> = {
  warn: 'warning',
  critical: 'critical',
  expired: 'critical',
};

export interface CertificateWatchDeps {
  ctx: EngineContext;
  probe: CertificateProbe;
  emit(event: EngineEvent): void;
  /** The pair's status after a reading (it rides on the `certificates` event). */
  statusOf(pair: string): PairStatus | undefined;
  everyMs?: number;
  timeoutMs?: number;
  concurrency?: number;
}

/** What was alerted of one certificate: the highest level since it was last renewed, and its expiry then. */
interface Alerted {
  level: CertificateLevel;
  expiry: number;
}

interface Watched {
  settings: PairSettings;
  /** Targets and thresholds: a change of these reads the pair again at once. */
  key: string;
  targets: WatchedCertificate[];
  timer: unknown;
  round: Promise<void> | undefined;
  /** "Test now" during a round: read once more after it. */
  again: boolean;
  alerted: Map<string, Alerted>;
  removed: boolean;
}

export class CertificateWatch {
  private readonly pairs = new Map<string, Watched>();
  private running = false;
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly deps: CertificateWatchDeps) {}

  /** Follow the pairs as they are now: new ones are read, changed targets read again, removed ones forgotten. */
  sync(settings: readonly PairSettings[]): void {
    const ids = new Set(settings.map((s) => s.id));
    for (const [id, w] of this.pairs) if (!ids.has(id)) this.forget(id, w);
    for (const s of settings) {
      const targets = certificateTargets(s);
      const key = JSON.stringify([targets, s.certificates?.warnDays, s.certificates?.criticalDays]);
      const w = this.pairs.get(s.id);
      if (w && w.key === key) {
        w.settings = s;
        continue;
      }
      if (w) this.forget(s.id, w);
      const fresh: Watched = {
        settings: s,
        key,
        targets,
        timer: undefined,
        round: undefined,
        again: false,
        alerted: new Map(),
        removed: false,
      };
      this.pairs.set(s.id, fresh);
      if (this.running) this.schedule(fresh, 0);
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const w of this.pairs.values()) this.schedule(w, 0);
  }

  /** No more readings; a round in flight ends by its timeout at the latest. */
  async stop(): Promise<void> {
    this.running = false;
    for (const w of this.pairs.values()) this.clearTimer(w);
    await Promise.all([...this.pairs.values()].map((w) => w.round));
  }

  /** Read the pair's certificates now ("Test now"); resolves when they are read. */
  checkNow(pair: string): Promise<void> {
    const w = this.pairs.get(pair);
    if (!w || !this.running) return Promise.resolve();
    if (w.round) {
      w.again = true;
      return w.round.then(() => w.round);
    }
    this.clearTimer(w);
    return this.runRound(w);
  }

  private schedule(w: Watched, delayMs: number): void {
    this.clearTimer(w);
    if (w.targets.length === 0) {
      this.deps.ctx.certificates.set(w.settings.id, []);
      return;
    }
    w.timer = this.deps.ctx.timers.setTimeout(() => {
      w.timer = undefined;
      void this.runRound(w);
    }, delayMs);
  }

  private clearTimer(w: Watched): void {
    if (w.timer !== undefined) this.deps.ctx.timers.clearTimeout(w.timer);
    w.timer = undefined;
  }

  private forget(id: string, w: Watched): void {
    w.removed = true;
    this.clearTimer(w);
    this.pairs.delete(id);
    this.deps.ctx.certificates.delete(id);
  }

  private runRound(w: Watched): Promise<void> {
    const round = (async () => {
      do {
        w.again = false;
        await this.readAll(w);
      } while (w.again && this.running && !w.removed);
    })()
      .catch((error: unknown) =>
        this.deps.ctx.log.error('certificate check failed', { pair: w.settings.id, error: (error as Error).message }),
      )
      .finally(() => {
        w.round = undefined;
        if (this.running && !w.removed) this.schedule(w, this.deps.everyMs ?? CERTIFICATE_EVERY_MS);
      });
    w.round = round;
    return round;
  }

  private async readAll(w: Watched): Promise<void> {
    const timeoutMs = this.deps.timeoutMs ?? TIMEOUT_MS;
    const readings = await Promise.all(
      w.targets.map((t) => this.limited(() => this.deps.probe.read({ name: t.name, address: t.address }, timeoutMs))),
    );
    if (w.removed || !this.running) return;
    const now = this.deps.ctx.clock.now();
    const statuses = w.targets.map((t, i) => this.judge(w, t, readings[i]!, now));
    const id = w.settings.id;
    this.deps.ctx.certificates.set(id, statuses);
    const event: EngineEvent = {
      type: 'certificates',
      pair: id,
      at: new Date(now).toISOString(),
      certificates: statuses.map((s) => ({ ...s })),
    };
    const status = this.deps.statusOf(id);
    if (status) event.status = status;
    this.deps.emit(event);
  }

  /** The status of one reading, and its alert when it crossed a threshold or shows a renewal. */
  private judge(w: Watched, t: WatchedCertificate, r: CertificateReading, now: number): CertificateStatus {
    const status: CertificateStatus = {
      target: t.target,
      name: t.name,
      address: t.address,
      checkedAt: new Date(now).toISOString(),
    };
    if (!r.ok) return { ...status, error: r.error };
    const expiry = Math.min(r.notAfter, r.chainNotAfter);
    const daysLeft = Math.floor((expiry - now) / DAY_MS);
    const level = levelOf(expiry, daysLeft, now, w.settings);
    Object.assign(status, {
      notAfter: new Date(r.notAfter).toISOString(),
      daysLeft,
      level,
      subject: r.subject,
      issuer: r.issuer,
      altNames: r.altNames,
      nameMatches: r.nameMatches,
      trusted: r.trusted,
      chainNotAfter: new Date(r.chainNotAfter).toISOString(),
    });
    if (r.trustError !== undefined) status.trustError = r.trustError;
    const key = `${t.target} ${t.name} ${t.address}`;
    const before = w.alerted.get(key);
    const worse = before === undefined || RANK.get(level)! > RANK.get(before.level)!;
    if (before !== undefined && expiry > before.expiry && RANK.get(level)! < RANK.get(before.level)!) {
      w.alerted.set(key, { level, expiry });
      this.alert(w, 'info', `${describe(t)} was renewed: it now expires ${when(expiry, daysLeft)}`, now);
    } else if (worse) {
      w.alerted.set(key, { level, expiry });
      if (level !== 'ok') this.alert(w, SEVERITY[level], `${describe(t)} ${expiryWords(level, expiry, daysLeft)}`, now);
    } else w.alerted.set(key, { level: before.level, expiry });
    return status;
  }

  private alert(w: Watched, severity: Severity, message: string, now: number): void {
    this.deps.emit({
      type: 'alert',
      pair: w.settings.id,
      at: new Date(now).toISOString(),
      alert: 'certificate',
      severity,
      message: `${pairLabel(w.settings)}: ${message}`,
    });
  }

  private async limited<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= (this.deps.concurrency ?? CONCURRENCY)) await new Promise<void>((go) => this.queue.push(go));
    this.active++;
    try {
      return await work();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

function levelOf(expiry: number, daysLeft: number, now: number, s: PairSettings): CertificateLevel {
  if (expiry <= now) return 'expired';
  if (daysLeft < (s.certificates?.criticalDays ?? CERTIFICATE_DEFAULTS.criticalDays)) return 'critical';
  if (daysLeft < (s.certificates?.warnDays ?? CERTIFICATE_DEFAULTS.warnDays)) return 'warn';
  return 'ok';
}

function describe(t: WatchedCertificate): string {
  return `the certificate for ${t.name} at ${t.address} (${t.target})`;
}

function expiryWords(level: CertificateLevel, expiry: number, daysLeft: number): string {
  if (level === 'expired') return `expired on ${isoMinute(expiry)}`;
  return `expires ${when(expiry, daysLeft)}`;
}

function when(expiry: number, daysLeft: number): string {
  return `on ${isoMinute(expiry)} (${daysLeft} ${daysLeft === 1 ? 'day' : 'days'} left)`;
}

function isoMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}
