// Turns a Delivery from the notification pipeline into a desktop notification.
// Clicking one opens its pair (or the dashboard for a summary).

import type { Notification as ElectronNotification, NotificationConstructorOptions } from 'electron';
import type { Delivery } from './policy/coalescing.js';

export interface NotificationClass {
  new (options: NotificationConstructorOptions): Pick<ElectronNotification, 'show' | 'close' | 'on'>;
  isSupported(): boolean;
}

export interface NotifierDeps {
  Notification: NotificationClass;
  onOpenPair(pairId: string): void;
  onOpenDashboard(): void;
  icon?: string;
}

export class DesktopNotifier {
  /** Held until closed: a notification that is garbage-collected loses its click handler. */
  private readonly live = new Set<Pick<ElectronNotification, 'show' | 'close' | 'on'>>();

  constructor(private readonly deps: NotifierDeps) {}

  show(d: Delivery): boolean {
    if (!this.deps.Notification.isSupported()) return false;
    const n = new this.deps.Notification({
      title: d.title,
      body: d.body,
      ...(this.deps.icon ? { icon: this.deps.icon } : {}),
      urgency: d.severity === 'critical' ? 'critical' : 'normal',
      timeoutType: d.severity === 'critical' ? 'never' : 'default',
    });
    this.live.add(n);
    n.on('click', () => {
      if (d.pair) this.deps.onOpenPair(d.pair);
      else this.deps.onOpenDashboard();
    });
    n.on('close', () => this.live.delete(n));
    n.show();
    return true;
  }

  /** A plain message (the one-time tray hint, a second launch's notice). */
  hint(title: string, body: string): void {
    this.show({ title, body, severity: 'info', count: 1 });
  }

  get openCount(): number {
    return this.live.size;
  }
}
