// Display preferences that belong to this screen (a wall display and a desk differ), kept in localStorage.

const KEY = 'pbx-monitor-prefs';

interface Saved {
  compact: boolean;
  large: boolean;
  operator: string;
}

export class Prefs {
  compact = $state(false);
  large = $state(false);
  /** Who the audit log names for this screen's actions. */
  operator = $state('');

  constructor(private readonly storage: Storage | undefined = typeof localStorage === 'undefined' ? undefined : localStorage) {
    const saved = this.read();
    this.compact = saved.compact ?? false;
    this.large = saved.large ?? false;
    this.operator = saved.operator ?? '';
  }

  save(): void {
    const data: Saved = { compact: this.compact, large: this.large, operator: this.operator };
    this.storage?.setItem(KEY, JSON.stringify(data));
  }

  private read(): Partial<Saved> {
    try {
      return JSON.parse(this.storage?.getItem(KEY) ?? '{}') as Partial<Saved>;
    } catch {
      return {};
    }
  }
}
