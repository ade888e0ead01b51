// GET /api/cluster (cluster mode, issue 16): who leads, in which term, and what every live node sees.

export interface ClusterNode {
  /** The node's --node name. */
  name: string;
  /** Its --advertise-url (where its API answers); empty when it gave none. */
  url: string;
  /** True for the node that holds the leader key now. */
  leader: boolean;
  /** When the node last published its view (ISO 8601). */
  lastSeen: string;
  /** Pairs whose primary this node sees down (more than the tolerated failures in a row). */
  pairsDown: number;
}

export interface ClusterInfo {
  /** Name of the leader; null while none holds the leader key (an election is under way or etcd is down). */
  leader: string | null;
  /** The leader key's create revision in etcd: grows with every new leadership; 0 when there is no leader. */
  term: number;
  /** Live nodes (their keys are bound to their leases), sorted by name. */
  nodes: ClusterNode[];
  /** The node that answered (the dashboard shows which node it talks to). */
  self: string;
}
