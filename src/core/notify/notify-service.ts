// The alert channels as the controller offers them: the dispatcher subscribed to the engine's
// events, the team's acknowledgements and silences (operator events, so every client hears of them
// and the history keeps them across a restart), and "Send test". The controller delegates here.

import { MonitorError, type Reasoned } from '../../shared/api.js';
import type { AlertEvent, EngineEvent, HistoryEvent, OperatorEvent } from '../../shared/model.js';
import type {
  NotifyOverview,
  NotifySettings,
  NotifyTestResult,
  SilenceInfo,
  SilenceRequest,
} from '../../shared/notify.js';
import type { EngineContext, HistoryStore } from '../ports.js';
import { isObject, readRequester } from '../requests.js';
import { NotifyDispatcher, type DispatcherDeps } from './dispatcher.js';

/** Acknowledgements and silences are read back from this far in the history at start. */
const RESTORE_DAYS = 30;
/** The longest silence, seconds (30 days). */
export const MAX_SILENCE_SECONDS = 30 * 24 * 3600;

export interface NotifyServiceDeps {
  ctx: EngineContext;
  history: HistoryStore;
  emit(event: EngineEvent): void;
  pairInfo: DispatcherDeps['pairInfo'];
  hasPair(id: string): boolean;
  defaultOperator: string;
  /** Knobs of the dispatcher (tests). */
  tuning?: Partial<Pick<DispatcherDeps, 'backoff' | 'attempts' | 'timeoutMs' | 'failingAfter'>>;
}

export class NotifyService {
  readonly dispatcher: NotifyDispatcher;

  constructor(private readonly deps: NotifyServiceDeps) {
    const { ctx } = deps;
    this.dispatcher = new NotifyDispatcher({
      client: ctx.client,
      clock: ctx.clock,
      timers: ctx.timers,
      log: ctx.log,
      emit: deps.emit,
      pairInfo: deps.pairInfo,
      ...deps.tuning,
    });
  }

  setChannels(channels: readonly NotifySettings[] | undefined): void {
    this.dispatcher.setChannels(channels ?? []);
  }

  channels(): NotifySettings[] {
    return this.dispatcher.settings();
  }

  /** Before the watchers start: open conditions, acknowledgements and silences from the history. */
  async restore(): Promise<void> {
    const now = this.deps.ctx.clock.now();
    try {
      const events = await this.deps.history.queryAll(
        ['alert', 'state', 'operator'],
        now - RESTORE_DAYS * 86_400_000,
        now,
      );
      this.dispatcher.restore(events);
    } catch (error) {
      this.deps.ctx.log.warn('acknowledgements could not be read back from the history', {
        error: (error as Error).message,
      });
    }
  }

  handle(event: EngineEvent): void {
    this.dispatcher.handle(event);
  }

  overview(): NotifyOverview {
    return { channels: this.dispatcher.info(), silences: this.dispatcher.silences() };
  }

  /** GET /api/alerts: each alert with who acknowledged it. */
  decorate(events: HistoryEvent[]): HistoryEvent[] {
    return events.map((e) => {
      if (e.type !== 'alert' || e.id === undefined) return e;
      const ack = this.dispatcher.ackOf(e.id);
      return ack ? { ...e, acknowledged: ack } : e;
    });
  }

  async ack(id: string, req: Reasoned): Promise<AlertEvent> {
    if (typeof id !== 'string' || id === '') throw new MonitorError('not-found', 'there is no alert without an id');
    const alert = this.dispatcher.alert(id) ?? (await this.findInHistory(id));
    if (!alert) throw new MonitorError('not-found', `there is no alert with id "${id}"`);
    const { reason, operator } = readRequester(alert.pair, req, true, this.deps.defaultOperator);
    const before = this.dispatcher.ackOf(id);
    if (before)
      throw new MonitorError(
        'conflict',
        `alert "${id}" was already acknowledged by ${before.operator}: ${before.reason}`,
      );
    const event: OperatorEvent = {
      type: 'operator',
      pair: alert.pair,
      at: this.iso(),
      action: 'ack',
      operator,
      reason,
      outcome: 'ok',
      detail: `acknowledged ${alert.alert}: ${alert.message}`.slice(0, 500),
      alertId: id,
    };
    this.deps.emit(event);
    return { ...alert, acknowledged: { operator, reason, at: event.at } };
  }

  silence(pair: string, req: SilenceRequest): SilenceInfo {
    if (!this.deps.hasPair(pair)) throw new MonitorError('not-found', `there is no pair with id "${String(pair)}"`);
    const { reason, operator } = readRequester(pair, req, true, this.deps.defaultOperator);
    const duration = isObject(req) ? (req as unknown as Record<string, unknown>)['duration'] : undefined;
    if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 0 || duration > MAX_SILENCE_SECONDS)
      throw new MonitorError('invalid', 'the silence needs a duration', [
        {
          pair,
          field: 'duration',
          message: `must be seconds from 0 (end the silence) to ${MAX_SILENCE_SECONDS} (30 days), got ${JSON.stringify(duration) ?? 'nothing'}`,
        },
      ]);
    const now = this.deps.ctx.clock.now();
    const until = new Date(now + Math.round(duration * 1000)).toISOString();
    this.deps.emit({
      type: 'operator',
      pair,
      at: new Date(now).toISOString(),
      action: 'silence',
      operator,
      reason,
      outcome: 'ok',
      detail: duration === 0 ? 'silence ended' : `silenced until ${until}`,
      until,
    });
    return { pair, until, operator, reason };
  }

  async test(id: string, by: Partial<Reasoned> | undefined): Promise<NotifyTestResult> {
    if (!this.dispatcher.settings().some((s) => s.id === id))
      throw new MonitorError('not-found', `there is no <notify> channel with id "${String(id)}"`);
    const { reason, operator } = readRequester('*', by, false, this.deps.defaultOperator);
    const result = await this.dispatcher.test(id, operator);
    this.deps.emit({
      type: 'operator',
      pair: '*',
      at: this.iso(),
      action: 'notify-test',
      operator,
      reason,
      outcome: result.ok ? 'ok' : 'failed',
      detail: `channel "${id}": ${result.ok ? `delivered (${result.status ?? 'ok'})` : (result.error ?? 'failed')}`,
    });
    return result;
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }

  private async findInHistory(id: string): Promise<AlertEvent | undefined> {
    const now = this.deps.ctx.clock.now();
    const events = await this.deps.history.queryAll(['alert'], now - RESTORE_DAYS * 86_400_000, now);
    return events.find((e): e is AlertEvent => e.type === 'alert' && e.id === id);
  }

  private iso(): string {
    return new Date(this.deps.ctx.clock.now()).toISOString();
  }
}
