import { readFileSync } from 'node:fs';

import { type Authorizer, createRequestAuthz } from '@fleetgraph/lib/auth';
import { createSubgraphServer, type SubgraphServer } from '@fleetgraph/lib/subgraph';
import { type Logger, silentLogger } from '@fleetgraph/lib/telemetry';
import { parse } from 'graphql';

import type { WorkloadsContext } from './context.ts';
import type { PodSource } from './kube.ts';
import { resolvers } from './resolvers.ts';

export const typeDefs = parse(
  readFileSync(new URL('../../../schema/workloads.graphql', import.meta.url), 'utf8'),
);

export interface WorkloadsSubgraphOptions {
  /** the pod caches of every cluster (started by start()) */
  pods: PodSource;
  /** the fleet's roles and bindings (started by start()) */
  authorizer: Authorizer;
  /** the secret the gateway signs identities with */
  identitySecret: string;
  /** @default 0 (ephemeral) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default silentLogger */
  log?: Logger;
}

export interface WorkloadsSubgraph extends AsyncDisposable {
  server: SubgraphServer;
  /** the GraphQL URL, once listening */
  readonly url: string;
  /** listens at once (/readyz answers 503 until every cluster's pod informer has synced or failed once) */
  start(): Promise<void>;
  close(): Promise<void>;
}

export function createWorkloadsSubgraph(options: WorkloadsSubgraphOptions): WorkloadsSubgraph {
  const { pods } = options;
  let ready = false;
  const server = createSubgraphServer<WorkloadsContext>({
    name: 'workloads',
    typeDefs,
    resolvers,
    identitySecret: options.identitySecret,
    context: (base) => ({ ...base, pods, authz: createRequestAuthz(options.authorizer, base.user) }),
    readiness: () => ({
      ready: ready && pods.settled() && options.authorizer.hasSynced(),
      checks: { podsSettled: pods.settled(), authorizerSynced: options.authorizer.hasSynced() },
    }),
    log: options.log ?? silentLogger,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
  });
  const subgraph: WorkloadsSubgraph = {
    server,
    get url() {
      return server.url;
    },
    async start() {
      await server.listen();
      await Promise.all([pods.start(), options.authorizer.start()]);
      ready = true;
    },
    async close() {
      ready = false;
      await server.close();
      await pods.stop();
      await options.authorizer.stop();
    },
    [Symbol.asyncDispose]() {
      return subgraph.close();
    },
  };
  return subgraph;
}
