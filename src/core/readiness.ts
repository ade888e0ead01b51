// Failover readiness of every pair, all the time: every `<readiness interval>` seconds (default 300)
// and at once when asked, each pair's items are checked without sending any action (readiness-items.ts).
// A pair that turns not ready raises one warning per episode, and one "ready again" when it is.
// Scheduled rounds share validation and receiver answers of the last few seconds (shared-probes.ts).
// Rounds of one pair never overlap; every wait goes through the engine's timers.

import type { EngineEvent, PairSettings, PairStatus } from '../shared/model.js';
import type { CertificateStatus, Readiness, ReadinessItem } from '../shared/pbx-health.js';
import { pairLabel } from '../shared/pair-label.js';
import { SharedProbes } from './shared-probes.js';
import type { Supervisor } from './supervisor.js';
import {
  actionReceiverItem,
  certificateItem,
  dnsItem,
  standbyItem,
  validationItem,
  type ItemInputs,
  type Item,
  type ReadinessContext,
} from './readiness-items.js';

export const DEFAULT_READINESS_INTERVAL_S = 300;

/**
 * First rounds of pairs watched together start at least this far apart: a thousand pairs added at
 * once (the engine's start) would otherwise send a thousand validation checks to the same site and
 * open a thousand connections to the action receivers in the same millisecond, stall the watchers'
 * checks, and time out against their own queue. Later rounds keep the spread (each comes an
 * interval after its own round).
 */
export const FIRST_ROUND_SPACING_MS = 10;

export interface ReadinessSources {
  settings(id: string): PairSettings | undefined;
  status(id: string): PairStatus | undefined;
  certificates?(id: string): readonly CertificateStatus[] | undefined;
  emit(event: EngineEvent): void;
}

export interface ReadinessOptions {
  /** Delay of the first round after a pair is added, ms (default 10 s: the watchers' first checks come first). */
  firstDelayMs?: number | undefined;
}

interface PairRound {
  timer: unknown;
  running: Promise<Readiness> | undefined;
  last: Readiness | undefined;
  /** Whether the current not-ready episode was announced. */
  alerted: boolean;
}

export class ReadinessWatch {
  private readonly pairs = new Map<string, PairRound>();
  private stopped = false;
  private readonly firstDelayMs: number;
  /** Validation and receiver answers shared between pairs' rounds a few seconds apart. */
  private readonly shared: SharedProbes;
  /** Monotonic time before which no further first round starts (see FIRST_ROUND_SPACING_MS). */
  private nextFirstAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly ctx: ReadinessContext,
    private readonly sources: ReadinessSources,
    opts: ReadinessOptions = {},
  ) {
    this.firstDelayMs = opts.firstDelayMs ?? 10_000;
    this.shared = new SharedProbes(ctx.clock);
  }

  /** Start (or restart, after a settings change) the rounds of a pair. */
  watch(id: string): void {
    if (this.stopped) return;
    const round = this.pairs.get(id);
    if (round) {
      this.ctx.timers.clearTimeout(round.timer);
      round.timer = this.schedule(id, this.firstDelay());
      return;
    }
    this.pairs.set(id, {
      timer: this.schedule(id, this.firstDelay()),
      running: undefined,
      last: undefined,
      alerted: false,
    });
  }

  forget(id: string): void {
    const round = this.pairs.get(id);
    if (round) this.ctx.timers.clearTimeout(round.timer);
    this.pairs.delete(id);
  }

  stop(): void {
    this.stopped = true;
    for (const round of this.pairs.values()) this.ctx.timers.clearTimeout(round.timer);
  }

  readiness(id: string): Readiness | undefined {
    return this.pairs.get(id)?.last;
  }

  /** One round now, probing afresh (joins a round already running); the next is an interval later. */
  checkNow(id: string): Promise<Readiness | undefined> {
    const round = this.pairs.get(id);
    if (!round || this.stopped) return Promise.resolve(undefined);
    return this.run(id, round, true);
  }

  /** The first delay, pushed back to keep first rounds FIRST_ROUND_SPACING_MS apart. */
  private firstDelay(): number {
    const now = this.ctx.clock.monotonic();
    const at = Math.max(now + this.firstDelayMs, this.nextFirstAt);
    this.nextFirstAt = at + FIRST_ROUND_SPACING_MS;
    // Whole milliseconds: (now + 1000) - now can be 999.9999…, which a timer may truncate to 999.
    return Math.round(at - now);
  }

  private schedule(id: string, ms: number): unknown {
    return this.ctx.timers.setTimeout(() => {
      const round = this.pairs.get(id);
      if (round) void this.run(id, round, false);
    }, ms);
  }

  /** `fresh`: asked by the operator, so no answer shared from another pair's round is taken. */
  private run(id: string, round: PairRound, fresh: boolean): Promise<Readiness> {
    round.running ??= this.round(id, fresh)
      .then((readiness) => {
        if (this.pairs.get(id) === round && !this.stopped) this.publish(id, round, readiness);
        return readiness;
      })
      .finally(() => {
        round.running = undefined;
        if (this.pairs.get(id) !== round || this.stopped) return;
        this.ctx.timers.clearTimeout(round.timer);
        const settings = this.sources.settings(id);
        const interval = settings?.readinessInterval ?? DEFAULT_READINESS_INTERVAL_S;
        round.timer = this.schedule(id, interval * 1000);
      });
    return round.running;
  }

  private async round(id: string, fresh: boolean): Promise<Readiness> {
    const settings = this.sources.settings(id);
    if (!settings) return { ready: false, items: [] };
    const inputs: ItemInputs = {
      settings,
      status: this.sources.status(id),
      certificates: this.sources.certificates?.(id),
      ctx: this.ctx,
      isoNow: () => new Date(this.ctx.clock.now()).toISOString(),
      shared: this.shared,
      fresh,
    };
    const found = await Promise.all([
      standbyItem(inputs),
      certificateItem(inputs),
      dnsItem(inputs).catch((err: Error) => failed('dns', err)),
      actionReceiverItem(inputs).catch((err: Error) => failed('action-receiver', err)),
      validationItem(inputs).catch((err: Error) => failed('validation', err)),
    ]);
    const checkedAt = inputs.isoNow();
    const items: ReadinessItem[] = found.filter((i): i is Item => i !== undefined).map((i) => ({ ...i, checkedAt }));
    return { ready: items.every((i) => i.ok), items };
  }

  private publish(id: string, round: PairRound, readiness: Readiness): void {
    const was = round.last?.ready;
    round.last = readiness;
    const at = new Date(this.ctx.clock.now()).toISOString();
    const status = this.sources.status(id);
    const event: EngineEvent = { type: 'readiness', pair: id, at, readiness };
    if (status) event.status = status;
    this.sources.emit(event);
    const settings = this.sources.settings(id);
    const label = settings ? pairLabel(settings) : id;
    if (!readiness.ready && !round.alerted) {
      round.alerted = true;
      const why = readiness.items
        .filter((i) => !i.ok)
        .map((i) => `${i.key}: ${i.message}`)
        .join('; ');
      this.sources.emit({
        type: 'alert',
        pair: id,
        at,
        alert: 'not-ready',
        severity: 'warning',
        message: `${label} is not ready to fail over (${why})`,
      });
    } else if (readiness.ready && round.alerted && was === false) {
      round.alerted = false;
      this.sources.emit({
        type: 'alert',
        pair: id,
        at,
        alert: 'ready',
        severity: 'info',
        message: `${label} is ready to fail over again`,
      });
    }
  }
}

function failed(key: string, err: Error): Item {
  return { key, ok: false, message: `could not be checked: ${err.message}` };
}

/**
 * Readiness for every pair the supervisor watches: rounds start with the watchers and follow the
 * pairs added, changed and removed; `ready` rides on every status handed out.
 */
export function attachReadiness(
  supervisor: Supervisor,
  ctx: ReadinessContext,
  opts: ReadinessOptions & { certificates?: (id: string) => readonly CertificateStatus[] | undefined } = {},
): ReadinessWatch {
  const watch = new ReadinessWatch(
    ctx,
    {
      settings: (id) => supervisor.get(id)?.settings,
      status: (id) => supervisor.statusOf(id),
      ...(opts.certificates ? { certificates: opts.certificates } : {}),
      emit: (event) => supervisor.emit(event),
    },
    opts,
  );
  supervisor.addStatusPart((pair) => {
    const ready = watch.readiness(pair)?.ready;
    return ready === undefined ? undefined : { ready };
  });
  supervisor.subscribe((event) => {
    if (event.type !== 'config') return;
    if (event.change === 'removed') watch.forget(event.pair);
    else watch.watch(event.pair);
  });
  return watch;
}
