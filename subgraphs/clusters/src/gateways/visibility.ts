import type { ClustersContext } from '../context.ts';
import { canSeeProject, canSeeWorkspace } from '../inventory/visibility.ts';
import { GATEWAY_NAMESPACE } from './kube.ts';
import type { GatewayModel } from './model.ts';

/**
 * Who sees and manages gateways (docs/security.md), each decision made once per request:
 * - every gateway of a cluster: `get deployments` in `kubesphere-controls-system` on it (cluster administrators);
 * - otherwise a WORKSPACE gateway: the workspace's members (or platform administrators); a PROJECT gateway:
 *   whoever may `get` its project (namespace);
 * - managing (upgradeGateway, rollbackGateway): `update deployments` (the gateway's name) in
 *   `kubesphere-controls-system` on the cluster.
 */

export function canSeeAllGateways(ctx: ClustersContext, cluster: string): boolean {
  return ctx.authz.can({
    verb: 'get',
    apiGroup: 'apps',
    resource: 'deployments',
    scope: 'namespace',
    cluster,
    namespace: GATEWAY_NAMESPACE,
  });
}

export function canSeeGateway(ctx: ClustersContext, g: GatewayModel): boolean {
  if (!ctx.authz.canSeeCluster(g.cluster)) return false;
  if (canSeeAllGateways(ctx, g.cluster)) return true;
  if (g.scope === 'WORKSPACE' && g.owner) return canSeeWorkspace(ctx, g.owner);
  if (g.scope === 'PROJECT' && g.owner) return canSeeProject(ctx, g.cluster, g.owner);
  return false;
}

export function manageDecision(ctx: ClustersContext, cluster: string, name: string) {
  return ctx.authz.decide({
    verb: 'update',
    apiGroup: 'apps',
    resource: 'deployments',
    name,
    scope: 'namespace',
    cluster,
    namespace: GATEWAY_NAMESPACE,
  });
}
