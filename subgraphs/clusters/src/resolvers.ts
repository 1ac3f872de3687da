import type { Authorizer, UserInfo } from '@fleetgraph/lib/auth';
import { changeStream, type ChangeEvent, connectionFrom, objectsOf } from '@fleetgraph/lib/subgraph';

import type { Resolvers } from './__generated__/resolvers-types.ts';
import {
  gatewayClusterFields,
  gatewayMutations,
  gatewayQuery,
  gatewaySubscriptions,
  gatewayTypes,
} from './gateways/resolvers.ts';
import { inventoryCluster, inventoryQuery, inventoryTypes } from './inventory/resolvers.ts';
import { updateCluster } from './mutations.ts';
import { descriptionOf, fleetOrder, labelsOf, type ClusterModel } from './model.ts';
import type { ClusterMonitor } from './monitor.ts';
import {
  upgradeClusterFields,
  upgradeMutations,
  upgradeSubscriptions,
  upgradeTypes,
} from './upgrades/resolvers.ts';

/**
 * The clusters a subscriber asked for (all when `names` is empty), as a change stream: the current state of each
 * one the user may see, then every change, removal and change of visibility (see changeStream).
 */
export function clusterChanges(
  monitor: ClusterMonitor,
  names: readonly string[] | null | undefined,
  access: { user: UserInfo; authorizer: Authorizer },
): AsyncIterableIterator<ChangeEvent<ClusterModel>> {
  const wanted = names && names.length > 0 ? new Set(names) : undefined;
  return changeStream(monitor, {
    key: (c) => c.name,
    ...(wanted ? { wanted: (c: ClusterModel) => wanted.has(c.name) } : {}),
    visible: (c) => access.authorizer.canSeeCluster(access.user, c.name),
    accessChanged: (listener) => access.authorizer.subscribe(listener),
  });
}

export const resolvers: Resolvers = {
  Query: {
    clusters: (_root, { first, after, filter }, ctx) => {
      const names = filter?.names ? new Set(filter.names) : undefined;
      const clusters = ctx.monitor
        .list()
        .filter(
          (c) =>
            ctx.authz.canSeeCluster(c.name) &&
            (!names || names.has(c.name)) &&
            (!filter?.role || c.role === filter.role) &&
            (!filter?.phase || c.status.phase === filter.phase),
        );
      return connectionFrom(clusters, { key: fleetOrder, first, after });
    },
    cluster: (_root, { name }, ctx) =>
      ctx.authz.canSeeCluster(name) ? (ctx.monitor.get(name) ?? null) : null,
    ...inventoryQuery,
    ...gatewayQuery,
  },
  Mutation: {
    updateCluster: (_root, { input }, ctx) => updateCluster(input, ctx),
    ...upgradeMutations,
    ...gatewayMutations,
  },
  Subscription: {
    clusterChanged: {
      subscribe: (_root, { names }, ctx) =>
        clusterChanges(ctx.monitor, names, { user: ctx.user, authorizer: ctx.authorizer }),
      resolve: (e: ChangeEvent<ClusterModel>) => ({ type: e.type, name: e.key, cluster: e.object }),
    },
    clusterStatusChanged: {
      subscribe: (_root, { names }, ctx) =>
        objectsOf(clusterChanges(ctx.monitor, names, { user: ctx.user, authorizer: ctx.authorizer })),
      resolve: (payload: ClusterModel) => payload,
    },
    ...upgradeSubscriptions,
    ...gatewaySubscriptions,
  },
  Cluster: {
    __resolveReference: (ref, ctx) =>
      ctx.authz.canSeeCluster(ref.name) ? (ctx.monitor.get(ref.name) ?? null) : null,
    description: (c, _args, ctx) => descriptionOf(c.object ?? ctx.registry.get(c.name)?.object),
    labels: (c, _args, ctx) => labelsOf(c.object ?? ctx.registry.get(c.name)?.object),
    ...inventoryCluster,
    ...upgradeClusterFields,
    ...gatewayClusterFields,
  },
  ...inventoryTypes,
  ...upgradeTypes,
  ...gatewayTypes,
};
