import { BAD_USER_INPUT } from '@fleetgraph/lib/errors';

import type {
  ClusterResolvers,
  MutationResolvers,
  Resolvers,
  SubscriptionResolvers,
} from '../__generated__/resolvers-types.ts';
import { CONTROLLER_CONTAINER, type PodLogLine, tailLog } from './kube.ts';
import type { GatewayRolloutEventModel } from './model.ts';
import { rollbackGateway, upgradeGateway } from './mutation.ts';
import { gatewayRollout, podLogs } from './rollout.ts';
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

export const gatewayMutations: MutationResolvers = {
  upgradeGateway: (_root, { input }, ctx) => upgradeGateway(input, ctx),
  rollbackGateway: (_root, { input }, ctx) => rollbackGateway(input, ctx),
};

export const gatewaySubscriptions: SubscriptionResolvers = {
  gatewayRollout: {
    subscribe: (_root, args, ctx) => gatewayRollout(ctx, args),
    resolve: (payload: GatewayRolloutEventModel) => payload,
  },
  podLogs: {
    subscribe: (_root, args, ctx) => podLogs(ctx, args),
    resolve: (payload: { seq: number; time: string | null; text: string }) => payload,
  },
};

const timeOrder = (a: PodLogLine, b: PodLogLine): number =>
  (a.time ?? '') < (b.time ?? '') ? -1 : (a.time ?? '') > (b.time ?? '') ? 1 : 0;

export const gatewayTypes: Pick<Resolvers, 'Gateway'> = {
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
            tailLog(ctx.registry, g.cluster, g.namespace, p.name, CONTROLLER_CONTAINER, n).catch(() => []),
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
