// Where a serverdir lives by default and what it holds, like the PBX's own
// `--serverdir <dir>`: one directory per installation of the monitor.

import os from 'node:os';
import path from 'node:path';

const APP_DIR_NAME = 'pbx-failover-monitor';
export const CONFIG_FILE_NAME = 'pbxctrl-failover.xml';
export const LOCK_FILE_NAME = 'pbxctrl-failover.lock';
const HISTORY_DIR_NAME = 'history';

/** The user's data directory for this app (XDG on Linux, Application Support on macOS, %APPDATA% on Windows). */
export function defaultServerdir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  if (platform === 'win32') {
    const appData = env.APPDATA || path.win32.join(home, 'AppData', 'Roaming');
    return path.win32.join(appData, APP_DIR_NAME);
  }
  if (platform === 'darwin') {
    return path.posix.join(home, 'Library', 'Application Support', APP_DIR_NAME);
  }
  // XDG says a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = env.XDG_DATA_HOME;
  const dataHome = xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(home, '.local', 'share');
  return path.posix.join(dataHome, APP_DIR_NAME);
}

export function configPath(serverdir: string): string {
  return path.join(serverdir, CONFIG_FILE_NAME);
}

export function lockPath(serverdir: string): string {
  return path.join(serverdir, LOCK_FILE_NAME);
}

export function historyDir(serverdir: string): string {
  return path.join(serverdir, HISTORY_DIR_NAME);
}
