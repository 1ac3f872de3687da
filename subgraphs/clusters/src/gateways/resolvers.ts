import { BAD_USER_INPUT } from '@fleetgraph/lib/errors';
import { type PodLogLine, tailPodLog } from '@fleetgraph/lib/kube';
import { connectionFrom, podLogLine, podLogStream } from '@fleetgraph/lib/subgraph';

import type {
  ClusterResolvers,
  MutationResolvers,
  QueryResolvers,
  Resolvers,
  SubscriptionResolvers,
} from '../__generated__/resolvers-types.ts';
import { fleetOrder } from '../fleet/model.ts';
import { CONTROLLER_CONTAINER, GATEWAY_NAMESPACE } from './kube.ts';
import type { GatewayRolloutEventModel } from './model.ts';
import { rollbackGateway, upgradeGateway } from './mutation.ts';
import { gatewayRollout } from './rollout.ts';
import { canSeeGateway } from './visibility.ts';

/** Gateways: spread into resolvers.ts (Cluster fields, the mutations, the subscriptions, the Gateway type). */

const MAX_TAIL = 1000;

export const gatewayClusterFields: ClusterResolvers = {
  gateways: (c, { scope }, ctx) =>
    ctx.gateways.list(c.name).filter((g) => (!scope || g.scope === scope) && canSeeGateway(ctx, g)),
  gateway: (c, { name }, ctx) => {
    const g = ctx.gateways.get(c.name, name);
    return g && canSeeGateway(ctx, g) ? g : null;
  },
};

/** Query.gateways: every visible gateway of the fleet, by cluster (host first), then by name */
export const gatewayQuery: QueryResolvers = {
  gateways: (_root, { first, after, filter }, ctx) => {
    const wanted = filter?.clusters ? new Set(filter.clusters) : undefined;
    const gateways = ctx.monitor
      .list()
      .filter((c) => (!wanted || wanted.has(c.name)) && ctx.authz.canSeeCluster(c.name))
      .flatMap((c) =>
        ctx.gateways
          .list(c.name)
          .filter((g) => (!filter?.scope || g.scope === filter.scope) && canSeeGateway(ctx, g))
          .map((g) => ({ g, key: `${fleetOrder(c)}\u0000${g.name}` })),
      );
    const page = connectionFrom(gateways, { key: (x) => x.key, first, after });
    return {
      ...page,
      nodes: page.nodes.map((x) => x.g),
      edges: page.edges.map((e) => ({ ...e, node: e.node.g })),
    };
  },
};

export const gatewayMutations: MutationResolvers = {
  upgradeGateway: (_root, { input }, ctx) => upgradeGateway(input, ctx),
  rollbackGateway: (_root, { input }, ctx) => rollbackGateway(input, ctx),
};

export const gatewaySubscriptions: SubscriptionResolvers = {
  gatewayRollout: {
    subscribe: (_root, args, ctx) => gatewayRollout(ctx, args),
    resolve: (payload: GatewayRolloutEventModel) => payload,
  },
  // served by the workloads subgraph since it took podLogs over (@override); kept until clients are migrated
  podLogs: {
    subscribe: (_root, args, ctx) => podLogStream({ ...ctx, authorizer: ctx.authorizer }, args),
    resolve: podLogLine,
  },
};

const timeOrder = (a: PodLogLine, b: PodLogLine): number =>
  (a.time ?? '') < (b.time ?? '') ? -1 : (a.time ?? '') > (b.time ?? '') ? 1 : 0;

export const gatewayTypes: Pick<Resolvers, 'Gateway' | 'GatewayPod'> = {
  GatewayPod: {
    pod: (p) => ({ cluster: p.cluster, namespace: GATEWAY_NAMESPACE, name: p.name }),
  },
  Gateway: {
    __resolveReference: (ref, ctx) => {
      const g = ctx.gateways.get(ref.cluster, ref.name);
      return g && g.namespace === ref.namespace && canSeeGateway(ctx, g) ? g : null;
    },
    logs: async (g, { tail, pod }, ctx) => {
      const n = tail ?? 100;
      if (n < 1 || n > MAX_TAIL)
        throw BAD_USER_INPUT.err(`tail must be between 1 and ${MAX_TAIL}`, { field: 'tail' });
      const pods = pod ? g.pods.filter((p) => p.name === pod) : g.pods;
      if (pod && pods.length === 0)
        throw BAD_USER_INPUT.err(`"${pod}" is not a pod of gateway "${g.name}"`, { field: 'pod' });
      const started = pods.filter(
        (p) => p.phase === 'Running' || p.phase === 'Succeeded' || p.phase === 'Failed',
      );
      const lines = (
        await Promise.all(
          started.map((p) =>
            // a container that cannot be read (not started yet, gone since) contributes nothing
            tailPodLog(ctx.registry, {
              cluster: g.cluster,
              namespace: g.namespace,
              pod: p.name,
              container: CONTROLLER_CONTAINER,
              tail: n,
            }).catch((): PodLogLine[] => []),
          ),
        )
      )
        .flat()
        .sort(timeOrder)
        .slice(-n);
      return lines.map((l, i) => ({ seq: i + 1, time: l.time, text: l.text }));
    },
  },
};
