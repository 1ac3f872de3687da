import type { Authorizer } from '@fleetgraph/lib/auth';
import type { ClusterRegistry } from '@fleetgraph/lib/kube';
import type { DomainContext } from '@fleetgraph/lib/subgraph';

import type { GatewaySource } from './gateways/gatewaySource.ts';
import type { UserSource } from './users/kube.ts';
import type { ClusterMonitor } from './fleet/monitor.ts';
import type { Inventory } from './inventory/kube.ts';
import type { UpgradeSource } from './upgrades/kube.ts';

/** What the clusters subgraph's resolvers receive. */
export interface ClustersContext extends DomainContext {
  monitor: ClusterMonitor;
  /** the fleet's member-cluster registry (fleet.registry) */
  registry: ClusterRegistry;
  /** the fleet's roles and bindings (fleet.authorizer; for subscriptions, which outlive a request) */
  authorizer: Authorizer;
  /** nodes, namespaces and WorkspaceTemplates (inventory) */
  inventory: Inventory;
  /** ks-core upgrade Jobs on the host (member-cluster upgrades) */
  upgrades: UpgradeSource;
  /** KubeSphere gateways of every cluster (gateways/) */
  gateways: GatewaySource;
  /** KubeSphere users on the host (users/) */
  users: UserSource;
}
