import type { Resolvers } from './__generated__/resolvers-types.ts';
import { podClusterFields, podSubscriptions, podTypes } from './pods/resolvers.ts';

/** The workloads subgraph's resolvers: the feature folders' resolvers, merged. */
export const resolvers: Resolvers = {
  Subscription: {
    ...podSubscriptions,
  },
  Cluster: {
    ...podClusterFields,
  },
  ...podTypes,
};
