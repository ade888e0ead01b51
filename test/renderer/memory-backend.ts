// An in-memory Backend for store and component tests: the interface the
// renderer codes against (as the desktop bridge is), holding pairs and
// recording every call. HTTP itself is tested against a real loopback server
// in http-backend.test.ts.

import {
  MonitorError,
  type Backend,
  type ConnectionState,
  type HealthInfo,
  type ImportOptions,
  type Reasoned,
  type RearmRequest,
  type RemoveRequest,
} from '$shared/api';
import type { NotifyOverview, NotifyTestResult, SilenceInfo, SilenceRequest } from '$shared/notify';
import type {
  AlertEvent,
  CheckResult,
  EngineEvent,
  HistoryEvent,
  ImportChange,
  ImportResult,
  PairDetail,
  PairHistory,
  PairSettings,
  PairStatus,
} from '$shared/model';
import { validatePairSettings } from '$shared/validate';
import { maintenanceInfo, type MaintenanceWindow } from '$shared/maintenance';
import { validateMaintenanceWindow } from '$shared/validate-maintenance';

export function status(overrides: Partial<PairStatus> & { id: string }): PairStatus {
  return {
    name: overrides.id.toUpperCase(),
    state: 'waiting',
    since: '2026-11-27T08:00:00.000Z',
    consecutiveFailures: 0,
    toleratedFailures: 3,
    interval: 1,
    primaryAnswering: false,
    standbyDown: false,
    isolated: false,
    ...overrides,
  };
}

export function settings(overrides: Partial<PairSettings> & { id: string }): PairSettings {
  return {
    name: overrides.id.toUpperCase(),
    primaryUrl: 'http://127.0.0.1:9/',
    interval: 1,
    toleratedFailures: 3,
    acceptStatus: '200',
    validation: { quorum: 1, urls: ['http://127.0.0.2:9/'] },
    action: {
      method: 'POST',
      url: 'http://127.0.0.1:9/dns?pair={pair}',
      encoding: 'json',
      auth: 'basic',
      user: 'api',
      pass: '••••••••',
      headers: [{ name: 'X-Api-Key', value: '••••••••' }],
      body: '{"pair":"{pair}","reason":"{reason}","to":"{to}"}',
      retries: 5,
      timeout: 10,
    },
    ...overrides,
  };
}

function readPairs(xml: string): Map<string, PairSettings> {
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  if (doc.querySelector('parsererror') || doc.documentElement.nodeName !== 'pbxctrl-failover') {
    throw new MonitorError('invalid', 'the file has 1 problem; nothing was changed', [
      { field: 'file', message: 'is not a pbxctrl-failover.xml' },
    ]);
  }
  const pairs = new Map<string, PairSettings>();
  for (const el of doc.querySelectorAll('pair')) {
    const id = el.getAttribute('id') ?? '';
    const text = (name: string) => el.querySelector(`:scope > ${name}`)?.textContent?.trim();
    pairs.set(
      id,
      settings({
        id,
        name: text('name') ?? id,
        primaryUrl: text('primary-url') ?? '',
        interval: Number(text('interval')),
      }),
    );
  }
  return pairs;
}

export interface Call {
  method: string;
  args: unknown[];
}

export class MemoryBackend implements Backend {
  readonly kind = 'http' as const;
  readonly calls: Call[] = [];
  pairs: PairStatus[] = [];
  settingsOf = new Map<string, PairSettings>();
  alertEvents: HistoryEvent[] = [];
  auditEvents: HistoryEvent[] = [];
  historyOf = new Map<string, PairHistory>();
  healthInfo: HealthInfo = { ok: true, version: 'test', problems: [] };
  /** The next call of this method fails with this error. */
  failNext = new Map<string, MonitorError>();
  private listeners = new Set<(events: EngineEvent[]) => void>();
  private connectionListeners = new Set<(s: ConnectionState) => void>();

  emit(events: EngineEvent[]): void {
    for (const l of this.listeners) l(events);
  }
  setConnection(s: ConnectionState): void {
    for (const l of this.connectionListeners) l(s);
  }

  private async call<T>(method: string, args: unknown[], answer: () => T): Promise<T> {
    this.calls.push({ method, args });
    const fail = this.failNext.get(method);
    if (fail) {
      this.failNext.delete(method);
      throw fail;
    }
    return answer();
  }

  private find(id: string): PairStatus {
    const p = this.pairs.find((x) => x.id === id);
    if (!p) throw new MonitorError('not-found', `no pair "${id}"`);
    return p;
  }

  health = () => this.call('health', [], (): HealthInfo => structuredClone(this.healthInfo));
  listPairs = () => this.call('listPairs', [], () => this.pairs.map((p) => ({ ...p })));
  getPair = (id: string) =>
    this.call('getPair', [id], (): PairDetail => ({
      ...this.find(id),
      settings: this.settingsOf.get(id) ?? settings({ id }),
    }));
  addPair = (s: PairSettings, by?: Reasoned) =>
    this.call('addPair', [s, by], (): PairDetail => {
      const v = validatePairSettings(s);
      if (!v.ok) throw new MonitorError('invalid', 'invalid settings', v.problems);
      if (this.pairs.some((p) => p.id === s.id))
        throw new MonitorError('conflict', `pair "${s.id}" exists`, [{ field: 'id', message: 'is taken' }]);
      const st = status({ id: s.id, name: s.name, state: 'starting' });
      this.pairs.push(st);
      this.settingsOf.set(s.id, s);
      return { ...st, settings: s };
    });
  updatePair = (id: string, s: PairSettings, by?: Reasoned) =>
    this.call('updatePair', [id, s, by], (): PairDetail => ({ ...this.find(id), settings: s }));
  // Like the API: a reason is required, and a pair in failover or with its action in flight only goes with force.
  removePair = (id: string, req?: RemoveRequest) =>
    this.call('removePair', [id, req], () => {
      const pair = this.find(id);
      if (!req?.reason?.trim())
        throw new MonitorError('invalid', 'a reason is required to remove a pair', [
          { pair: id, field: 'reason', message: 'is required' },
        ]);
      const inFlight = pair.action?.phase === 'pending' || pair.action?.phase === 'running';
      if ((pair.state === 'failover' || inFlight) && req.force !== true) {
        const why = pair.state === 'failover' ? 'is in failover' : 'has an action in flight';
        throw new MonitorError('conflict', `pair "${id}" ${why}; send force=true to remove it anyway`);
      }
      this.pairs = this.pairs.filter((p) => p.id !== id);
      this.settingsOf.delete(id);
    });
  failover = (id: string, req: Reasoned) =>
    this.call('failover', [id, req], () => ({ ...this.find(id), state: 'failover' as const }));
  rearm = (id: string, req: RearmRequest) =>
    this.call('rearm', [id, req], () => ({ ...this.find(id), state: 'starting' as const }));
  pause = (id: string, req: Reasoned) =>
    this.call('pause', [id, req], () => ({ ...this.find(id), state: 'paused' as const }));
  resume = (id: string, req: Reasoned) =>
    this.call('resume', [id, req], () => ({ ...this.find(id), state: 'starting' as const }));
  markActionDone = (id: string, req: Reasoned) => this.call('markActionDone', [id, req], () => this.find(id));
  retryAction = (id: string, by?: Reasoned) => this.call('retryAction', [id, by], () => this.find(id));
  history = (id: string, range?: { from?: string; to?: string }) =>
    this.call(
      'history',
      [id, range],
      (): PairHistory =>
        this.historyOf.get(id) ?? { pair: id, from: range?.from ?? '', to: range?.to ?? '', events: [], minutes: [] },
    );
  audit = () => this.call('audit', [], () => this.auditEvents);
  alerts = () => this.call('alerts', [], () => this.alertEvents);
  exportXml = (opts?: { masked?: boolean }) => this.call('exportXml', [opts], () => '<pbxctrl-failover version="1"/>');
  // Like the API: merge adds and updates, replace (the API's default) also removes the pairs the file
  // lacks; each existing pair's change carries its state. The engine's own reader is tested in
  // test/core; here the browser's DOMParser reads the ids, names, URLs and intervals.
  importXml = (xml: string, opts?: ImportOptions) =>
    this.call('importXml', [xml, opts], (): ImportResult => {
      const inFile = readPairs(xml);
      const replace = (opts?.mode ?? 'replace') === 'replace';
      const changes: ImportChange[] = [];
      for (const [id, s] of inFile) {
        const now = this.pairs.find((p) => p.id === id);
        const before = this.settingsOf.get(id);
        if (!now) changes.push({ pair: id, change: 'added' });
        else {
          const fields = (['name', 'primaryUrl', 'interval'] as const).filter((f) => before?.[f] !== s[f]);
          changes.push({
            pair: id,
            change: fields.length ? 'changed' : 'unchanged',
            state: now.state,
            ...(fields.length ? { fields } : {}),
          });
        }
      }
      if (replace)
        for (const p of this.pairs)
          if (!inFile.has(p.id)) changes.push({ pair: p.id, change: 'removed', state: p.state });
      if (opts?.dryRun) return { applied: false, changes };
      if (replace) this.pairs = this.pairs.filter((p) => inFile.has(p.id));
      for (const [id, s] of inFile) {
        if (!this.pairs.some((p) => p.id === id)) this.pairs.push(status({ id, name: s.name, state: 'starting' }));
        this.settingsOf.set(id, s);
      }
      return { applied: true, changes };
    });
  testUrls = (s: PairSettings) => this.call('testUrls', [s], (): CheckResult[] => []);
  notifyOverview: NotifyOverview = { channels: [], silences: [] };
  notifyStatus = () => this.call('notifyStatus', [], () => this.notifyOverview);
  testNotify = (id: string, by?: Partial<Reasoned>) =>
    this.call('testNotify', [id, by], (): NotifyTestResult => ({ channel: id, ok: true, status: 200, latencyMs: 5 }));
  // Like the engine: the acknowledgement reaches every client as an operator event `ack`.
  ackAlert = (id: string, req: Reasoned) =>
    this.call('ackAlert', [id, req], (): AlertEvent => {
      const alert = this.alertEvents.find((e): e is AlertEvent => e.type === 'alert' && e.id === id);
      if (!alert) throw new MonitorError('not-found', `there is no alert with id "${id}"`);
      const at = new Date().toISOString();
      const operator = req.operator ?? 'api';
      this.emit([
        {
          type: 'operator',
          pair: alert.pair,
          at,
          action: 'ack',
          operator,
          reason: req.reason,
          outcome: 'ok',
          alertId: id,
        },
      ]);
      return { ...alert, acknowledged: { operator, reason: req.reason, at } };
    });
  silencePair = (id: string, req: SilenceRequest) =>
    this.call('silencePair', [id, req], (): SilenceInfo => {
      const until = new Date(Date.now() + req.duration * 1000).toISOString();
      return { pair: id, until, operator: req.operator ?? 'api', reason: req.reason };
    });
  // Maintenance windows validated by the shared rules, like the engine does.
  windows: MaintenanceWindow[] = [];
  listMaintenance = () =>
    this.call('listMaintenance', [], () => this.windows.map((w) => maintenanceInfo(w, Date.now())));
  addMaintenance = (w: MaintenanceWindow, by?: Reasoned) =>
    this.call('addMaintenance', [w, by], () => {
      const r = validateMaintenanceWindow(
        w,
        this.pairs.map((p) => p.id),
      );
      if (!r.ok) throw new MonitorError('invalid', 'the maintenance window is invalid', r.problems);
      this.windows.push(r.window);
      return maintenanceInfo(r.window, Date.now());
    });
  updateMaintenance = (id: string, w: MaintenanceWindow, by?: Reasoned) =>
    this.call('updateMaintenance', [id, w, by], () => {
      this.windows = this.windows.map((x) => (x.id === id ? w : x));
      return maintenanceInfo(w, Date.now());
    });
  removeMaintenance = (id: string, by?: Reasoned) =>
    this.call('removeMaintenance', [id, by], () => {
      this.windows = this.windows.filter((w) => w.id !== id);
    });

  subscribe(listener: (events: EngineEvent[]) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  onConnection(listener: (s: ConnectionState) => void) {
    this.connectionListeners.add(listener);
    listener('live');
    return () => this.connectionListeners.delete(listener);
  }
}
