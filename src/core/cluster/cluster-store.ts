// pbxctrl-failover.xml in cluster mode: every save is first committed to etcd (fenced; a follower
// commits nothing), then written to the serverdir as an export of the shared state. Reading, parsing
// and serializing are the file store's.

import type { ConfigStore, FailoverConfig } from '../ports.js';

export interface Committer {
  commit(config: FailoverConfig): Promise<void>;
}

export function clusterStore(file: ConfigStore, coordinator: Committer): ConfigStore {
  return {
    path: file.path,
    load: () => file.load(),
    parse: (xml, opts) => file.parse(xml, opts),
    serialize: (config, opts) => file.serialize(config, opts),
    changedOnDisk: () => file.changedOnDisk(),
    async save(config) {
      await coordinator.commit(config);
      await file.save(config);
    },
  };
}
