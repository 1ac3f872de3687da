import { RemoteGraphQLDataSource } from '@apollo/gateway';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway/dist/datasources/types.js';
import { Agent, fetch as undiciFetch } from 'undici';

/** one keep-alive connection pool for every subgraph fetch of this gateway */
const agent = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000, connections: 64 });

type Fetcher = RemoteGraphQLDataSource['fetcher'];

const keepAliveFetcher = ((url: string, init?: Parameters<typeof undiciFetch>[1]) =>
  undiciFetch(url, { ...init, dispatcher: agent })) as unknown as Fetcher;

/** Context the gateway hands to data sources (HTTP operations and subscription events alike). */
export interface GatewayContext {
  requestId: string;
}

/**
 * The gateway's data source for one subgraph: keep-alive connections (undici), and the request id forwarded so
 * logs of one operation can be followed across services. Identity headers arrive with the identity issue.
 */
export class FleetDataSource extends RemoteGraphQLDataSource<GatewayContext & Record<string, unknown>> {
  constructor(url: string) {
    super({ url, fetcher: keepAliveFetcher });
  }

  override willSendRequest(
    options: GraphQLDataSourceProcessOptions<GatewayContext & Record<string, unknown>>,
  ): void {
    const requestId = options.context?.requestId;
    if (requestId) options.request.http?.headers.set('x-request-id', requestId);
  }
}

export async function closeDataSources(): Promise<void> {
  await agent.close();
}
