import { describe, expect, it } from 'vitest';
import type { NotificationConstructorOptions } from 'electron';
import { DesktopNotifier, type NotificationClass } from '../../src/main/notifications.js';

function fakeNotificationClass(supported = true) {
  const made: FakeNotification[] = [];
  class FakeNotification {
    listeners = new Map<string, () => void>();
    shown = false;
    constructor(public options: NotificationConstructorOptions) {
      made.push(this);
    }
    static isSupported() {
      return supported;
    }
    on(event: string, fn: () => void) {
      this.listeners.set(event, fn);
      return this;
    }
    show() {
      this.shown = true;
    }
    close() {}
  }
  return { Cls: FakeNotification as unknown as NotificationClass, made };
}

describe('desktop notifications', () => {
  it('shows a pair’s notification and opens that pair on click', () => {
    const { Cls, made } = fakeNotificationClass();
    const opened: string[] = [];
    const n = new DesktopNotifier({
      Notification: Cls,
      onOpenPair: (id) => opened.push(id),
      onOpenDashboard: () => opened.push('dashboard'),
    });
    expect(
      n.show({ pair: 'acme', title: 'ACME: failover', body: 'Automatic failover', severity: 'critical', count: 1 }),
    ).toBe(true);
    expect(made[0]!.options).toMatchObject({
      title: 'ACME: failover',
      body: 'Automatic failover',
      urgency: 'critical',
      timeoutType: 'never',
    });
    expect(made[0]!.shown).toBe(true);
    made[0]!.listeners.get('click')!();
    expect(opened).toEqual(['acme']);
  });

  it('opens the dashboard for a summary, and lets go of a notification once it is closed', () => {
    const { Cls, made } = fakeNotificationClass();
    const opened: string[] = [];
    const n = new DesktopNotifier({
      Notification: Cls,
      onOpenPair: (id) => opened.push(id),
      onOpenDashboard: () => opened.push('dashboard'),
    });
    n.show({ title: '10 pairs need attention', body: '…', severity: 'warning', count: 10 });
    expect(made[0]!.options.urgency).toBe('normal');
    expect(n.openCount).toBe(1);
    made[0]!.listeners.get('click')!();
    made[0]!.listeners.get('close')!();
    expect(opened).toEqual(['dashboard']);
    expect(n.openCount).toBe(0);
  });

  it('does nothing where the system has no notifications', () => {
    const { Cls, made } = fakeNotificationClass(false);
    const n = new DesktopNotifier({ Notification: Cls, onOpenPair: () => {}, onOpenDashboard: () => {} });
    expect(n.show({ title: 't', body: 'b', severity: 'info', count: 1 })).toBe(false);
    expect(made).toHaveLength(0);
  });
});
