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
import type { AttachRequest, RemoteConnection, RemoteSettings, WhoAmI } from '$shared/remote';
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
  whoami(): Promise<WhoAmI>;
  onRemote(listener: (connection: RemoteConnection) => void): Unsubscribe;
  getRemote(): Promise<RemoteSettings>;
  attach(req: AttachRequest): Promise<RemoteSettings>;
  detach(): Promise<RemoteSettings>;
}

/** The renderer's view of main's connection: IPC itself never drops; a service's stream can. */
function connectionOf(c: RemoteConnection): ConnectionState {
  if (c === 'local' || c.live) return 'live';
  return 'lost';
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
    // IPC to the main process never drops; in remote mode main says whether the service's stream is live.
    // A refused token shows as lost here (the header says why): the token prompt is the browser's.
    onConnection(listener: (state: ConnectionState) => void): Unsubscribe {
      listener('live');
      return bridge.onRemote((c) => listener(connectionOf(c)));
    },
    onRemote(listener: (connection: RemoteConnection) => void): Unsubscribe {
      void bridge.getRemote().then(
        (r) => {
          if (r.ok) listener(r.value.connection);
        },
        () => {},
      );
      return bridge.onRemote(listener);
    },
    whoami(): Promise<WhoAmI> {
      return unwrap(bridge.whoami());
    },
    getRemote(): Promise<RemoteSettings> {
      return unwrap(bridge.getRemote());
    },
    attach(req: AttachRequest): Promise<RemoteSettings> {
      return unwrap(bridge.attach(req));
    },
    detach(): Promise<RemoteSettings> {
      return unwrap(bridge.detach());
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
