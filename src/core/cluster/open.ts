// Cluster mode's entry: the etcd client and the coordinator, from the command line's settings.

import { Etcd3 } from 'etcd3';
import type { Clock, Logger } from '../ports.js';
import { EtcdCoordinator } from './etcd-coordinator.js';
import { DEFAULT_CLUSTER_PREFIX, DEFAULT_LEASE_TTL, type ClusterOptions } from './options.js';

export type { ClusterOptions } from './options.js';

export function openCoordinator(o: ClusterOptions, deps: { clock: Clock; log: Logger }): Promise<EtcdCoordinator> {
  const ttl = o.leaseTtl ?? DEFAULT_LEASE_TTL;
  const client = new Etcd3({ hosts: o.endpoints, dialTimeout: Math.min(2000, (ttl * 1000) / 3) });
  return EtcdCoordinator.open({
    client,
    endpoints: o.endpoints,
    node: o.node,
    prefix: o.prefix ?? DEFAULT_CLUSTER_PREFIX,
    leaseTtl: ttl,
    advertiseUrl: o.advertiseUrl,
    clock: deps.clock,
    log: deps.log,
    ...(o.tickMs !== undefined ? { tickMs: o.tickMs } : {}),
  });
}
