// Wires a running engine to the window, the tray, notifications and IPC. No
// watcher logic lives here: the engine decides, the shell shows.

import { Menu, Notification, Tray, dialog, protocol, session, type App, type BrowserWindow } from 'electron';
import { join } from 'node:path';
import type { DesktopPreferences } from '../shared/ipc.js';
import { EVENTS_CHANNEL, REMOTE_CHANNEL, SHOW_PAIR_CHANNEL } from '../shared/ipc.js';
import type { RemoteConnection, RemoteSettings, WhoAmI } from '../shared/remote.js';
import type { EngineEvent, PairStatus } from '../shared/model.js';
import type { HealthProblem } from '../shared/api.js';
import { serveRenderer } from './app-protocol.js';
import { createSecretExporter } from './export-secrets.js';
import { registerIpcHandlers } from './ipc.js';
import { closeEngineOnQuit, hideOnClose, onSecondInstance, type QuitState } from './lifecycle.js';
import { setOpenAtLogin } from './login-item.js';
import { DesktopNotifier } from './notifications.js';
import type { AppOrigin } from './policy/app-origin.js';
import { Batcher } from './policy/event-batcher.js';
import { muteUntil, type MuteChoice } from '../shared/mute-choices.js';
import { NotificationCenter } from './policy/notification-center.js';
import { validatePreferencesPatch, type PreferencesStore } from './preferences.js';
import { TRUST_WORDS, TrustWatch, type TrustChange } from './policy/trust.js';
import { TrayService, trayIconFile } from './tray.js';
import { createMainWindow, guardAllWebContents, hardenSession, revealWindow } from './window.js';
import { MonitorError } from '../shared/api.js';
import { ConnectionWatch, windowTitle, type ConnectionSource } from './remote/connection-watch.js';
import type { ShellMonitor } from './remote/remote-monitor.js';
import type { RemoteSettingsHandlers } from './remote/remote-settings.js';

/** Remote mode: the monitor is a client of a headless service; no watcher runs in this app. */
export interface RemoteMode extends ConnectionSource {
  whoami(): Promise<WhoAmI>;
  /** How long a lost stream waits before the tray shows it (default 5 s). */
  graceMs?: number;
}

export interface ShellOptions {
  app: App;
  /** The local engine (openMonitor), or in remote mode the RemoteMonitor. */
  monitor: ShellMonitor;
  remote?: RemoteMode;
  /** The settings view's remote-mode section; without it the app stays local. */
  remoteSettings?: RemoteSettingsHandlers;
  prefs: PreferencesStore;
  origin: AppOrigin;
  preloadPath: string;
  resourcesDir: string;
  appIcon: string;
  startHidden: boolean;
}

/** The tray reads every pair's status; during a storm once a second is plenty. */
const TRAY_REFRESH_MS = 1_000;
/** health() is also read when nothing else happens (no pairs, an engine that stopped). */
const HEALTH_POLL_MS = 5_000;

export async function startShell(o: ShellOptions): Promise<void> {
  const state: QuitState = { quitting: false };
  const names = new Map<string, string>();
  // A service that cannot be reached at start is shown as such (the tray and the stream say so), not a crash.
  let pairs: PairStatus[] = await o.monitor.listPairs().catch((err: unknown) => {
    if (o.remote) return [];
    throw err;
  });
  const remember = (list: PairStatus[]) => {
    pairs = list;
    for (const p of list) names.set(p.id, p.name);
  };
  remember(pairs);

  // Before the first window: every web contents the app creates gets the same guard.
  guardAllWebContents(o.app, o.origin);
  hardenSession(session.defaultSession, o.origin);
  serveRenderer(protocol, o.origin.rendererDir);
  const trust = new TrustWatch();
  trust.onHealth(await o.monitor.health().catch(() => ({ ok: true, version: '', problems: [] })));
  const remote = o.remote;
  let win = openWindow(o.startHidden);

  function openWindow(hidden: boolean): BrowserWindow {
    const w = createMainWindow({
      preloadPath: o.preloadPath,
      origin: o.origin,
      icon: o.appIcon,
      startHidden: hidden,
      devTools: !o.app.isPackaged,
    });
    if (remote) {
      // The page's <title> would replace the window's: the title says which service this is.
      w.on('page-title-updated', (event) => event.preventDefault());
      w.setTitle(windowTitle(remote.connection));
    }
    hideOnClose(
      w,
      state,
      () => {
        if (!o.prefs.get().closeHintShown) {
          notifier.hint(
            'PBX Failover Monitor keeps watching',
            remote
              ? 'The app keeps showing the service in the tray. Use Quit in the tray menu to close it.'
              : 'The watchers keep running in the tray. Use Quit in the tray menu to stop them.',
          );
          void o.prefs.update({ closeHintShown: true });
        }
      },
      () => o.prefs.get().closeToTray,
      () => void confirmQuit(),
    );
    return w;
  }

  function showDashboard(): void {
    if (win.isDestroyed()) win = openWindow(false);
    revealWindow(win);
  }

  function showPair(pairId: string): void {
    showDashboard();
    const send = () => win.webContents.send(SHOW_PAIR_CHANNEL, pairId);
    if (win.webContents.isLoading()) win.webContents.once('did-finish-load', send);
    else send();
  }

  const notifier = new DesktopNotifier({
    Notification,
    onOpenPair: showPair,
    onOpenDashboard: showDashboard,
    icon: o.appIcon,
  });
  const mutedAt = o.prefs.get().mutedUntil;
  const center = new NotificationCenter({
    nameOf: (id) => names.get(id) ?? id,
    show: (d) => notifier.show(d),
    ...(mutedAt ? { mutedUntil: Date.parse(mutedAt) } : {}),
  });

  async function mute(untilMs: number | undefined): Promise<void> {
    if (untilMs === undefined) center.unmute();
    else center.mute(untilMs);
    await o.prefs.update({ mutedUntil: untilMs === undefined ? undefined : new Date(untilMs).toISOString() });
    refreshTray();
  }

  async function loginItem(on: boolean): Promise<void> {
    await setOpenAtLogin(o.app, on);
    await o.prefs.update({ openAtLogin: on });
    refreshTray();
  }

  async function confirmQuit(): Promise<void> {
    if (remote) {
      const { response } = await dialog.showMessageBox({
        type: 'question',
        buttons: ['Quit', 'Cancel'],
        defaultId: 1,
        cancelId: 1,
        title: 'Quit PBX Failover Monitor',
        message: 'Quit the app?',
        detail: `The service at ${remote.connection === 'local' ? o.monitor.serverdir : remote.connection.url} keeps watching the pairs and firing their actions; only this app's tray and notifications stop.`,
      });
      if (response === 0) o.app.quit();
      return;
    }
    const { response } = await dialog.showMessageBox({
      type: 'warning',
      buttons: ['Quit', 'Cancel'],
      defaultId: 1,
      cancelId: 1,
      title: 'Quit PBX Failover Monitor',
      message: 'Quit and stop the watchers?',
      detail: `Quitting stops the watchers of all ${pairs.length} pairs: no pair fails over while the app is not running. ${
        o.prefs.get().closeToTray
          ? 'To close only the window, use its close button; the watchers keep running in the tray.'
          : 'To close only the window and keep the watchers running in the tray, turn on "close to tray" in Settings.'
      }`,
    });
    if (response === 0) o.app.quit();
  }

  /** Remote mode's connection, shown in the tray; set once the tray exists (it refreshes the tray). */
  // eslint-disable-next-line prefer-const -- assigned after the tray is built, read by trayView before that
  let watch: ConnectionWatch | undefined;
  const trayView = () => {
    const muted = center.mutedUntil;
    return {
      pairs,
      problems: trust.problems,
      openAtLogin: o.prefs.get().openAtLogin,
      ...(muted !== undefined ? { mutedUntil: muted } : {}),
      ...(watch?.tray ? { remote: watch.tray } : {}),
    };
  };
  const tray = new TrayService(
    {
      createTray: (image) => new Tray(image),
      buildMenu: (template) => Menu.buildFromTemplate(template),
      iconFor: (level) => join(o.resourcesDir, trayIconFile(level, process.platform)),
      actions: {
        openDashboard: showDashboard,
        showPair,
        mute: (choice: MuteChoice) => void mute(muteUntil(choice, new Date()).getTime()),
        unmute: () => void mute(undefined),
        setOpenAtLogin: (on) => void loginItem(on),
        quit: () => void confirmQuit(),
      },
    },
    trayView(),
  );

  let trayTimer: ReturnType<typeof setTimeout> | undefined;
  function refreshTray(): void {
    tray.update(trayView());
  }
  function scheduleTrayRefresh(): void {
    if (trayTimer) return;
    trayTimer = setTimeout(() => {
      trayTimer = undefined;
      o.monitor.listPairs().then(
        (list) => {
          remember(list);
          refreshTray();
        },
        () => {},
      );
      checkHealth();
    }, TRAY_REFRESH_MS);
  }

  /** The engine's own verdict (states written, lock held), read with every tray refresh and on its alerts. */
  function checkHealth(): void {
    o.monitor.health().then(
      (h) => onTrust(trust.onHealth(h)),
      () => {},
    );
  }

  function onTrust(changes: TrustChange[]): void {
    if (changes.length === 0) return;
    refreshTray();
    for (const change of changes) {
      if (change.type === 'began') announceProblem(change.problem);
      else if (change.kind === 'state-write' && center.mutedUntil === undefined) {
        notifier.hint(
          'PBX Failover Monitor: state is saved again',
          'Pair states are written to pbxctrl-failover.xml again.',
        );
      }
    }
  }

  /** Sent even while notifications are muted: muting is for pair news, not for the watcher itself failing. */
  function announceProblem(problem: HealthProblem): void {
    notifier.show({
      title: `PBX Failover Monitor: ${TRUST_WORDS[problem.kind]}`,
      body: problem.message,
      severity: 'critical',
      count: 1,
    });
    // A service that lost its lock is the service's own business (it exits); this app only shows it.
    if (problem.kind === 'lock' && !remote) void showLockLost(problem);
  }

  async function showLockLost(problem: HealthProblem): Promise<void> {
    showDashboard();
    const { response } = await dialog.showMessageBox(win, {
      type: 'error',
      buttons: ['Quit', 'Keep the window open'],
      defaultId: 0,
      cancelId: 1,
      noLink: true,
      title: 'PBX Failover Monitor stopped watching',
      message: 'Another instance took over this serverdir. This one stopped watching.',
      detail: `${problem.message}\n\nServerdir: ${o.monitor.serverdir}\n\nThe other instance now checks the pairs and fires their actions; this window checks nothing and fails nothing over any more. Quit it, or keep it open to read the history.`,
    });
    if (response === 0) o.app.quit();
  }

  const toRenderer = new Batcher<EngineEvent>((batch) => {
    if (!win.isDestroyed()) win.webContents.send(EVENTS_CHANNEL, batch);
    scheduleTrayRefresh();
  });
  const unsubscribe = o.monitor.subscribe((event) => {
    toRenderer.push(event);
    center.handle(event);
    if (event.type === 'alert') {
      const changes = trust.onAlert(event);
      if (changes.length) {
        onTrust(changes);
        checkHealth();
      }
    }
  });
  function sendRemote(c: RemoteConnection): void {
    if (win.isDestroyed()) return;
    win.webContents.send(REMOTE_CHANNEL, c);
    if (remote) win.setTitle(windowTitle(c));
  }
  watch = remote
    ? new ConnectionWatch({
        source: remote,
        send: sendRemote,
        trayChanged: () => refreshTray(),
        notify: (title, body, severity) => notifier.show({ title, body, severity, count: 1 }),
        resync: () => scheduleTrayRefresh(),
        ...(remote.graceMs !== undefined ? { graceMs: remote.graceMs } : {}),
      })
    : undefined;
  refreshTray();
  // A problem present before the shell started (or raised before it subscribed) shows too.
  onTrust(trust.problems.map((problem) => ({ type: 'began', problem })));
  const healthTimer = setInterval(checkHealth, HEALTH_POLL_MS);
  healthTimer.unref();

  const exportWithSecrets = createSecretExporter({
    showSaveDialog: (options) =>
      win.isDestroyed() ? dialog.showSaveDialog(options) : dialog.showSaveDialog(win, options),
    exportXml: () => o.monitor.exportXml({ masked: false }),
    defaultPath: join(safePath(() => o.app.getPath('documents')) ?? o.monitor.serverdir, 'pbxctrl-failover.xml'),
  });

  registerIpcHandlers({
    api: o.monitor,
    origin: o.origin,
    operator: () => o.prefs.get().operator,
    warn: (m) => console.warn(m),
    desktop: {
      'pbx:desktop:getPreferences': async () => o.prefs.desktop(),
      'pbx:desktop:setPreferences': async (patch) => setPreferences(patch),
      'pbx:desktop:exportWithSecrets': async () => exportWithSecrets(),
      'pbx:desktop:whoami': async () => (remote ? remote.whoami() : { name: o.prefs.get().operator, role: 'admin' }),
      'pbx:desktop:getRemote': async () =>
        o.remoteSettings?.get() ?? { ...LOCAL_ONLY, connection: remote?.connection ?? 'local' },
      'pbx:desktop:attach': async (req) => {
        if (!o.remoteSettings) throw new MonitorError('conflict', 'This app cannot attach to a service.');
        return o.remoteSettings.attach(req);
      },
      'pbx:desktop:detach': async () => {
        if (!o.remoteSettings) throw new MonitorError('conflict', 'This app runs in local mode already.');
        return o.remoteSettings.detach();
      },
    },
  });

  async function setPreferences(patch: Partial<DesktopPreferences>): Promise<DesktopPreferences> {
    const problems = validatePreferencesPatch(patch);
    if (problems.length) throw new MonitorError('invalid', 'These preferences cannot be saved.', problems);
    if (patch.openAtLogin !== undefined) await loginItem(patch.openAtLogin);
    if ('mutedUntil' in patch) await mute(patch.mutedUntil ? Date.parse(patch.mutedUntil) : undefined);
    if (patch.closeToTray !== undefined) await o.prefs.update({ closeToTray: patch.closeToTray });
    if (patch.operator !== undefined) await o.prefs.update({ operator: patch.operator.trim() });
    return o.prefs.desktop();
  }

  onSecondInstance(
    o.app,
    () => o.monitor.serverdir,
    showDashboard,
    (text) => notifier.hint('PBX Failover Monitor', text),
  );
  o.app.on('activate', showDashboard);
  closeEngineOnQuit(
    o.app,
    state,
    async () => {
      unsubscribe();
      watch?.dispose();
      toRenderer.flush();
      center.dispose();
      if (trayTimer) clearTimeout(trayTimer);
      clearInterval(healthTimer);
      tray.destroy();
      await o.monitor.close();
    },
    (err) => console.error('Closing the engine failed:', err),
  );

  // The smoke test reads this from the main process; nothing else does.
  (globalThis as { pbxShell?: unknown }).pbxShell = {
    trayLevel: () => tray.currentLevel,
    connection: (): RemoteConnection => remote?.connection ?? 'local',
    serverdir: o.monitor.serverdir,
  };
}

const LOCAL_ONLY: RemoteSettings = {
  mode: 'local',
  urls: [],
  tokenStored: false,
  canStoreToken: false,
  fromCommandLine: false,
  connection: 'local',
};

function safePath(get: () => string): string | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}
