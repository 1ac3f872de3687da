import type { IncomingMessage } from 'node:http';

import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';

import { createRequestAuthz, type FleetAccess, type RequestAuthz } from '../auth/index.ts';
import { type Logger, silentLogger } from '../telemetry/index.ts';
import { createSubgraphServer, type SubgraphContext, type SubgraphServer } from './createSubgraphServer.ts';
import { defaultSchemaDir, loadSubgraphTypeDefs } from './registry.ts';

/**
 * The kit every domain subgraph is made with: a name, its sources, a context factory and resolvers. The schema is
 * loaded by name (schema/shared.graphql + schema/<name>.graphql); readiness, start-up order, shutdown and metrics
 * follow from the sources.
 */

/** Something a subgraph reads from (informer caches, a prober, a store): started before the subgraph is ready. */
export interface DomainSource {
  /** reported by /readyz as a check */
  name: string;
  /** starts it; resolves once it has synced (or given up on what it cannot reach, so readiness is not held) */
  start(): Promise<void>;
  /** true once it has synced, or settled: every cluster listed or failed once */
  synced(): boolean;
  stop(): Promise<void>;
  /** the sources it is made of (see sequence), each reported by /readyz in its own name */
  parts?: readonly DomainSource[];
}

/** what every domain's context starts from: the request (user, requestId, log), the fleet, and per-request authz */
export interface DomainContext extends SubgraphContext {
  /** the fleet's registry, authorizer and informer pool (for subscriptions, which outlive a request) */
  fleet: FleetAccess;
  /** this request's authorization decisions, each made once */
  authz: RequestAuthz;
}

export interface DomainSubgraphOptions<C extends DomainContext> {
  /** the registered name (schema/subgraphs.json): its schema is schema/<name>.graphql */
  name: string;
  /** the registry, authorizer and informer pool, shared by every subgraph of the process */
  fleet: FleetAccess;
  /** the subgraph's sources, started together after the fleet, stopped in reverse order after the server */
  sources: readonly DomainSource[];
  /** adds the domain's fields to each operation's context */
  context: (base: DomainContext) => C;
  /** resolvers, including Subscription fields and `__resolveReference` */
  resolvers: GraphQLResolverMap<C>;
  /** the secret the gateway signs identities with */
  identitySecret: string;
  /** @default 0 (an ephemeral port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default silentLogger */
  log?: Logger;
  /** where shared.graphql and <name>.graphql are @default the repository's schema/ */
  schemaDir?: string;
}

export interface DomainSubgraph extends AsyncDisposable {
  readonly name: string;
  server: SubgraphServer;
  /** the GraphQL URL, once listening */
  readonly url: string;
  /** listens at once (/readyz answers 503), then starts the fleet and every source; resolves when all have synced */
  start(): Promise<void>;
  /** graceful: the server drains, then the sources stop, then this subgraph's hold on the fleet */
  close(): Promise<void>;
}

/** sources that must start one after another (a later one reads an earlier one's cache), as one source */
export function sequence(name: string, ...sources: DomainSource[]): DomainSource {
  return {
    name,
    async start() {
      for (const s of sources) await s.start();
    },
    synced: () => sources.every((s) => s.synced()),
    async stop() {
      for (const s of [...sources].reverse()) await s.stop();
    },
    parts: sources,
  };
}

export function createDomainSubgraph<C extends DomainContext>(
  options: DomainSubgraphOptions<C>,
): DomainSubgraph {
  const { fleet, sources } = options;
  let started = false;
  let ready = false;
  const server = createSubgraphServer<C>({
    name: options.name,
    typeDefs: loadSubgraphTypeDefs(options.name, options.schemaDir ?? defaultSchemaDir),
    resolvers: options.resolvers,
    identitySecret: options.identitySecret,
    context: (base: SubgraphContext, _req: IncomingMessage | undefined) =>
      options.context({ ...base, fleet, authz: createRequestAuthz(fleet.authorizer, base.user) }),
    readiness: () => {
      const checks: Record<string, boolean> = {
        registrySynced: fleet.registry.hasSynced(),
        authorizerSynced: fleet.authorizer.hasSynced(),
      };
      for (const s of sources.flatMap((x) => x.parts ?? [x])) checks[s.name] = s.synced();
      return { ready: ready && Object.values(checks).every(Boolean), checks };
    },
    log: options.log ?? silentLogger,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
  });
  const subgraph: DomainSubgraph = {
    name: options.name,
    server,
    get url() {
      return server.url;
    },
    async start() {
      await server.listen();
      started = true;
      await fleet.start();
      await Promise.all(sources.map((s) => s.start()));
      ready = true;
    },
    async close() {
      ready = false;
      await server.close();
      for (const s of [...sources].reverse()) await s.stop();
      if (started) {
        started = false;
        await fleet.stop();
      }
    },
    [Symbol.asyncDispose]() {
      return subgraph.close();
    },
  };
  return subgraph;
}
