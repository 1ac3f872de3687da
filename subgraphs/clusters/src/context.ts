import type { SubgraphContext } from '@fleetgraph/lib/subgraph';

import type { ClusterMonitor } from './monitor.ts';

/** What the clusters subgraph's resolvers receive. */
export interface ClustersContext extends SubgraphContext {
  monitor: ClusterMonitor;
}
