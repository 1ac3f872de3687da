import type { Authorizer, UserInfo } from '@fleetgraph/lib/auth';
import { changeStream, type ChangeEvent, connectionFrom, objectsOf } from '@fleetgraph/lib/subgraph';

import type {
  ClusterResolvers,
  MutationResolvers,
  QueryResolvers,
  Resolvers,
  SubscriptionResolvers,
} from '../__generated__/resolvers-types.ts';
import { descriptionOf, labelsOf } from './kube.ts';
import { fleetOrder, type ClusterModel } from './model.ts';
import type { ClusterMonitor } from './monitor.ts';
import { updateCluster } from './mutation.ts';
import { statusMessageFor } from './visibility.ts';

/** The Cluster entity: spread into ../resolvers.ts (the queries, updateCluster, the subscriptions, Cluster fields). */

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

export const fleetQuery: QueryResolvers = {
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
  cluster: (_root, { name }, ctx) => (ctx.authz.canSeeCluster(name) ? (ctx.monitor.get(name) ?? null) : null),
};

export const fleetMutations: MutationResolvers = {
  updateCluster: (_root, { input }, ctx) => updateCluster(input, ctx),
};

export const fleetSubscriptions: SubscriptionResolvers = {
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
};

export const fleetClusterFields: ClusterResolvers = {
  __resolveReference: (ref, ctx) =>
    ctx.authz.canSeeCluster(ref.name) ? (ctx.monitor.get(ref.name) ?? null) : null,
  description: (c, _args, ctx) => descriptionOf(c.object ?? ctx.registry.get(c.name)?.object),
  labels: (c, _args, ctx) => labelsOf(c.object ?? ctx.registry.get(c.name)?.object),
};

export const fleetTypes: Pick<Resolvers, 'ClusterStatus'> = {
  ClusterStatus: {
    message: (status, _args, ctx) => statusMessageFor(ctx.authz, status),
  },
};
