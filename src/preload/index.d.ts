// What the renderer sees of the preload: window.pbxMonitor, typed by the contract.

import type { DesktopBridge } from '../shared/ipc.js';

declare global {
  interface Window {
    /** Present only in the desktop app; the browser build talks HTTP + SSE instead. */
    pbxMonitor?: DesktopBridge;
  }
}

export {};
