// "Start at login". Electron manages login items on macOS and Windows; on
// Linux the freedesktop way is an autostart entry in ~/.config/autostart.

import type { App } from 'electron';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { unlink } from 'node:fs/promises';
import { writeFileAtomic } from '../node/atomic-file.js';

/** Given to the app when it starts at login, so it starts in the tray without opening the window. */
export const HIDDEN_FLAG = '--hidden';
const DESKTOP_FILE = 'pbx-failover-monitor.desktop';

export function autostartEntry(exec: string): string {
  const quoted = `"${exec.replace(/(["`$\\])/g, '\\$1')}"`;
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=PBX Failover Monitor',
    'Comment=Watches primary/standby PBX pairs and fails them over',
    `Exec=${quoted} ${HIDDEN_FLAG}`,
    'X-GNOME-Autostart-enabled=true',
    'Terminal=false',
    '',
  ].join('\n');
}

export function autostartPath(configHome = process.env.XDG_CONFIG_HOME || join(homedir(), '.config')): string {
  return join(configHome, 'autostart', DESKTOP_FILE);
}

export async function setOpenAtLogin(
  app: Pick<App, 'setLoginItemSettings'>,
  on: boolean,
  platform = process.platform,
): Promise<void> {
  if (platform === 'linux') {
    // An AppImage runs from a temporary mount; $APPIMAGE is the file to start again.
    const exec = process.env.APPIMAGE || process.execPath;
    if (on) await writeFileAtomic(autostartPath(), autostartEntry(exec), { createDirectory: true });
    else
      await unlink(autostartPath()).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    return;
  }
  app.setLoginItemSettings({ openAtLogin: on, args: [HIDDEN_FLAG] });
}
