// Sandboxed preload (bundled to one CommonJS file): exposes the typed bridge
// as window.pbxMonitor in the page's isolated world.

import { contextBridge, ipcRenderer } from 'electron';
import { createDesktopBridge } from './bridge.js';

contextBridge.exposeInMainWorld('pbxMonitor', createDesktopBridge(ipcRenderer));
