import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { type ExecutionArgs, type ExecutionResult, print } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';

import { GATEWAY_USER, signIdentity, type UserInfo } from '@fleetgraph/lib/identity';
import { errorCode } from '@fleetgraph/lib/errors';
import {
  createFormatError,
  createGraphQLHost,
  handleGraphQLHttp,
  metricsPlugin,
} from '@fleetgraph/lib/server';
import { type Logger, silentLogger } from '@fleetgraph/lib/telemetry';

import type { AuthConfig } from './auth/config.ts';
import { authenticateRequest } from './auth/http.ts';
import { createTokenVerifier, type TokenVerifier } from './auth/verify.ts';
import { WsAuth } from './auth/wsAuth.ts';
import { ConnectionPool, FleetDataSource, type GatewayContext } from './dataSource.ts';
import { createExplorer } from './explorer/explorer.ts';
import { SUBSCRIPTION_NOT_SUPPORTED } from './errors.ts';
import { createOperationGuard, type LimitsOptions } from './limits/guard.ts';
import { createGatewayMetrics, type GatewayMetrics } from './metrics.ts';
import { SubgraphHealth } from './subgraphHealth.ts';
import { SubscriptionExecutor } from './subscriptions/executor.ts';
import { UpstreamClients } from './subscriptions/upstreamClients.ts';
import { describeSource, type SupergraphSource, supergraphHook } from './supergraph.ts';

export interface GatewayOptions {
  supergraph: SupergraphSource;
  /**
   * subgraph URLs by name, overriding the URLs written in the supergraph
   * @default {} (the supergraph's URLs)
   */
  subgraphUrls?: Record<string, string>;
  /** @default 4000 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default '/graphql' */
  path?: string;
  /** @default silentLogger */
  log?: Logger;
  /** hide messages of uncoded errors @default process.env.NODE_ENV === 'production' */
  maskErrors?: boolean;
  /** serve the GraphiQL explorer to browsers @default process.env.NODE_ENV !== 'production' */
  explorer?: boolean;
  /** depth, alias, root-field, token, cost, body and per-connection limits, introspection and trusted documents (loadLimitsConfig) @default LimitsConfig's defaults */
  limits?: LimitsOptions;
  /** how clients are authenticated and how their identity is signed for the subgraphs (loadAuthConfig) */
  auth: AuthConfig;
  /** the token verifier @default createTokenVerifier(auth) */
  verifier?: TokenVerifier;
}

export interface Gateway extends AsyncDisposable {
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly metrics: GatewayMetrics;
  /** loads the supergraph and listens */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * fleetgraph's gateway: queries and mutations through @apollo/gateway on Apollo Server 5, subscriptions over
 * graphql-ws on the same port and path through fleetgraph's subscription executor, health, metrics and the explorer.
 */
export function createGateway(options: GatewayOptions): Gateway {
  const log = (options.log ?? silentLogger).child({ component: 'gateway' });
  const path = options.path ?? '/graphql';
  const host = options.host ?? '127.0.0.1';
  const overrides = options.subgraphUrls ?? {};
  const metrics = createGatewayMetrics();
  const services = new Map<string, FleetDataSource>();
  const pool = new ConnectionPool();
  const identitySecret = options.auth.identitySecret;
  const verifier = options.verifier ?? createTokenVerifier(options.auth);
  const guard = createOperationGuard(options.limits);
  const wsAuth = new WsAuth({
    verifier,
    log: log.child({ component: 'auth' }),
    maxConnectionsPerUser: guard.limits.maxConnectionsPerUser,
  });
  const sign = (user: UserInfo, requestId: string): Record<string, string> =>
    signIdentity(identitySecret, { name: user.name, groups: user.groups, timestamp: Date.now(), requestId });
  const executor = new SubscriptionExecutor({
    services: () => Object.fromEntries(services),
    urlOf: (name) => services.get(name)?.url,
    clients: new UpstreamClients(log.child({ component: 'upstream' })),
    log: log.child({ component: 'subscriptions' }),
    upstreamHeaders: () => sign(GATEWAY_USER, randomUUID()),
    identityOf: (c) => {
      const ctx = c as Partial<GatewayContext> | undefined;
      return ctx?.user ? sign(ctx.user, ctx.requestId ?? randomUUID()) : undefined;
    },
    onChange: ({ upstream, downstream }) => {
      metrics.upstreamSubscriptions.set(upstream);
      metrics.subscriptionsActive.set(downstream);
    },
  });
  const health = new SubgraphHealth(
    () => services,
    () => sign(GATEWAY_USER, randomUUID()),
  );
  let loaded = false;
  let stopping = false;

  const apolloGateway = new ApolloGateway({
    supergraphSdl: supergraphHook(options.supergraph, log),
    buildService: ({ name, url }) => {
      const target = overrides[name] ?? url;
      if (!target) throw new Error(`subgraph "${name}" has no URL in the supergraph and none was given`);
      const ds = new FleetDataSource(name, target, pool, identitySecret);
      services.set(name, ds);
      return ds;
    },
    logger: {
      debug: (m) => log.debug(String(m)),
      info: (m) => log.debug(String(m)),
      warn: (m) => log.warn(String(m)),
      error: (m) => log.error(String(m)),
    },
  });
  apolloGateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    executor.update(coreSupergraphSdl);
    loaded = true;
  });
  const mask = options.maskErrors ?? process.env['NODE_ENV'] === 'production';
  const apollo = new ApolloServer<GatewayContext>({
    gateway: apolloGateway,
    formatError: guard.formatError(
      createFormatError({ mask, isKnownCode: (c) => errorCode(c) !== undefined }),
    ),
    ...guard.serverOptions,
    includeStacktraceInErrorResponses: process.env['NODE_ENV'] === 'development',
    plugins: [metricsPlugin(metrics), rejectHttpSubscriptions(path), ...guard.plugins],
  });
  const contextOf = (req: IncomingMessage | undefined, user: UserInfo): GatewayContext => ({
    requestId: (req?.headers['x-request-id'] as string | undefined) ?? randomUUID(),
    user,
  });
  const explorer =
    (options.explorer ?? process.env['NODE_ENV'] !== 'production')
      ? createExplorer({ graphqlPath: path })
      : undefined;

  const http = createGraphQLHost({
    path,
    registry: metrics.registry,
    ...(options.auth.publicMetrics
      ? {}
      : {
          authorizeMetrics: async (req: IncomingMessage, res: ServerResponse) =>
            (await authenticateRequest(req, res, verifier)) !== undefined,
        }),
    readiness: async () => {
      const subgraphs = await health.check();
      return {
        ready: loaded && Object.values(subgraphs).every((s) => s === 'ok'),
        body: { supergraph: loaded ? 'loaded' : 'not loaded', subgraphs },
      };
    },
    graphql: (req, res, url) =>
      void authenticateRequest(req, res, verifier).then((verified) => {
        if (!verified) return;
        const context = contextOf(req, verified.user);
        return handleGraphQLHttp(req, res, url, {
          server: apollo,
          context: () => Promise.resolve(context),
          maxBodyBytes: guard.limits.maxBodyBytes,
        });
      }),
    ...(explorer ? { handle: (req, res) => explorer.handle(req, res) } : {}),
  });
  // a bigger WebSocket message closes the socket (1009); createGraphQLHost builds the server without the option
  http.wss.options.maxPayload = guard.limits.maxBodyBytes;
  const wsServer = useServer<Record<string, unknown>, { request: IncomingMessage }>(
    {
      schema: () => {
        const schema = executor.schema;
        if (!schema) throw new Error('the supergraph is not loaded yet');
        return schema;
      },
      onConnect: (ctx) => wsAuth.onConnect(ctx),
      onClose: (ctx) => wsAuth.onClose(ctx),
      context: (ctx) => {
        const user = wsAuth.tokenOf(ctx)?.user;
        // graphql-ws runs no operation before onConnect accepted the connection
        if (!user) throw new Error('unauthenticated connection');
        return wsAuth.bind(ctx, contextOf(ctx.extra.request, user));
      },
      onSubscribe: (ctx, _id, payload) => {
        const isSubscription = /^\s*subscription\b/m.test(payload.query);
        metrics.requests.inc({ operation: isSubscription ? 'subscription' : 'query', transport: 'ws' });
        return guard.onSubscribe(ctx, payload, executor.schema);
      },
      execute: (args: ExecutionArgs) => executeOverWs(apollo, args),
      subscribe: async (args: ExecutionArgs) =>
        wsAuth.guard(args.contextValue, await executor.subscribe(args, scopeOf(args.contextValue))),
      onNext: () => {
        metrics.events.inc();
      },
    },
    http.wss,
  );

  const gateway: Gateway = {
    get url() {
      return `http://${host}:${http.port}${path}`;
    },
    get wsUrl() {
      return `ws://${host}:${http.port}${path}`;
    },
    get port() {
      return http.port;
    },
    metrics,
    async start() {
      log.info('loading supergraph', { source: describeSource(options.supergraph) });
      await apollo.start();
      await http.listen(options.port ?? 4000, host);
      log.info('listening', { url: gateway.url });
    },
    async close() {
      if (stopping) return;
      stopping = true;
      http.beginStop();
      await wsServer.dispose();
      await executor.dispose();
      await http.closeHttp(5000);
      await apollo.stop();
      await pool.close();
    },
    [Symbol.asyncDispose]() {
      return gateway.close();
    },
  };
  return gateway;
}

/** the sharing scope of a subscriber: its user and sorted groups (sharing never crosses users) */
export function scopeOf(contextValue: unknown): string {
  const user = (contextValue as Partial<GatewayContext> | undefined)?.user;
  if (!user) throw new Error('a subscription without a user');
  return JSON.stringify([user.name, [...new Set(user.groups)].sort()]);
}

/**
 * A subscription sent over HTTP gets a coded 400 naming graphql-ws (without this, @apollo/gateway answers 500
 * "Execution of subscriptions not supported by gateway" with INTERNAL_SERVER_ERROR).
 */
function rejectHttpSubscriptions(path: string): ApolloServerPlugin<GatewayContext> {
  return {
    requestDidStart: () =>
      Promise.resolve({
        didResolveOperation(ctx) {
          if (ctx.operation?.operation !== 'subscription') return Promise.resolve();
          throw SUBSCRIPTION_NOT_SUPPORTED.err(
            `subscriptions are served over graphql-ws (WebSocket) at ${path}, not over HTTP`,
            { extensions: { http: { status: 400 } } },
          );
        },
      }),
  };
}

/** a query or mutation sent over graphql-ws runs exactly as over HTTP */
async function executeOverWs(
  apollo: ApolloServer<GatewayContext>,
  args: ExecutionArgs,
): Promise<ExecutionResult> {
  const response = await apollo.executeOperation(
    {
      query: print(args.document),
      ...(args.variableValues ? { variables: args.variableValues as Record<string, unknown> } : {}),
      ...(args.operationName ? { operationName: args.operationName } : {}),
    },
    { contextValue: args.contextValue as GatewayContext },
  );
  if (response.body.kind !== 'single') return { errors: [] };
  const { errors, ...result } = response.body.singleResult;
  if (!errors) return result as ExecutionResult;
  // Apollo's errors are formatted (masked) JSON already; graphql-ws sends each one's toJSON()
  return {
    ...result,
    errors: errors.map((e) => ({ ...e, toJSON: () => e })),
  } as unknown as ExecutionResult;
}
