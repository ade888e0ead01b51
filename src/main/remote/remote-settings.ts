// The settings view's "Attach" and "Back to local mode": the service is checked with the token
// before anything is stored (a token it refuses is told at once), the token is kept encrypted by
// remote-config.ts, and the app restarts in the other mode (main runs watchers or does not, from
// its start on). Plain Node.

import { API_PATHS, MonitorError } from '../../shared/api.js';
import type { AttachRequest, RemoteConnection, RemoteSettings } from '../../shared/remote.js';
import { checkTarget, type RemoteConfigStore, type RemoteTarget } from './remote-config.js';
import { RemoteHttp, type FetchLike } from './remote-http.js';

export interface RemoteSettingsDeps {
  store: RemoteConfigStore;
  /** What this run of the app is. */
  mode: 'local' | 'remote';
  /** The addresses in use (remote mode). */
  urls: readonly string[];
  fromCommandLine: boolean;
  connection(): RemoteConnection;
  /** Start the app again (app.relaunch + quit): the mode is chosen at start. */
  restart(): void;
  fetch?: FetchLike;
}

export interface RemoteSettingsHandlers {
  get(): Promise<RemoteSettings>;
  attach(req: AttachRequest): Promise<RemoteSettings>;
  detach(): Promise<RemoteSettings>;
}

/** Asks the service for its pairs with the token: answers when it accepted the token. */
export async function probeService(target: RemoteTarget, fetchImpl?: FetchLike): Promise<void> {
  const http = new RemoteHttp({
    urls: target.urls,
    token: target.token,
    timeoutMs: 10_000,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
  await http.request('GET', API_PATHS.pairs);
}

export function remoteSettingsHandlers(d: RemoteSettingsDeps): RemoteSettingsHandlers {
  const get = async (): Promise<RemoteSettings> => {
    const stored = await d.store.load().catch(() => undefined);
    return {
      mode: d.mode,
      urls: d.mode === 'remote' ? [...d.urls] : (stored?.urls ?? []),
      tokenStored: stored !== undefined,
      canStoreToken: d.store.canStore,
      fromCommandLine: d.fromCommandLine,
      connection: d.connection(),
    };
  };
  const refuseCommandLine = () => {
    if (d.fromCommandLine)
      throw new MonitorError(
        'conflict',
        'This app was started with --remote on its command line: start it without --remote to change the mode here.',
      );
  };
  return {
    get,
    async attach(req) {
      refuseCommandLine();
      if (typeof req !== 'object' || req === null || !Array.isArray(req.urls) || typeof req.token !== 'string')
        throw new MonitorError('invalid', 'Give the service address(es) and the token.', [
          { field: 'urls', message: 'give at least one address' },
        ]);
      const target = checkTarget(req.urls, req.token);
      // Refuses first when nothing can be stored: no point asking the service.
      if (!d.store.canStore) await d.store.save(target);
      await probeService(target, d.fetch);
      await d.store.save(target);
      setTimeout(() => d.restart(), 50);
      return get();
    },
    async detach() {
      refuseCommandLine();
      await d.store.clear();
      if (d.mode === 'remote') setTimeout(() => d.restart(), 50);
      return get();
    },
  };
}
