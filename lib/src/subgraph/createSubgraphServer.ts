import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { type DocumentNode, type ExecutionArgs, GraphQLError, GraphQLSchema, subscribe } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';

import { type IdentityResult, type SignedIdentity, type UserInfo, verifyIdentity } from '../auth/index.ts';
import { errorCode } from '../errors/index.ts';
import { type Logger, silentLogger } from '../telemetry/index.ts';
import { createFormatError } from './formatError.ts';
import { createGraphQLHost } from './graphqlHost.ts';
import { handleGraphQLHttp, sendGraphQLError } from './httpHost.ts';
import { createSubgraphMetrics, metricsPlugin, type SubgraphMetrics } from './metrics.ts';
import { SubscriptionTracker } from './subscriptionTracker.ts';

/** What every resolver of a fleetgraph subgraph receives, plus what the subgraph's own `context` adds. */
export interface SubgraphContext extends BaseContext {
  log: Logger;
  requestId: string;
  /** the end user, as the gateway verified and signed it */
  user: UserInfo;
}

export interface Readiness {
  ready: boolean;
  /** per-check detail, reported by /readyz */
  checks?: Record<string, unknown>;
}

export interface SubgraphServerOptions<C extends SubgraphContext> {
  /** the subgraph's name, used in logs and metrics */
  name: string;
  /**
   * the secret the gateway signs identities with (FLEETGRAPH_IDENTITY_SECRET): every operation, over HTTP or
   * WebSocket, must carry a valid, fresh signature, or it is refused with 401 / UNAUTHENTICATED
   */
  identitySecret: string;
  /**
   * how old (or how far ahead) a signature may be
   * @default 60_000
   */
  identityMaxSkewMs?: number;
  /** the subgraph SDL (schema/<name>.graphql) */
  typeDefs: DocumentNode;
  /** resolvers, including Subscription fields and `__resolveReference` */
  resolvers: GraphQLResolverMap<C>;
  /**
   * adds the subgraph's own fields to each operation's context (for subscriptions, once per subscription)
   * @default nothing added
   */
  context?: (base: SubgraphContext, req: IncomingMessage | undefined) => C | Promise<C>;
  /**
   * readiness for /readyz (e.g. every informer synced). Also gated on the server having started.
   * @default always ready
   */
  readiness?: () => Readiness;
  /** @default 0 (an ephemeral port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** HTTP and WebSocket path @default '/graphql' */
  path?: string;
  /** @default silentLogger */
  log?: Logger;
  /**
   * hide messages of uncoded errors and stacks (production)
   * @default process.env.NODE_ENV === 'production'
   */
  maskErrors?: boolean;
  /**
   * how long close() waits for subscription sources to return, then for open HTTP requests before cutting
   * connections
   * @default 5000
   */
  shutdownGraceMs?: number;
}

export interface SubgraphServer extends AsyncDisposable {
  /** http://host:port/graphql, once listening */
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly schema: GraphQLSchema;
  readonly metrics: SubgraphMetrics;
  /** listens; resolves when the port is bound */
  listen(): Promise<void>;
  /** graceful: /readyz goes unready, open subscriptions are completed, then connections close */
  close(): Promise<void>;
}

/**
 * One function that builds a subgraph server from its SDL and resolvers: GraphQL over HTTP and graphql-ws on the
 * same port and path, /healthz, /readyz, /metrics, logs and graceful shutdown.
 */
export function createSubgraphServer<C extends SubgraphContext>(
  options: SubgraphServerOptions<C>,
): SubgraphServer {
  const log = (options.log ?? silentLogger).child({ subgraph: options.name });
  const path = options.path ?? '/graphql';
  const schema = buildSubgraphSchema([{ typeDefs: options.typeDefs, resolvers: options.resolvers }]);
  const metrics = createSubgraphMetrics(options.name);
  const tracker = new SubscriptionTracker(metrics);
  const mask = options.maskErrors ?? process.env['NODE_ENV'] === 'production';
  const formatError = createFormatError({ mask, isKnownCode: (c) => errorCode(c) !== undefined });
  const apollo = new ApolloServer<C>({
    schema,
    formatError,
    introspection: true,
    includeStacktraceInErrorResponses: process.env['NODE_ENV'] === 'development',
    // inline traces (ftv1) feed Apollo's hosted usage reporting, which fleetgraph does not use
    plugins: [metricsPlugin(metrics), ApolloServerPluginInlineTraceDisabled()],
    logger: {
      debug: (m) => log.debug(String(m)),
      info: (m) => log.info(String(m)),
      warn: (m) => log.warn(String(m)),
      error: (m) => log.error(String(m)),
    },
  });
  const verify = (headers: Record<string, string | string[] | undefined>): IdentityResult =>
    verifyIdentity(options.identitySecret, headers, { maxSkewMs: options.identityMaxSkewMs ?? 60_000 });
  const makeContext = async (identity: SignedIdentity, req: IncomingMessage | undefined): Promise<C> => {
    const requestId = identity.requestId || randomUUID();
    const user = { name: identity.name, groups: identity.groups };
    const base: SubgraphContext = { log: log.child({ requestId, user: user.name }), requestId, user };
    return options.context ? options.context(base, req) : (base as C);
  };
  /** the verified identity of each subscription, from onSubscribe to its context */
  const subscriptionIdentity = new WeakMap<object, SignedIdentity>();

  let stopping = false;
  const host = options.host ?? '127.0.0.1';
  const http = createGraphQLHost({
    path,
    registry: metrics.registry,
    readiness: () => {
      const r = options.readiness?.() ?? { ready: true };
      return { ready: r.ready, ...(r.checks ? { body: { checks: r.checks } } : {}) };
    },
    graphql: (req, res, url) => {
      const id = verify(req.headers);
      if (!id.ok) {
        log.warn('refused a request without a valid gateway signature', { reason: id.reason });
        return sendGraphQLError(
          res,
          401,
          'UNAUTHENTICATED',
          `only the fleetgraph gateway may call a subgraph (${id.reason})`,
        );
      }
      void handleGraphQLHttp(req, res, url, { server: apollo, context: (r) => makeContext(id.identity, r) });
    },
    authorizeUpgrade: (req) => {
      const id = verify(req.headers);
      if (!id.ok) log.warn('refused a WebSocket without a valid gateway signature', { reason: id.reason });
      return id.ok ? { ok: true } : { ok: false, reason: id.reason };
    },
  });
  const wsServer = useServer<Record<string, unknown>, { request: IncomingMessage }>(
    {
      schema,
      context: (ctx, _id, payload) => {
        const identity = subscriptionIdentity.get(payload);
        if (!identity) throw new Error('no verified identity for this operation');
        return makeContext(identity, ctx.extra.request);
      },
      onSubscribe: (_ctx, _id, payload) => {
        // every operation carries the end user's signed identity in its extensions (the socket is the gateway's)
        const signed = payload.extensions?.['identity'];
        const id =
          signed && typeof signed === 'object' ? verify(signed as Record<string, string>) : undefined;
        if (!id?.ok) {
          return [
            new GraphQLError(`every operation must carry a signed identity (${id ? id.reason : 'none'})`, {
              extensions: { code: 'UNAUTHENTICATED' },
            }),
          ];
        }
        subscriptionIdentity.set(payload, id.identity);
        metrics.requests.inc({ operation: 'subscription', transport: 'ws' });
        return undefined;
      },
      subscribe: async (args: ExecutionArgs) => tracker.track(await subscribe(args)),
    },
    http.wss,
  );

  const server: SubgraphServer = {
    get url() {
      return `http://${host}:${http.port}${path}`;
    },
    get wsUrl() {
      return `ws://${host}:${http.port}${path}`;
    },
    get port() {
      return http.port;
    },
    schema,
    metrics,
    async listen() {
      await apollo.start();
      await http.listen(options.port ?? 0, host);
      log.info('listening', { url: server.url });
    },
    async close() {
      if (stopping) return;
      stopping = true;
      http.beginStop();
      log.info('shutting down', { subscriptions: tracker.size });
      await tracker.completeAll(options.shutdownGraceMs ?? 5000);
      await wsServer.dispose();
      await http.closeHttp(options.shutdownGraceMs ?? 5000);
      await apollo.stop();
      log.info('stopped');
    },
    [Symbol.asyncDispose]() {
      return server.close();
    },
  };
  return server;
}
