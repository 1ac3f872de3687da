import type { DomainContext } from '@fleetgraph/lib/subgraph';

import type { PodSource } from './pods/kube.ts';

/** What the workloads subgraph's resolvers receive. */
export interface WorkloadsContext extends DomainContext {
  /** every cluster's pods (pods/) */
  pods: PodSource;
}
