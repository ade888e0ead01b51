// Remote mode and roles as the window shows them: a viewer token sees the operator actions disabled
// with the reason; the desktop app attached to a service names it in the header and says whether
// its stream is live; the settings view's Attach goes to main with the addresses and the token. The
// preload's real bridge and the renderer's real desktop backend carry it; main is a stand-in.
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import App from '../../src/renderer/src/App.svelte';
import { AppState, appContext } from '../../src/renderer/src/lib/app.svelte';
import { createDesktopBackend } from '../../src/renderer/src/lib/backend/desktop';
import { views } from '../../src/renderer/src/lib/views';
import { type MonitorError } from '$shared/api';
import { REMOTE_CHANNEL, type DesktopBridge, type DesktopPreferences, type IpcResult } from '$shared/ipc';
import type { RemoteConnection, RemoteSettings, WhoAmI } from '$shared/remote';
import { MemoryBackend, settings, status } from './memory-backend';

const preloadBridge = '../../src/preload/bridge';
const { createDesktopBridge } = (await import(/* @vite-ignore */ preloadBridge)) as {
  createDesktopBridge: (ipc: never) => DesktopBridge;
};

// The pair view's charts ask for the reduced-motion preference; jsdom has no matchMedia.
window.matchMedia ??= ((query: string) =>
  ({
    matches: false,
    media: query,
    addEventListener() {},
    removeEventListener() {},
    addListener() {},
    removeListener() {},
    onchange: null,
    dispatchEvent: () => false,
  }) as MediaQueryList) as typeof window.matchMedia;

globalThis.ResizeObserver ??= class {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
};

/** A service's engine whose token has a role (GET /api/whoami). */
class RoleBackend extends MemoryBackend {
  constructor(readonly me: WhoAmI) {
    super();
  }
  whoami = async () => this.me;
}

// The pair view is loaded lazily; its first load (a transform on a busy machine) is not what is tested.
beforeAll(async () => {
  await views.pair();
}, 60_000);

let app: AppState | undefined;
beforeEach(() => {
  localStorage.clear();
  location.hash = '#/pair/acme';
});
afterEach(() => {
  cleanup();
  app?.stop();
  app = undefined;
});

function engineWithAcme<T extends MemoryBackend>(engine: T): T {
  engine.pairs = [status({ id: 'acme', name: 'ACME Corp' })];
  engine.settingsOf.set('acme', settings({ id: 'acme', name: 'ACME Corp' }));
  return engine;
}

describe('roles in the pair view', () => {
  it('a viewer token sees "Fail over now…" disabled, and why', { timeout: 30_000 }, async () => {
    const engine = engineWithAcme(new RoleBackend({ name: 'wallboard', role: 'viewer' }));
    app = new AppState(engine, (run) => run(), 0);
    await app.start();
    render(App, { context: appContext(app) });
    const button = (await screen.findByRole(
      'button',
      { name: 'Fail over now…' },
      { timeout: 15_000 },
    )) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(button.title).toBe('Your token “wallboard” has role viewer; this needs role operator.');
    expect(screen.getByTestId('actions-denied').textContent).toContain('needs role operator');
    expect((screen.getByRole('button', { name: 'Pause for maintenance…' }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('whoami').textContent).toBe('wallboard · viewer');
    await fireEvent.click(button);
    // No controlled-failover dialog opens (its confirm button is "Fail over now").
    expect(screen.queryByRole('button', { name: 'Fail over now' })).toBeNull();
  });

  it(
    'an operator token, and a service without /api/whoami (its admin token), may fail over',
    { timeout: 30_000 },
    async () => {
      for (const engine of [
        engineWithAcme(new RoleBackend({ name: 'desk-1', role: 'operator' })),
        engineWithAcme(new MemoryBackend()),
      ]) {
        app = new AppState(engine, (run) => run(), 0);
        await app.start();
        render(App, { context: appContext(app) });
        const button = (await screen.findByRole(
          'button',
          { name: 'Fail over now…' },
          { timeout: 15_000 },
        )) as HTMLButtonElement;
        expect(button.disabled).toBe(false);
        expect(screen.queryByTestId('actions-denied')).toBeNull();
        cleanup();
        app.stop();
      }
    },
  );
});

/** Main in remote mode as the renderer sees it, over the preload's real bridge. */
function remoteMain(engine: MemoryBackend, me: WhoAmI) {
  let connection: RemoteConnection = { url: 'https://noc-watch.example:8480', live: true };
  const remoteListeners = new Set<(event: unknown, c: unknown) => void>();
  const attaches: unknown[] = [];
  let attachAnswer: IpcResult<RemoteSettings> | undefined;
  const prefs: DesktopPreferences = { openAtLogin: false, closeToTray: true, operator: 'desk-alice' };
  const remoteSettings = (): RemoteSettings => ({
    mode: 'remote',
    urls: ['https://noc-watch.example:8480'],
    tokenStored: true,
    canStoreToken: true,
    fromCommandLine: false,
    connection,
  });
  async function answer(channel: string, args: unknown[]): Promise<IpcResult<unknown>> {
    if (channel === 'pbx:desktop:getPreferences') return { ok: true, value: { ...prefs } };
    if (channel === 'pbx:desktop:whoami') return { ok: true, value: me };
    if (channel === 'pbx:desktop:getRemote') return { ok: true, value: remoteSettings() };
    if (channel === 'pbx:desktop:attach') {
      attaches.push(args[0]);
      return attachAnswer ?? { ok: true, value: remoteSettings() };
    }
    try {
      const method = channel.slice('pbx:'.length) as 'listPairs';
      return { ok: true, value: await (engine[method] as (...a: unknown[]) => Promise<unknown>)(...args) };
    } catch (err) {
      return { ok: false, error: (err as MonitorError).toBody() };
    }
  }
  const ipc = {
    invoke: (channel: string, ...args: unknown[]) => answer(channel, args),
    on(channel: string, l: (event: unknown, payload: unknown) => void) {
      if (channel === REMOTE_CHANNEL) remoteListeners.add(l);
      return this;
    },
    removeListener(_channel: string, l: (event: unknown, payload: unknown) => void) {
      remoteListeners.delete(l);
      return this;
    },
  };
  return {
    backend: createDesktopBackend(createDesktopBridge(ipc as never)),
    attaches,
    answerAttach: (a: IpcResult<RemoteSettings>) => (attachAnswer = a),
    setConnection(c: RemoteConnection) {
      connection = c;
      remoteListeners.forEach((l) => l({ sender: 'main' }, c));
    },
  };
}

describe('the desktop app attached to a service', () => {
  it('names the service in the header and says whether its stream is live', async () => {
    const main = remoteMain(engineWithAcme(new MemoryBackend()), { name: 'desk-alice', role: 'operator' });
    app = new AppState(main.backend, (run) => run(), 0);
    await app.start();
    render(App, { context: appContext(app) });
    await expect
      .poll(() => screen.queryByTestId('remote')?.textContent?.trim())
      .toBe('Attached to https://noc-watch.example:8480 · live');
    main.setConnection({ url: 'https://noc-watch.example:8480', live: false });
    await expect
      .poll(() => screen.getByTestId('remote').textContent?.trim())
      .toBe('Attached to https://noc-watch.example:8480 · no contact');
    expect(app.hub.connection).toBe('lost');
    main.setConnection({ url: 'https://noc-watch.example:8480', live: false, rejected: true });
    await expect.poll(() => screen.getByTestId('remote').textContent?.trim()).toMatch(/· token rejected$/);
    // The desktop takes a new token in Settings, not in the browser's token prompt.
    expect(screen.queryByLabelText(/token/i)).toBeNull();
  });

  it('Attach sends the addresses and the token to main, and shows its refusal', async () => {
    const main = remoteMain(engineWithAcme(new MemoryBackend()), { name: 'desk-alice', role: 'operator' });
    location.hash = '#/settings';
    app = new AppState(main.backend, (run) => run(), 0);
    await app.start();
    render(App, { context: appContext(app) });
    expect((await screen.findByTestId('mode')).textContent).toMatch(/Attached to https:\/\/noc-watch\.example:8480/);
    const urls = screen.getByLabelText(/Service address/) as HTMLTextAreaElement;
    await fireEvent.input(urls, { target: { value: 'https://a.example:8480\nhttps://b.example:8480' } });
    await fireEvent.input(screen.getByLabelText(/^Token/), { target: { value: 'k'.repeat(40) } });
    main.answerAttach({
      ok: false,
      error: { error: 'unauthorized', message: 'Token rejected by https://a.example:8480: wrong API token' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Attach' }));
    await expect
      .poll(() => screen.queryByTestId('remote-error')?.textContent)
      .toBe('Token rejected by https://a.example:8480: wrong API token');
    expect(main.attaches).toEqual([
      { urls: ['https://a.example:8480', 'https://b.example:8480'], token: 'k'.repeat(40) },
    ]);
    main.answerAttach({ ok: true, value: { ...(await main.backend.getRemote()) } });
    await fireEvent.click(screen.getByRole('button', { name: 'Attach' }));
    await expect.poll(() => screen.queryByText(/the app restarts and shows the service/)).toBeTruthy();
    expect((screen.getByLabelText(/^Token/) as HTMLInputElement).value).toBe('');
    expect(screen.getByRole('button', { name: 'Back to local mode' })).toBeTruthy();
  });
});
