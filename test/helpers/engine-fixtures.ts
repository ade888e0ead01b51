// Builders for engine tests: pair settings pointing at loopback fixtures, and
// a watcher/supervisor harness that records every event and persist request.

import type { AlertKind, EngineEvent, PairSettings, PairState } from '../../src/shared/model.js';
import { engineContext } from '../../src/core/engine-context.js';
import { createHttpClient, type HttpClient } from '../../src/core/http-client.js';
import { Watcher, type WatcherHooks } from '../../src/core/watcher.js';
import type { PersistedState } from '../../src/core/ports.js';

export function pairSettings(
  overrides: Partial<PairSettings> & { primaryUrl: string; actionUrl?: string },
): PairSettings {
  const { actionUrl, ...rest } = overrides;
  return {
    id: 'acme',
    name: 'ACME Corp',
    interval: 0.1,
    // Generous, so that a loaded test machine does not turn slow answers into failures.
    timeout: 1,
    toleratedFailures: 2,
    acceptStatus: '200',
    validation: { quorum: 0, urls: [] },
    action: {
      method: 'POST',
      url: actionUrl ?? 'http://127.0.0.1:9/unused',
      encoding: 'json',
      auth: 'none',
      headers: [],
      body: '{"pair":"{pair}","to":"{to}","reason":"{reason}","manual":{manual}}',
      retries: 3,
      timeout: 2,
    },
    ...rest,
  };
}

export class EventLog {
  readonly events: EngineEvent[] = [];
  push = (event: EngineEvent): void => {
    this.events.push(event);
  };
  states(): PairState[] {
    return this.events.flatMap((e) => (e.type === 'state' ? [e.to] : []));
  }
  alerts(kind?: AlertKind): EngineEvent[] {
    return this.events.filter((e) => e.type === 'alert' && (kind === undefined || e.alert === kind));
  }
  count(predicate: (e: EngineEvent) => boolean): number {
    return this.events.filter(predicate).length;
  }
}

export interface WatcherHarness {
  watcher: Watcher;
  log: EventLog;
  client: HttpClient;
  persistedSnapshots: PersistedState[];
  stop(): Promise<void>;
}

/** A started watcher with a real HTTP client; persistNow snapshots what would be written. */
export function startWatcher(
  settings: PairSettings,
  persisted?: PersistedState,
  backoff = (n: number) => 20 * n,
): WatcherHarness {
  const client = createHttpClient();
  const log = new EventLog();
  const persistedSnapshots: PersistedState[] = [];
  // The hooks need the watcher they are handed to; it exists once the constructor returns.
  const made: { watcher?: Watcher } = {};
  const hooks: WatcherHooks = {
    emit: log.push,
    persistSoon: () => {},
    persistNow: async () => {
      if (made.watcher) persistedSnapshots.push(structuredClone(made.watcher.persisted()));
    },
  };
  const w = new Watcher(settings, { ctx: engineContext({ client, backoff }), hooks }, persisted);
  made.watcher = w;
  w.start(0);
  return {
    watcher: w,
    log,
    client,
    persistedSnapshots,
    async stop() {
      await w.stop(1000);
      await client.close();
    },
  };
}
