import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

import type { Logger } from '@fleetgraph/lib/telemetry';

/**
 * One graphql-ws client per subgraph URL, opened lazily and closed when its last subscription ends. A dropped
 * connection is not retried behind the subscriber's back (events in the gap would be lost silently): every
 * subscription on it fails, and its subscribers get UPSTREAM_SUBSCRIPTION_FAILED.
 */
export class UpstreamClients {
  private readonly clients = new Map<string, Client>();

  constructor(private readonly log: Logger) {}

  /** the client for a subgraph's HTTP URL (the WebSocket URL is the same with ws: or wss:) */
  get(httpUrl: string, headers: () => Record<string, string>): Client {
    const wsUrl = httpUrl.replace(/^http/, 'ws');
    let client = this.clients.get(wsUrl);
    if (client) return client;
    client = createClient({
      url: wsUrl,
      webSocketImpl: class extends WebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols, { headers: headers() });
        }
      },
      lazy: true,
      lazyCloseTimeout: 0,
      retryAttempts: 0,
      keepAlive: 10_000,
      on: {
        connected: () => this.log.debug('upstream connected', { url: wsUrl }),
        closed: (e) => this.log.debug('upstream closed', { url: wsUrl, code: (e as { code?: number }).code }),
      },
    });
    this.clients.set(wsUrl, client);
    return client;
  }

  async dispose(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.allSettled(all.map((c) => c.dispose()));
  }
}
