import { CLUSTER_UNREACHABLE } from '@fleetgraph/lib/errors';
import { podLogLine, podLogStream } from '@fleetgraph/lib/subgraph';

import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { WorkloadsContext } from '../context.ts';

/** pod counts over the namespaces whose pods the caller may list (an aggregate must not leak what a list hides) */
function countsOf(ctx: WorkloadsContext, cluster: string) {
  const canList = (namespace: string): boolean =>
    ctx.authz.can({ verb: 'list', apiGroup: '', resource: 'pods', scope: 'namespace', cluster, namespace });
  const counts = ctx.pods.counts(cluster, canList);
  if (counts) return counts;
  const why = ctx.pods.lastError(cluster);
  throw CLUSTER_UNREACHABLE.err(
    `the pods of cluster "${cluster}" have not been listed yet${why ? `: ${why}` : ''}`,
    {
      extensions: { cluster },
    },
  );
}

/** the pod counts of a Cluster; merged into ../resolvers.ts */
export const podClusterFields: NonNullable<Resolvers['Cluster']> = {
  __resolveReference: (ref, ctx) =>
    ctx.pods.has(ref.name) && ctx.authz.canSeeCluster(ref.name) ? { name: ref.name } : null,
  podCount: (cluster, _args, ctx) => countsOf(ctx, cluster.name).total,
  runningPodCount: (cluster, _args, ctx) => countsOf(ctx, cluster.name).running,
};

/** a pod the caller may `get` (on a cluster they can see), or null: an invisible pod and an absent one look alike */
export const podTypes: Pick<Resolvers, 'Pod'> = {
  Pod: {
    __resolveReference: (ref, ctx) =>
      ctx.authz.canSeeCluster(ref.cluster) &&
      ctx.authz.can({
        verb: 'get',
        apiGroup: '',
        resource: 'pods',
        name: ref.name,
        scope: 'namespace',
        cluster: ref.cluster,
        namespace: ref.namespace,
      })
        ? (ctx.pods.get(ref.cluster, ref.namespace, ref.name) ?? null)
        : null,
  },
};

export const podSubscriptions: NonNullable<Resolvers['Subscription']> = {
  podLogs: {
    subscribe: (_root, args, ctx) =>
      podLogStream(
        {
          authz: ctx.authz,
          registry: ctx.fleet.registry,
          podExists: ctx.pods.exists,
          authorizer: ctx.fleet.authorizer,
        },
        args,
      ),
    resolve: podLogLine,
  },
};
