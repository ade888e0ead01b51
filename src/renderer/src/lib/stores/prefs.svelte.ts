// Display preferences that belong to this screen (a wall display and a desk differ), kept in localStorage.
// In a browser the operator's name is kept here too; the desktop app keeps it in main's preferences instead.

const KEY = 'pbx-monitor-prefs';

interface Saved {
  compact: boolean;
  large: boolean;
  operator: string;
}

export class Prefs {
  #compact = $state(false);
  #large = $state(false);
  #operator = $state('');

  constructor(
    private readonly storage: Storage | undefined = typeof localStorage === 'undefined' ? undefined : localStorage,
  ) {
    const saved = this.read();
    this.#compact = saved.compact ?? false;
    this.#large = saved.large ?? false;
    this.#operator = saved.operator ?? '';
  }

  get compact(): boolean {
    return this.#compact;
  }

  get large(): boolean {
    return this.#large;
  }

  /** Who the audit log names for this screen's actions (browser only). */
  get operator(): string {
    return this.#operator;
  }

  toggle(key: 'compact' | 'large'): void {
    if (key === 'compact') this.#compact = !this.#compact;
    else this.#large = !this.#large;
    this.save();
  }

  setOperator(name: string): void {
    this.#operator = name;
    this.save();
  }

  private save(): void {
    const data: Saved = { compact: this.#compact, large: this.#large, operator: this.#operator };
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
