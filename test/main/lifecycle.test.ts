import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { App, BrowserWindow } from 'electron';
import {
  claimSingleInstance,
  closeEngineOnQuit,
  hideOnClose,
  onSecondInstance,
  type QuitState,
} from '../../src/main/lifecycle.js';

function fakeApp(gotLock = true) {
  const app = new EventEmitter() as EventEmitter & {
    exit: ReturnType<typeof vi.fn>;
    requestSingleInstanceLock: () => boolean;
  };
  app.exit = vi.fn();
  app.requestSingleInstanceLock = () => gotLock;
  return app;
}

function preventable() {
  return {
    defaultPrevented: false,
    preventDefault() {
      this.defaultPrevented = true;
    },
  };
}

async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('single instance', () => {
  it('runs with the lock and leaves without it', () => {
    expect(claimSingleInstance(fakeApp(true) as unknown as App)).toBe(true);
    expect(claimSingleInstance(fakeApp(false) as unknown as App)).toBe(false);
  });

  it('brings the running window to the front on a second launch, and says so when it asked for another serverdir', () => {
    const app = fakeApp();
    const revealed: number[] = [];
    const notices: string[] = [];
    onSecondInstance(
      app as unknown as App,
      () => '/srv/pbx',
      () => revealed.push(1),
      (t) => notices.push(t),
    );
    app.emit('second-instance', {}, ['/usr/bin/pbx-failover-monitor'], '/home/noc');
    app.emit('second-instance', {}, ['/usr/bin/pbx-failover-monitor', '--serverdir', '/srv/pbx'], '/home/noc');
    expect(revealed).toHaveLength(2);
    expect(notices).toEqual([]);
    app.emit('second-instance', {}, ['/usr/bin/pbx-failover-monitor', '--serverdir=other'], '/home/noc');
    expect(revealed).toHaveLength(3);
    expect(notices[0]).toContain('/home/noc/other');
  });
});

describe('window close and quit', () => {
  it('hides the window instead of closing it, with a hint the first time only', () => {
    const win = new EventEmitter() as EventEmitter & { hide: ReturnType<typeof vi.fn> };
    win.hide = vi.fn();
    const state: QuitState = { quitting: false };
    const hints = vi.fn();
    hideOnClose(win as unknown as BrowserWindow, state, hints);
    const first = preventable();
    win.emit('close', first);
    win.emit('close', preventable());
    expect(first.defaultPrevented).toBe(true);
    expect(win.hide).toHaveBeenCalledTimes(2);
    expect(hints).toHaveBeenCalledTimes(1);
    state.quitting = true;
    const last = preventable();
    win.emit('close', last);
    expect(last.defaultPrevented).toBe(false);
  });

  it('with "close to tray" off keeps the window and asks whether to quit instead of hiding', () => {
    const win = new EventEmitter() as EventEmitter & { hide: ReturnType<typeof vi.fn> };
    win.hide = vi.fn();
    const hints = vi.fn();
    const askQuit = vi.fn();
    let toTray = false;
    hideOnClose(win as unknown as BrowserWindow, { quitting: false }, hints, () => toTray, askQuit);
    const event = preventable();
    win.emit('close', event);
    expect(event.defaultPrevented).toBe(true);
    expect(askQuit).toHaveBeenCalledTimes(1);
    expect(win.hide).not.toHaveBeenCalled();
    toTray = true;
    win.emit('close', preventable());
    expect(win.hide).toHaveBeenCalledTimes(1);
    expect(askQuit).toHaveBeenCalledTimes(1);
  });

  it('holds the quit until the engine has closed, then exits 0, closing only once', async () => {
    const app = fakeApp();
    const state: QuitState = { quitting: false };
    let finish!: () => void;
    const close = vi.fn(() => new Promise<void>((r) => (finish = r)));
    closeEngineOnQuit(app as unknown as App, state, close, () => {});
    const e1 = preventable();
    app.emit('before-quit', e1);
    const e2 = preventable();
    app.emit('before-quit', e2);
    expect(e1.defaultPrevented && e2.defaultPrevented).toBe(true);
    expect(state.quitting).toBe(true);
    expect(close).toHaveBeenCalledTimes(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(app.exit).not.toHaveBeenCalled();
    finish();
    await until(() => app.exit.mock.calls.length > 0);
    expect(app.exit).toHaveBeenCalledWith(0);
  });

  it('exits 1 and reports when closing the engine fails', async () => {
    const app = fakeApp();
    const reported: unknown[] = [];
    closeEngineOnQuit(
      app as unknown as App,
      { quitting: false },
      () => Promise.reject(new Error('lock stuck')),
      (e) => reported.push(e),
    );
    app.emit('before-quit', preventable());
    await until(() => app.exit.mock.calls.length > 0);
    expect(app.exit).toHaveBeenCalledWith(1);
    expect(String(reported[0])).toContain('lock stuck');
  });
});
