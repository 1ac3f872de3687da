import { createAuthorizer, type FleetAccess, fleetAccessOf } from '../auth/index.ts';
import { createClusterRegistry, loadKubeConfig } from '../kube/index.ts';

/**
 * A fleet access over the host cluster of `hostKubeconfig` (a kubeconfig's text), as createFleetAccess builds it
 * but with fast restart backoff, for subgraphs under test. Nothing is started: the subgraph starts it.
 */
export function createTestFleet(hostKubeconfig: string): FleetAccess {
  const host = loadKubeConfig({ kind: 'inline', kubeconfig: hostKubeconfig });
  const backoff = { initialMs: 20, maxMs: 200 };
  const registry = createClusterRegistry({ host, backoff });
  const authorizer = createAuthorizer({ registry, host, backoff });
  return fleetAccessOf({ registry, authorizer });
}
