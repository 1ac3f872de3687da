import { createServer, type Server, type Socket, connect } from 'node:net';
import type { AddressInfo } from 'node:net';

import { composeServices } from '@apollo/composition';
import { type Client, createClient } from 'graphql-ws';
import { type ExecutionResult, parse } from 'graphql';
import WebSocket from 'ws';

import { EventQueue } from '@fleetgraph/lib/async';
import { verifyIdentity } from '@fleetgraph/lib/auth';
import { createSubgraphServer, type SubgraphServer } from '@fleetgraph/lib/subgraph';
import type { Logger } from '@fleetgraph/lib/telemetry';

import type { AuthConfig } from '../src/auth/config.ts';
import { mintDevToken } from '../src/auth/devIssuer.ts';
import { createGateway, type Gateway } from '../src/createGateway.ts';
import type { SupergraphSource } from '../src/supergraph.ts';

/**
 * Test helpers for the gateway: two small subgraphs ('alpha' owns Thing, its queries and subscriptions; 'beta'
 * adds score and detail through `_entities`), a composed supergraph and the gateway on port 0, and a graphql-ws
 * subscribe helper with waitForEvent/expectNoEvent (no fixed sleeps except inside expectNoEvent).
 */

export interface Thing {
  id: string;
  name: string;
  status: string;
}

export const ALPHA_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Thing @key(fields: "id") { id: ID! name: String! status: String! }
  type Query { things: [Thing!]! thing(id: ID!): Thing whoami: Whoami! }
  "what alpha saw of the caller: verifyIdentity of the signed headers, and any raw x-fleetgraph-user header"
  type Whoami { ok: Boolean! name: String groups: [String!] reason: String }
  type Subscription {
    thingChanged(ids: [ID!]): Thing!
    ticks(count: Int!): Int!
    "one event: the user of the subscription as alpha verified it"
    whoamiChanged: Whoami!
  }
`;

/** what beta serves; the supergraph startEnv composes leaves out `rank` (see BETA_SDL_WITH_RANK) */
export const BETA_SDL_WITH_RANK = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Thing @key(fields: "id") { id: ID! score: Int detail: Detail rank: Int }
  type Detail { label: String! tags: [String!]! owner: Owner }
  type Owner { name: String! }
  type Query { betaVersion: String! }
`;

export const BETA_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Thing @key(fields: "id") { id: ID! score: Int detail: Detail }
  type Detail { label: String! tags: [String!]! owner: Owner }
  type Owner { name: String! }
  type Query { betaVersion: String! }
`;

/** the test gateway's HS256 secret and the identity secret it shares with alpha and beta */
export const JWT_SECRET = 'test-jwt-secret-0123456789abcdef0123456789';
export const IDENTITY_SECRET = 'test-identity-secret-0123456789abcdef0123';
export const TEST_AUTH: AuthConfig = {
  jwtSecret: JWT_SECRET,
  clockToleranceS: 0,
  identitySecret: IDENTITY_SECRET,
  publicMetrics: true,
};

/** an HS256 access token the test gateway accepts */
export function tokenFor(
  user = 'alice',
  groups: string[] = ['developers'],
  options: { ttlSeconds?: number } = {},
): Promise<string> {
  return mintDevToken({ secret: JWT_SECRET, user, groups, ttlSeconds: options.ttlSeconds ?? 3600 });
}

/** every env not yet disposed; a file's afterAll(disposeLeftovers) cleans up what a failed test left */
const leftovers = new Set<TestEnv>();

export async function disposeLeftovers(): Promise<void> {
  const all = [...leftovers];
  leftovers.clear();
  await Promise.allSettled(all.map((e) => e[Symbol.asyncDispose]()));
}

/** polls `check` until it passes (it throws or returns false until then) */
export async function eventually<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 5000, everyMs = 10 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let failure: unknown;
    try {
      const r = await check();
      if (r !== false) return r;
      failure = new Error('condition stayed false');
    } catch (e) {
      failure = e;
    }
    if (Date.now() > deadline) throw failure;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** a TCP proxy in front of a subgraph, so a test can cut it like a crashed process (no graceful close) */
export interface Proxy {
  url: string;
  crash(): Promise<void>;
}

async function startProxy(targetPort: number, path: string): Promise<Proxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((down) => {
    const up = connect(targetPort, '127.0.0.1');
    sockets.add(down);
    sockets.add(up);
    down.pipe(up);
    up.pipe(down);
    const drop = (): void => {
      down.destroy();
      up.destroy();
      sockets.delete(down);
      sockets.delete(up);
    };
    down.on('error', drop).on('close', drop);
    up.on('error', drop).on('close', drop);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  let crashed = false;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    async crash() {
      if (crashed) return;
      crashed = true;
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      sockets.clear();
      await closed;
    },
  };
}

export interface Alpha {
  server: SubgraphServer;
  /** the URL the gateway uses (through the proxy) */
  url: string;
  things: Map<string, Thing>;
  /** changes a thing and publishes it to every thingChanged subscriber that watches it */
  update(id: string, patch: Partial<Omit<Thing, 'id'>>): Thing;
  /** one tick to every ticks subscriber */
  tick(): void;
  /** sends `thingChanged: null` (an error event: the field is non-null) to every thingChanged subscriber */
  emitNull(): void;
  /** thingChanged and ticks subscriptions open on alpha now (its gauge) */
  activeSubscriptions(): Promise<number>;
  /** cuts every connection to alpha abruptly */
  crash(): Promise<void>;
}

export interface Beta {
  server: SubgraphServer;
  url: string;
  /** `_entities` requests served */
  entitiesCalls: number;
  /** representations resolved, over all `_entities` requests */
  references: number;
  scores: Map<string, number>;
  /** ids whose Detail.label (non-null) beta resolves to null, to exercise null bubbling */
  brokenLabels: Set<string>;
}

async function gaugeValue(server: SubgraphServer): Promise<number> {
  const g = await server.metrics.subscriptionsActive.get();
  return g.values[0]?.value ?? 0;
}

async function startAlpha(initial: Thing[]): Promise<Alpha> {
  const things = new Map(initial.map((t) => [t.id, { ...t }]));
  const watchers = new Set<{ ids: Set<string> | undefined; queue: EventQueue<{ thingChanged: Thing }> }>();
  const tickers = new Set<EventQueue<number>>();
  const server = createSubgraphServer({
    name: 'alpha',
    identitySecret: IDENTITY_SECRET,
    typeDefs: parse(ALPHA_SDL),
    context: (base, req) => ({ ...base, headers: req?.headers ?? {} }),
    resolvers: {
      Query: {
        whoami: (_: unknown, __: unknown, ctx: object) => {
          const headers = (ctx as { headers: Record<string, string | string[] | undefined> }).headers;
          const r = verifyIdentity(IDENTITY_SECRET, headers);
          return r.ok
            ? { ok: true, name: r.identity.name, groups: r.identity.groups }
            : { ok: false, reason: r.reason };
        },
        things: () => [...things.values()],
        thing: (_: unknown, { id }: { id: string }) => things.get(id) ?? null,
      },
      Thing: {
        __resolveReference: (ref: { id: string }) => things.get(ref.id) ?? null,
      },
      Subscription: {
        thingChanged: {
          subscribe: (_: unknown, { ids }: { ids?: string[] | null }) => {
            const watcher = {
              ids: ids ? new Set(ids) : undefined,
              queue: new EventQueue<{ thingChanged: Thing }>(100_000, () => watchers.delete(watcher)),
            };
            watchers.add(watcher);
            // first the current state, then changes
            for (const t of things.values())
              if (!watcher.ids || watcher.ids.has(t.id)) watcher.queue.push({ thingChanged: { ...t } });
            return watcher.queue;
          },
        },
        whoamiChanged: {
          // the user the subgraph verified from the subscribe payload's extensions.identity
          subscribe: async function* (
            _: unknown,
            __: unknown,
            ctx: { user?: { name: string; groups: string[] } },
          ) {
            yield {
              whoamiChanged: { ok: Boolean(ctx.user), name: ctx.user?.name, groups: ctx.user?.groups },
            };
            await new Promise(() => undefined);
          },
        },
        ticks: {
          subscribe: (_: unknown, { count }: { count: number }) => {
            let n = 0;
            const queue: EventQueue<number> = new EventQueue<number>(100_000, () => tickers.delete(queue));
            tickers.add(queue);
            const source = {
              async next(): Promise<IteratorResult<{ ticks: number }>> {
                if (n >= count) {
                  queue.end();
                  return { done: true, value: undefined };
                }
                const r = await queue.next();
                if (r.done) return r;
                n++;
                return { done: false, value: { ticks: n } };
              },
              return: () => queue.return(),
              [Symbol.asyncIterator]() {
                return this;
              },
            };
            return source;
          },
        },
      },
    },
  });
  await server.listen();
  const proxy = await startProxy(server.port, '/graphql');
  return {
    server,
    url: proxy.url,
    things,
    update(id, patch) {
      const prev = things.get(id) ?? { id, name: id, status: 'New' };
      const next = { ...prev, ...patch, id };
      things.set(id, next);
      for (const w of watchers) if (!w.ids || w.ids.has(id)) w.queue.push({ thingChanged: { ...next } });
      return next;
    },
    tick() {
      for (const q of tickers) q.push(1);
    },
    emitNull() {
      for (const w of watchers) w.queue.push({ thingChanged: null as unknown as Thing });
    },
    activeSubscriptions: () => gaugeValue(server),
    crash: () => proxy.crash(),
  };
}

async function startBeta(): Promise<Beta> {
  const seen = new WeakSet<object>();
  const beta: Beta = {
    server: undefined as unknown as SubgraphServer,
    url: '',
    entitiesCalls: 0,
    references: 0,
    scores: new Map(),
    brokenLabels: new Set(),
  };
  beta.server = createSubgraphServer({
    name: 'beta',
    identitySecret: IDENTITY_SECRET,
    typeDefs: parse(BETA_SDL_WITH_RANK),
    resolvers: {
      Query: { betaVersion: () => '1' },
      Thing: {
        __resolveReference: (ref: { id: string }, context: object) => {
          if (!seen.has(context)) {
            seen.add(context);
            beta.entitiesCalls++;
          }
          beta.references++;
          return {
            id: ref.id,
            score: beta.scores.get(ref.id) ?? ref.id.length * 10,
            rank: Number(ref.id.slice(1)) || 0,
            detail: {
              label: beta.brokenLabels.has(ref.id) ? null : `detail of ${ref.id}`,
              tags: ['a', ref.id],
              owner: { name: `owner-${ref.id}` },
            },
          };
        },
      },
    },
  });
  await beta.server.listen();
  beta.url = beta.server.url;
  return beta;
}

export function compose(services: { name: string; url: string; typeDefs: string }[]): string {
  const result = composeServices(services.map((s) => ({ ...s, typeDefs: parse(s.typeDefs) })));
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.supergraphSdl;
}

export interface Subscription extends AsyncIterable<ExecutionResult> {
  /** every event received so far */
  readonly events: ExecutionResult[];
  /** how the subscription ended, once it has: 'complete' or the graphql-ws error */
  readonly ended: { kind: 'complete' } | { kind: 'error'; error: unknown } | undefined;
  /** the next event not yet taken (in order); `test` may assert on it */
  waitForEvent(test?: (e: ExecutionResult) => void, expireMs?: number): Promise<ExecutionResult>;
  /** no event arrives within `ms` */
  expectNoEvent(ms: number): Promise<void>;
  /** resolves when the subscription completes or errors */
  waitForEnd(expireMs?: number): Promise<{ kind: 'complete' } | { kind: 'error'; error: unknown }>;
  unsubscribe(): void;
}

/** a graphql-ws client sending `token` as connectionParams.authorization (none when undefined) */
export function wsClient(url: string, token?: string): Client {
  return createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    lazyCloseTimeout: 0,
    ...(token !== undefined ? { connectionParams: { authorization: `Bearer ${token}` } } : {}),
  });
}

export function subscribe(
  client: Client,
  query: string,
  variables?: Record<string, unknown>,
  operationName?: string,
): Subscription {
  const events: ExecutionResult[] = [];
  let taken = 0;
  let ended: Subscription['ended'];
  const wake = new Set<() => void>();
  const notify = (): void => {
    for (const w of [...wake]) w();
  };
  const unsubscribe = client.subscribe(
    { query, ...(variables ? { variables } : {}), ...(operationName ? { operationName } : {}) },
    {
      next: (e) => {
        events.push(e as ExecutionResult);
        notify();
      },
      error: (error) => {
        ended = { kind: 'error', error };
        notify();
      },
      complete: () => {
        ended ??= { kind: 'complete' };
        notify();
      },
    },
  );
  const until = <T>(ready: () => T | undefined, expireMs: number, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const check = (): void => {
        let v: T | undefined;
        try {
          v = ready();
        } catch (e) {
          cleanup();
          reject(e as Error);
          return;
        }
        if (v === undefined) return;
        cleanup();
        resolve(v);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `timed out after ${expireMs} ms waiting for ${what}; events so far: ${JSON.stringify(events)}; ended: ${JSON.stringify(ended)}`,
          ),
        );
      }, expireMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        wake.delete(check);
      };
      wake.add(check);
      check();
    });
  const sub: Subscription = {
    events,
    get ended() {
      return ended;
    },
    async waitForEvent(test, expireMs = 5000) {
      const e = await until(
        () => {
          if (taken < events.length) return events[taken++];
          if (ended) throw new Error(`the subscription ended (${JSON.stringify(ended)}) before an event`);
          return undefined;
        },
        expireMs,
        `event #${taken + 1}`,
      );
      test?.(e);
      return e;
    },
    async expectNoEvent(ms) {
      const before = events.length;
      await new Promise((r) => setTimeout(r, ms));
      if (events.length !== before)
        throw new Error(`expected no event, got ${JSON.stringify(events.slice(before))}`);
    },
    waitForEnd(expireMs = 5000) {
      return until(() => ended, expireMs, 'the end of the subscription');
    },
    unsubscribe,
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (taken >= events.length && ended) return;
        try {
          yield await sub.waitForEvent(undefined, 30_000);
        } catch (e) {
          if (ended && taken >= events.length) return;
          throw e;
        }
      }
    },
  };
  return sub;
}

export interface TestEnv extends AsyncDisposable {
  alpha: Alpha;
  beta: Beta;
  gateway: Gateway;
  supergraphSdl: string;
  /** an access token of the default test user (alice) */
  token: string;
  /** a graphql-ws client to the gateway, closed with the env (with the default token unless one is given) */
  client(token?: string): Client;
  /** subscribes through a shared graphql-ws client (a new client when `client` is given) */
  subscribe(
    query: string,
    variables?: Record<string, unknown>,
    options?: { client?: Client; operationName?: string },
  ): Subscription;
  /** POST a GraphQL operation to the gateway */
  query(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{
    status: number;
    body: ExecutionResult & { errors?: { extensions?: Record<string, unknown> }[] };
  }>;
  /** the gateway's upstream subscriptions gauge */
  upstreamGauge(): Promise<number>;
  /** the gateway's client subscriptions gauge */
  downstreamGauge(): Promise<number>;
  /** GET a gateway path (/readyz, /metrics, ...) */
  get(path: string): Promise<{ status: number; text: string }>;
}

export const INITIAL_THINGS: Thing[] = [
  { id: 't1', name: 'one', status: 'Ready' },
  { id: 't2', name: 'two', status: 'Ready' },
];

/**
 * alpha and beta subgraphs, their supergraph, and the gateway on port 0. `supergraph` replaces the inline SDL
 * source (it receives the composed SDL, e.g. to write it to a file).
 */
export async function startEnv(
  options: {
    supergraph?: (sdl: string) => SupergraphSource | Promise<SupergraphSource>;
    log?: Logger;
    /** @default TEST_AUTH */
    auth?: AuthConfig;
  } = {},
): Promise<TestEnv> {
  const cleanup: (() => Promise<void>)[] = [];
  try {
    const alpha = await startAlpha(INITIAL_THINGS);
    cleanup.push(async () => {
      await alpha.server.close();
      await alpha.crash();
    });
    const beta = await startBeta();
    cleanup.push(() => beta.server.close());
    const supergraphSdl = compose([
      { name: 'alpha', url: alpha.url, typeDefs: ALPHA_SDL },
      { name: 'beta', url: beta.url, typeDefs: BETA_SDL },
    ]);
    const source: SupergraphSource = options.supergraph
      ? await options.supergraph(supergraphSdl)
      : { kind: 'sdl', sdl: supergraphSdl };
    const gateway = createGateway({
      supergraph: source,
      auth: options.auth ?? TEST_AUTH,
      port: 0,
      explorer: false,
      ...(options.log ? { log: options.log } : {}),
    });
    await gateway.start();
    cleanup.push(() => gateway.close());
    const clients: Client[] = [];
    cleanup.push(async () => {
      await Promise.allSettled(clients.map((c) => c.dispose()));
    });
    const token = await tokenFor();
    const client = (t: string = token): Client => {
      const c = wsClient(gateway.wsUrl, t);
      clients.push(c);
      return c;
    };
    let shared: Client | undefined;
    const gauge = async (g: Gateway['metrics']['subscriptionsActive']): Promise<number> =>
      (await g.get()).values[0]?.value ?? 0;
    const env: TestEnv = {
      alpha,
      beta,
      gateway,
      supergraphSdl,
      token,
      client,
      subscribe(query, variables, opts = {}) {
        const c = opts.client ?? (shared ??= client());
        return subscribe(c, query, variables, opts.operationName);
      },
      async query(query, variables) {
        const res = await fetch(gateway.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query, ...(variables ? { variables } : {}) }),
        });
        return { status: res.status, body: (await res.json()) as never };
      },
      upstreamGauge: () => gauge(gateway.metrics.upstreamSubscriptions),
      downstreamGauge: () => gauge(gateway.metrics.subscriptionsActive),
      async get(path) {
        const res = await fetch(new URL(path, gateway.url));
        return { status: res.status, text: await res.text() };
      },
      async [Symbol.asyncDispose]() {
        leftovers.delete(env);
        for (const c of cleanup.reverse()) await c().catch(() => undefined);
        cleanup.length = 0;
      },
    };
    leftovers.add(env);
    return env;
  } catch (e) {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    throw e;
  }
}
