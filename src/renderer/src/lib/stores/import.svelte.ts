// Import of pbxctrl-failover.xml: the service checks the whole file and lists
// what would change (dry run) before anything is applied; an invalid file
// changes nothing and every problem is shown with its pair and field.
// Pairs the file lacks are shown first: "merge" (the default) keeps them,
// "replace" removes them and needs the typed word "replace" and a reason.

import { MonitorError, type Backend, type ImportMode } from '$shared/api';
import type { ImportChange, Problem } from '$shared/model';
import { errorMessage } from '../backend/errors';

/** The word to type before a replace that removes pairs. */
export const REPLACE_WORD = 'replace';

export class ImportStore {
  xml = $state('');
  fileName = $state('');
  checking = $state(false);
  applying = $state(false);
  /**
   * The dry run's change list for the current text, when it is valid. The dry run asks what "replace"
   * would do: that is the whole picture (merge is the same without the removals), so the operator sees
   * what the file lacks before choosing.
   */
  changes = $state.raw<ImportChange[] | undefined>(undefined);
  problems = $state.raw<Problem[]>([]);
  error = $state<string | undefined>(undefined);
  applied = $state(false);
  /** What the service reported it did, after applying. */
  result = $state.raw<ImportChange[] | undefined>(undefined);
  reason = $state('');
  mode = $state<ImportMode>('merge');
  typedWord = $state('');

  /** Pairs that exist now and are not in the file: removed by replace, kept by merge. */
  lacking = $derived(this.changes?.filter((c) => c.change === 'removed') ?? []);
  removes = $derived(this.mode === 'replace' && this.lacking.length > 0);
  /** Why the apply button does not work yet, or undefined when it does. */
  blocked = $derived.by(() => {
    if (!this.changes || this.applying || this.applied) return 'nothing to apply';
    if (!this.removes) return undefined;
    if (this.typedWord.trim() !== REPLACE_WORD) return `type "${REPLACE_WORD}" to remove ${count(this.lacking.length)}`;
    if (!this.reason.trim()) return 'a reason is required to remove pairs';
    return undefined;
  });
  canApply = $derived(this.blocked === undefined);

  constructor(private readonly backend: Backend) {}

  setText(xml: string, fileName = ''): void {
    this.xml = xml;
    this.fileName = fileName;
    this.reset();
  }

  setMode(mode: ImportMode): void {
    this.mode = mode;
    this.typedWord = '';
  }

  async check(): Promise<void> {
    this.checking = true;
    this.reset();
    try {
      const result = await this.backend.importXml(this.xml, { dryRun: true, mode: 'replace' });
      this.changes = result.changes;
    } catch (err) {
      this.fail(err);
    } finally {
      this.checking = false;
    }
  }

  async apply(operator?: string): Promise<boolean> {
    if (!this.changes || !this.canApply) return false;
    this.applying = true;
    try {
      const who = { ...(this.reason.trim() ? { reason: this.reason.trim() } : {}), ...(operator ? { operator } : {}) };
      const result = await this.backend.importXml(this.xml, { dryRun: false, mode: this.mode, ...who });
      this.result = result.changes;
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

  private reset(): void {
    this.changes = undefined;
    this.result = undefined;
    this.problems = [];
    this.error = undefined;
    this.applied = false;
    this.mode = 'merge';
    this.typedWord = '';
  }

  private fail(err: unknown): void {
    this.error = errorMessage(err);
    this.problems = err instanceof MonitorError ? (err.problems ?? []) : [];
  }
}

function count(n: number): string {
  return `${n} pair${n === 1 ? '' : 's'}`;
}
