import { type Client } from 'graphql-ws';
import { type ExecutionResult, parse } from 'graphql';

import { EventQueue } from '@fleetgraph/lib/async';
import { createSubgraphServer, type SubgraphServer } from '@fleetgraph/lib/subgraph';

import { createGateway, type Gateway, type GatewayOptions } from '../src/createGateway.ts';
import { compose, IDENTITY_SECRET, TEST_AUTH, tokenFor, wsClient } from './support.ts';

/**
 * Helpers for limits.test.ts and persisted.test.ts: one small subgraph ('shop': items with paged children, a few
 * scalar root fields, a mutation, a failing field and a ticking subscription) behind a gateway built with the
 * given limits, and HTTP / graphql-ws helpers that authenticate as support.ts's test user.
 */

export const SHOP_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Item @key(fields: "id") { id: ID! name: String! children(first: Int): [Item!]! tags: [String!]! }
  type Query {
    items(first: Int): [Item!]!
    one: Int!
    two: Int!
    three: Int!
    four: Int!
    "throws an uncoded error whose message must not reach clients in production"
    boom: String
    bumps: Int!
  }
  type Mutation { bump: Int! }
  type Subscription { ticks(count: Int!): Int! }
`;

export interface Shop {
  server: SubgraphServer;
  /** bump mutations run so far */
  bumps: number;
  /** one tick to every ticks subscriber */
  tick(): void;
}

const item = (id: string): { id: string; name: string; tags: string[] } => ({
  id,
  name: `item ${id}`,
  tags: ['a', 'b'],
});

/** the shop subgraph; it never masks errors (so a test can see what the gateway does with them) */
export async function startShop(): Promise<Shop> {
  const tickers = new Set<EventQueue<{ ticks: number }>>();
  const shop: Shop = {
    server: undefined as unknown as SubgraphServer,
    bumps: 0,
    tick() {
      for (const q of tickers) q.push({ ticks: 1 });
    },
  };
  const list = (parent: string, first: number | null | undefined): ReturnType<typeof item>[] =>
    Array.from({ length: Math.min(first ?? 3, 3) }, (_, i) => item(`${parent}${i}`));
  shop.server = createSubgraphServer({
    name: 'shop',
    identitySecret: IDENTITY_SECRET,
    typeDefs: parse(SHOP_SDL),
    maskErrors: false,
    resolvers: {
      Query: {
        items: (_: unknown, { first }: { first?: number | null }) => list('i', first),
        one: () => 1,
        two: () => 2,
        three: () => 3,
        four: () => 4,
        boom: () => {
          throw new Error('connection to db-7.internal:5432 refused (password=hunter2)');
        },
        bumps: () => shop.bumps,
      },
      Mutation: { bump: () => ++shop.bumps },
      Item: {
        children: (parent: { id: string }, { first }: { first?: number | null }) => list(parent.id, first),
        __resolveReference: (ref: { id: string }) => item(ref.id),
      },
      Subscription: {
        ticks: {
          subscribe: () => {
            const queue: EventQueue<{ ticks: number }> = new EventQueue<{ ticks: number }>(1000, () =>
              tickers.delete(queue),
            );
            tickers.add(queue);
            return queue;
          },
        },
      },
    },
  });
  await shop.server.listen();
  return shop;
}

export interface GuardEnv extends AsyncDisposable {
  gateway: Gateway;
  token: string;
  /** POST a GraphQL request body (any JSON) to the gateway with the test token */
  post(
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: GraphQLBody; text: string }>;
  /** GET the gateway URL with `params` as search parameters, with the test token */
  get(
    params: Record<string, string>,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: GraphQLBody; text: string; type: string }>;
  /** a new graphql-ws client with the test token, closed with the env */
  client(): Client;
}

export type GraphQLBody = ExecutionResult & {
  errors?: { message: string; extensions?: Record<string, unknown> }[];
};

function parseBody(text: string): GraphQLBody {
  try {
    return JSON.parse(text) as GraphQLBody;
  } catch {
    return {} as GraphQLBody;
  }
}

/** a gateway over `shop`, with `options` (limits, explorer, maskErrors) */
export async function startGuardEnv(
  shop: Shop,
  options: Omit<GatewayOptions, 'supergraph' | 'auth'> = {},
): Promise<GuardEnv> {
  const supergraphSdl = compose([{ name: 'shop', url: shop.server.url, typeDefs: SHOP_SDL }]);
  const gateway = createGateway({
    supergraph: { kind: 'sdl', sdl: supergraphSdl },
    auth: TEST_AUTH,
    port: 0,
    ...options,
  });
  await gateway.start();
  const token = await tokenFor();
  const clients: Client[] = [];
  const auth = { authorization: `Bearer ${token}` };
  return {
    gateway,
    token,
    async post(body, headers = {}) {
      const res = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth, ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: parseBody(text), text };
    },
    async get(params, headers = {}) {
      const url = new URL(gateway.url);
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      const res = await fetch(url, { headers: { ...auth, ...headers } });
      const text = await res.text();
      return { status: res.status, body: parseBody(text), text, type: res.headers.get('content-type') ?? '' };
    },
    client() {
      const c = wsClient(gateway.wsUrl, token);
      clients.push(c);
      return c;
    },
    async [Symbol.asyncDispose]() {
      await Promise.allSettled(clients.map((c) => c.dispose()));
      await gateway.close();
    },
  };
}

export interface WsOutcome {
  events: ExecutionResult[];
  end: { kind: 'complete' } | { kind: 'error'; error: unknown };
}

/** runs one graphql-ws operation (any payload) to its end: its events and how it ended */
export function wsRun(
  client: Client,
  payload: {
    query: string;
    variables?: Record<string, unknown>;
    extensions?: Record<string, unknown>;
    operationName?: string;
  },
  timeoutMs = 5000,
): Promise<WsOutcome> {
  return new Promise((resolve, reject) => {
    const events: ExecutionResult[] = [];
    const timer = setTimeout(
      () => reject(new Error(`no end within ${timeoutMs} ms; events ${JSON.stringify(events)}`)),
      timeoutMs,
    );
    client.subscribe(payload, {
      next: (e) => events.push(e as ExecutionResult),
      error: (error) => {
        clearTimeout(timer);
        resolve({ events, end: { kind: 'error', error } });
      },
      complete: () => {
        clearTimeout(timer);
        resolve({ events, end: { kind: 'complete' } });
      },
    });
  });
}

/** the codes of a graphql-ws error end (an array of GraphQL errors), or a description of another end */
export function wsCodes(outcome: WsOutcome): unknown[] {
  if (outcome.end.kind !== 'error') return [`completed with ${JSON.stringify(outcome.events)}`];
  const error = outcome.end.error;
  if (!Array.isArray(error)) return [`not GraphQL errors: ${String(error)}`];
  return error.map((e: { extensions?: { code?: unknown } }) => e.extensions?.code);
}

/** the codes of an HTTP response's errors */
export function codes(body: GraphQLBody): unknown[] {
  return (body.errors ?? []).map((e) => e.extensions?.['code']);
}
