// What the etcd coordinator asks of the engine: a follower takes the leader's shared state (settings
// and pair states, as they are), a new leader starts acting, and every node's view of its pairs.

import type { EngineEvent } from '../../shared/model.js';
import type { FailoverConfig } from '../ports.js';
import type { Supervisor } from '../supervisor.js';
import { diffSettings } from '../config-sync.js';
import type { ClusterHooks, NodeView } from './etcd-coordinator.js';

/** Events a follower took from the leader: not sent to its alert channels, not published again. */
const replayed = new WeakSet<object>();

export function isReplayed(event: EngineEvent): boolean {
  return replayed.has(event);
}

/** Alerts about this node itself (its etcd link, its lock, its disk) are not the cluster's. */
const NODE_ALERTS = new Set([
  'coordinator-unreachable',
  'coordinator-reachable',
  'lock-lost',
  'state-write-failed',
  'state-write-recovered',
]);
const MAX_PENDING = 1000;

export interface LinkDeps {
  supervisor: Supervisor;
  /** Whether this node leads now (its events are published only then). */
  leading(): boolean;
  emit(event: EngineEvent): void;
  emitConfig(pair: string, change: 'added' | 'updated' | 'removed'): void;
  /** The alert channels, maintenance windows and policy of the shared settings. */
  setGlobals(shared: FailoverConfig): void;
  /** The serverdir's XML follows as an export. */
  persistSoon(): void;
  isoNow(): string;
}

export function clusterHooks(deps: LinkDeps): ClusterHooks {
  const { supervisor } = deps;
  let pending: EngineEvent[] = [];
  supervisor.subscribe((event) => {
    if (replayed.has(event) || !deps.leading()) return;
    if (event.type !== 'operator' && !(event.type === 'alert' && !NODE_ALERTS.has(event.alert))) return;
    pending.push(event);
    if (pending.length > MAX_PENDING) pending.shift();
  });
  return {
    drainEvents() {
      const out = pending;
      pending = [];
      return out;
    },
    replay(events) {
      for (const event of events) {
        replayed.add(event);
        deps.emit(event);
      }
    },
    adopt(shared, changed) {
      const ids = new Set(shared.pairs.map((r) => r.settings.id));
      for (const w of supervisor.list()) {
        if (ids.has(w.id)) continue;
        void supervisor.remove(w.id);
        deps.emitConfig(w.id, 'removed');
      }
      for (const record of shared.pairs) {
        const id = record.settings.id;
        if (changed !== 'all' && !changed.has(id) && supervisor.has(id)) continue;
        let w = supervisor.get(id);
        if (!w) {
          w = supervisor.add(record.settings);
          deps.emitConfig(id, 'added');
        } else if (diffSettings(w.settings, record.settings).length > 0) {
          supervisor.update(record.settings);
          deps.emitConfig(id, 'updated');
        }
        if (record.persisted) w.follow(record.persisted);
      }
      supervisor.reorder(shared.pairs.map((r) => r.settings.id));
      deps.setGlobals(shared);
      deps.persistSoon();
    },
    lead() {
      for (const w of supervisor.list()) w.lead();
    },
    alert(alert, severity, message) {
      deps.emit({ type: 'alert', pair: '*', at: deps.isoNow(), alert, severity, message });
    },
    view() {
      const out: NodeView['pairs'] = {};
      for (const w of supervisor.list()) {
        const s = w.status();
        out[w.id] = [s.consecutiveFailures, s.toleratedFailures, s.lastPrimary?.ok === false ? 0 : 1];
      }
      return out;
    },
  };
}
