// The settings of cluster mode (serve --cluster), without the etcd client: the command line reads them.

export interface ClusterOptions {
  /** etcd endpoints, e.g. http://127.0.0.1:2379. */
  endpoints: string[];
  /** This node's name (unique in the cluster). */
  node: string;
  /** Key prefix, ending in "/" (default /pbx-failover-monitor/). */
  prefix?: string;
  /** Lease TTL, seconds (default 5). */
  leaseTtl?: number;
  /** Where this node's API answers, for the other nodes (forwarded writes) and GET /api/cluster. */
  advertiseUrl?: string;
  /** Milliseconds between the coordinator's rounds (tests; default min(500, TTL/3)). */
  tickMs?: number;
}

export const DEFAULT_CLUSTER_PREFIX = '/pbx-failover-monitor/';
export const DEFAULT_LEASE_TTL = 5;
