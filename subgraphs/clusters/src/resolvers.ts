import { SUBSCRIPTION_OVERFLOW } from '@fleetgraph/lib/errors';
import { EventQueue } from '@fleetgraph/lib/kube';

import type { Resolvers } from './__generated__/resolvers-types.ts';
import type { ClusterModel } from './model.ts';
import type { ClusterMonitor } from './monitor.ts';

/** how far a subscriber may fall behind before its subscription ends with an error */
const SUBSCRIBER_BUFFER = 1000;

/** the current state of each matching cluster, then every change: one bounded queue per subscriber */
export function clusterChanges(
  monitor: ClusterMonitor,
  names: readonly string[] | null | undefined,
): AsyncIterableIterator<ClusterModel> {
  const wanted = names && names.length > 0 ? new Set(names) : undefined;
  let unsubscribe = (): void => {};
  const queue = new EventQueue<ClusterModel>(
    SUBSCRIBER_BUFFER,
    () => unsubscribe(),
    (n) => SUBSCRIPTION_OVERFLOW.err(`the subscriber fell more than ${n} events behind; subscribe again`),
  );
  for (const c of monitor.list()) if (!wanted || wanted.has(c.name)) queue.push(c);
  unsubscribe = monitor.subscribe((c) => {
    if (!wanted || wanted.has(c.name)) queue.push(c);
  });
  return queue;
}

export const resolvers: Resolvers = {
  Query: {
    clusters: (_root, _args, ctx) => ctx.monitor.list(),
    cluster: (_root, { name }, ctx) => ctx.monitor.get(name) ?? null,
  },
  Subscription: {
    clusterStatusChanged: {
      subscribe: (_root, { names }, ctx) => clusterChanges(ctx.monitor, names),
      resolve: (payload: ClusterModel) => payload,
    },
  },
  Cluster: {
    __resolveReference: (ref, ctx) => ctx.monitor.get(ref.name) ?? null,
  },
};
