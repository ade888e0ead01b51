// The renderer's only door to main: one method per channel of the contract,
// each calling invoke on a 'pbx:' channel. No raw ipcRenderer ever crosses.

import type { IpcRenderer, IpcRendererEvent } from 'electron';
import type { ApiBridge, DesktopBridge, IpcResult } from '../shared/ipc.js';
import {
  API_METHODS,
  EVENTS_CHANNEL,
  IPC_PREFIX,
  REMOTE_CHANNEL,
  SHOW_PAIR_CHANNEL,
  apiChannel,
} from '../shared/ipc.js';
import type { RemoteConnection } from '../shared/remote.js';
import type { EngineEvent } from '../shared/model.js';

type IpcLike = Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>;

/** Refuses any channel outside the app's prefix, whatever a caller manages to pass in. */
export function checkedInvoke<T>(ipc: IpcLike, channel: string, args: unknown[]): Promise<IpcResult<T>> {
  if (typeof channel !== 'string' || !channel.startsWith(IPC_PREFIX)) {
    return Promise.reject(new Error(`Refused: ${String(channel)} is not a PBX Failover Monitor channel`));
  }
  return ipc.invoke(channel, ...args) as Promise<IpcResult<T>>;
}

function listen<T>(ipc: IpcLike, channel: string, listener: (payload: T) => void): () => void {
  // Only the payload reaches the page; the event object would carry the sender.
  const wrapped = (_event: IpcRendererEvent, payload: T) => listener(payload);
  ipc.on(channel, wrapped);
  return () => {
    ipc.removeListener(channel, wrapped);
  };
}

export function createDesktopBridge(ipc: IpcLike): DesktopBridge {
  const api = Object.fromEntries(
    API_METHODS.map((method) => [method, (...args: unknown[]) => checkedInvoke(ipc, apiChannel(method), args)]),
  ) as ApiBridge;
  return {
    api,
    getPreferences: () => checkedInvoke(ipc, 'pbx:desktop:getPreferences', []),
    setPreferences: (prefs) => checkedInvoke(ipc, 'pbx:desktop:setPreferences', [prefs]),
    exportWithSecrets: () => checkedInvoke(ipc, 'pbx:desktop:exportWithSecrets', []),
    onEvents: (listener) => listen<EngineEvent[]>(ipc, EVENTS_CHANNEL, listener),
    onShowPair: (listener) => listen<string>(ipc, SHOW_PAIR_CHANNEL, listener),
    whoami: () => checkedInvoke(ipc, 'pbx:desktop:whoami', []),
    getRemote: () => checkedInvoke(ipc, 'pbx:desktop:getRemote', []),
    attach: (req) => checkedInvoke(ipc, 'pbx:desktop:attach', [req]),
    detach: () => checkedInvoke(ipc, 'pbx:desktop:detach', []),
    onRemote: (listener) => listen<RemoteConnection>(ipc, REMOTE_CHANNEL, listener),
  };
}
