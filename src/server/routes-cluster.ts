// GET /api/cluster (cluster mode): the leader, the term and every live node, from the shared state.

import type { FastifyInstance } from 'fastify';
import { API_PATHS, MonitorError } from '../shared/api.js';
import type { ClusterInfo } from '../shared/cluster.js';

export interface ClusterSource {
  cluster?(): ClusterInfo | undefined;
}

export function registerClusterRoutes(api: FastifyInstance, monitor: ClusterSource): void {
  api.get(API_PATHS.cluster, async () => {
    const info = monitor.cluster?.();
    if (!info)
      throw new MonitorError('not-found', 'this service is not part of a cluster (it was started without --cluster)');
    return info;
  });
}
