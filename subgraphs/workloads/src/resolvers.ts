import { CLUSTER_UNREACHABLE } from '@fleetgraph/lib/errors';

import type { Resolvers } from './__generated__/resolvers-types.ts';
import type { PodSource } from './kube.ts';

function countsOf(pods: PodSource, cluster: string) {
  const counts = pods.counts(cluster);
  if (counts) return counts;
  const why = pods.lastError(cluster);
  throw CLUSTER_UNREACHABLE.err(
    `the pods of cluster "${cluster}" have not been listed yet${why ? `: ${why}` : ''}`,
    { extensions: { cluster } },
  );
}

export const resolvers: Resolvers = {
  Cluster: {
    __resolveReference: (ref, ctx) => (ctx.pods.has(ref.name) ? { name: ref.name } : null),
    podCount: (cluster, _args, ctx) => countsOf(ctx.pods, cluster.name).total,
    runningPodCount: (cluster, _args, ctx) => countsOf(ctx.pods, cluster.name).running,
  },
};
