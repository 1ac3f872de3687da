import { RemoteGraphQLDataSource } from '@apollo/gateway';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway/dist/datasources/types.js';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { GraphQLError } from 'graphql';
import { Agent, fetch as undiciFetch } from 'undici';

import { signIdentity, type UserInfo } from '@fleetgraph/lib/identity';

import { SUBGRAPH_UNAVAILABLE } from './errors.ts';

type Fetcher = RemoteGraphQLDataSource['fetcher'];

/**
 * One keep-alive connection pool for every subgraph fetch of one gateway, closed with that gateway (one per
 * gateway, not per module: closing one gateway must not break another in the same process).
 */
export class ConnectionPool {
  private readonly agent = new Agent({
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 120_000,
    connections: 64,
  });

  readonly fetcher = ((url: string, init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(url, { ...init, dispatcher: this.agent })) as unknown as Fetcher;

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** Context the gateway hands to data sources (HTTP operations and subscription events alike). */
export interface GatewayContext {
  requestId: string;
  /** the user the gateway verified (the bearer token's); subgraphs receive it signed */
  user: UserInfo;
}

/**
 * The gateway's data source for one subgraph: keep-alive connections (undici), the request id forwarded so logs
 * of one operation can be followed across services, and the context's user signed (HMAC, @fleetgraph/lib/auth)
 * on every request. A context without a user sends no identity, and the subgraph refuses it.
 */
export class FleetDataSource extends RemoteGraphQLDataSource<GatewayContext & Record<string, unknown>> {
  constructor(
    readonly name: string,
    url: string,
    pool: ConnectionPool,
    private readonly identitySecret: string,
  ) {
    super({ url, fetcher: pool.fetcher });
  }

  /** a subgraph that cannot be reached becomes SUBGRAPH_UNAVAILABLE naming it; the fields it owns come back null */
  override async process(
    options: GraphQLDataSourceProcessOptions<GatewayContext & Record<string, unknown>>,
  ): Promise<GatewayGraphQLResponse> {
    try {
      return await super.process(options);
    } catch (e) {
      if (e instanceof GraphQLError && typeof e.extensions['code'] === 'string') throw e;
      const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e;
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw SUBGRAPH_UNAVAILABLE.err(`subgraph "${this.name}" is unavailable: ${reason}`, {
        cause: e,
        extensions: { serviceName: this.name },
      });
    }
  }

  override willSendRequest(
    options: GraphQLDataSourceProcessOptions<GatewayContext & Record<string, unknown>>,
  ): void {
    const headers = options.request.http?.headers;
    if (!headers) return;
    const requestId = options.context?.requestId;
    if (requestId) headers.set('x-request-id', requestId);
    const user = options.context?.user;
    if (!user) return;
    const signed = signIdentity(this.identitySecret, {
      name: user.name,
      groups: user.groups,
      timestamp: Date.now(),
      requestId: requestId ?? '',
    });
    for (const [k, v] of Object.entries(signed)) headers.set(k, v);
  }
}
