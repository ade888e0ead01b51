// Cluster mode in the API: GET /api/cluster (the leader, the term, every live node), and every write
// sent to a follower forwarded to the leader's --advertise-url with the client's own Authorization
// header (the nodes share their token files), so a client may use any node's URL. Reads are answered
// by the node itself, from the shared state it follows.

import type { FastifyInstance } from 'fastify';
import { API_PATHS, MonitorError } from '../shared/api.js';
import type { ClusterInfo } from '../shared/cluster.js';
import type { Logger } from '../core/ports.js';

export interface ClusterSource {
  cluster?(): ClusterInfo | undefined;
}

/** Set on a forwarded request: a node that does not lead either refuses it instead of forwarding it on. */
export const FORWARDED_HEADER = 'x-pfm-forwarded-by';
/** On the answer: the node that handled a forwarded write. */
export const LEADER_HEADER = 'x-pfm-leader';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Per node (each node's token files): never forwarded. */
const LOCAL_PREFIXES = [API_PATHS.tokens];

export function registerClusterRoutes(api: FastifyInstance, monitor: ClusterSource, log?: Logger): void {
  api.get(API_PATHS.cluster, async () => {
    const info = monitor.cluster?.();
    if (!info)
      throw new MonitorError('not-found', 'this service is not part of a cluster (it was started without --cluster)');
    return info;
  });

  api.addHook('preHandler', async (request, reply) => {
    if (READS.has(request.method)) return;
    const info = monitor.cluster?.();
    if (!info || info.leader === info.self) return;
    const path = request.url.split('?')[0] ?? '';
    if (LOCAL_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`))) return;
    const leader = info.nodes.find((n) => n.leader);
    if (request.headers[FORWARDED_HEADER] !== undefined || !leader || !leader.url || leader.name === info.self) {
      throw new MonitorError(
        'conflict',
        `nothing was changed: node ${info.self} is not the cluster leader and ${leader ? `the leader ${leader.name} cannot be reached through it` : 'no node leads right now (an election is under way or etcd is unreachable)'}; try again in a few seconds`,
      );
    }
    const headers: Record<string, string> = { [FORWARDED_HEADER]: info.self };
    const authorization = request.headers.authorization;
    if (authorization) headers['authorization'] = authorization;
    const type = request.headers['content-type'];
    if (type) headers['content-type'] = type;
    const body =
      request.body === undefined || request.body === null
        ? undefined
        : typeof request.body === 'string'
          ? request.body
          : JSON.stringify(request.body);
    let answer: Response;
    try {
      answer = await fetch(`${leader.url}${request.url}`, {
        method: request.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      log?.warn('could not forward a write to the cluster leader', {
        leader: leader.name,
        error: (error as Error).message,
      });
      throw new MonitorError(
        'internal',
        `could not forward the request to the cluster leader ${leader.name} at ${leader.url}: ${(error as Error).message}; whether it arrived is unknown, check the leader before sending it again`,
      );
    }
    const text = await answer.text();
    void reply.code(answer.status).header(LEADER_HEADER, leader.name);
    const answerType = answer.headers.get('content-type');
    if (answerType) void reply.header('content-type', answerType);
    return reply.send(text);
  });
}
