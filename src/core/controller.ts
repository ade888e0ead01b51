// The engine as operators and views see it: MonitorApi on top of the
// supervisor. Every change is validated before anything changes; every state
// and action step is persisted through the StateWriter (state writes
// coalesced, action progress never delayed); every event goes to the history;
// every operator move becomes an OperatorEvent with who, what, why and outcome.
// Imports and hand edits of pbxctrl-failover.xml are ConfigSync's; the operator's moves and the
// two-person rule in front of them are operator-moves.ts's; reading a request's reason and operator
// is requests.ts's. What is left is the facade, one short method per MonitorApi call, and the
// constructor that wires the engine's services together, so it is longer than most files here.

import { HealthProblems } from './health-problems.js';
import {
  type HealthInfo,
  type ImportOptions,
  MonitorError,
  type RemoveRequest,
  type Reasoned,
  type MoveResult,
  type RearmRequest,
  type HistoryQuery,
  type TimeRange,
  type TwoPersonRequest,
  type Unsubscribe,
} from '../shared/api.js';
import type {
  AlertEvent,
  CheckResult,
  EngineEvent,
  HistoryEvent,
  ImportResult,
  OperatorAction,
  PairDetail,
  PairHistory,
  PairSettings,
  PairStatus,
} from '../shared/model.js';
import { settingsWarnings } from '../shared/hints.js';
import { maskSettings } from '../shared/secrets.js';
import { validatePairSettings } from '../shared/validate.js';
import { pairSendProblems } from './action-runner.js';
import { createCertificateProbe } from './certificate-check.js';
import { CertificateWatch } from './certificate-watch.js';
import { ConfigSync, diffSettings } from './config-sync.js';
import { attachDnsVerifier, type DnsVerifier } from './dns-verify.js';
import { attachReadiness, type ReadinessWatch } from './readiness.js';
import { messageOf } from './fs-errors.js';
import { bucketOfQuery } from './history-columns.js';
import type {
  CertificateProbe,
  ConfigStore,
  EngineContext,
  FailoverConfig,
  HistoryStore,
  Logger,
  Monitor,
  PairRecord,
} from './ports.js';
import {
  assertRemovable,
  invalid,
  isForced,
  isObject,
  operatorOf,
  readRange,
  readRequester,
  reasonOf,
  removalRisk,
} from './requests.js';
import { SerialQueue } from '../node/serial-queue.js';
import { StateWriter, writeFailed } from './state-writer.js';
import { Supervisor } from './supervisor.js';
import { MaintenanceScheduler, withoutPair } from './maintenance.js';
import { MaintenanceEdits } from './maintenance-edits.js';
import type { MaintenanceInfo, MaintenanceWindow } from '../shared/maintenance.js';
import { testUrls } from './test-urls.js';
import { TwoPersonRequests } from './requests-two-person.js';
import { OperatorMoves } from './operator-moves.js';
import type { Policy, TwoPersonAction } from '../shared/two-person.js';
import type { Watcher } from './watcher.js';
import { NotifyService, type NotifyServiceDeps } from './notify/notify-service.js';
import type { NotifyOverview, NotifyTestResult, SilenceInfo, SilenceRequest } from '../shared/notify.js';
import type { ClusterInfo } from '../shared/cluster.js';
import { clusterHooks, isReplayed } from './cluster/link.js';
import type { ClusterHooks } from './cluster/etcd-coordinator.js';

export interface ControllerOptions {
  serverdir: string;
  version: string;
  store: ConfigStore;
  history: HistoryStore;
  /** Shared with the supervisor and every watcher as it is (build it with `engineContext`). */
  ctx: EngineContext;
  /** Operator recorded when a request names none. */
  defaultOperator: string;
  /** State writes within this window are coalesced into one (default 200 ms). */
  saveCoalesceMs?: number;
  /** How often the file is checked for hand edits (default 3 s; 0 turns it off). */
  configPollMs?: number;
  /** Action attempts in flight get this long to finish on close (default: the longest action timeout + 2 s). */
  closeGraceMs?: number;
  /** Runs last in close() (openMonitor releases the lock here). */
  onClose?: () => Promise<void>;
  /** How long a two-person request waits for its second operator (default 10 minutes). */
  requestLapseMs?: number;
  /** Milliseconds before retrying failed state write n; default 1 s doubling, capped at 30 s. */
  writeRetryBackoff?: (attempt: number) => number;
  /** Reads the pairs' TLS certificates (default: core/certificate-check.ts against the system store). */
  certificateProbe?: CertificateProbe;
  /** Retries and deadlines of the alert channels (tests). */
  notifyTuning?: NotifyServiceDeps['tuning'];
  /** Milliseconds between the DNS verification rounds after an action (default 2000). */
  dnsRoundMs?: number | undefined;
  /** Milliseconds from a pair's start to its first readiness round (default 10 s). */
  readinessFirstDelayMs?: number | undefined;
}

export class Controller implements Monitor {
  readonly serverdir: string;
  private readonly supervisor: Supervisor;
  /** What /api/health reports: state writes failing, the lock lost. */
  readonly problems = new HealthProblems();
  private readonly opts: ControllerOptions;
  private readonly log: Logger;
  /** Changes of the configuration take turns. */
  private readonly serial = new SerialQueue();
  private readonly writer: StateWriter;
  private readonly sync: ConfigSync;
  /** `<certificates>`: expiry of every pair's TLS certificates. */
  private readonly certificates: CertificateWatch;
  private readonly notify: NotifyService;
  private readonly maintenance: MaintenanceScheduler;
  private readonly maintenanceEdits: MaintenanceEdits;
  /** `<dns-verify>`: the rounds after an action, `dns` of a pair's detail. */
  private readonly dns: DnsVerifier;
  /** Failover readiness of every pair, `ready` on its status and `readiness` in its detail. */
  private readonly readiness: ReadinessWatch;
  private started = false;
  private closing: Promise<void> | undefined;
  /** `<policy>` of the file: which manual moves need a second operator. */
  private policy: Policy | undefined;
  private readonly requests: TwoPersonRequests;
  /** Failover, re-arm, pause, resume, mark done, retry, and the two-person rule in front of them. */
  private readonly moves: OperatorMoves;

  constructor(opts: ControllerOptions, initial: FailoverConfig) {
    this.opts = opts;
    this.serverdir = opts.serverdir;
    const { ctx } = opts;
    this.log = ctx.log;
    this.supervisor = new Supervisor({
      ctx,
      persistSoon: () => this.writer.persistSoon(),
      persistNow: () => this.writer.persistNow(),
    });
    this.supervisor.subscribe((event) => opts.history.record(event));
    this.policy = initial.policy;
    this.requests = new TwoPersonRequests({
      clock: ctx.clock,
      timers: ctx.timers,
      emit: (event) => this.supervisor.emit(event),
      perform: (request, detail) => this.moves.performApproved(request, detail),
      ...(opts.requestLapseMs !== undefined ? { lapseMs: opts.requestLapseMs } : {}),
    });
    this.dns = attachDnsVerifier(this.supervisor, ctx, { roundMs: opts.dnsRoundMs });
    this.readiness = attachReadiness(this.supervisor, ctx, {
      firstDelayMs: opts.readinessFirstDelayMs,
      certificates: (id) => ctx.certificates.list(id),
    });
    for (const record of initial.pairs) this.supervisor.add(record.settings, record.persisted);
    const emit = (event: EngineEvent): void => this.supervisor.emit(event);
    this.certificates = new CertificateWatch({
      ctx,
      probe: opts.certificateProbe ?? createCertificateProbe(),
      emit,
      statusOf: (id) => this.supervisor.statusOf(id),
    });
    this.certificates.sync(initial.pairs.map((r) => r.settings));
    // Every change of the pair list (API, import, hand edit) ends with a config event.
    this.supervisor.subscribe((event) => {
      if (event.type === 'config') this.certificates.sync(this.supervisor.list().map((w) => w.settings));
    });
    this.notify = new NotifyService({
      ctx,
      history: opts.history,
      emit,
      pairInfo: (id) => {
        const s = this.supervisor.get(id)?.settings;
        return s && { name: s.name, primaryUrl: s.primaryUrl, ...(s.standbyUrl ? { standbyUrl: s.standbyUrl } : {}) };
      },
      hasPair: (id) => typeof id === 'string' && this.supervisor.has(id),
      defaultOperator: opts.defaultOperator,
      ...(opts.notifyTuning ? { tuning: opts.notifyTuning } : {}),
    });
    this.notify.setChannels(initial.notify);
    // A follower's copies of the leader's alerts were sent by the leader (cluster mode).
    this.supervisor.subscribe((event) => {
      if (!isReplayed(event)) this.notify.handle(event);
    });
    this.maintenance = new MaintenanceScheduler(
      // In a cluster only the leader applies the windows (followers take the states it sets).
      { ctx, pairs: () => (ctx.coordinator.leading() ? this.supervisor.list() : []), emit },
      initial.maintenance,
    );
    this.maintenanceEdits = new MaintenanceEdits({
      schedule: this.maintenance,
      clock: ctx.clock,
      pairIds: () => this.supervisor.list().map((w) => w.id),
      readRequester: (by) => void this.readRequester('*', by, false),
      writableNow: () => this.writer.writableNow(),
      persistNow: () => this.writer.persistNow(),
      emitOperator: (action, by, detail) => this.emitOperator('*', action, by, 'ok', detail),
    });
    this.writer = new StateWriter({
      store: opts.store,
      clock: ctx.clock,
      log: ctx.log,
      problems: this.problems,
      snapshot: () => this.currentConfig(),
      emit,
      onConflict: () => void this.sync.checkFileOnDisk(),
      closing: () => this.closing !== undefined,
      saveCoalesceMs: opts.saveCoalesceMs,
      writeRetryBackoff: opts.writeRetryBackoff,
    });
    this.sync = new ConfigSync({
      supervisor: this.supervisor,
      store: opts.store,
      log: ctx.log,
      writer: this.writer,
      exclusive: (work) => this.exclusive(work, false),
      closing: () => this.closing !== undefined,
      emitConfig: (pair, change) => this.emitConfig(pair, change),
      emitOperator: (pair, action, by, outcome, detail) => this.emitOperator(pair, action, by, outcome, detail),
      emit,
      isoNow: () => this.isoNow(),
      configPollMs: opts.configPollMs,
      notifyChannels: () => this.notify.channels(),
      setNotifyChannels: (channels) => this.notify.setChannels(channels),
      maintenance: this.maintenance,
      policy: () => this.policy,
      setPolicy: (policy) => void (this.policy = policy),
    });
    this.moves = new OperatorMoves({
      supervisor: this.supervisor,
      writer: this.writer,
      requests: () => this.requests,
      policy: () => this.policy,
      refuseWithoutLock: () => this.refuseWithoutLock(),
      watcher: (id) => this.watcher(id),
      readRequester: (pair, req, reasonRequired) => this.readRequester(pair, req, reasonRequired),
      emitOperator: (pair, action, by, outcome, detail) => this.emitOperator(pair, action, by, outcome, detail),
      checkFileOnDisk: () => this.checkFileOnDisk(),
      remove: (id, by) => this.remove(id, by),
    });
  }

  /** Before start(): acknowledgements, silences and open alert conditions read back from the history. */
  prepare(): Promise<void> {
    return this.notify.restore();
  }

  /** Starts the watchers (first checks spread over an interval) and the watch on the file. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const w of this.supervisor.list()) {
      for (const warning of settingsWarnings(w.settings)) this.log.warn(`pair "${w.id}": ${warning}`, { pair: w.id });
    }
    this.supervisor.start();
    this.certificates.start();
    this.maintenance.start();
    for (const w of this.supervisor.list()) this.readiness.watch(w.id);
    this.sync.start();
  }

  subscribe(listener: (event: EngineEvent) => void): Unsubscribe {
    return this.supervisor.subscribe(listener);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.sync.stop();
    this.maintenance.stop();
    this.requests.close();
    this.dns.stop();
    this.readiness.stop();
    await this.serial.idle();
    await this.certificates.stop();
    // An attempt in flight ends by its own timeout at the latest; its outcome must be on disk before
    // the lock is released, or the next start would send it again.
    const longest = Math.max(0, ...this.supervisor.list().map((w) => w.longestActionMs()));
    await this.supervisor.stop(this.opts.closeGraceMs ?? longest + 2000);
    this.writer.stopTimers();
    await this.notify.close();
    let finalWrite: string | undefined;
    // Without the lock the file belongs to the other instance: not writing it is the point, not a failure.
    if (this.writer.lockLostMessage === undefined)
      await this.writer.persistNow().catch((error: unknown) => {
        finalWrite = this.writer.failureMessage() ?? messageOf(error);
        this.log.error(
          'the final write of pair states failed; what was decided since the last successful write is lost',
          { error: finalWrite },
        );
      });
    await this.opts.history
      .flush()
      .catch((error: unknown) => this.log.error('history flush failed', { error: messageOf(error) }));
    await this.opts.history.close().catch(() => undefined);
    await this.opts.ctx.client.close();
    await this.opts.ctx.sip.close();
    await this.opts.onClose?.();
    // Stopped all the same (lock released), but the caller must not report a clean stop.
    if (finalWrite !== undefined)
      throw new MonitorError('internal', `stopped, but the final write of pair states failed: ${finalWrite}`);
  }

  /** Another instance owns the serverdir: stop every watcher and action run now, never write again. */
  lockLost(message: string): void {
    if (this.writer.lockLostMessage !== undefined) return;
    this.writer.lockLost(message);
    this.sync.stop();
    void this.certificates.stop();
    this.maintenance.stop();
    this.dns.stop();
    this.readiness.stop();
    void this.supervisor.stop(0);
    this.problems.set('lock', message, this.isoNow());
    // A write already renaming when the loss was learned cannot be called back: the alert comes once it
    // has ended, so that from the alert on the file is never touched by this instance.
    void this.writer.settled().then(() => {
      this.supervisor.emit({
        type: 'alert',
        pair: '*',
        at: this.isoNow(),
        alert: 'lock-lost',
        severity: 'critical',
        message,
      });
    });
  }

  private refuseWithoutLock(): void {
    const lost = this.writer.lockLostMessage;
    if (lost !== undefined) throw new MonitorError('conflict', `nothing was changed: ${lost}`);
    const follower = this.notLeading();
    if (follower) throw follower;
  }

  /** Cluster mode: a follower changes nothing itself (the service forwards writes to the leader). */
  private notLeading(): MonitorError | undefined {
    const { coordinator } = this.opts.ctx;
    if (coordinator.leading()) return undefined;
    const info = coordinator.cluster();
    const leader = info?.nodes.find((n) => n.leader);
    const where = leader
      ? `the leader is ${leader.name}${leader.url ? ` at ${leader.url}` : ''}`
      : 'no node leads right now';
    return new MonitorError(
      'conflict',
      `nothing was changed: node ${coordinator.node} is not the cluster leader (${where}); send changes to the leader`,
    );
  }

  /** Cluster mode: GET /api/cluster. */
  cluster(): ClusterInfo | undefined {
    return this.opts.ctx.coordinator.cluster();
  }

  /** Cluster mode: where this node's API answers (when --advertise-url was not given). */
  advertise(url: string): void {
    this.opts.ctx.coordinator.advertise?.(url);
  }

  /** Cluster mode: what the etcd coordinator calls (follow the shared state, lead, alerts, this node's view). */
  clusterHooks(): ClusterHooks {
    return clusterHooks({
      supervisor: this.supervisor,
      leading: () => this.opts.ctx.coordinator.leading(),
      emit: (event) => this.supervisor.emit(event),
      emitConfig: (pair, change) => this.emitConfig(pair, change),
      setGlobals: (shared) => {
        this.notify.setChannels(shared.notify);
        this.maintenance.replace(shared.maintenance ?? []);
        this.policy = shared.policy;
      },
      persistSoon: () => this.writer.persistSoon(),
      isoNow: () => this.isoNow(),
    });
  }

  /** Notices a hand edit of pbxctrl-failover.xml: valid -> applied like an import; invalid -> alert, no writes. */
  checkFileOnDisk(): Promise<void> {
    return this.sync.checkFileOnDisk();
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  async health(): Promise<HealthInfo> {
    const problems = this.problems.list();
    const health: HealthInfo = { ok: problems.length === 0, version: this.opts.version, problems };
    if (this.opts.ctx.coordinator.cluster()) health.cluster = true;
    return health;
  }

  async listPairs(): Promise<PairStatus[]> {
    return this.supervisor.statuses();
  }

  async getPair(id: string): Promise<PairDetail> {
    return this.detailOf(this.watcher(id));
  }

  async history(id: string, range?: HistoryQuery): Promise<PairHistory> {
    this.watcher(id);
    const { from, to } = readRange(range, this.opts.ctx.clock.now());
    return this.opts.history.query(id, from, to, bucketOfQuery(range, to - from));
  }

  async audit(range?: TimeRange): Promise<HistoryEvent[]> {
    const { from, to } = readRange(range, this.opts.ctx.clock.now());
    return this.opts.history.queryAll(['operator'], from, to);
  }

  async alerts(range?: TimeRange): Promise<HistoryEvent[]> {
    const { from, to } = readRange(range, this.opts.ctx.clock.now());
    return this.notify.decorate(await this.opts.history.queryAll(['alert'], from, to));
  }

  // ---------------------------------------------------------------------------------------------
  // Alert channels, acknowledgement, silence (core/notify/notify-service.ts)

  async notifyStatus(): Promise<NotifyOverview> {
    return this.notify.overview();
  }

  testNotify(id: string, by?: Partial<Reasoned>): Promise<NotifyTestResult> {
    return this.notify.test(id, by);
  }

  async ackAlert(id: string, req: Reasoned): Promise<AlertEvent> {
    this.refuseWithoutLock();
    return this.notify.ack(id, req);
  }

  async silencePair(id: string, req: SilenceRequest): Promise<SilenceInfo> {
    this.refuseWithoutLock();
    return this.notify.silence(id, req);
  }

  async exportXml(opts?: { masked?: boolean }): Promise<string> {
    return this.opts.store.serialize(this.currentConfig(), { masked: opts?.masked === true });
  }

  async testUrls(settings: PairSettings): Promise<CheckResult[]> {
    const existing =
      isObject(settings) && typeof settings.id === 'string' ? this.supervisor.get(settings.id)?.settings : undefined;
    // "Test now" of a stored pair also reads its certificates and checks its readiness at once (answers come as events).
    if (existing) {
      void this.certificates.checkNow(existing.id);
      void this.readiness.checkNow(existing.id);
    }
    return testUrls(settings, {
      client: this.opts.ctx.client,
      sip: this.opts.ctx.sip,
      clock: this.opts.ctx.clock,
      existing,
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Settings

  addPair(input: PairSettings, by?: Reasoned): Promise<PairDetail> {
    return this.exclusive(async () => {
      this.readRequester(typeof input?.id === 'string' ? input.id : '*', by, false);
      await this.writer.writableNow();
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
        await this.writer.persistNow();
      } catch (error) {
        await this.supervisor.remove(settings.id);
        throw writeFailed(error);
      }
      this.emitConfig(settings.id, 'added');
      this.emitOperator(settings.id, 'add', by, 'ok', `added "${settings.name}"`);
      this.maintenance.apply();
      return this.detailOf(watcher);
    });
  }

  updatePair(id: string, input: PairSettings, by?: Reasoned): Promise<PairDetail> {
    return this.exclusive(async () => {
      const watcher = this.watcher(id);
      this.readRequester(id, by, false);
      this.writer.assertWritable();
      if (isObject(input) && input.id !== undefined && input.id !== id) {
        throw new MonitorError('invalid', `the id of pair "${id}" cannot be changed`, [
          {
            pair: id,
            field: 'id',
            message: `is "${String(input.id)}" but the pair is "${id}"; remove the pair and add it under the new id instead`,
          },
        ]);
      }
      const previous = watcher.settings;
      const result = validatePairSettings(isObject(input) ? { ...input, id } : input, { existing: previous });
      if (!result.ok) throw invalid(`settings of pair "${id}" are invalid`, result.problems);
      const unsendable = pairSendProblems(result.settings);
      if (unsendable.length) throw invalid(`the action of pair "${id}" could never be sent`, unsendable);
      const changed = diffSettings(previous, result.settings);
      if (changed.length === 0) return this.detailOf(watcher);
      this.supervisor.update(result.settings);
      try {
        await this.writer.persistNow();
      } catch (error) {
        this.supervisor.update(previous);
        throw writeFailed(error);
      }
      this.emitConfig(id, 'updated');
      this.emitOperator(id, 'update', by, 'ok', `changed ${changed.join(', ')}`);
      return this.detailOf(watcher);
    });
  }

  removePair(id: string, by?: RemoveRequest): Promise<TwoPersonRequest | void> {
    if (this.moves.holds('remove')) return this.moves.hold(id, 'remove', by).then((held) => held.request);
    return this.remove(id, by);
  }

  private remove(id: string, by?: RemoveRequest): Promise<void> {
    return this.exclusive(async () => {
      const watcher = this.watcher(id);
      this.readRequester(id, by, true);
      if (!isForced(by)) assertRemovable(watcher);
      this.writer.assertWritable();
      const record: PairRecord = { settings: watcher.settings, persisted: watcher.persisted() };
      const order = this.supervisor.list().map((w) => w.id);
      const windows = this.maintenance.list();
      await this.supervisor.remove(id);
      // A window naming only this pair goes with it: the file must name pairs that exist.
      this.maintenance.replace(withoutPair(windows, id));
      try {
        await this.writer.persistNow();
      } catch (error) {
        this.supervisor.add(record.settings, record.persisted);
        this.supervisor.reorder(order);
        this.maintenance.replace(windows);
        throw writeFailed(error);
      }
      this.emitConfig(id, 'removed');
      const forced = isForced(by) && removalRisk(watcher) !== undefined;
      this.emitOperator(
        id,
        'remove',
        by,
        'ok',
        `removed "${record.settings.name}"${forced ? ` (forced: ${removalRisk(watcher)})` : ''}`,
      );
    });
  }

  importXml(xml: string, opts: ImportOptions = {}): Promise<ImportResult> {
    return this.exclusive(async () => {
      if (typeof xml !== 'string')
        throw invalid('the import must be the text of a pbxctrl-failover.xml', [
          { field: 'file', message: 'is not text' },
        ]);
      this.readRequester('*', opts, false);
      return this.sync.importXml(xml, opts);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Maintenance windows (maintenance-edits.ts)

  async listMaintenance(): Promise<MaintenanceInfo[]> {
    return this.maintenanceEdits.list();
  }

  addMaintenance(window: MaintenanceWindow, by?: Reasoned): Promise<MaintenanceInfo> {
    return this.exclusive(() => this.maintenanceEdits.add(window, by));
  }

  updateMaintenance(id: string, window: MaintenanceWindow, by?: Reasoned): Promise<MaintenanceInfo> {
    return this.exclusive(() => this.maintenanceEdits.update(id, window, by));
  }

  removeMaintenance(id: string, by?: Reasoned): Promise<void> {
    return this.exclusive(() => this.maintenanceEdits.remove(id, by));
  }

  // ---------------------------------------------------------------------------------------------
  // Operator moves

  failover(id: string, req: Reasoned): Promise<MoveResult> {
    return this.moves.failover(id, req);
  }

  rearm(id: string, req: RearmRequest): Promise<MoveResult> {
    return this.moves.rearm(id, req);
  }

  pause(id: string, req: Reasoned): Promise<PairStatus> {
    return this.moves.pause(id, req);
  }

  resume(id: string, req: Reasoned): Promise<PairStatus> {
    return this.moves.resume(id, req);
  }

  markActionDone(id: string, req: Reasoned): Promise<PairStatus> {
    return this.moves.markActionDone(id, req);
  }

  retryAction(id: string, by?: Reasoned): Promise<PairStatus> {
    return this.moves.retryAction(id, by);
  }

  // ---------------------------------------------------------------------------------------------
  // The two-person rule (requests-two-person.ts keeps the requests)

  async listRequests(): Promise<TwoPersonRequest[]> {
    return this.requests.list();
  }

  approveRequest(id: string, by: Reasoned): Promise<TwoPersonRequest> {
    return this.requests.approve(id, by);
  }

  async rejectRequest(id: string, by: Reasoned): Promise<TwoPersonRequest> {
    return this.requests.reject(id, by);
  }

  /** A token added or revoked (by the service's API or its command line), into the audit log (pair `*`). */
  recordOperator(action: 'token-add' | 'token-revoke', by: Reasoned, detail: string): void {
    this.emitOperator('*', action, by, 'ok', detail);
  }

  async twoPersonActions(): Promise<TwoPersonAction[]> {
    return [...(this.policy?.twoPerson ?? [])];
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private currentConfig(): FailoverConfig {
    const config: FailoverConfig = {
      pairs: this.supervisor.list().map((w) => ({ settings: w.settings, persisted: w.persisted() })),
      maintenance: this.maintenance.list(),
    };
    const channels = this.notify.channels();
    if (channels.length > 0) config.notify = channels;
    if (this.policy) config.policy = this.policy;
    return config;
  }

  private exclusive<T>(work: () => Promise<T>, operator = true): Promise<T> {
    const lost = this.writer.lockLostMessage;
    if (lost !== undefined) return Promise.reject(new MonitorError('conflict', `nothing was changed: ${lost}`));
    const follower = operator ? this.notLeading() : undefined;
    if (follower) return Promise.reject(follower);
    return this.serial.run(work);
  }

  private watcher(id: string): Watcher {
    const w = typeof id === 'string' ? this.supervisor.get(id) : undefined;
    if (!w) throw new MonitorError('not-found', `there is no pair with id "${String(id)}"`);
    return w;
  }

  private readRequester(
    pair: string,
    req: Partial<Reasoned> | undefined,
    reasonRequired: boolean,
  ): { reason: string; operator: string } {
    return readRequester(pair, req, reasonRequired, this.opts.defaultOperator);
  }

  private emitOperator(
    pair: string,
    action: OperatorAction,
    by: Partial<Reasoned> | undefined,
    outcome: 'ok' | 'failed',
    detail?: string,
  ): void {
    const event: EngineEvent = {
      type: 'operator',
      pair,
      at: this.isoNow(),
      action,
      operator: operatorOf(by, this.opts.defaultOperator),
      reason: reasonOf(by),
      outcome,
    };
    if (detail) event.detail = detail;
    if (isObject(by) && typeof by.note === 'string' && by.note.trim() !== '') event.note = by.note.trim().slice(0, 200);
    this.supervisor.emit(event);
  }

  private detailOf(watcher: Watcher): PairDetail {
    const detail: PairDetail = {
      ...this.supervisor.statusWith(watcher.status()),
      settings: maskSettings(watcher.settings),
      certificates: this.opts.ctx.certificates.list(watcher.id),
    };
    const dns = this.dns.status(watcher.id);
    if (dns) detail.dns = dns;
    const readiness = this.readiness.readiness(watcher.id);
    if (readiness) detail.readiness = readiness;
    return detail;
  }

  private emitConfig(pair: string, change: 'added' | 'updated' | 'removed'): void {
    this.supervisor.emit({ type: 'config', pair, at: this.isoNow(), change });
  }

  private isoNow(): string {
    return new Date(this.opts.ctx.clock.now()).toISOString();
  }
}
