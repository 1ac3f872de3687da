import { EventQueue } from '@fleetgraph/lib/async';
import type { Authorizer, UserInfo } from '@fleetgraph/lib/auth';
import { SUBSCRIPTION_OVERFLOW } from '@fleetgraph/lib/errors';

import type { Resolvers } from './__generated__/resolvers-types.ts';
import {
  gatewayClusterFields,
  gatewayMutations,
  gatewaySubscriptions,
  gatewayTypes,
} from './gateways/resolvers.ts';
import { inventoryCluster, inventoryQuery, inventoryTypes } from './inventory/resolvers.ts';
import { updateCluster } from './mutations.ts';
import { descriptionOf, labelsOf, type ClusterModel } from './model.ts';
import type { ClusterMonitor } from './monitor.ts';
import {
  upgradeClusterFields,
  upgradeMutations,
  upgradeSubscriptions,
  upgradeTypes,
} from './upgrades/resolvers.ts';

/** how far a subscriber may fall behind before its subscription ends with an error */
const SUBSCRIBER_BUFFER = 1000;

/**
 * The current state of each matching cluster the user may see, then every change the user may see: one bounded
 * queue per subscriber. Visibility is judged at each event, and again whenever roles or bindings change, so a
 * cluster that becomes visible is sent at once with its current state and one that becomes invisible goes quiet.
 */
export function clusterChanges(
  monitor: ClusterMonitor,
  names: readonly string[] | null | undefined,
  access: { user: UserInfo; authorizer: Authorizer },
): AsyncIterableIterator<ClusterModel> {
  const wanted = names && names.length > 0 ? new Set(names) : undefined;
  const visible = (name: string): boolean => access.authorizer.canSeeCluster(access.user, name);
  const shown = new Set<string>();
  const unsubscribers: Array<() => void> = [];
  const queue = new EventQueue<ClusterModel>(
    SUBSCRIBER_BUFFER,
    () => unsubscribers.forEach((u) => u()),
    (n) => SUBSCRIPTION_OVERFLOW.err(`the subscriber fell more than ${n} events behind; subscribe again`),
  );
  const offer = (c: ClusterModel): void => {
    if (wanted && !wanted.has(c.name)) return;
    if (!visible(c.name)) {
      shown.delete(c.name);
      return;
    }
    shown.add(c.name);
    queue.push(c);
  };
  for (const c of monitor.list()) offer(c);
  unsubscribers.push(monitor.subscribe(offer));
  unsubscribers.push(
    access.authorizer.subscribe(() => {
      for (const c of monitor.list()) {
        if (wanted && !wanted.has(c.name)) continue;
        const now = visible(c.name);
        if (now && !shown.has(c.name)) offer(c);
        else if (!now) shown.delete(c.name);
      }
    }),
  );
  return queue;
}

export const resolvers: Resolvers = {
  Query: {
    clusters: (_root, _args, ctx) => ctx.monitor.list().filter((c) => ctx.authz.canSeeCluster(c.name)),
    cluster: (_root, { name }, ctx) =>
      ctx.authz.canSeeCluster(name) ? (ctx.monitor.get(name) ?? null) : null,
    ...inventoryQuery,
  },
  Mutation: {
    updateCluster: (_root, { input }, ctx) => updateCluster(input, ctx),
    ...upgradeMutations,
    ...gatewayMutations,
  },
  Subscription: {
    clusterStatusChanged: {
      subscribe: (_root, { names }, ctx) =>
        clusterChanges(ctx.monitor, names, { user: ctx.user, authorizer: ctx.authorizer }),
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
