// The engine as operators and views see it: MonitorApi on top of the
// supervisor. Every change is validated before anything changes; every state
// and action step is persisted through the ConfigStore (state writes
// coalesced, action progress never delayed); every event goes to the history;
// every operator move becomes an OperatorEvent with who, what, why and outcome.
// A pbxctrl-failover.xml edited by hand is noticed and applied like an import.

import { HealthProblems } from './health-problems.js';
import { type HealthInfo, type ImportMode, type ImportOptions, MonitorError, type RemoveRequest, type Reasoned, type RearmRequest, type TimeRange, type Unsubscribe } from '../shared/api.js';
import type {
  CheckResult,
  EngineEvent,
  HistoryEvent,
  ImportChange,
  ImportResult,
  OperatorAction,
  PairDetail,
  PairHistory,
  PairSettings,
  PairStatus,
  Problem,
} from '../shared/model.js';
import { unstorableMessage } from '../shared/text.js';
import { effectiveTimeout, maskSettings, maskUrl, parseAcceptStatus, settingsWarnings, validatePairList, validatePairSettings } from '../shared/validate.js';
import { pairSendProblems } from './action-runner.js';
import { errnoCode, explainFsError } from './fs-errors.js';
import type { HttpClient } from './http-client.js';
import type { Clock, ConfigStore, FailoverConfig, HistoryStore, Logger, Monitor, PairRecord, Timers } from './ports.js';
import { acceptOnly200, compileAcceptStatus, probeOnce } from './probe.js';
import { Supervisor } from './supervisor.js';
import type { Watcher } from './watcher.js';

export interface ControllerOptions {
  serverdir: string;
  version: string;
  store: ConfigStore;
  history: HistoryStore;
  client: HttpClient;
  clock: Clock;
  /** Timers of the watchers (default the global ones). */
  timers?: Timers;
  log: Logger;
  /** Operator recorded when a request names none. */
  defaultOperator: string;
  /** Milliseconds to wait after failed action attempt n; default 0.5 s doubling, capped at 30 s. */
  backoff?: (attempt: number) => number;
  /** State writes within this window are coalesced into one (default 200 ms). */
  saveCoalesceMs?: number;
  /** How often the file is checked for hand edits (default 3 s; 0 turns it off). */
  configPollMs?: number;
  /** Action attempts in flight get this long to finish on close (default: the longest action timeout + 2 s). */
  closeGraceMs?: number;
  /** Runs last in close() (openMonitor releases the lock here). */
  onClose?: () => Promise<void>;
  /** Milliseconds before retrying failed state write n; default 1 s doubling, capped at 30 s. */
  writeRetryBackoff?: (attempt: number) => number;
}

const DAY_MS = 86_400_000;
/** The longest reason an operator may give; the HTTP routes use the same limit. */
export const MAX_REASON_LENGTH = 1000;
/** The longest operator name. */
export const MAX_OPERATOR_LENGTH = 200;
/** Coalesced state writes take at most about 1 / (1 + WRITE_SPACING) of the event loop. */
const WRITE_SPACING = 9;
/** A slow disk must not leave the states in the file stale for long. */
const MAX_WRITE_SPACING_MS = 30_000;

export class Controller implements Monitor {
  readonly serverdir: string;
  private readonly supervisor: Supervisor;
  /** What /api/health reports: state writes failing, the lock lost. */
  readonly problems = new HealthProblems();
  private readonly opts: ControllerOptions;
  private readonly log: Logger;
  private serial: Promise<unknown> = Promise.resolve();
  private diskTurn: Promise<unknown> = Promise.resolve();
  private saveTimer: NodeJS.Timeout | undefined;
  private savingNow: Promise<void> | undefined;
  private queuedSave: Promise<void> | undefined;
  /** Set while the file on disk is an invalid hand edit: nothing is written until it is fixed. */
  private blockedBy: Problem[] | undefined;
  private lastAlertedProblems = '';
  /** How long the last write of the file took, ms (spaces out coalesced state writes). */
  private lastWriteMs = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  /** The hand-edit check running now; a second caller waits for it. */
  private polling: Promise<void> | undefined;
  /** Retries a failed state write; set while one is due. */
  private writeRetryTimer: NodeJS.Timeout | undefined;
  private writeRetries = 0;
  /** The last state-write failure logged, so that retries failing the same way do not flood the log. */
  private lastWriteFailure = '';
  private started = false;
  private closing: Promise<void> | undefined;
  /** Set when another instance took the serverdir lock: nothing runs or is written any more. */
  private lostLock: string | undefined;

  constructor(opts: ControllerOptions, initial: FailoverConfig) {
    this.opts = opts;
    this.serverdir = opts.serverdir;
    this.log = opts.log;
    const supervisorDeps: ConstructorParameters<typeof Supervisor>[0] = {
      client: opts.client,
      clock: opts.clock,
      log: opts.log,
      persistSoon: () => this.persistSoon(),
      persistNow: () => this.persistNow(),
    };
    if (opts.backoff) supervisorDeps.backoff = opts.backoff;
    if (opts.timers) supervisorDeps.timers = opts.timers;
    this.supervisor = new Supervisor(supervisorDeps);
    this.supervisor.subscribe((event) => opts.history.record(event));
    for (const record of initial.pairs) this.supervisor.add(record.settings, record.persisted);
  }

  /** Starts the watchers (first checks spread over an interval) and the watch on the file. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const w of this.supervisor.list()) {
      for (const warning of settingsWarnings(w.settings)) this.log.warn(`pair "${w.id}": ${warning}`, { pair: w.id });
    }
    this.supervisor.start();
    const pollMs = this.opts.configPollMs ?? 3000;
    if (pollMs > 0) {
      this.pollTimer = setInterval(() => void this.checkFileOnDisk(), pollMs);
      this.pollTimer.unref();
    }
  }

  subscribe(listener: (event: EngineEvent) => void): Unsubscribe {
    return this.supervisor.subscribe(listener);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (this.pollTimer) clearInterval(this.pollTimer);
    await this.serial.catch(() => undefined);
    // An attempt in flight ends by its own timeout at the latest; its outcome must be on disk before
    // the lock is released, or the next start would send it again.
    const longest = Math.max(0, ...this.supervisor.list().map((w) => w.longestActionMs()));
    await this.supervisor.stop(this.opts.closeGraceMs ?? longest + 2000);
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
    }
    this.stopWriteRetry();
    let finalWrite: string | undefined;
    // Without the lock the file belongs to the other instance: not writing it is the point, not a failure.
    if (this.lostLock === undefined) await this.persistNow().catch((error: unknown) => {
      finalWrite = this.problems.list().find((p) => p.kind === 'state-write')?.message ?? messageOf(error);
      this.log.error('the final write of pair states failed; what was decided since the last successful write is lost', { error: finalWrite });
    });
    await this.opts.history.flush().catch((error: unknown) => this.log.error('history flush failed', { error: messageOf(error) }));
    await this.opts.history.close().catch(() => undefined);
    await this.opts.client.close();
    await this.opts.onClose?.();
    // Stopped all the same (lock released), but the caller must not report a clean stop.
    if (finalWrite !== undefined) throw new MonitorError('internal', `stopped, but the final write of pair states failed: ${finalWrite}`);
  }

  /** Another instance owns the serverdir: stop every watcher and action run now, never write again. */
  lockLost(message: string): void {
    if (this.lostLock !== undefined) return;
    this.lostLock = message;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    void this.supervisor.stop(0);
    this.problems.set('lock', message, this.isoNow());
    this.supervisor.emit({ type: 'alert', pair: '*', at: this.isoNow(), alert: 'lock-lost', severity: 'critical', message });
  }

  private refuseWithoutLock(): void {
    if (this.lostLock !== undefined) throw new MonitorError('conflict', `nothing was changed: ${this.lostLock}`);
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  async health(): Promise<HealthInfo> {
    const problems = this.problems.list();
    return { ok: problems.length === 0, version: this.opts.version, problems };
  }

  async listPairs(): Promise<PairStatus[]> {
    return this.supervisor.statuses();
  }

  async getPair(id: string): Promise<PairDetail> {
    return detailOf(this.watcher(id));
  }

  async history(id: string, range?: TimeRange): Promise<PairHistory> {
    this.watcher(id);
    const { from, to } = this.range(range);
    return this.opts.history.query(id, from, to);
  }

  async audit(range?: TimeRange): Promise<HistoryEvent[]> {
    const { from, to } = this.range(range);
    return this.opts.history.queryAll(['operator'], from, to);
  }

  async alerts(range?: TimeRange): Promise<HistoryEvent[]> {
    const { from, to } = this.range(range);
    return this.opts.history.queryAll(['alert'], from, to);
  }

  async exportXml(opts?: { masked?: boolean }): Promise<string> {
    return this.opts.store.serialize(this.currentConfig(), { masked: opts?.masked === true });
  }

  async testUrls(settings: PairSettings): Promise<CheckResult[]> {
    if (!isObject(settings) || typeof settings.primaryUrl !== 'string') {
      throw new MonitorError('invalid', 'test-urls needs pair settings with at least a primary URL', [
        { field: 'primaryUrl', message: 'is required' },
      ]);
    }
    const interval = typeof settings.interval === 'number' && settings.interval > 0 ? settings.interval : 5;
    const timeout = typeof settings.timeout === 'number' && settings.timeout > 0 ? Math.min(settings.timeout, 30) : undefined;
    const timeoutMs = effectiveTimeout({ interval, timeout }) * 1000;
    const spec = typeof settings.acceptStatus === 'string' && 'ranges' in parseAcceptStatus(settings.acceptStatus) ? settings.acceptStatus : undefined;
    const accept = spec ? compileAcceptStatus(spec) : acceptOnly200;
    const existing = typeof settings.id === 'string' ? this.supervisor.get(settings.id)?.settings : undefined;
    const targets: Array<['primary' | 'standby' | 'validation', string]> = [['primary', settings.primaryUrl]];
    if (typeof settings.standbyUrl === 'string' && settings.standbyUrl !== '') targets.push(['standby', settings.standbyUrl]);
    const urls = isObject(settings.validation) && Array.isArray(settings.validation.urls) ? settings.validation.urls : [];
    for (const url of urls.slice(0, 20)) if (typeof url === 'string') targets.push(['validation', url]);
    return Promise.all(
      targets.map(async ([target, url]) => {
        // A URL shown masked by the editor stands for the stored one.
        const real = existing ? unmaskUrl(url, existing) : url;
        const result = await probeOnce(this.opts.client, target, real, timeoutMs, accept, this.opts.clock.now);
        result.url = maskUrl(real);
        return result;
      }),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Settings

  addPair(input: PairSettings, by?: Reasoned): Promise<PairDetail> {
    return this.exclusive(async () => {
      this.readRequester(typeof input?.id === 'string' ? input.id : '*', by, false);
      await this.writableNow();
      const result = validatePairSettings(input);
      if (!result.ok) throw invalid(`pair settings are invalid`, result.problems);
      const settings = result.settings;
      const unsendable = pairSendProblems(settings);
      if (unsendable.length) throw invalid(`the action of pair "${settings.id}" could never be sent`, unsendable);
      if (this.supervisor.has(settings.id)) {
        throw new MonitorError('invalid', `a pair with id "${settings.id}" already exists`, [
          { pair: settings.id, field: 'id', message: `"${settings.id}" is already used by another pair` },
        ]);
      }
      const watcher = this.supervisor.add(settings);
      try {
        await this.persistNow();
      } catch (error) {
        await this.supervisor.remove(settings.id);
        throw this.writeFailed(error);
      }
      this.emitConfig(settings.id, 'added');
      this.emitOperator(settings.id, 'add', by, 'ok', `added "${settings.name}"`);
      return detailOf(watcher);
    });
  }

  updatePair(id: string, input: PairSettings, by?: Reasoned): Promise<PairDetail> {
    return this.exclusive(async () => {
      const watcher = this.watcher(id);
      this.readRequester(id, by, false);
      this.assertWritable();
      if (isObject(input) && input.id !== undefined && input.id !== id) {
        throw new MonitorError('invalid', `the id of pair "${id}" cannot be changed`, [
          { pair: id, field: 'id', message: `is "${String(input.id)}" but the pair is "${id}"; remove the pair and add it under the new id instead` },
        ]);
      }
      const previous = watcher.settings;
      const result = validatePairSettings(isObject(input) ? { ...input, id } : input, { existing: previous });
      if (!result.ok) throw invalid(`settings of pair "${id}" are invalid`, result.problems);
      const unsendable = pairSendProblems(result.settings);
      if (unsendable.length) throw invalid(`the action of pair "${id}" could never be sent`, unsendable);
      const changed = diffSettings(previous, result.settings);
      if (changed.length === 0) return detailOf(watcher);
      this.supervisor.update(result.settings);
      try {
        await this.persistNow();
      } catch (error) {
        this.supervisor.update(previous);
        throw this.writeFailed(error);
      }
      this.emitConfig(id, 'updated');
      this.emitOperator(id, 'update', by, 'ok', `changed ${changed.join(', ')}`);
      return detailOf(watcher);
    });
  }

  removePair(id: string, by?: RemoveRequest): Promise<void> {
    return this.exclusive(async () => {
      const watcher = this.watcher(id);
      this.readRequester(id, by, true);
      if (!(isObject(by) && by.force === true)) assertRemovable(watcher);
      this.assertWritable();
      const record: PairRecord = { settings: watcher.settings, persisted: watcher.persisted() };
      const order = this.supervisor.list().map((w) => w.id);
      await this.supervisor.remove(id);
      try {
        await this.persistNow();
      } catch (error) {
        this.supervisor.add(record.settings, record.persisted);
        this.supervisor.reorder(order);
        throw this.writeFailed(error);
      }
      this.emitConfig(id, 'removed');
      const forced = isObject(by) && by.force === true && removalRisk(watcher) !== undefined;
      this.emitOperator(id, 'remove', by, 'ok', `removed "${record.settings.name}"${forced ? ` (forced: ${removalRisk(watcher)})` : ''}`);
    });
  }

  importXml(xml: string, opts: ImportOptions = {}): Promise<ImportResult> {
    return this.exclusive(async () => {
      if (typeof xml !== 'string') throw invalid('the import must be the text of a pbxctrl-failover.xml', [{ field: 'file', message: 'is not text' }]);
      this.readRequester('*', opts, false);
      const mode = importMode(opts);
      const parsed = this.opts.store.parse(xml, { existing: (id) => this.supervisor.get(id)?.settings });
      if (!parsed.ok) throw invalid(`the file has ${count(parsed.problems.length, 'problem')}; nothing was changed`, parsed.problems);
      const plan = this.planImport(parsed.config, mode);
      if (opts.dryRun) return { applied: false, changes: plan.changes };
      this.assertWritable();
      await this.applyPlan(plan, { reason: opts.reason ?? '', ...(opts.operator ? { operator: opts.operator } : {}) });
      return { applied: true, changes: plan.changes };
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Operator moves

  failover(id: string, req: Reasoned): Promise<PairStatus> {
    return this.move(id, 'failover', req, (w, reason, operator) => w.failover(reason, operator));
  }

  rearm(id: string, req: RearmRequest): Promise<PairStatus> {
    if (isObject(req) && req.failback !== undefined && typeof req.failback !== 'boolean') {
      return Promise.reject(invalid('failback must be true or false', [{ pair: id, field: 'failback', message: 'must be true or false' }]));
    }
    const failback = isObject(req) && req.failback === true;
    return this.move(id, 'rearm', req, (w, reason, operator) => w.rearm(reason, operator, failback), failback ? 'with failback action' : 'without failback');
  }

  pause(id: string, req: Reasoned): Promise<PairStatus> {
    return this.move(id, 'pause', req, (w, reason, operator) => w.pause(reason, operator));
  }

  resume(id: string, req: Reasoned): Promise<PairStatus> {
    return this.move(id, 'resume', req, (w, reason, operator) => w.resume(reason, operator));
  }

  markActionDone(id: string, req: Reasoned): Promise<PairStatus> {
    return this.move(id, 'mark-action-done', req, (w) => w.markActionDone(), 'marked done; nothing sent');
  }

  retryAction(id: string, by?: Reasoned): Promise<PairStatus> {
    // Sending again what may have arrived is a decision: then the reason is required and audited.
    const unknown = this.supervisor.get(id)?.status().action?.phase === 'unknown';
    return this.move(id, 'retry-action', by ?? { reason: '' }, (w) => w.retryAction(), unknown ? 'outcome was unknown; fresh series' : undefined, unknown);
  }

  private async move(
    id: string,
    action: OperatorAction,
    req: Reasoned | undefined,
    apply: (w: Watcher, reason: string, operator: string) => void,
    detail?: string,
    reasonRequired = true,
  ): Promise<PairStatus> {
    this.refuseWithoutLock();
    const watcher = this.watcher(id);
    const { reason, operator } = this.readRequester(id, req, reasonRequired);
    // A move that could not be saved would be undone by a restart (and its action sent again):
    // refuse it while pair states cannot be written, before anything changes or fires.
    await this.writableNow();
    try {
      apply(watcher, reason, operator);
    } catch (error) {
      if (error instanceof MonitorError && error.code === 'conflict') {
        this.emitOperator(id, action, req, 'failed', error.message);
      }
      throw error;
    }
    this.emitOperator(id, action, req, 'ok', detail);
    // The state change is on disk before the caller hears "done".
    await this.persistMove(id, action);
    return watcher.status();
  }

  /** Writes a move that has taken effect; when that fails, the caller hears that it is not saved. */
  private async persistMove(id: string, action: OperatorAction): Promise<void> {
    try {
      await this.persistNow();
      return;
    } catch (error) {
      if (!(error instanceof MonitorError && error.code === 'conflict') || this.blockedBy) throw this.moveNotSaved(id, action, error);
    }
    // The file was edited by hand at this very moment: read the edit, then write again.
    await this.checkFileOnDisk();
    await this.persistNow().catch((error: unknown) => {
      throw this.moveNotSaved(id, action, error);
    });
  }

  private moveNotSaved(id: string, action: OperatorAction, error: unknown): MonitorError {
    const why = this.problems.list().find((p) => p.kind === 'state-write')?.message ?? messageOf(error);
    return new MonitorError('internal', `the ${action} of pair "${id}" took effect but is not saved: ${why}`);
  }

  // ---------------------------------------------------------------------------------------------
  // Import and hand edits

  /**
   * What an import would change. `replace` (a hand edit, the API's default) removes the pairs the file
   * lacks; `merge` keeps them, after the imported ones' current places, new pairs at the end.
   * Each change of an existing pair carries its live state, so a removal of a pair in failover shows.
   */
  private planImport(config: FailoverConfig, mode: ImportMode = 'replace'): { settings: PairSettings[]; changes: ImportChange[] } {
    const problems: Problem[] = [];
    const settings: PairSettings[] = [];
    const changes: ImportChange[] = [];
    const seen = new Set<string>();
    for (const record of config.pairs) {
      const live = this.supervisor.get(record.settings.id);
      const existing = live?.settings;
      // Validated again with the stored pair, so that secrets written as the mask keep their values.
      const result = validatePairSettings(record.settings, existing ? { existing } : {});
      if (!result.ok) {
        problems.push(...result.problems);
        continue;
      }
      const unsendable = pairSendProblems(result.settings);
      if (unsendable.length) {
        problems.push(...unsendable);
        continue;
      }
      settings.push(result.settings);
      seen.add(result.settings.id);
      if (!existing || !live) changes.push({ pair: result.settings.id, change: 'added' });
      else {
        const fields = diffSettings(existing, result.settings);
        const state = live.status().state;
        changes.push(fields.length ? { pair: existing.id, change: 'changed', state, fields } : { pair: existing.id, change: 'unchanged', state });
      }
    }
    problems.push(...validatePairList(settings));
    if (problems.length) throw invalid(`the file has ${count(problems.length, 'problem')}; nothing was changed`, problems);
    const kept = this.supervisor.list().filter((w) => !seen.has(w.id));
    if (mode === 'replace') {
      for (const w of kept) changes.push({ pair: w.id, change: 'removed', state: w.status().state });
      return { settings, changes };
    }
    // Merge: every pair stays where it is; the file's new pairs follow in the file's order.
    const byId = new Map(settings.map((s) => [s.id, s]));
    const merged = this.supervisor.list().map((w) => byId.get(w.id) ?? w.settings);
    for (const s of settings) if (!this.supervisor.has(s.id)) merged.push(s);
    return { settings: merged, changes };
  }

  /** Applies an import; false when nothing changed (then a hand edit records no operator event). */
  private async applyPlan(plan: { settings: PairSettings[]; changes: ImportChange[] }, by: Reasoned): Promise<boolean> {
    const byId = new Map(plan.settings.map((s) => [s.id, s]));
    for (const change of plan.changes) {
      if (change.change === 'removed') await this.supervisor.remove(change.pair);
      else if (change.change === 'changed') this.supervisor.update(byId.get(change.pair)!);
      else if (change.change === 'added') this.supervisor.add(byId.get(change.pair)!);
    }
    this.supervisor.reorder(plan.settings.map((s) => s.id));
    const touched = plan.changes.filter((c) => c.change !== 'unchanged');
    if (touched.length > 0) {
      await this.persistNow().catch((error: unknown) => {
        throw this.writeFailed(error);
      });
    }
    for (const c of touched) this.emitConfig(c.pair, c.change === 'added' ? 'added' : c.change === 'removed' ? 'removed' : 'updated');
    if (touched.length === 0 && by.operator === 'file') return false;
    const tally = (kind: ImportChange['change']): number => plan.changes.filter((c) => c.change === kind).length;
    this.emitOperator('*', 'import', by, 'ok', `${tally('added')} added, ${tally('changed')} changed, ${tally('removed')} removed, ${tally('unchanged')} unchanged`);
    return touched.length > 0;
  }

  /** Notices a hand edit of pbxctrl-failover.xml: valid -> applied like an import; invalid -> alert, no writes. */
  checkFileOnDisk(): Promise<void> {
    if (this.closing) return Promise.resolve();
    this.polling ??= this.readHandEdit().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async readHandEdit(): Promise<void> {
    try {
      await this.exclusive(async () => {
        // Never look at the file while our own write is renaming it into place.
        const read = await this.onDisk(async () => {
          if (!(await this.opts.store.changedOnDisk())) return undefined;
          try {
            return { config: await this.opts.store.load() };
          } catch (error) {
            return { error };
          }
        });
        if (!read) return;
        if ('error' in read) {
          this.fileIsInvalid(read.error);
          return;
        }
        const config = read.config;
        let plan: { settings: PairSettings[]; changes: ImportChange[] };
        try {
          plan = this.planImport(config);
        } catch (error) {
          this.fileIsInvalid(error);
          return;
        }
        const wasBlocked = this.blockedBy !== undefined;
        this.blockedBy = undefined;
        this.lastAlertedProblems = '';
        if (wasBlocked) this.log.info('pbxctrl-failover.xml is valid again; writing resumes');
        const touched = await this.applyPlan(plan, { reason: 'pbxctrl-failover.xml was edited by hand', operator: 'file' });
        // Write back the live states (the file as edited may not carry them). A failure is reported by write().
        if (!touched) await this.persistNow().catch(() => undefined);
      });
    } catch (error) {
      this.log.error('checking pbxctrl-failover.xml for hand edits failed', { error: messageOf(error) });
    }
  }

  private fileIsInvalid(error: unknown): void {
    const problems = error instanceof MonitorError && error.problems ? error.problems : [{ field: 'file', message: messageOf(error) }];
    this.blockedBy = problems;
    const text = problems.map(describeProblem).join('; ');
    // From now on no state can be written: the same failure as a full disk, said as loudly (after the cause).
    if (text === this.lastAlertedProblems) return this.stateWriteFailed(this.blockedError());
    this.lastAlertedProblems = text;
    this.log.warn('pbxctrl-failover.xml was edited by hand and is invalid; keeping the last good configuration', { problems: text });
    this.supervisor.emit({
      type: 'alert',
      pair: '*',
      at: this.isoNow(),
      alert: 'config-problem',
      severity: 'critical',
      message: `pbxctrl-failover.xml was edited by hand and is invalid; still running on the last good configuration and not writing the file until it is fixed: ${text}`,
    });
    this.stateWriteFailed(this.blockedError());
  }

  /** Refuses a change (409) while the file is blocked by an invalid hand edit or the last state write failed. */
  private assertWritable(): void {
    if (this.blockedBy) {
      throw new MonitorError(
        'conflict',
        `pbxctrl-failover.xml was edited by hand and is invalid; fix the file first (${this.blockedBy.map(describeProblem).join('; ')})`,
        this.blockedBy,
      );
    }
    const failed = this.problems.list().find((p) => p.kind === 'state-write');
    if (failed) {
      throw new MonitorError('conflict', `${failed.message} Changes are refused until pair states can be written again, so that nothing decided now is lost.`);
    }
  }

  /** assertWritable, after trying the write once more when the last one failed (the disk may have been fixed). */
  private async writableNow(): Promise<void> {
    this.assertWritable();
    if (!this.problems.has('state-write')) return;
    await this.persistNow().catch(() => undefined);
    this.assertWritable();
  }

  private blockedError(): MonitorError {
    return new MonitorError('conflict', `${this.opts.store.path} was edited by hand and is invalid; it is not written until it is fixed`, this.blockedBy);
  }

  // ---------------------------------------------------------------------------------------------
  // Persistence

  private persistSoon(): void {
    if (this.saveTimer || this.queuedSave || this.lostLock !== undefined) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      // A failure is reported (problem, alert, retry) by write().
      this.persistNow().catch(() => undefined);
    }, this.coalesceMs());
  }

  /**
   * Writing the file serializes and re-reads every pair on the event loop (about 1 s for 5,000 pairs).
   * State writes are therefore spaced by a multiple of what the last write took, so that thousands of
   * pairs going starting -> waiting do not keep the loop busy writing while checks fall due. Action
   * progress and operator moves write at once (persistNow), as before.
   */
  private coalesceMs(): number {
    return Math.max(this.opts.saveCoalesceMs ?? 200, Math.min(WRITE_SPACING * this.lastWriteMs, MAX_WRITE_SPACING_MS));
  }

  /**
   * Writes the configuration with every pair's state now. Callers that arrive while a write is running
   * share the next one, whose snapshot is taken when it starts, so it includes all of their changes.
   */
  private persistNow(): Promise<void> {
    // The file belongs to the instance that took the lock over.
    if (this.lostLock !== undefined) return Promise.reject(new MonitorError('conflict', this.lostLock));
    if (this.queuedSave) return this.queuedSave;
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
    }
    const previous = this.savingNow ?? Promise.resolve();
    const next: Promise<void> = previous
      .catch(() => undefined)
      .then(() => {
        if (this.queuedSave === next) this.queuedSave = undefined;
        const write = this.write();
        this.savingNow = write;
        void write.catch(() => undefined).finally(() => {
          if (this.savingNow === write) this.savingNow = undefined;
        });
        return write;
      });
    this.queuedSave = next;
    return next;
  }

  /** One write of every pair's state. Every way it can fail is reported through stateWriteFailed(). */
  private async write(): Promise<void> {
    try {
      await this.onDisk(async () => {
        if (this.blockedBy) throw this.blockedError();
        const started = performance.now();
        try {
          await this.opts.store.save(this.currentConfig());
        } finally {
          this.lastWriteMs = performance.now() - started;
        }
      });
    } catch (error) {
      if (this.blockedBy) {
        const blocked = this.blockedError();
        this.stateWriteFailed(blocked);
        throw blocked;
      }
      if (error instanceof MonitorError && error.code === 'conflict') {
        // Edited by hand since we read it: look at the edit now rather than at the next poll. The
        // check either applies the edit and writes, or finds it invalid and reports writing blocked.
        setImmediate(() => void this.checkFileOnDisk());
        throw error;
      }
      this.stateWriteFailed(error);
      throw error;
    }
    this.stateWriteSucceeded();
  }

  /**
   * The one path for a state write that failed, whatever the cause: the health problem, one critical
   * alert per episode, and a retry with a capped backoff. Automatic moves go on regardless (refusing a
   * failover because the disk is full would turn a disk problem into a telephony outage).
   */
  private stateWriteFailed(error: unknown): void {
    const blocked = this.blockedBy !== undefined;
    const next = blocked ? 'fix the file and writing resumes.' : 'the write is retried until it succeeds.';
    const message = `pair states cannot be written to ${this.opts.store.path}: ${this.causeOf(error)}. Decisions made now are lost on a restart; ${next}`;
    const isNew = this.problems.set('state-write', message, this.isoNow());
    if (message !== this.lastWriteFailure) {
      this.lastWriteFailure = message;
      this.log.error('pair states cannot be written', { error: message });
    }
    if (isNew) {
      this.supervisor.emit({ type: 'alert', pair: '*', at: this.isoNow(), alert: 'state-write-failed', severity: 'critical', message });
    }
    if (!blocked) this.scheduleWriteRetry();
  }

  private stateWriteSucceeded(): void {
    const episode = this.problems.list().find((p) => p.kind === 'state-write');
    if (!episode || !this.problems.clear('state-write')) return;
    this.stopWriteRetry();
    this.lastWriteFailure = '';
    const message = `pair states are written to ${this.opts.store.path} again; what was decided while writing failed (since ${episode.since}) is now on disk.`;
    this.log.info('pair states are written again', { since: episode.since });
    this.supervisor.emit({ type: 'alert', pair: '*', at: this.isoNow(), alert: 'state-write-recovered', severity: 'info', message });
  }

  private scheduleWriteRetry(): void {
    if (this.writeRetryTimer || this.closing) return;
    this.writeRetries++;
    const delay = (this.opts.writeRetryBackoff ?? defaultWriteRetryBackoff)(this.writeRetries);
    this.writeRetryTimer = setTimeout(() => {
      this.writeRetryTimer = undefined;
      this.persistNow().catch(() => undefined);
    }, delay);
    this.writeRetryTimer.unref();
  }

  private stopWriteRetry(): void {
    if (this.writeRetryTimer) clearTimeout(this.writeRetryTimer);
    this.writeRetryTimer = undefined;
    this.writeRetries = 0;
  }

  /** Why a write failed, in words: "the disk is full (ENOSPC)". */
  private causeOf(error: unknown): string {
    if (error instanceof MonitorError && this.blockedBy && error.problems === this.blockedBy) {
      return `it was edited by hand and is invalid (${this.blockedBy.map(describeProblem).join('; ')})`;
    }
    const cause = (error as { cause?: unknown } | null)?.cause;
    if (errnoCode(cause) !== undefined) return explainFsError(cause);
    if (error instanceof MonitorError && error.code === 'invalid' && error.problems) {
      return `what would be written does not read back (${error.problems.map(describeProblem).join('; ')}), so nothing was written`;
    }
    return messageOf(error);
  }

  /** Writes and hand-edit checks of the file take turns. */
  private onDisk<T>(work: () => Promise<T>): Promise<T> {
    const run = this.diskTurn.catch(() => undefined).then(work);
    this.diskTurn = run.catch(() => undefined);
    return run;
  }

  private currentConfig(): FailoverConfig {
    return { pairs: this.supervisor.list().map((w) => ({ settings: w.settings, persisted: w.persisted() })) };
  }

  private writeFailed(error: unknown): MonitorError {
    if (error instanceof MonitorError) {
      return new MonitorError(error.code === 'invalid' ? 'internal' : error.code, `nothing was changed: ${error.message}`, error.problems);
    }
    return new MonitorError('internal', `nothing was changed: could not write pbxctrl-failover.xml: ${messageOf(error)}`);
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.lostLock !== undefined) return Promise.reject(new MonitorError('conflict', `nothing was changed: ${this.lostLock}`));
    const run = this.serial.catch(() => undefined).then(work);
    this.serial = run.catch(() => undefined);
    return run;
  }

  private watcher(id: string): Watcher {
    const w = typeof id === 'string' ? this.supervisor.get(id) : undefined;
    if (!w) throw new MonitorError('not-found', `there is no pair with id "${String(id)}"`);
    return w;
  }

  /** The reason and operator of a request, checked before anything changes (400 naming the field). */
  private readRequester(pair: string, req: Partial<Reasoned> | undefined, reasonRequired: boolean): { reason: string; operator: string } {
    const reason = readReason(pair, req, reasonRequired);
    readOperator(pair, req);
    return { reason, operator: this.operatorOf(req) };
  }

  private operatorOf(by: Partial<Reasoned> | undefined): string {
    const name = isObject(by) && typeof by.operator === 'string' ? by.operator.trim().slice(0, 200) : '';
    return name || this.opts.defaultOperator;
  }

  private emitOperator(pair: string, action: OperatorAction, by: Partial<Reasoned> | undefined, outcome: 'ok' | 'failed', detail?: string): void {
    const reason = isObject(by) && typeof by.reason === 'string' ? by.reason.trim().slice(0, MAX_REASON_LENGTH) : '';
    const event: EngineEvent = { type: 'operator', pair, at: this.isoNow(), action, operator: this.operatorOf(by), reason, outcome };
    if (detail) event.detail = detail;
    this.supervisor.emit(event);
  }

  private emitConfig(pair: string, change: 'added' | 'updated' | 'removed'): void {
    this.supervisor.emit({ type: 'config', pair, at: this.isoNow(), change });
  }

  private isoNow(): string {
    return new Date(this.opts.clock.now()).toISOString();
  }

  private range(range: TimeRange | undefined): { from: number; to: number } {
    const now = this.opts.clock.now();
    const to = parseTime(range?.to, 'to') ?? now;
    const from = parseTime(range?.from, 'from') ?? to - DAY_MS;
    if (from > to) throw invalid('the time range is empty', [{ field: 'from', message: 'must not be later than to' }]);
    return { from, to };
  }
}

function detailOf(watcher: Watcher): PairDetail {
  return { ...watcher.status(), settings: maskSettings(watcher.settings) };
}

function readReason(pair: string, req: Partial<Reasoned> | undefined, required: boolean): string {
  const raw = isObject(req) ? req.reason : undefined;
  if (raw !== undefined && typeof raw !== 'string') throw invalid('the reason must be text', [{ pair, field: 'reason', message: 'must be text' }]);
  const reason = (raw ?? '').trim();
  if (required && reason === '') {
    throw invalid('a reason is required', [{ pair, field: 'reason', message: 'is required: say why (it goes into the audit log)' }]);
  }
  if (reason.length > MAX_REASON_LENGTH) {
    throw invalid('the reason is too long', [{ pair, field: 'reason', message: `must be at most ${MAX_REASON_LENGTH} characters` }]);
  }
  // The reason is written into pbxctrl-failover.xml with the state: it must be text the file can hold.
  const bad = unstorableMessage(reason);
  if (bad) throw invalid(`the reason ${bad}`, [{ pair, field: 'reason', message: bad }]);
  return reason;
}

function importMode(opts: ImportOptions): ImportMode {
  const mode = isObject(opts) ? opts.mode : undefined;
  if (mode === undefined || mode === 'replace' || mode === 'merge') return mode ?? 'replace';
  throw invalid('the import mode must be merge or replace', [{ field: 'mode', message: `is "${String(mode)}"; use merge (add and update only) or replace (also remove the pairs the file lacks)` }]);
}

/** Why removing this pair loses something an operator must decide about, if it does. */
function removalRisk(watcher: Watcher): string | undefined {
  const status = watcher.status();
  const phase = status.action?.phase;
  if (phase === 'pending' || phase === 'running') return `its ${status.action?.kind ?? ''} action is in flight`;
  if (phase === 'unknown') return `the outcome of its ${status.action?.kind ?? ''} action is unknown`;
  if (status.state === 'failover') return 'it is in failover';
  return undefined;
}

function assertRemovable(watcher: Watcher): void {
  const risk = removalRisk(watcher);
  if (risk === undefined) return;
  throw new MonitorError('conflict', `pair "${watcher.id}" was not removed: ${risk}; remove it with force=true if that is what you mean`, [
    { pair: watcher.id, field: 'force', message: `${risk}: removing it needs force=true` },
  ]);
}

function readOperator(pair: string, req: Partial<Reasoned> | undefined): void {
  const raw = isObject(req) ? req.operator : undefined;
  if (raw === undefined) return;
  const problem = (message: string): MonitorError => invalid(`the operator ${message}`, [{ pair, field: 'operator', message }]);
  if (typeof raw !== 'string') throw problem('must be text (a name)');
  const name = raw.trim();
  if (name.length > MAX_OPERATOR_LENGTH) throw problem(`must be at most ${MAX_OPERATOR_LENGTH} characters`);
  const bad = unstorableMessage(name);
  if (bad) throw problem(bad);
  if (/[\t\r\n]/.test(name)) throw problem('must be one line (a name, no tabs or line breaks)');
}

function defaultWriteRetryBackoff(attempt: number): number {
  return Math.min(1000 * 2 ** (attempt - 1), 30_000);
}

function parseTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = /^\d+$/.test(String(value)) ? Number(value) : Date.parse(String(value));
  if (!Number.isFinite(ms)) {
    throw invalid(`${field} is not a time`, [{ field, message: 'must be an ISO 8601 time or epoch milliseconds' }]);
  }
  return ms;
}

/** Dotted paths of the fields that differ; lists compare as a whole. */
export function diffSettings(a: unknown, b: unknown, prefix = ''): string[] {
  if (Array.isArray(a) || Array.isArray(b) || !isObject(a) || !isObject(b)) {
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix || '(all)'];
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const out: string[] = [];
  for (const key of keys) out.push(...diffSettings(a[key], b[key], prefix ? `${prefix}.${key}` : key));
  return out;
}

/** A masked URL sent back by the editor stands for the stored URL it masks. */
function unmaskUrl(url: string, existing: PairSettings): string {
  const stored = [existing.primaryUrl, existing.standbyUrl, ...existing.validation.urls].filter((u): u is string => typeof u === 'string');
  return stored.find((u) => u !== url && maskUrl(u) === url) ?? url;
}

function describeProblem(p: Problem): string {
  return `${p.pair ? `pair "${p.pair}", ` : ''}${p.field}: ${p.message}`;
}

function invalid(message: string, problems: Problem[]): MonitorError {
  return new MonitorError('invalid', message, problems);
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
