import type { Authorizer, RequestAuthz } from '@fleetgraph/lib/auth';
import type { ClusterRegistry } from '@fleetgraph/lib/kube';
import type { SubgraphContext } from '@fleetgraph/lib/subgraph';

import type { GatewaySource } from './gateways/kube.ts';
import type { Inventory, UpgradeSource } from './kube.ts';
import type { ClusterMonitor } from './monitor.ts';

/** What the clusters subgraph's resolvers receive. */
export interface ClustersContext extends SubgraphContext {
  monitor: ClusterMonitor;
  registry: ClusterRegistry;
  /** nodes, namespaces and WorkspaceTemplates (inventory) */
  inventory: Inventory;
  /** ks-core upgrade Jobs on the host (member-cluster upgrades) */
  upgrades: UpgradeSource;
  /** KubeSphere gateways of every cluster (gateways/) */
  gateways: GatewaySource;
  /** the fleet's roles and bindings (for subscriptions, which outlive a request) */
  authorizer: Authorizer;
  /** this request's decisions, each made once */
  authz: RequestAuthz;
}
