// The desktop bridge's contract: one channel per MonitorApi method, plus the
// desktop-only channels. The preload exposes exactly these as methods of
// `window.pbxMonitor`; main registers handlers only through typed wrappers.

import type { ApiErrorBody, MonitorApi } from './api.js';
import type { EngineEvent } from './model.js';
import type { AttachRequest, RemoteConnection, RemoteSettings, WhoAmI } from './remote.js';

/** Every invoke channel starts with this prefix; the preload refuses anything else. */
export const IPC_PREFIX = 'pbx:';

type MethodName = keyof MonitorApi;

/** Request/response channels that mirror MonitorApi one to one. */
export type ApiChannel = `${typeof IPC_PREFIX}${MethodName}`;

export const API_METHODS = [
  'health',
  'listPairs',
  'getPair',
  'addPair',
  'updatePair',
  'removePair',
  'failover',
  'rearm',
  'pause',
  'resume',
  'retryAction',
  'markActionDone',
  'history',
  'audit',
  'alerts',
  'exportXml',
  'importXml',
  'testUrls',
  'notifyStatus',
  'testNotify',
  'ackAlert',
  'silencePair',
  'listMaintenance',
  'addMaintenance',
  'updateMaintenance',
  'removeMaintenance',
] as const satisfies readonly MethodName[];

// A compile-time check that API_METHODS lists every method of MonitorApi.
type Missing = Exclude<MethodName, (typeof API_METHODS)[number]>;
const allMethodsListed: Missing extends never ? true : Missing = true;
void allMethodsListed;

export const apiChannel = (method: MethodName): ApiChannel => `${IPC_PREFIX}${method}`;

/** Desktop-only request/response channels. */
export interface DesktopChannels {
  'pbx:desktop:getPreferences': { args: []; result: DesktopPreferences };
  'pbx:desktop:setPreferences': { args: [Partial<DesktopPreferences>]; result: DesktopPreferences };
  /**
   * Main's own "Export with secrets": main shows its save dialog, writes the unmasked file itself
   * (atomically, mode 0600) and answers only where it went. The XML never reaches the renderer.
   */
  'pbx:desktop:exportWithSecrets': { args: []; result: ExportWithSecretsResult };
  /** Who this app acts as: the service's answer in remote mode; in local mode the operator, as admin. */
  'pbx:desktop:whoami': { args: []; result: WhoAmI };
  /** Remote mode's settings and the connection now (never the token). */
  'pbx:desktop:getRemote': { args: []; result: RemoteSettings };
  /** Check the service with the token, store the token encrypted, and restart attached to it. */
  'pbx:desktop:attach': { args: [AttachRequest]; result: RemoteSettings };
  /** Forget the service and its token and restart in local mode. */
  'pbx:desktop:detach': { args: []; result: RemoteSettings };
}

/** Where "Export with secrets" saved the file, or that the operator cancelled the dialog. */
export type ExportWithSecretsResult = { outcome: 'saved'; path: string } | { outcome: 'cancelled' };

export interface DesktopPreferences {
  openAtLogin: boolean;
  /** Closing the window keeps the watchers running in the tray (default); off, closing asks whether to quit. */
  closeToTray: boolean;
  /** ISO 8601 time until which desktop notifications are held back, or undefined. */
  mutedUntil?: string | undefined;
  /** Operator name recorded in the audit log; defaults to the OS user. */
  operator: string;
}

/** Main -> renderer messages. */
export const EVENTS_CHANNEL = 'pbx:events';
/** Main asks the renderer to show a pair (a notification or tray item was clicked). */
export const SHOW_PAIR_CHANNEL = 'pbx:show-pair';
/** Main tells the renderer its connection: 'local', or the service and whether the stream is live. */
export const REMOTE_CHANNEL = 'pbx:remote';

export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: ApiErrorBody };

export type ApiArgs<M extends MethodName> = Parameters<MonitorApi[M]>;
export type ApiResult<M extends MethodName> = Awaited<ReturnType<MonitorApi[M]>>;

/** The API half of the bridge: one method per channel, each answering an IpcResult. */
export type ApiBridge = {
  [M in MethodName]: (...args: ApiArgs<M>) => Promise<IpcResult<ApiResult<M>>>;
};

/** The global `window.pbxMonitor` that the preload exposes in the renderer (never a raw ipcRenderer). */
export interface DesktopBridge {
  api: ApiBridge;
  getPreferences(): Promise<IpcResult<DesktopPreferences>>;
  setPreferences(prefs: Partial<DesktopPreferences>): Promise<IpcResult<DesktopPreferences>>;
  exportWithSecrets(): Promise<IpcResult<ExportWithSecretsResult>>;
  onEvents(listener: (events: EngineEvent[]) => void): () => void;
  onShowPair(listener: (pairId: string) => void): () => void;
  whoami(): Promise<IpcResult<WhoAmI>>;
  getRemote(): Promise<IpcResult<RemoteSettings>>;
  attach(req: AttachRequest): Promise<IpcResult<RemoteSettings>>;
  detach(): Promise<IpcResult<RemoteSettings>>;
  onRemote(listener: (connection: RemoteConnection) => void): () => void;
}
