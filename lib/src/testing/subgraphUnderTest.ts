import type { FormattedExecutionResult } from 'graphql';
import type { Client } from 'graphql-ws';

import type { FleetAccess, UserInfo } from '../auth/index.ts';
import type { DomainSubgraph } from '../subgraph/index.ts';
import { createTestFleet } from './fleet.ts';
import { ADMIN, subgraphQuery, subgraphWsClient } from './signed.ts';
import type { Leftovers } from './leftovers.ts';

/** A subgraph started in process on a test fleet, called as the gateway calls it (signed identities). */
export interface SubgraphUnderTest<S extends DomainSubgraph = DomainSubgraph> {
  subgraph: S;
  /** one operation over HTTP as `user` (the platform admin by default) */
  query<T = Record<string, unknown>>(
    query: string,
    options?: { variables?: Record<string, unknown>; user?: UserInfo },
  ): Promise<FormattedExecutionResult<T> & { status: number }>;
  /** a graphql-ws client connected as the gateway connects (closed with the leftovers) */
  wsClient(): Client;
}

/**
 * Builds a subgraph with `create` on a test fleet over the host cluster of `hostKubeconfig` (a kubeconfig's text),
 * starts it (resolves once /readyz would say ready), and puts its close on `leftovers`.
 */
export async function startSubgraphUnderTest<S extends DomainSubgraph>(options: {
  hostKubeconfig: string;
  create: (fleet: FleetAccess) => S;
  leftovers: Leftovers;
}): Promise<SubgraphUnderTest<S>> {
  const subgraph = options.create(createTestFleet(options.hostKubeconfig));
  options.leftovers.push(() => subgraph.close());
  await subgraph.start();
  return {
    subgraph,
    query: async <T>(query: string, o: { variables?: Record<string, unknown>; user?: UserInfo } = {}) =>
      (await subgraphQuery(subgraph.url, query, {
        ...o,
        user: o.user ?? ADMIN,
      })) as FormattedExecutionResult<T> & {
        status: number;
      },
    wsClient() {
      const client = subgraphWsClient(subgraph.url);
      options.leftovers.push(() => client.dispose());
      return client;
    },
  };
}
