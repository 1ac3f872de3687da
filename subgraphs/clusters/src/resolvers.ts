import type { Resolvers } from './__generated__/resolvers-types.ts';
import {
  fleetClusterFields,
  fleetMutations,
  fleetQuery,
  fleetSubscriptions,
  fleetTypes,
} from './fleet/resolvers.ts';
import {
  gatewayClusterFields,
  gatewayMutations,
  gatewayQuery,
  gatewaySubscriptions,
  gatewayTypes,
} from './gateways/resolvers.ts';
import { inventoryCluster, inventoryQuery, inventoryTypes } from './inventory/resolvers.ts';
import {
  upgradeClusterFields,
  upgradeMutations,
  upgradeSubscriptions,
  upgradeTypes,
} from './upgrades/resolvers.ts';
import { userQuery, userTypes, userWorkspaceFields } from './users/resolvers.ts';

/** The clusters subgraph's resolvers: each feature folder's, merged (nothing else lives here). */
export const resolvers: Resolvers = {
  Query: {
    ...fleetQuery,
    ...inventoryQuery,
    ...gatewayQuery,
    ...userQuery,
  },
  Mutation: {
    ...fleetMutations,
    ...upgradeMutations,
    ...gatewayMutations,
  },
  Subscription: {
    ...fleetSubscriptions,
    ...upgradeSubscriptions,
    ...gatewaySubscriptions,
  },
  Cluster: {
    ...fleetClusterFields,
    ...inventoryCluster,
    ...upgradeClusterFields,
    ...gatewayClusterFields,
  },
  ...fleetTypes,
  ...inventoryTypes,
  Workspace: {
    ...inventoryTypes.Workspace,
    ...userWorkspaceFields,
  },
  ...upgradeTypes,
  ...gatewayTypes,
  ...userTypes,
};
