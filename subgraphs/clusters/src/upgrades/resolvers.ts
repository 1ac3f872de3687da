import { BAD_USER_INPUT } from '@fleetgraph/lib/errors';

import type {
  ClusterResolvers,
  MutationResolvers,
  Resolvers,
  SubscriptionResolvers,
} from '../__generated__/resolvers-types.ts';
import { UNPROBED } from '../fleet/model.ts';
import { clusterConditionsOf, KS_CORE_NAMESPACE, kubesphereVersionOf } from './kube.ts';
import { isFinished } from './model.ts';
import { upgradeCluster } from './mutation.ts';
import { upgradeEvent, upgradeProgress } from './progress.ts';
import { canSeeUpgrades } from './visibility.ts';

/** Member-cluster upgrades: spread into resolvers.ts (Cluster fields, the mutation, the subscription, types). */

const MAX_UPGRADES = 100;

export const upgradeClusterFields: ClusterResolvers = {
  kubesphereVersion: (c, _args, ctx) => kubesphereVersionOf(c.object ?? ctx.registry.get(c.name)?.object),
  conditions: (c, _args, ctx) => clusterConditionsOf(c.object ?? ctx.registry.get(c.name)?.object),
  upgrade: (c, _args, ctx) => {
    if (!canSeeUpgrades(ctx)) return null;
    const all = ctx.upgrades.list(c.name);
    return all.find((u) => !isFinished(u)) ?? all[0] ?? null;
  },
  upgrades: (c, { last }, ctx) => {
    const n = last ?? 10;
    if (n < 0 || n > MAX_UPGRADES)
      throw BAD_USER_INPUT.err(`last must be between 0 and ${MAX_UPGRADES}`, { field: 'last' });
    return canSeeUpgrades(ctx) ? ctx.upgrades.list(c.name).slice(0, n) : [];
  },
};

export const upgradeMutations: MutationResolvers = {
  upgradeCluster: (_root, { input }, ctx) => upgradeCluster(input, ctx),
};

export const upgradeSubscriptions: SubscriptionResolvers = {
  clusterUpgradeProgress: {
    subscribe: (_root, { upgradeId }, ctx) =>
      upgradeProgress({ upgrades: ctx.upgrades, registry: ctx.registry, log: ctx.log }, upgradeId, {
        user: ctx.user,
        authorizer: ctx.authorizer,
      }),
    resolve: upgradeEvent,
  },
};

export const upgradeTypes: Pick<Resolvers, 'ClusterUpgrade'> = {
  ClusterUpgrade: {
    // an upgrade of a cluster the caller may not see is answered as an unknown one
    __resolveReference: (ref, ctx) => {
      const u = ctx.upgrades.get(ref.id);
      return u && ctx.authz.canSeeCluster(u.cluster) && canSeeUpgrades(ctx) ? u : null;
    },
    cluster: (u, _args, ctx) =>
      ctx.monitor.get(u.cluster) ?? {
        name: u.cluster,
        role: 'MEMBER',
        kubernetesVersion: null,
        status: UNPROBED,
      },
    // the helm job runs on the host, in kubesphere-system; the workloads subgraph decides whether the caller sees it
    pod: (u, _args, ctx) => {
      const host = ctx.registry.host()?.name;
      return u.podName && host ? { cluster: host, namespace: KS_CORE_NAMESPACE, name: u.podName } : null;
    },
  },
};
