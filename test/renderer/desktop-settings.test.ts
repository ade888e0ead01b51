// The desktop settings view and the one copy of the operator's name, over the preload's real bridge and
// the renderer's real desktop backend; main's side is an in-memory stand-in that checks each change with
// main's own validator (the only thing not real is Electron's ipcRenderer).
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import App from '../../src/renderer/src/App.svelte';
import { AppState, appContext } from '../../src/renderer/src/lib/app.svelte';
import { createDesktopBackend } from '../../src/renderer/src/lib/backend/desktop';
import OperatorDialog from '../../src/renderer/src/lib/components/dialogs/OperatorDialog.svelte';
import { MonitorError } from '$shared/api';
import { SHOW_PAIR_CHANNEL, type DesktopBridge, type DesktopPreferences, type IpcResult } from '$shared/ipc';
import { MemoryBackend, settings, status } from './memory-backend';

// The preload and main belong to the node-side TypeScript project, so they are loaded by path, not imported.
const preloadBridge = '../../src/preload/bridge';
const mainPreferences = '../../src/main/preferences';
const { createDesktopBridge } = (await import(/* @vite-ignore */ preloadBridge)) as {
  createDesktopBridge: (ipc: never) => DesktopBridge;
};
const { validatePreferencesPatch } = (await import(/* @vite-ignore */ mainPreferences)) as {
  validatePreferencesPatch: (patch: unknown) => Array<{ field: string; message: string }>;
};

globalThis.ResizeObserver ??= class {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
};

/** Main as the renderer sees it: the engine (a MemoryBackend) plus the preferences main keeps. */
function fakeMain(engine: MemoryBackend) {
  const prefs: DesktopPreferences = { openAtLogin: false, closeToTray: true, operator: 'noc-desk' };
  const patches: Array<Partial<DesktopPreferences>> = [];
  const showPair = new Set<(event: unknown, id: unknown) => void>();
  async function answer(channel: string, args: unknown[]): Promise<IpcResult<unknown>> {
    try {
      if (channel === 'pbx:desktop:getPreferences') return { ok: true, value: { ...prefs } };
      if (channel === 'pbx:desktop:setPreferences') {
        const patch = args[0] as Partial<DesktopPreferences>;
        patches.push(patch);
        const problems = validatePreferencesPatch(patch);
        if (problems.length) throw new MonitorError('invalid', 'These preferences cannot be saved.', problems);
        Object.assign(prefs, patch);
        if ('mutedUntil' in patch && patch.mutedUntil === undefined) delete prefs.mutedUntil;
        return { ok: true, value: { ...prefs } };
      }
      const method = channel.slice('pbx:'.length) as 'listPairs';
      const value = await (engine[method] as (...a: unknown[]) => Promise<unknown>)(...args);
      return { ok: true, value };
    } catch (err) {
      return { ok: false, error: (err as MonitorError).toBody() };
    }
  }
  const ipc = {
    invoke: (channel: string, ...args: unknown[]) => answer(channel, args),
    on(channel: string, l: (event: unknown, payload: unknown) => void) {
      if (channel === SHOW_PAIR_CHANNEL) showPair.add(l);
      return this;
    },
    removeListener(_channel: string, l: (event: unknown, payload: unknown) => void) {
      showPair.delete(l);
      return this;
    },
  };
  return {
    prefs,
    patches,
    backend: createDesktopBackend(createDesktopBridge(ipc as never)),
    showPair: (id: string) => showPair.forEach((l) => l({ sender: 'main' }, id)),
    showPairListeners: () => showPair.size,
  };
}

let engine: MemoryBackend;
let main: ReturnType<typeof fakeMain>;
let app: AppState;

beforeEach(() => {
  localStorage.clear();
  location.hash = '';
  engine = new MemoryBackend();
  engine.pairs = [status({ id: 'acme', name: 'ACME Corp' })];
  engine.settingsOf.set('acme', settings({ id: 'acme', name: 'ACME Corp' }));
  main = fakeMain(engine);
  app = new AppState(main.backend, (run) => run(), 0);
});

afterEach(() => {
  cleanup();
  app.stop();
});

describe('the operator name has one home', () => {
  it('in the desktop app it is main’s preference: nothing from localStorage is sent, main fills in its own', async () => {
    localStorage.setItem('pbx-monitor-prefs', JSON.stringify({ operator: 'stale-browser-name' }));
    app = new AppState(main.backend, (run) => run(), 0);
    await app.start();
    expect(app.operator).toBe('noc-desk');
    expect(app.requestOperator).toBeUndefined();
    const detail = await main.backend.getPair('acme');
    render(OperatorDialog, {
      props: { kind: 'pause', detail, live: app.pairs.get('acme')!.status, onclose: () => {} },
      context: appContext(app),
    });
    expect(screen.queryByRole('textbox', { name: 'Operator' })).toBeNull();
    expect(screen.getByText(/Recorded as/).textContent).toContain('noc-desk');
    await fireEvent.input(screen.getByLabelText(/Type the pair's name/), { target: { value: 'ACME Corp' } });
    await fireEvent.input(screen.getByLabelText(/Reason/), { target: { value: 'switch upgrade' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Pause for maintenance' }));
    await expect.poll(() => engine.calls.find((c) => c.method === 'pause')).toBeTruthy();
    expect(engine.calls.find((c) => c.method === 'pause')!.args).toEqual(['acme', { reason: 'switch upgrade' }]);
  });

  it('in a browser it is this screen’s localStorage, typed in the dialog and sent with the request', async () => {
    const browser = new AppState(engine, (run) => run(), 0);
    expect(browser.settings).toBeUndefined();
    await browser.start();
    const detail = await engine.getPair('acme');
    render(OperatorDialog, {
      props: { kind: 'pause', detail, live: browser.pairs.get('acme')!.status, onclose: () => {} },
      context: appContext(browser),
    });
    await fireEvent.input(screen.getByRole('textbox', { name: 'Operator' }), { target: { value: 'maria' } });
    expect(new AppState(engine).operator).toBe('maria');
    await fireEvent.input(screen.getByLabelText(/Type the pair's name/), { target: { value: 'ACME Corp' } });
    await fireEvent.input(screen.getByLabelText(/Reason/), { target: { value: 'switch upgrade' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Pause for maintenance' }));
    await expect.poll(() => engine.calls.find((c) => c.method === 'pause')).toBeTruthy();
    expect(engine.calls.find((c) => c.method === 'pause')!.args).toEqual([
      'acme',
      { reason: 'switch upgrade', operator: 'maria' },
    ]);
    browser.stop();
  });
});

describe('the desktop settings view', () => {
  async function openSettings() {
    await app.start();
    location.hash = '#/settings';
    app.router.go({ view: 'settings' });
    render(App, { context: appContext(app) });
    await expect.poll(() => screen.queryByRole('textbox', { name: /Name recorded/ })).toBeTruthy();
  }

  it('is linked from the header only in the desktop app', async () => {
    await app.start();
    render(App, { context: appContext(app) });
    expect(screen.getByRole('link', { name: 'Settings' }).getAttribute('href')).toBe('#/settings');
    cleanup();
    const browser = new AppState(engine, (run) => run(), 0);
    render(App, { context: appContext(browser) });
    expect(screen.queryByRole('link', { name: 'Settings' })).toBeNull();
    browser.stop();
  });

  it('saves the operator name through main, and shows main’s refusal by field without changing anything', async () => {
    await openSettings();
    const name = screen.getByRole('textbox', { name: /Name recorded/ }) as HTMLInputElement;
    expect(name.value).toBe('noc-desk');
    await fireEvent.input(name, { target: { value: '   ' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save name' }));
    await expect.poll(() => screen.queryByText(/must be a name of 1 to 100 characters/)).toBeTruthy();
    expect(main.prefs.operator).toBe('noc-desk');
    expect(app.operator).toBe('noc-desk');
    await fireEvent.input(name, { target: { value: 'night shift' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save name' }));
    await expect.poll(() => app.operator).toBe('night shift');
    expect(main.prefs.operator).toBe('night shift');
    expect(screen.queryByText(/must be a name/)).toBeNull();
  });

  it('turns start at login and close to tray on and off', async () => {
    await openSettings();
    await fireEvent.click(screen.getByRole('checkbox', { name: /Start at login/ }));
    await expect.poll(() => main.prefs.openAtLogin).toBe(true);
    await fireEvent.click(screen.getByRole('checkbox', { name: /keeps the watchers running in the tray/ }));
    await expect.poll(() => main.prefs.closeToTray).toBe(false);
    await expect.poll(() => screen.queryByText(/Closing the window now asks whether to quit/)).toBeTruthy();
    expect(main.patches).toEqual([{ openAtLogin: true }, { closeToTray: false }]);
  });

  it('mutes notifications for a chosen time and unmutes them', async () => {
    await openSettings();
    const before = Date.now();
    await fireEvent.click(screen.getByRole('button', { name: 'Mute for 1 hour' }));
    await expect.poll(() => screen.queryByTestId('muted')).toBeTruthy();
    const until = Date.parse(main.prefs.mutedUntil!);
    expect(until - before).toBeGreaterThanOrEqual(3_600_000);
    expect(until - Date.now()).toBeLessThanOrEqual(3_600_000);
    await fireEvent.click(screen.getByRole('button', { name: 'Unmute now' }));
    await expect.poll(() => screen.queryByTestId('muted')).toBeNull();
    expect(main.prefs).not.toHaveProperty('mutedUntil');
    expect(main.patches.at(-1)).toEqual({ mutedUntil: undefined });
  });
});

describe('desktop hooks on the Backend', () => {
  it('a notification click shows the pair, until the app stops', async () => {
    await app.start();
    main.showPair('acme');
    expect(app.router.route).toEqual({ view: 'pair', id: 'acme' });
    app.stop();
    expect(main.showPairListeners()).toBe(0);
  });
});
