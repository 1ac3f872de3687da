import type { Resolvers } from './__generated__/resolvers-types.ts';
import { podClusterFields } from './pods/resolvers.ts';

/** The workloads subgraph's resolvers: the feature folders' resolvers, merged. */
export const resolvers: Resolvers = {
  Cluster: {
    ...podClusterFields,
  },
};
