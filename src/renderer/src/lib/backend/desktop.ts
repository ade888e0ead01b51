// Backend over the Electron preload's bridge (window.pbxMonitor). Each bridge
// method answers an IpcResult; unwrapping it here makes errors look exactly
// like the HTTP backend's (a thrown MonitorError with the problems).

import type { Backend, ConnectionState, MonitorApi, Unsubscribe } from '$shared/api';
import {
  API_METHODS,
  type DesktopBridge,
  type DesktopPreferences,
  type ExportWithSecretsResult,
  type IpcResult,
} from '$shared/ipc';
import type { EngineEvent } from '$shared/model';
import { errorFromBody } from './errors';

async function unwrap<T>(result: Promise<IpcResult<T>>): Promise<T> {
  const r = await result;
  if (r.ok) return r.value;
  throw errorFromBody(r.error, 'The desktop app answered with an error');
}

/** The Backend with every desktop hook present. */
export interface DesktopBackend extends Backend {
  readonly kind: 'desktop';
  onShowPair(listener: (pairId: string) => void): Unsubscribe;
  exportWithSecrets(): Promise<ExportWithSecretsResult>;
  getPreferences(): Promise<DesktopPreferences>;
  setPreferences(patch: Partial<DesktopPreferences>): Promise<DesktopPreferences>;
}

export function createDesktopBackend(bridge: DesktopBridge): DesktopBackend {
  const api = {} as Record<keyof MonitorApi, (...args: unknown[]) => Promise<unknown>>;
  for (const method of API_METHODS) {
    const call = bridge.api[method] as (...args: unknown[]) => Promise<IpcResult<unknown>>;
    api[method] = (...args: unknown[]) => unwrap(call(...args));
  }
  return {
    ...(api as unknown as MonitorApi),
    kind: 'desktop',
    subscribe(listener: (events: EngineEvent[]) => void): Unsubscribe {
      return bridge.onEvents(listener);
    },
    // IPC to the main process in the same app never drops.
    onConnection(listener: (state: ConnectionState) => void): Unsubscribe {
      listener('live');
      return () => {};
    },
    onShowPair(listener: (pairId: string) => void): Unsubscribe {
      return bridge.onShowPair(listener);
    },
    exportWithSecrets(): Promise<ExportWithSecretsResult> {
      return unwrap(bridge.exportWithSecrets());
    },
    getPreferences(): Promise<DesktopPreferences> {
      return unwrap(bridge.getPreferences());
    },
    setPreferences(patch: Partial<DesktopPreferences>): Promise<DesktopPreferences> {
      return unwrap(bridge.setPreferences(patch));
    },
  };
}

/**
 * The Export button: a masked export (or any export in a browser) is downloaded by the page;
 * in the desktop app an export with secrets is main's own save dialog, so the page never holds them.
 */
export async function exportConfigFile(
  backend: Backend,
  opts: { masked: boolean },
  download: (xml: string) => void,
): Promise<ExportWithSecretsResult | { outcome: 'downloaded' }> {
  if (!opts.masked && backend.exportWithSecrets) return backend.exportWithSecrets();
  download(await backend.exportXml({ masked: opts.masked }));
  return { outcome: 'downloaded' };
}
