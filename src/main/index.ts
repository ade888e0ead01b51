// Composition root of the desktop app: parse the command line, claim the
// single-instance lock, open the same engine the headless service runs, and
// hand it to the shell. Everything else lives in the modules it wires.

import { app, dialog, protocol } from 'electron';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { openMonitor } from '../core/monitor.js';
import { registerAppScheme } from './app-protocol.js';
import { claimSingleInstance } from './lifecycle.js';
import { HIDDEN_FLAG } from './login-item.js';
import { appOrigin } from './policy/app-origin.js';
import { parseShellArgs } from './policy/command-line.js';
import { PreferencesStore } from './preferences.js';
import { RemoteConfigStore, readTokenFile, type RemoteTarget } from './remote/remote-config.js';
import { RemoteMonitor, type ShellMonitor } from './remote/remote-monitor.js';
import { remoteSettingsHandlers } from './remote/remote-settings.js';
import { electronCipher } from './remote/safe-storage.js';
import { startShell, type RemoteMode } from './shell.js';
import { startupErrorText } from './startup-error.js';

const APP_ID = 'net.pbxfailover.monitor';

async function main(): Promise<void> {
  const args = parseShellArgs(process.argv, process.cwd());
  if (!args.ok) {
    dialog.showErrorBox('PBX Failover Monitor', args.message);
    app.exit(2);
    return;
  }
  // Two instances must never both fire action URLs: the second one focuses the first and leaves.
  if (!claimSingleInstance(app)) {
    app.exit(0);
    return;
  }
  app.setAppUserModelId(APP_ID);
  registerAppScheme(protocol);
  await app.whenReady();

  const userData = app.getPath('userData');
  const operator = userInfo().username;
  const serverdir = args.serverdir ?? join(userData, 'serverdir');
  // Remote mode (--remote on the command line, or attached in Settings): no watcher runs here.
  const store = new RemoteConfigStore(userData, electronCipher);
  let target: RemoteTarget | undefined;
  try {
    target = args.remote
      ? { urls: args.remote.urls, token: await readTokenFile(args.remote.tokenFile) }
      : await store.load();
  } catch (err) {
    dialog.showErrorBox('PBX Failover Monitor cannot attach', err instanceof Error ? err.message : String(err));
    app.exit(2);
    return;
  }
  let monitor: ShellMonitor;
  let remote: RemoteMode | undefined;
  if (target) {
    const client = new RemoteMonitor({ urls: target.urls, token: target.token });
    monitor = client;
    remote = {
      get connection() {
        return client.connection;
      },
      onConnection: (l) => client.onConnection(l),
      whoami: () => client.whoami(),
    };
  } else {
    try {
      monitor = await openMonitor({ serverdir, version: app.getVersion(), defaultOperator: operator });
    } catch (err) {
      dialog.showErrorBox('PBX Failover Monitor cannot start', startupErrorText(err, serverdir));
      app.exit(1);
      return;
    }
  }
  const remoteSettings = remoteSettingsHandlers({
    store,
    mode: target ? 'remote' : 'local',
    urls: target?.urls ?? [],
    fromCommandLine: args.remote !== undefined,
    connection: () => remote?.connection ?? 'local',
    restart: () => {
      app.relaunch();
      app.quit();
    },
  });

  const here = import.meta.dirname;
  const rendererFile = join(here, '../renderer/index.html');
  const devServerUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
  // Packaged, resources/ ships beside app.asar (extraResources) so the tray gets real files.
  const resourcesDir = app.isPackaged ? join(process.resourcesPath, 'resources') : join(app.getAppPath(), 'resources');
  await startShell({
    app,
    monitor,
    ...(remote ? { remote } : {}),
    remoteSettings,
    prefs: await PreferencesStore.open(userData, operator),
    origin: appOrigin(rendererFile, devServerUrl),
    preloadPath: join(here, '../preload/index.cjs'),
    resourcesDir,
    appIcon: join(resourcesDir, 'icon.png'),
    startHidden: process.argv.includes(HIDDEN_FLAG),
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());
}

main().catch((err: unknown) => {
  dialog.showErrorBox('PBX Failover Monitor failed', err instanceof Error ? err.message : String(err));
  app.exit(1);
});
