// Cluster mode (issue 16): several watchers on one etcd. One node holds the leader key (bound to its
// lease) and is the only one that changes pair states and sends actions; every write it makes is a
// transaction conditioned on the leader key's create revision (fencing), and it stops acting when no
// keepalive was confirmed within 2/3 of the lease TTL, before the lease can have expired. Every node
// publishes its own view of the pairs under a key bound to its lease, and followers take the leader's
// shared state from etcd.
//
// Keys under the prefix:  leader            the leader's node name (lease-bound)
//                         nodes/<name>      a node's view (lease-bound, JSON NodeView)
//                         pairs/<id>        a pair's settings and state (JSON PairRecord)
//                         config            the pair order and the top-level settings (JSON SharedGlobals)
//                         events/<term>-<n> the leader's operator events and alerts, kept for a minute, so
//                                           every node's stream and history carry them

import type { Etcd3, Lease } from 'etcd3';
import { MonitorError } from '../../shared/api.js';
import type { ClusterInfo, ClusterNode } from '../../shared/cluster.js';
import type { ActionStatus, AlertKind, EngineEvent, Severity } from '../../shared/model.js';
import type { Clock, Coordinator, FailoverConfig, Logger, PairRecord } from '../ports.js';

/** What a node publishes of each pair: its consecutive failures, the tolerated count, the last result. */
export interface NodeView {
  name: string;
  url: string;
  /** ISO 8601, when published. */
  at: string;
  /** pair id -> [consecutive failures, tolerated failures, last primary check ok (1) or not (0)] */
  pairs: Record<string, [number, number, number]>;
}

/** The config key: the order of the pairs and the top-level settings. */
interface SharedGlobals {
  order: string[];
  notify?: FailoverConfig['notify'];
  maintenance?: FailoverConfig['maintenance'];
  policy?: FailoverConfig['policy'];
}

/** What the coordinator needs from the engine (the controller gives it). */
export interface ClusterHooks {
  /** A follower takes the leader's shared state: `pairs` are the records that changed (all on a full read). */
  adopt(shared: FailoverConfig, changed: ReadonlySet<string> | 'all'): void;
  /** This node leads from now on (called after the shared state was adopted). */
  lead(): void;
  alert(alert: AlertKind, severity: Severity, message: string): void;
  /** This node's view of every pair now. */
  view(): NodeView['pairs'];
  /** The leader's operator events and alerts since the last call (published for the followers). */
  drainEvents(): EngineEvent[];
  /** A follower: the leader's operator events and alerts, in order, into this node's stream and history. */
  replay(events: EngineEvent[]): void;
}

/** How long the leader's events stay in etcd for the followers to read (they read every round). */
const EVENT_KEEP_MS = 60_000;

export interface EtcdCoordinatorOptions {
  client: Etcd3;
  /** The etcd endpoints as given (for messages). */
  endpoints: string[];
  node: string;
  /** Key prefix, ending in "/". */
  prefix: string;
  /** Lease TTL, seconds (at least 2). */
  leaseTtl: number;
  advertiseUrl?: string | undefined;
  clock: Clock;
  log: Logger;
  /** Milliseconds between rounds (keepalive, election, follower sync); default min(500, TTL/3). */
  tickMs?: number;
}

/** etcd's default limit of operations in one transaction is 128. */
const TXN_CHUNK = 100;

export class EtcdCoordinator implements Coordinator {
  readonly node: string;
  private readonly o: EtcdCoordinatorOptions;
  private readonly client: Etcd3;
  private readonly ttlMs: number;
  private readonly tickMs: number;
  private lease: Lease | undefined;
  private leaseId: string | undefined;
  /** Monotonic time the last confirmed keepalive (or grant) was sent. */
  private lastKeepaliveOk = -Infinity;
  private lastKeepaliveSent = -Infinity;
  /** Monotonic time etcd last answered anything. */
  private lastContact: number;
  private unreachableAlerted = false;
  /** The leader key's create revision while this node leads (the fence). */
  private myRev: string | undefined;
  private leaderName: string | null = null;
  private term = 0;
  private nodes = new Map<string, NodeView>();
  /** What etcd holds (as last read or written by this node): key (without prefix) -> JSON. */
  private readonly known = new Map<string, string>();
  /** pair -> the action attempt (`actionId#attempt#at`) this node committed as leader in its current term. */
  private readonly committedInFlight = new Map<string, string>();
  private lastRev = '0';
  private needResync = true;
  private hooks: ClusterHooks | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private lastPublish = -Infinity;
  private url: string;
  private eventSeq = 0;
  /** Event keys this node wrote as leader, with when, for pruning. */
  private readonly eventKeys: Array<{ key: string; at: number }> = [];

  private constructor(o: EtcdCoordinatorOptions) {
    this.o = o;
    this.node = o.node;
    this.client = o.client;
    this.ttlMs = o.leaseTtl * 1000;
    this.tickMs = o.tickMs ?? Math.min(500, this.ttlMs / 3);
    this.url = o.advertiseUrl ?? '';
    this.lastContact = o.clock.monotonic();
  }

  /** Connects and takes a lease; rejects with a clear message when etcd does not answer. */
  static async open(o: EtcdCoordinatorOptions): Promise<EtcdCoordinator> {
    const c = new EtcdCoordinator(o);
    try {
      await c.grantLease();
    } catch (error) {
      o.client.close();
      throw new MonitorError(
        'internal',
        `cannot reach the cluster coordinator (etcd at ${o.endpoints.join(', ')}): ${(error as Error).message}`,
      );
    }
    return c;
  }

  // ---------------------------------------------------------------------------------------------
  // Coordinator

  leading(): boolean {
    return this.myRev !== undefined && this.o.clock.monotonic() - this.lastKeepaliveOk < (this.ttlMs * 2) / 3;
  }

  maySend(pair: string, action: ActionStatus): boolean {
    return this.leading() && this.committedInFlight.get(pair) === inFlightKey(action);
  }

  cluster(): ClusterInfo {
    // A leader that stopped acting (no confirmed keepalive) does not claim to lead.
    const leaderName = this.leaderName === this.node && !this.leading() ? null : this.leaderName;
    const nodes: ClusterNode[] = [...this.nodes.values()]
      .map((v) => ({
        name: v.name,
        url: v.url,
        leader: v.name === leaderName,
        lastSeen: v.at,
        pairsDown: Object.values(v.pairs).filter(([f, t]) => f > t).length,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return { leader: leaderName, term: leaderName === null ? 0 : this.term, nodes, self: this.node };
  }

  /** How many live nodes see the primary of `pair` down (more than the tolerated failures in a row), this one included when `ownDown`. */
  vantage(pair: string, ownDown: boolean): number {
    let n = ownDown ? 1 : 0;
    for (const [name, view] of this.nodes) {
      if (name === this.node) continue;
      const seen = view.pairs[pair];
      if (seen && seen[0] > seen[1]) n++;
    }
    return n;
  }

  views(pair: string, own: number): Array<{ node: string; consecutiveFailures: number; down: boolean }> {
    const out = [{ node: this.node, consecutiveFailures: own, down: true }];
    for (const [name, view] of this.nodes) {
      if (name === this.node) continue;
      const seen = view.pairs[pair];
      if (seen) out.push({ node: name, consecutiveFailures: seen[0], down: seen[0] > seen[1] });
    }
    return out;
  }

  /** The service's own address, published in this node's view when --advertise-url was not given. */
  advertise(url: string): void {
    if (this.url) return;
    this.url = url;
    // Published at the next round, so that writes can be forwarded here soon.
    this.lastPublish = -Infinity;
  }

  // ---------------------------------------------------------------------------------------------
  // Start: the shared configuration

  /**
   * The configuration the cluster runs: etcd's when the prefix holds one; otherwise `local` (this
   * node's pbxctrl-failover.xml), written to etcd by whichever node is elected first.
   */
  async sharedConfig(local: FailoverConfig, timeoutMs = 30_000): Promise<FailoverConfig> {
    const deadline = this.o.clock.monotonic() + timeoutMs;
    for (;;) {
      const shared = await this.readAll();
      if (shared) return shared;
      await this.keepalive();
      const leader = await this.readLeader();
      if (leader === null && (await this.campaign())) {
        await this.commit(local, true);
        if (!this.leading())
          throw new MonitorError('internal', 'lost the cluster leadership while writing the first settings');
        this.needResync = false;
        this.o.log.info("cluster settings taken from this node's pbxctrl-failover.xml", { pairs: local.pairs.length });
        return local;
      }
      if (this.o.clock.monotonic() > deadline)
        throw new MonitorError(
          'internal',
          `the cluster prefix ${this.o.prefix} holds no settings and no node wrote them in time`,
        );
      await delay(200);
    }
  }

  /** From now on: keepalives, elections, the follower's sync and this node's view, every tick. */
  start(hooks: ClusterHooks): void {
    this.hooks = hooks;
    // Elected while writing the first settings: the engine was built from them and leads at once.
    if (this.myRev !== undefined) hooks.lead();
    const loop = (): void => {
      if (this.closed) return;
      this.running = this.tick()
        .catch((error: unknown) => this.o.log.warn('cluster round failed', { error: (error as Error).message }))
        .finally(() => {
          if (!this.closed) this.timer = setTimeout(loop, this.tickMs);
        });
    };
    loop();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    const wasLeading = this.myRev !== undefined;
    this.myRev = undefined;
    // Revoking the lease deletes the leader key and the view at once: another node leads without waiting for the TTL.
    if (this.lease) await withDeadline(this.lease.revoke(), 1000).catch(() => undefined);
    if (wasLeading) this.o.log.info('cluster leadership handed back (lease revoked)');
    this.client.close();
  }

  // ---------------------------------------------------------------------------------------------
  // Fenced commits

  /**
   * Writes what changed of `config` (pair records, order and top-level settings), fenced on the
   * leader key: only while this node leads. A follower commits nothing (its file is an export).
   * A leader's write that fails the fence (this node is demoted) or gets no answer rejects: what it
   * decided is not recorded, and the caller must not report it as saved.
   */
  async commit(config: FailoverConfig, seeding = false): Promise<void> {
    if (this.myRev === undefined) return;
    if (!this.leading())
      throw new MonitorError(
        'internal',
        `node ${this.node} stopped acting as the cluster leader (no keepalive confirmed within 2/3 of the lease TTL); nothing was recorded`,
      );
    const rev = this.myRev;
    const writes: Array<[string, string | null]> = [];
    const inFlight = new Map<string, string | undefined>();
    const ids = new Set<string>();
    for (const record of config.pairs) {
      const key = `pairs/${record.settings.id}`;
      ids.add(record.settings.id);
      const json = JSON.stringify({ settings: record.settings, persisted: record.persisted });
      if (this.known.get(key) !== json) writes.push([key, json]);
      inFlight.set(record.settings.id, record.persisted?.action ? inFlightKey(record.persisted.action) : undefined);
    }
    for (const key of this.known.keys()) {
      if (key.startsWith('pairs/') && !ids.has(key.slice(6))) writes.push([key, null]);
    }
    const globals: SharedGlobals = { order: config.pairs.map((r) => r.settings.id) };
    if (config.notify) globals.notify = config.notify;
    if (config.maintenance) globals.maintenance = config.maintenance;
    if (config.policy) globals.policy = config.policy;
    const globalsJson = JSON.stringify(globals);
    // The config key last: a node reading the prefix sees settings only once every pair is there.
    if (this.known.get('config') !== globalsJson || seeding) writes.push(['config', globalsJson]);
    for (let i = 0; i < writes.length; i += TXN_CHUNK) {
      const chunk = writes.slice(i, i + TXN_CHUNK);
      const ops = chunk.map(([key, value]) =>
        value === null
          ? this.client.delete().key(this.o.prefix + key)
          : this.client.put(this.o.prefix + key).value(value),
      );
      let ok: boolean;
      try {
        const result = await withDeadline(
          this.client
            .if(this.leaderKey(), 'Create', '==', rev)
            .then(...ops)
            .commit(),
          this.callMs(),
        );
        this.contact();
        ok = result.succeeded;
      } catch (error) {
        this.o.log.warn('a fenced write to etcd failed', { error: (error as Error).message });
        throw new MonitorError(
          'internal',
          `the cluster coordinator (etcd) did not record it: ${(error as Error).message}`,
        );
      }
      if (!ok) {
        this.demote("the leader key is no longer this node's (fenced write refused)");
        throw new MonitorError('internal', `node ${this.node} is no longer the cluster leader; nothing was recorded`);
      }
      for (const [key, value] of chunk) {
        if (value === null) this.known.delete(key);
        else this.known.set(key, value);
        if (key.startsWith('pairs/')) {
          const id = key.slice(6);
          const k = value === null ? undefined : inFlight.get(id);
          if (k === undefined) this.committedInFlight.delete(id);
          else this.committedInFlight.set(id, k);
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // One round

  private async tick(): Promise<void> {
    await this.keepalive();
    if (this.myRev !== undefined && !this.leading())
      this.demote('no keepalive was confirmed within 2/3 of the lease TTL');
    this.checkReachable();
    if (!this.leaseId) return;
    const leader = await this.readLeader();
    if (this.myRev === undefined && leader !== undefined) {
      if (leader === null) {
        if (await this.campaign()) await this.becomeLeader();
      } else if (leader.name === this.node && leader.lease === this.leaseId) {
        // Demoted by time while the lease survived (a stall shorter than the TTL): still ours.
        this.myRev = undefined;
        this.pendingRev = leader.rev;
        await this.becomeLeader();
      } else {
        await this.followerSync();
      }
    }
    await this.publishView();
    await this.publishEvents();
    await this.readNodes();
  }

  /** The leader's events for the followers (fenced like every leader write), and the old ones pruned. */
  private async publishEvents(): Promise<void> {
    if (!this.hooks) return;
    const events = this.hooks.drainEvents();
    if (!this.leading() || this.myRev === undefined) return;
    const now = this.o.clock.monotonic();
    const ops: Array<[string, string | null]> = [];
    for (const event of events) {
      const key = `events/${String(this.term).padStart(12, '0')}-${String(++this.eventSeq).padStart(9, '0')}`;
      ops.push([key, JSON.stringify(event)]);
    }
    while (this.eventKeys.length > 0 && now - this.eventKeys[0]!.at > EVENT_KEEP_MS)
      ops.push([this.eventKeys.shift()!.key, null]);
    for (let i = 0; i < ops.length; i += TXN_CHUNK) {
      const chunk = ops.slice(i, i + TXN_CHUNK);
      try {
        await withDeadline(
          this.client
            .if(this.leaderKey(), 'Create', '==', this.myRev)
            .then(
              ...chunk.map(([key, value]) =>
                value === null
                  ? this.client.delete().key(this.o.prefix + key)
                  : this.client.put(this.o.prefix + key).value(value),
              ),
            )
            .commit(),
          this.callMs(),
        );
        this.contact();
        for (const [key, value] of chunk) if (value !== null) this.eventKeys.push({ key, at: now });
      } catch (error) {
        this.o.log.warn("could not publish the leader's events to etcd", { error: (error as Error).message });
        return;
      }
    }
  }

  private pendingRev: string | undefined;

  private async becomeLeader(): Promise<void> {
    const rev = this.pendingRev;
    if (rev === undefined) return;
    // The shared state as it is now, adopted before acting on it.
    const shared = await this.readAll();
    if (!shared) return;
    this.hooks?.adopt(shared, 'all');
    this.needResync = false;
    this.committedInFlight.clear();
    this.myRev = rev;
    this.pendingRev = undefined;
    this.leaderName = this.node;
    this.term = Number(rev);
    this.o.log.info('this node leads the cluster', { node: this.node, term: this.term });
    this.hooks?.lead();
  }

  private demote(why: string): void {
    if (this.myRev === undefined) return;
    this.myRev = undefined;
    this.committedInFlight.clear();
    this.needResync = true;
    this.o.log.warn('this node stopped leading the cluster', { node: this.node, reason: why });
  }

  private async campaign(): Promise<boolean> {
    if (!this.leaseId) return false;
    try {
      const result = await withDeadline(
        this.client
          .if(this.leaderKey(), 'Create', '==', 0)
          .then(this.client.put(this.leaderKey()).value(this.node).lease(this.leaseId))
          .commit(),
        this.callMs(),
      );
      this.contact();
      if (!result.succeeded) return false;
      const rev = String(result.header.revision);
      this.pendingRev = rev;
      // sharedConfig() at start: leads at once (the engine is built from what it writes).
      if (!this.hooks) {
        this.myRev = rev;
        this.leaderName = this.node;
        this.term = Number(rev);
      }
      return true;
    } catch (error) {
      this.o.log.warn('cluster election round failed', { error: (error as Error).message });
      return false;
    }
  }

  private async readLeader(): Promise<{ name: string; rev: string; lease: string } | null | undefined> {
    try {
      const res = await withDeadline(this.client.get(this.leaderKey()).exec(), this.callMs());
      this.contact();
      const kv = res.kvs[0];
      if (!kv) {
        this.leaderName = null;
        this.term = 0;
        return null;
      }
      const leader = { name: kv.value.toString(), rev: String(kv.create_revision), lease: String(kv.lease) };
      this.leaderName = leader.name;
      this.term = Number(leader.rev);
      return leader;
    } catch {
      return undefined;
    }
  }

  private async keepalive(): Promise<void> {
    const now = this.o.clock.monotonic();
    if (!this.lease) {
      await this.grantLease().catch(() => undefined);
      return;
    }
    if (now - this.lastKeepaliveSent < this.ttlMs / 3) return;
    this.lastKeepaliveSent = now;
    try {
      await withDeadline(this.lease.keepaliveOnce(), this.callMs());
      this.contact();
      this.lastKeepaliveOk = now;
    } catch (error) {
      if ((error as Error).name === 'EtcdLeaseInvalidError' || /lease/i.test((error as Error).message)) {
        this.o.log.warn('the cluster lease expired', { node: this.node });
        this.dropLease();
      }
    }
  }

  private async grantLease(): Promise<void> {
    const sent = this.o.clock.monotonic();
    const lease = this.client.lease(this.ttlMs / 1000, { autoKeepAlive: false });
    lease.on('lost', () => undefined);
    const id = await withDeadline(lease.grant(), this.callMs());
    this.contact();
    this.lease = lease;
    this.leaseId = id;
    this.lastKeepaliveOk = sent;
    this.lastKeepaliveSent = sent;
    this.lastPublish = -Infinity;
  }

  private dropLease(): void {
    this.lease?.release();
    this.lease = undefined;
    this.leaseId = undefined;
    this.demote('its lease expired');
  }

  private contact(): void {
    this.lastContact = this.o.clock.monotonic();
    if (this.unreachableAlerted) {
      this.unreachableAlerted = false;
      this.hooks?.alert(
        'coordinator-reachable',
        'info',
        `cluster coordinator reachable again (etcd at ${this.o.endpoints.join(', ')})`,
      );
    }
  }

  private checkReachable(): void {
    const silentMs = this.o.clock.monotonic() - this.lastContact;
    if (this.unreachableAlerted || silentMs < (this.ttlMs * 2) / 3) return;
    this.unreachableAlerted = true;
    this.hooks?.alert(
      'coordinator-unreachable',
      'critical',
      `cluster coordinator unreachable: etcd at ${this.o.endpoints.join(', ')} has not answered for ${Math.round(silentMs / 1000)} s; node ${this.node} keeps checking but does not act until it answers again`,
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Shared state and views

  /** Every pair record and the config key; undefined when the prefix holds no settings yet. */
  private async readAll(): Promise<FailoverConfig | undefined> {
    const res = await withDeadline(
      this.client
        .getAll()
        .prefix(this.o.prefix + 'pairs/')
        .exec(),
      this.callMs() * 4,
    );
    // The config at the same revision as the pairs: one snapshot, so that nothing written between the
    // two reads is counted as read (lastRev) without having been taken.
    const snapshot = String(res.header.revision);
    const config = await withDeadline(
      this.client
        .get(this.o.prefix + 'config')
        .revision(snapshot)
        .exec(),
      this.callMs(),
    );
    this.contact();
    const globalsKv = config.kvs[0];
    if (!globalsKv) return undefined;
    for (const key of [...this.known.keys()]) if (key.startsWith('pairs/')) this.known.delete(key);
    for (const kv of res.kvs) this.known.set(kv.key.toString().slice(this.o.prefix.length), kv.value.toString());
    this.known.set('config', globalsKv.value.toString());
    this.lastRev = snapshot;
    return this.assemble();
  }

  private assemble(): FailoverConfig {
    const globals = JSON.parse(this.known.get('config') ?? '{"order":[]}') as SharedGlobals;
    const pairs: PairRecord[] = [];
    for (const id of globals.order) {
      const json = this.known.get(`pairs/${id}`);
      if (json) pairs.push(JSON.parse(json) as PairRecord);
    }
    const config: FailoverConfig = { pairs };
    if (globals.notify) config.notify = globals.notify;
    config.maintenance = globals.maintenance ?? [];
    if (globals.policy) config.policy = globals.policy;
    return config;
  }

  /** A follower takes what the leader wrote since the last round (everything after a demotion). */
  private async followerSync(): Promise<void> {
    if (!this.hooks) return;
    if (this.needResync) {
      const shared = await this.readAll();
      if (!shared) return;
      this.needResync = false;
      this.hooks.adopt(shared, 'all');
      return;
    }
    const from = String(BigInt(this.lastRev) + 1n);
    const res = await withDeadline(
      this.client.getAll().prefix(this.o.prefix).minModRevision(from).exec(),
      this.callMs() * 4,
    );
    this.contact();
    const changed = new Set<string>();
    let globalsChanged = false;
    const events: Array<[string, EngineEvent]> = [];
    for (const kv of res.kvs) {
      const key = kv.key.toString().slice(this.o.prefix.length);
      if (key.startsWith('pairs/')) {
        const value = kv.value.toString();
        if (this.known.get(key) === value) continue;
        this.known.set(key, value);
        changed.add(key.slice(6));
      } else if (key.startsWith('events/')) {
        try {
          events.push([key, JSON.parse(kv.value.toString()) as EngineEvent]);
        } catch {
          // Not an event of ours.
        }
      } else if (key === 'config') {
        const value = kv.value.toString();
        if (this.known.get(key) !== value) {
          this.known.set(key, value);
          globalsChanged = true;
        }
      }
    }
    this.lastRev = String(res.header.revision);
    if (globalsChanged) {
      // Removed pairs leave the order: forget their records.
      const order = new Set((JSON.parse(this.known.get('config')!) as SharedGlobals).order);
      for (const key of [...this.known.keys()])
        if (key.startsWith('pairs/') && !order.has(key.slice(6))) this.known.delete(key);
    }
    if (changed.size > 0 || globalsChanged) this.hooks.adopt(this.assemble(), changed);
    if (events.length > 0) this.hooks.replay(events.sort(([a], [b]) => a.localeCompare(b)).map(([, e]) => e));
  }

  private async publishView(): Promise<void> {
    if (!this.hooks || !this.leaseId) return;
    const now = this.o.clock.monotonic();
    if (now - this.lastPublish < Math.min(1000, this.ttlMs / 3)) return;
    this.lastPublish = now;
    const view: NodeView = {
      name: this.node,
      url: this.url,
      at: new Date(this.o.clock.now()).toISOString(),
      pairs: this.hooks.view(),
    };
    try {
      await withDeadline(
        this.client.put(`${this.o.prefix}nodes/${this.node}`).value(JSON.stringify(view)).lease(this.leaseId).exec(),
        this.callMs(),
      );
      this.contact();
    } catch (error) {
      this.o.log.warn("could not publish this node's view", { error: (error as Error).message });
    }
  }

  private async readNodes(): Promise<void> {
    try {
      const res = await withDeadline(this.client.getAll().prefix(`${this.o.prefix}nodes/`).exec(), this.callMs());
      this.contact();
      const nodes = new Map<string, NodeView>();
      for (const kv of res.kvs) {
        try {
          const view = JSON.parse(kv.value.toString()) as NodeView;
          nodes.set(view.name, view);
        } catch {
          // A value that is not a view is not a node.
        }
      }
      this.nodes = nodes;
    } catch {
      // Unreachable: keep the last list (checkReachable says so).
    }
  }

  private leaderKey(): string {
    return `${this.o.prefix}leader`;
  }

  /** The deadline of one etcd call: within a third of the TTL, so that a round never outlasts the lease. */
  private callMs(): number {
    return Math.max(300, Math.min(2000, this.ttlMs / 3));
  }
}

function inFlightKey(action: ActionStatus): string | undefined {
  if (!action.inFlight) return undefined;
  return `${action.actionId ?? ''}#${action.inFlight.attempt}#${action.inFlight.at}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`etcd did not answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
