// Import of pbxctrl-failover.xml: the service checks the whole file and lists
// what would change (dry run) before anything is applied; an invalid file
// changes nothing and every problem is shown with its pair and field.

import { MonitorError, type Backend } from '../../../../shared/api';
import type { ImportChange, Problem } from '../../../../shared/model';
import { errorMessage } from '../backend/errors';

export class ImportStore {
  xml = $state('');
  fileName = $state('');
  checking = $state(false);
  applying = $state(false);
  /** The dry run's change list for the current text, when it is valid. */
  changes = $state.raw<ImportChange[] | undefined>(undefined);
  problems = $state.raw<Problem[]>([]);
  error = $state<string | undefined>(undefined);
  applied = $state(false);
  reason = $state('');

  canApply = $derived(!!this.changes && !this.applying && !this.applied);

  constructor(private readonly backend: Backend) {}

  setText(xml: string, fileName = ''): void {
    this.xml = xml;
    this.fileName = fileName;
    this.changes = undefined;
    this.problems = [];
    this.error = undefined;
    this.applied = false;
  }

  async check(): Promise<void> {
    this.checking = true;
    this.changes = undefined;
    this.problems = [];
    this.error = undefined;
    this.applied = false;
    try {
      const result = await this.backend.importXml(this.xml, { dryRun: true });
      this.changes = result.changes;
    } catch (err) {
      this.fail(err);
    } finally {
      this.checking = false;
    }
  }

  async apply(operator?: string): Promise<boolean> {
    if (!this.changes) return false;
    this.applying = true;
    try {
      const who = { ...(this.reason.trim() ? { reason: this.reason.trim() } : {}), ...(operator ? { operator } : {}) };
      const result = await this.backend.importXml(this.xml, { dryRun: false, ...who });
      this.changes = result.changes;
      this.applied = result.applied;
      return result.applied;
    } catch (err) {
      this.fail(err);
      this.changes = undefined;
      return false;
    } finally {
      this.applying = false;
    }
  }

  private fail(err: unknown): void {
    this.error = errorMessage(err);
    this.problems = err instanceof MonitorError ? (err.problems ?? []) : [];
  }
}
