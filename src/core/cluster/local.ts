// The coordinator of a single watcher (no --cluster): always the leader, and its commit is the
// state-file write (the serverdir lock makes it the only writer).

import type { Coordinator } from '../ports.js';

export const localCoordinator: Coordinator = {
  node: 'local',
  leading: () => true,
  maySend: () => true,
  vantage: (_pair, ownDown) => (ownDown ? 1 : 0),
  cluster: () => undefined,
};
