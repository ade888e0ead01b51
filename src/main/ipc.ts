// Main's half of the typed bridge: one handler per channel of src/shared/ipc.ts,
// each refusing any sender but the app's own top-level page, each answering an
// IpcResult so errors arrive as values with their problems intact.

import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { MonitorError, type ApiErrorBody, type MonitorApi } from '../shared/api.js';
import { API_METHODS, apiChannel, type ApiArgs, type DesktopChannels, type IpcResult } from '../shared/ipc.js';
import { isAppUrl, type AppOrigin } from './policy/app-origin.js';
import { maskedExportArgs } from './policy/masked-export.js';
import { withOperator } from './policy/operator.js';

type MethodName = (typeof API_METHODS)[number];

export type DesktopHandlers = {
  [C in keyof DesktopChannels]: (...args: DesktopChannels[C]['args']) => Promise<DesktopChannels[C]['result']>;
};

export interface IpcDeps {
  api: MonitorApi;
  desktop: DesktopHandlers;
  origin: AppOrigin;
  /** The operator recorded for changes made through the window. */
  operator: () => string;
  warn?: (message: string) => void;
}

export const REFUSED: ApiErrorBody = {
  error: 'unauthorized',
  message: 'Refused: this request did not come from the PBX Failover Monitor window.',
};

/** Only the app's own page, in its top frame, may talk to main (not an iframe, not a navigated-away page). */
export function isTrustedSender(event: Pick<IpcMainInvokeEvent, 'senderFrame'>, origin: AppOrigin): boolean {
  const frame = event.senderFrame;
  if (!frame) return false;
  if (frame.parent !== null) return false;
  return isAppUrl(frame.url, origin);
}

export function errorBody(err: unknown): ApiErrorBody {
  if (err instanceof MonitorError) return err.toBody();
  // Anything else is our bug: say what happened, never a stack trace.
  const message = err instanceof Error ? err.message : String(err);
  return { error: 'internal', message: `Internal error: ${message}` };
}

function register<A extends unknown[], R>(deps: IpcDeps, channel: string, run: (...args: A) => Promise<R>): void {
  ipcMain.handle(channel, async (event: IpcMainInvokeEvent, ...args: unknown[]): Promise<IpcResult<R>> => {
    if (!isTrustedSender(event, deps.origin)) {
      deps.warn?.(`IPC ${channel} refused from ${event.senderFrame?.url ?? 'a destroyed frame'}`);
      return { ok: false, error: REFUSED };
    }
    try {
      return { ok: true, value: await run(...(args as A)) };
    } catch (err) {
      return { ok: false, error: errorBody(err) };
    }
  });
}

function callApi<M extends MethodName>(api: MonitorApi, method: M, args: ApiArgs<M>): Promise<unknown> {
  const fn = api[method] as (...a: ApiArgs<M>) => Promise<unknown>;
  return fn.apply(api, args);
}

/** What the window's arguments become in main: the operator filled in, an export always masked. */
function windowArgs(method: MethodName, args: unknown[], operator: string): ApiArgs<typeof method> {
  if (method === 'exportXml') return maskedExportArgs(args);
  return withOperator(method, args as ApiArgs<typeof method>, operator);
}

/** Registers every channel; returns a function that removes them again. */
export function registerIpcHandlers(deps: IpcDeps): () => void {
  const channels: string[] = [];
  for (const method of API_METHODS) {
    const channel = apiChannel(method);
    register(deps, channel, (...args: unknown[]) =>
      callApi(deps.api, method, windowArgs(method, args, deps.operator())),
    );
    channels.push(channel);
  }
  for (const channel of Object.keys(deps.desktop) as Array<keyof DesktopChannels>) {
    const run = deps.desktop[channel] as (...args: unknown[]) => Promise<unknown>;
    register(deps, channel, run);
    channels.push(channel);
  }
  return () => {
    for (const c of channels) ipcMain.removeHandler(c);
  };
}
