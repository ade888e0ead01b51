// After an action succeeds, proves that the DNS says what the action meant it to say: every server
// of the pair's `<dns-verify>` is asked directly (core/dns-client.ts) every 2 s until each answers
// authoritatively (AA, NOERROR) with exactly the expected set, or `within` passes. It subscribes to
// the engine's events like the history does, and emits its own: a `dns` event per round, the last
// one saying "DNS converged in N s" or why not, and then an alert `dns-not-converged` naming each
// server that does not agree and what it answers. A 2xx from an API that changed nothing ends the
// same way: the servers keep answering the old set.

import type { ActionKind, EngineEvent, PairSettings } from '../shared/model.js';
import type { DnsServerAnswer, DnsStatus, DnsVerifySettings } from '../shared/pbx-health.js';
import { fqdn, sameSet } from '../shared/dns-values.js';
import type { Clock, DnsClient, DnsQueryResult, EngineContext, Logger, Timers } from './ports.js';
import type { Supervisor } from './supervisor.js';

export interface DnsVerifyDeps {
  dns: DnsClient;
  clock: Clock;
  timers: Timers;
  log: Logger;
  emit(event: EngineEvent): void;
  /** The pair's settings as they are now (undefined once removed). */
  settingsOf(pair: string): PairSettings | undefined;
  /** Milliseconds between the starts of two rounds, default 2000. */
  roundMs?: number;
  /** Milliseconds one question may take, default 2000 (never past `within`). */
  queryTimeoutMs?: number;
}

interface Run {
  kind: ActionKind;
  settings: DnsVerifySettings;
  expected: string[];
  startedAt: number;
  timer?: unknown;
  cancelled: boolean;
}

export class DnsVerifier {
  private readonly runs = new Map<string, Run>();
  private readonly statuses = new Map<string, DnsStatus>();
  private stopped = false;

  constructor(private readonly deps: DnsVerifyDeps) {}

  /** Subscribe this to the engine's events. */
  handle(event: EngineEvent): void {
    if (this.stopped) return;
    if (event.type === 'config' && event.change !== 'added') this.forget(event.pair, event.change === 'removed');
    // Re-armed: the failover episode is over, and with it its verification (a failback brings its own).
    if (event.type === 'state' && event.from === 'failover' && event.to !== 'failover') this.endEpisode(event.pair);
    if (event.type !== 'action' || event.phase !== 'succeeded') return;
    const settings = this.deps.settingsOf(event.pair)?.dnsVerify;
    if (!settings) return;
    const expected = event.kind === 'failover' ? settings.failover : settings.failback;
    // A failback whose set is not given is not verified; what was verified before stays shown.
    if (expected.length === 0) return;
    this.start(event.pair, event.kind, settings, expected);
  }

  /** `dns` of GET /api/pairs/:id; undefined for a pair without `<dns-verify>`. */
  status(pair: string): DnsStatus | undefined {
    if (!this.deps.settingsOf(pair)?.dnsVerify) return undefined;
    return this.statuses.get(pair) ?? { phase: 'idle', expected: [], servers: [] };
  }

  /** `dnsPhase` of the pair's status; undefined for a pair without `<dns-verify>`. */
  phase(pair: string): DnsStatus['phase'] | undefined {
    return this.status(pair)?.phase;
  }

  stop(): void {
    this.stopped = true;
    for (const pair of [...this.runs.keys()]) this.cancel(pair);
  }

  /** Settings changed or the pair went: a run in progress ends (its settings are no longer the pair's). */
  private forget(pair: string, removed: boolean): void {
    const run = this.runs.get(pair);
    const now = this.deps.settingsOf(pair)?.dnsVerify;
    if (run && !removed && now && JSON.stringify(now) === JSON.stringify(run.settings)) return;
    this.cancel(pair);
    if (removed || !now) this.statuses.delete(pair);
    else if (run) this.statuses.set(pair, { phase: 'idle', expected: [], servers: [] });
  }

  private endEpisode(pair: string): void {
    const run = this.runs.get(pair);
    const last = this.statuses.get(pair);
    if (run && run.kind !== 'failover') return;
    this.cancel(pair);
    if (last) this.statuses.set(pair, { phase: 'idle', expected: [], servers: [] });
  }

  private cancel(pair: string): void {
    const run = this.runs.get(pair);
    if (!run) return;
    run.cancelled = true;
    if (run.timer !== undefined) this.deps.timers.clearTimeout(run.timer);
    this.runs.delete(pair);
  }

  private start(pair: string, kind: ActionKind, settings: DnsVerifySettings, expected: string[]): void {
    this.cancel(pair);
    const run: Run = { kind, settings, expected, startedAt: this.deps.clock.monotonic(), cancelled: false };
    this.runs.set(pair, run);
    this.statuses.set(pair, { phase: 'checking', expected, servers: [] });
    this.deps.log.info('DNS verification started', { pair, kind, name: settings.name, expected });
    void this.round(pair, run);
  }

  private async round(pair: string, run: Run): Promise<void> {
    const { clock } = this.deps;
    const roundStart = clock.monotonic();
    const deadline = run.startedAt + run.settings.within * 1000;
    const timeout = Math.max(100, Math.min(this.deps.queryTimeoutMs ?? 2000, deadline - roundStart));
    let servers: DnsServerAnswer[];
    try {
      servers = await Promise.all(run.settings.servers.map((s) => this.ask(s, run, timeout)));
    } catch (error) {
      // The client never rejects; anything else is a bug that must not leave the run hanging silently.
      this.deps.log.error('DNS verification round failed', { pair, error: (error as Error).message });
      servers = run.settings.servers.map((server) => ({
        server,
        answers: [],
        authoritative: false,
        rcode: '',
        ok: false,
        error: (error as Error).message,
      }));
    }
    if (run.cancelled || this.stopped) return;
    const now = clock.monotonic();
    const elapsed = Math.round((now - run.startedAt) / 100) / 10;
    const at = new Date(clock.now()).toISOString();
    const converged = servers.every((s) => s.ok);
    const over = !converged && now >= deadline;
    const phase = converged ? 'converged' : over ? 'not-converged' : 'checking';
    const status: DnsStatus = { phase, expected: run.expected, servers, checkedAt: at };
    if (converged) status.convergedAt = at;
    this.statuses.set(pair, status);
    const base = { type: 'dns', pair, at, kind: run.kind, phase, expected: run.expected, servers, elapsed } as const;
    if (converged) {
      this.runs.delete(pair);
      this.deps.emit({ ...base, message: `DNS converged in ${seconds(elapsed)}` });
      return;
    }
    if (over) {
      this.runs.delete(pair);
      const message = notConvergedMessage(run, servers, elapsed);
      this.deps.emit({ ...base, message });
      this.deps.emit({ type: 'alert', pair, at, alert: 'dns-not-converged', severity: 'critical', message });
      return;
    }
    this.deps.emit(base);
    const next = Math.min(roundStart + (this.deps.roundMs ?? 2000), deadline);
    run.timer = this.deps.timers.setTimeout(() => void this.round(pair, run), Math.max(0, next - now));
  }

  private async ask(server: string, run: Run, timeoutMs: number): Promise<DnsServerAnswer> {
    const { name, type } = run.settings;
    const [answer, soa] = await Promise.all([
      this.deps.dns.query(server, name, type, timeoutMs),
      this.deps.dns.query(server, name, 'SOA', timeoutMs),
    ]);
    return judge(answer, soa, run.expected);
  }
}

/**
 * The verifier of a running engine: fed every event of the supervisor, its `dns` events sent with the
 * pair's status, and `dnsPhase` added to every status the supervisor hands out.
 */
export function attachDnsVerifier(
  supervisor: Supervisor,
  ctx: EngineContext,
  tuning: { roundMs?: number | undefined } = {},
): DnsVerifier {
  const verifier = new DnsVerifier({
    dns: ctx.dns,
    clock: ctx.clock,
    timers: ctx.timers,
    log: ctx.log,
    emit: (event) => {
      const status = event.type === 'dns' ? supervisor.statusOf(event.pair) : undefined;
      supervisor.emit(event.type === 'dns' && status ? { ...event, status } : event);
    },
    settingsOf: (pair) => supervisor.get(pair)?.settings,
    ...(tuning.roundMs !== undefined ? { roundMs: tuning.roundMs } : {}),
  });
  supervisor.addStatusPart((pair) => {
    const phase = verifier.phase(pair);
    return phase === undefined ? undefined : { dnsPhase: phase };
  });
  supervisor.subscribe((event) => verifier.handle(event));
  return verifier;
}

/** A server's answer against the expected set: ok when authoritative, NOERROR and exactly that set. */
export function judge(answer: DnsQueryResult, soa: DnsQueryResult | undefined, expected: string[]): DnsServerAnswer {
  const out: DnsServerAnswer = {
    server: answer.server,
    answers: answer.answers,
    authoritative: answer.authoritative,
    rcode: answer.rcode ?? '',
    ok: answer.error === undefined && answer.authoritative && answer.rcode === 'NOERROR',
  };
  out.ok &&= sameSet(answer.answers, expected);
  if (answer.ttl !== undefined) out.ttl = answer.ttl;
  const serial = answer.serial ?? soa?.serial;
  if (serial !== undefined) out.serial = serial;
  if (answer.error !== undefined) out.error = answer.error;
  return out;
}

function seconds(s: number): string {
  return `${s} s`;
}

/** What a server that does not agree says, in words. */
export function describeAnswer(s: DnsServerAnswer, previous: readonly string[]): string {
  if (s.error !== undefined) return `${s.server}: ${s.error}`;
  const what = s.answers.length > 0 ? `answers ${s.answers.join(' ')}` : `answers no record (${s.rcode})`;
  const notes: string[] = [];
  if (s.answers.length > 0 && s.rcode !== 'NOERROR') notes.push(s.rcode);
  if (!s.authoritative) notes.push('not authoritative');
  if (s.serial !== undefined) notes.push(`serial ${s.serial}`);
  if (previous.length > 0 && sameSet(s.answers, previous))
    notes.push('still the old set: the change has not reached it');
  return `${s.server} ${what}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
}

function notConvergedMessage(run: Run, servers: DnsServerAnswer[], elapsed: number): string {
  const previous = run.kind === 'failover' ? run.settings.failback : run.settings.failover;
  const wrong = servers.filter((s) => !s.ok).map((s) => describeAnswer(s, previous));
  return (
    `DNS not converged in ${seconds(elapsed)} after the ${run.kind} (the DNS API accepted it): ` +
    `${fqdn(run.settings.name)} ${run.settings.type} should be ${run.expected.join(' ')}, but ${wrong.join('; ')}`
  );
}
