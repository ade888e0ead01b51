// One renderer build, two hosts: inside Electron the preload exposes
// window.pbxMonitor; in a browser the page was served by the headless service.

import type { Backend } from '$shared/api';
import { createDesktopBackend } from './desktop';
import { HttpBackend } from './http';
import { takeTokenFromLocation } from './token';

export function chooseBackend(win: Window = window): Backend {
  if (win.pbxMonitor) return createDesktopBackend(win.pbxMonitor);
  return new HttpBackend({ token: takeTokenFromLocation(win.location, win.sessionStorage) });
}

export { HttpBackend } from './http';
export type { DesktopBackend } from './desktop';
