// Keeping the running pairs and pbxctrl-failover.xml in step: an import is planned (what it would
// add, change, remove) and applied as a whole, and a hand edit of the file is noticed and applied
// like an import; an invalid edit raises an alert and blocks writing until the file is fixed.

import { type ImportMode, type ImportOptions, MonitorError, type Reasoned } from '../shared/api.js';
import type {
  EngineEvent,
  ImportChange,
  ImportResult,
  OperatorAction,
  PairSettings,
  Problem,
} from '../shared/model.js';
import { validatePairList, validatePairSettings } from '../shared/validate.js';
import { pairSendProblems } from './action-runner.js';
import { messageOf } from './fs-errors.js';
import type { ConfigStore, FailoverConfig, Logger } from './ports.js';
import type { Policy } from '../shared/two-person.js';
import { importMode, invalid, isObject } from './requests.js';
import { describeProblem, type StateWriter, writeFailed } from './state-writer.js';
import type { Supervisor } from './supervisor.js';
import type { NotifySettings } from '../shared/notify.js';
import type { MaintenanceWindow } from '../shared/maintenance.js';
import type { MaintenanceScheduler } from './maintenance.js';

/** Records an operator move in the audit (an OperatorEvent with who, why and outcome). */
export type EmitOperator = (
  pair: string,
  action: OperatorAction,
  by: Partial<Reasoned> | undefined,
  outcome: 'ok' | 'failed',
  detail?: string,
) => void;

export interface ImportPlan {
  settings: PairSettings[];
  changes: ImportChange[];
  /** The windows after the import. */
  maintenance: MaintenanceWindow[];
}

export interface ConfigSyncDeps {
  supervisor: Supervisor;
  store: ConfigStore;
  log: Logger;
  writer: StateWriter;
  /** Runs work in turn with every other change of the configuration. */
  exclusive: <T>(work: () => Promise<T>) => Promise<T>;
  /** True once the monitor is closing: the file is not checked any more. */
  closing: () => boolean;
  emitConfig: (pair: string, change: 'added' | 'updated' | 'removed') => void;
  emitOperator: EmitOperator;
  emit: (event: EngineEvent) => void;
  isoNow: () => string;
  /** How often the file is checked for hand edits (default 3 s; 0 turns it off). */
  configPollMs?: number | undefined;
  /** The alert channels (`<notify>`) now, and setting them from an import or a hand edit. */
  notifyChannels?: () => NotifySettings[];
  setNotifyChannels?: (channels: NotifySettings[]) => void;
  /** The maintenance windows: an import or a hand edit replaces them (merge: by id). */
  maintenance: MaintenanceScheduler;
  /** The running `<policy>`, and a way to replace it (an import or a hand edit brings a new one). */
  policy: () => Policy | undefined;
  setPolicy: (policy: Policy | undefined) => void;
}

export class ConfigSync {
  private readonly deps: ConfigSyncDeps;
  private lastAlertedProblems = '';
  private pollTimer: NodeJS.Timeout | undefined;
  /** The hand-edit check running now; a second caller waits for it. */
  private polling: Promise<void> | undefined;

  constructor(deps: ConfigSyncDeps) {
    this.deps = deps;
  }

  /** Starts watching the file for hand edits. */
  start(): void {
    const pollMs = this.deps.configPollMs ?? 3000;
    if (pollMs > 0) {
      this.pollTimer = setInterval(() => void this.checkFileOnDisk(), pollMs);
      this.pollTimer.unref();
    }
  }

  stop(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
  }

  /** An import through the API (the caller has checked the requester and runs it exclusively). */
  async importXml(xml: string, opts: ImportOptions): Promise<ImportResult> {
    const mode = importMode(opts);
    const { supervisor, store, writer } = this.deps;
    const stored = this.deps.notifyChannels?.() ?? [];
    const parsed = store.parse(xml, {
      existing: (id) => supervisor.get(id)?.settings,
      existingNotify: (id) => stored.find((c) => c.id === id),
    });
    if (!parsed.ok)
      throw invalid(`the file has ${count(parsed.problems.length, 'problem')}; nothing was changed`, parsed.problems);
    const plan = this.planImport(parsed.config, mode);
    if (opts.dryRun) return { applied: false, changes: plan.changes };
    writer.assertWritable();
    // Replace takes the file's policy (none when it has none); merge keeps the running one unless the file has one.
    const policy = mode === 'merge' ? (parsed.config.policy ?? this.deps.policy()) : parsed.config.policy;
    const policyChanged = JSON.stringify(policy) !== JSON.stringify(this.deps.policy());
    this.deps.setPolicy(policy);
    const by = { reason: opts.reason ?? '', ...(opts.operator ? { operator: opts.operator } : {}) };
    const touched = await this.withChannels(importedChannels(stored, parsed.config.notify ?? [], mode), () =>
      this.applyPlan(plan, opts.note ? { ...by, note: opts.note } : by),
    );
    if (policyChanged && !touched)
      await writer.persistNow().catch((error: unknown) => {
        throw writeFailed(error);
      });
    return { applied: true, changes: plan.changes };
  }

  /**
   * What an import would change. `replace` (a hand edit, the API's default) removes the pairs the file
   * lacks; `merge` keeps them, after the imported ones' current places, new pairs at the end.
   * Each change of an existing pair carries its live state, so a removal of a pair in failover shows.
   */
  private planImport(config: FailoverConfig, mode: ImportMode = 'replace'): ImportPlan {
    const { supervisor } = this.deps;
    const problems: Problem[] = [];
    const settings: PairSettings[] = [];
    const changes: ImportChange[] = [];
    const seen = new Set<string>();
    for (const record of config.pairs) {
      const live = supervisor.get(record.settings.id);
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
        changes.push(
          fields.length
            ? { pair: existing.id, change: 'changed', state, fields }
            : { pair: existing.id, change: 'unchanged', state },
        );
      }
    }
    problems.push(...validatePairList(settings));
    if (problems.length)
      throw invalid(`the file has ${count(problems.length, 'problem')}; nothing was changed`, problems);
    const kept = supervisor.list().filter((w) => !seen.has(w.id));
    const fileWindows = config.maintenance ?? [];
    if (mode === 'replace') {
      for (const w of kept) changes.push({ pair: w.id, change: 'removed', state: w.status().state });
      return { settings, changes, maintenance: fileWindows };
    }
    // Merge: the file's windows replace those of the same id, the others stay.
    const fileIds = new Set(fileWindows.map((w) => w.id));
    const maintenance = [...this.deps.maintenance.list().filter((w) => !fileIds.has(w.id)), ...fileWindows];
    // Merge: every pair stays where it is; the file's new pairs follow in the file's order.
    const byId = new Map(settings.map((s) => [s.id, s]));
    const merged = supervisor.list().map((w) => byId.get(w.id) ?? w.settings);
    for (const s of settings) if (!supervisor.has(s.id)) merged.push(s);
    return { settings: merged, changes, maintenance };
  }

  /**
   * Applies `apply` with these alert channels in place; when it fails the previous channels come
   * back (nothing half-applied). Channels that changed alone are written too.
   */
  private async withChannels(channels: NotifySettings[], apply: () => Promise<boolean>): Promise<boolean> {
    const { notifyChannels, setNotifyChannels } = this.deps;
    if (!notifyChannels || !setNotifyChannels) return apply();
    const before = notifyChannels();
    const changed = JSON.stringify(before) !== JSON.stringify(channels);
    if (changed) setNotifyChannels(channels);
    let touched: boolean;
    try {
      touched = await apply();
      if (changed && !touched)
        await this.deps.writer.persistNow().catch((error: unknown) => {
          throw writeFailed(error);
        });
    } catch (error) {
      if (changed) setNotifyChannels(before);
      throw error;
    }
    return touched || changed;
  }

  /** Applies an import; false when nothing changed (then a hand edit records no operator event). */
  private async applyPlan(plan: ImportPlan, by: Reasoned): Promise<boolean> {
    const { supervisor, writer } = this.deps;
    const byId = new Map(plan.settings.map((s) => [s.id, s]));
    for (const change of plan.changes) {
      if (change.change === 'removed') await supervisor.remove(change.pair);
      else if (change.change === 'changed') supervisor.update(byId.get(change.pair)!);
      else if (change.change === 'added') supervisor.add(byId.get(change.pair)!);
    }
    supervisor.reorder(plan.settings.map((s) => s.id));
    const touched = plan.changes.filter((c) => c.change !== 'unchanged');
    const windowsBefore = JSON.stringify(this.deps.maintenance.list());
    const windowsChanged = JSON.stringify(plan.maintenance) !== windowsBefore;
    this.deps.maintenance.replace(plan.maintenance);
    if (touched.length > 0 || windowsChanged) {
      await writer.persistNow().catch((error: unknown) => {
        throw writeFailed(error);
      });
    }
    this.deps.maintenance.apply();
    for (const c of touched)
      this.deps.emitConfig(c.pair, c.change === 'added' ? 'added' : c.change === 'removed' ? 'removed' : 'updated');
    if (touched.length === 0 && by.operator === 'file') return windowsChanged;
    const tally = (kind: ImportChange['change']): number => plan.changes.filter((c) => c.change === kind).length;
    this.deps.emitOperator(
      '*',
      'import',
      by,
      'ok',
      `${tally('added')} added, ${tally('changed')} changed, ${tally('removed')} removed, ${tally('unchanged')} unchanged`,
    );
    return touched.length > 0;
  }

  /** Notices a hand edit of pbxctrl-failover.xml: valid -> applied like an import; invalid -> alert, no writes. */
  checkFileOnDisk(): Promise<void> {
    if (this.deps.closing()) return Promise.resolve();
    this.polling ??= this.readHandEdit().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async readHandEdit(): Promise<void> {
    const { store, writer, log } = this.deps;
    try {
      await this.deps.exclusive(async () => {
        // Never look at the file while our own write is renaming it into place.
        const read = await writer.onDisk(async () => {
          if (!(await store.changedOnDisk())) return undefined;
          try {
            return { config: await store.load() };
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
        let plan: ImportPlan;
        try {
          plan = this.planImport(config);
        } catch (error) {
          this.fileIsInvalid(error);
          return;
        }
        this.deps.setPolicy(config.policy);
        const wasBlocked = writer.unblock();
        this.lastAlertedProblems = '';
        if (wasBlocked) log.info('pbxctrl-failover.xml is valid again; writing resumes');
        const touched = await this.withChannels(config.notify ?? [], () =>
          this.applyPlan(plan, {
            reason: 'pbxctrl-failover.xml was edited by hand',
            operator: 'file',
          }),
        );
        // Write back the live states (the file as edited may not carry them). A failure is reported by write().
        if (!touched) await writer.persistNow().catch(() => undefined);
      });
    } catch (error) {
      log.error('checking pbxctrl-failover.xml for hand edits failed', { error: messageOf(error) });
    }
  }

  private fileIsInvalid(error: unknown): void {
    const problems =
      error instanceof MonitorError && error.problems ? error.problems : [{ field: 'file', message: messageOf(error) }];
    this.deps.writer.block(problems);
    const text = problems.map(describeProblem).join('; ');
    // From now on no state can be written: the same failure as a full disk, said as loudly (after the cause).
    if (text === this.lastAlertedProblems) return this.deps.writer.reportBlocked();
    this.lastAlertedProblems = text;
    this.deps.log.warn('pbxctrl-failover.xml was edited by hand and is invalid; keeping the last good configuration', {
      problems: text,
    });
    this.deps.emit({
      type: 'alert',
      pair: '*',
      at: this.deps.isoNow(),
      alert: 'config-problem',
      severity: 'critical',
      message: `pbxctrl-failover.xml was edited by hand and is invalid; still running on the last good configuration and not writing the file until it is fixed: ${text}`,
    });
    this.deps.writer.reportBlocked();
  }
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

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `replace` takes the file's channels; `merge` updates those of the same id and appends new ones. */
function importedChannels(stored: NotifySettings[], file: NotifySettings[], mode: ImportMode): NotifySettings[] {
  if (mode === 'replace') return file;
  const byId = new Map(file.map((c) => [c.id, c]));
  const merged = stored.map((c) => byId.get(c.id) ?? c);
  for (const c of file) if (!stored.some((s) => s.id === c.id)) merged.push(c);
  return merged;
}
