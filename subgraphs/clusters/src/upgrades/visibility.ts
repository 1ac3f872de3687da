import type { Authorizer, RequestAuthz, UserInfo } from '@fleetgraph/lib/auth';
import type { ClusterRegistry } from '@fleetgraph/lib/kube';

import { KS_CORE_NAMESPACE } from './kube.ts';

/**
 * Member-cluster upgrades are the platform's own internals: helm Jobs in the host's kubesphere-system. Their history
 * and logs are shown only to whom KubeSphere would let read pod logs there (platform administrators, or a user bound
 * to read pods/log in kubesphere-system on the host); everyone else is answered as for an upgrade that does not
 * exist.
 */
function attributes(registry: ClusterRegistry) {
  return {
    verb: 'get',
    apiGroup: '',
    resource: 'pods',
    subresource: 'log',
    scope: 'namespace' as const,
    cluster: registry.host()?.name ?? 'host',
    namespace: KS_CORE_NAMESPACE,
  };
}

/** for a request */
export function canSeeUpgrades(ctx: { authz: RequestAuthz; registry: ClusterRegistry }): boolean {
  return ctx.authz.can(attributes(ctx.registry));
}

/** for a subscription, which outlives its request */
export function mayFollowUpgrades(
  access: { user: UserInfo; authorizer: Authorizer },
  registry: ClusterRegistry,
): boolean {
  return access.authorizer.authorize(access.user, attributes(registry)).allowed;
}
