// The API's changes of the maintenance windows: validated like the XML (every problem listed),
// written to pbxctrl-failover.xml through the controller's state writer before they take effect
// (undone when the write fails), then applied to the pairs and audited as maintenance-add,
// -update or -remove.

import { MonitorError, type Reasoned } from '../shared/api.js';
import { maintenanceInfo, type MaintenanceInfo, type MaintenanceWindow } from '../shared/maintenance.js';
import type { OperatorAction } from '../shared/model.js';
import { validateMaintenanceWindow } from '../shared/validate-maintenance.js';
import type { Clock } from './ports.js';
import { invalid, isObject } from './requests.js';
import type { MaintenanceScheduler } from './maintenance.js';
import { writeFailed } from './state-writer.js';

export interface MaintenanceEditDeps {
  schedule: MaintenanceScheduler;
  clock: Clock;
  pairIds: () => string[];
  /** Checks the requester (operator, optional reason); throws MonitorError('invalid'). */
  readRequester: (by: Reasoned | undefined) => void;
  /** Throws when pair states cannot be written now. */
  writableNow: () => Promise<void>;
  persistNow: () => Promise<void>;
  emitOperator: (action: OperatorAction, by: Reasoned | undefined, detail: string) => void;
}

export class MaintenanceEdits {
  constructor(private readonly deps: MaintenanceEditDeps) {}

  list(): MaintenanceInfo[] {
    const now = this.deps.clock.now();
    return this.deps.schedule.list().map((w) => maintenanceInfo(w, now));
  }

  async add(input: MaintenanceWindow, by?: Reasoned): Promise<MaintenanceInfo> {
    this.deps.readRequester(by);
    const window = this.validate(input);
    const windows = this.deps.schedule.list();
    if (windows.some((w) => w.id === window.id))
      throw invalid(`a maintenance window with id "${window.id}" already exists`, [
        { field: `maintenance[${window.id}].id`, message: `"${window.id}" is used by another window` },
      ]);
    await this.write([...windows, window]);
    this.deps.emitOperator('maintenance-add', by, `added window "${window.id}": ${describe(window)}`);
    return maintenanceInfo(window, this.deps.clock.now());
  }

  async update(id: string, input: MaintenanceWindow, by?: Reasoned): Promise<MaintenanceInfo> {
    const windows = this.deps.schedule.list();
    const index = windows.findIndex((w) => w.id === id);
    if (index < 0) throw new MonitorError('not-found', `there is no maintenance window with id "${String(id)}"`);
    this.deps.readRequester(by);
    if (isObject(input) && input.id !== undefined && input.id !== id)
      throw invalid(`the id of maintenance window "${id}" cannot be changed`, [
        { field: `maintenance[${id}].id`, message: `is "${String(input.id)}"; remove the window and add a new one` },
      ]);
    const window = this.validate(isObject(input) ? { ...input, id } : input);
    const next = windows.slice();
    next[index] = window;
    await this.write(next);
    this.deps.emitOperator('maintenance-update', by, `changed window "${id}": ${describe(window)}`);
    return maintenanceInfo(window, this.deps.clock.now());
  }

  async remove(id: string, by?: Reasoned): Promise<void> {
    const windows = this.deps.schedule.list();
    const window = windows.find((w) => w.id === id);
    if (!window) throw new MonitorError('not-found', `there is no maintenance window with id "${String(id)}"`);
    this.deps.readRequester(by);
    await this.write(windows.filter((w) => w.id !== id));
    this.deps.emitOperator('maintenance-remove', by, `removed window "${id}": ${describe(window)}`);
  }

  private validate(input: unknown): MaintenanceWindow {
    const result = validateMaintenanceWindow(input, this.deps.pairIds());
    if (!result.ok) throw invalid('the maintenance window is invalid', result.problems);
    return result.window;
  }

  /** On disk first; the windows take effect once written, and nothing changes when the write fails. */
  private async write(next: MaintenanceWindow[]): Promise<void> {
    await this.deps.writableNow();
    const { schedule } = this.deps;
    const previous = schedule.list();
    schedule.replace(next);
    try {
      await this.deps.persistNow();
    } catch (error) {
      schedule.replace(previous);
      throw writeFailed(error);
    }
    schedule.apply();
  }
}

function describe(w: MaintenanceWindow): string {
  const pairs = w.pairs === 'all' ? 'all pairs' : w.pairs.join(' ');
  const when = w.once
    ? `once ${w.once.start} to ${w.once.end}`
    : `every "${w.every!.cron}" for ${w.every!.duration} s${w.every!.tz ? ` (${w.every!.tz})` : ''}`;
  return `${pairs}, ${when}, "${w.reason}"`;
}
