import {
  type ClusterRegistry,
  createClusterRegistry,
  type KubeSourceConfig,
  loadKubeConfig,
} from '../kube/index.ts';
import type { Logger } from '../telemetry/index.ts';
import { type Authorizer, createAuthorizer } from './authorizer.ts';

/** What every subgraph starts from: the member-cluster registry and the fleet's roles and bindings. */
export interface FleetAccess {
  registry: ClusterRegistry;
  authorizer: Authorizer;
}

/** both, from the host cluster's kubeconfig (neither is started: the subgraph starts them) */
export function createFleetAccess(kube: KubeSourceConfig, log: Logger): FleetAccess {
  const host = loadKubeConfig(kube);
  const registry = createClusterRegistry({ host, log: log.child({ component: 'registry' }) });
  const authorizer = createAuthorizer({ registry, host, log: log.child({ component: 'authorizer' }) });
  return { registry, authorizer };
}
