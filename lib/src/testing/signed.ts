import { randomUUID } from 'node:crypto';

import type { FormattedExecutionResult } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

import { GATEWAY_USER, signIdentity, type UserInfo } from '../auth/index.ts';

/**
 * Helpers for tests that call a subgraph directly, as the gateway does: every request carries a signed identity
 * (see lib/src/auth/identity.ts).
 */

/** a secret for tests (subgraphs need at least one; production reads FLEETGRAPH_IDENTITY_SECRET) */
export const TEST_IDENTITY_SECRET = 'fleetgraph-test-identity-secret-0123456789';

/** the demo fleet's platform administrator */
export const ADMIN: UserInfo = { name: 'admin', groups: ['system:authenticated'] };

/** signed identity headers for `user`, fresh now */
export function signedHeaders(user: UserInfo = ADMIN, secret = TEST_IDENTITY_SECRET): Record<string, string> {
  return signIdentity(secret, { ...user, timestamp: Date.now(), requestId: randomUUID() });
}

/** POSTs an operation to a subgraph as `user` */
export async function subgraphQuery(
  url: string,
  query: string,
  options: { variables?: Record<string, unknown>; user?: UserInfo; secret?: string } = {},
): Promise<FormattedExecutionResult & { status: number }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signedHeaders(options.user, options.secret) },
    body: JSON.stringify({ query, ...(options.variables ? { variables: options.variables } : {}) }),
  });
  return { status: res.status, ...((await res.json()) as FormattedExecutionResult) };
}

/** a graphql-ws client that connects to a subgraph as the gateway does (signed handshake) */
export function subgraphWsClient(url: string, secret = TEST_IDENTITY_SECRET): Client {
  return createClient({
    url: url.replace(/^http/, 'ws'),
    retryAttempts: 0,
    webSocketImpl: class extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers: signedHeaders(GATEWAY_USER, secret) });
      }
    },
  });
}

/** a subscription payload carrying `user`'s signed identity, as the gateway sends it upstream */
export function asUser<T extends { query: string; variables?: Record<string, unknown> }>(
  payload: T,
  user: UserInfo = ADMIN,
  secret = TEST_IDENTITY_SECRET,
): T & { extensions: { identity: Record<string, string> } } {
  return { ...payload, extensions: { identity: signedHeaders(user, secret) } };
}
