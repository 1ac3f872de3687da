import type { RequestAuthz } from '@fleetgraph/lib/auth';
import type { SubgraphContext } from '@fleetgraph/lib/subgraph';

import type { PodSource } from './kube.ts';

/** What the workloads subgraph's resolvers receive. */
export interface WorkloadsContext extends SubgraphContext {
  pods: PodSource;
  /** this request's decisions, each made once */
  authz: RequestAuthz;
}
