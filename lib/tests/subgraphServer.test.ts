import { randomUUID } from 'node:crypto';

import { EventQueue } from '@fleetgraph/lib/async';
import { IDENTITY_HEADERS, signIdentity, type UserInfo } from '@fleetgraph/lib/auth';
import { NOT_FOUND } from '@fleetgraph/lib/errors';
import {
  createSubgraphServer,
  type Readiness,
  type SubgraphServer,
  type SubgraphServerOptions,
  type SubgraphContext,
} from '@fleetgraph/lib/subgraph';
import {
  ADMIN,
  asUser,
  signedHeaders,
  subgraphWsClient,
  TEST_IDENTITY_SECRET,
  waitFor,
} from '@fleetgraph/lib/testing';
import { parse } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

/**
 * The subgraph runtime with a tiny schema: HTTP, graphql-ws, probes, metrics, shutdown, limits and masking, and the
 * gateway's signed identity on every operation.
 */

const ALICE: UserInfo = { name: 'alice', groups: ['retail-team', 'system:authenticated'] };

const typeDefs = parse(/* GraphQL */ `
  type Query {
    hello(name: String): String!
    boom: String
    missing: String
    me: String!
  }
  type Subscription {
    ticks: Int!
    gated: Int!
    relayed: Int!
    me: String!
  }
`);

/** the open `ticks` subscriptions: tests push into them */
const tickQueues = new Set<EventQueue<number>>();

/** a subscription whose return() waits until `release()` (to observe the server while it is closing) */
function gatedIterator(gate: Promise<void>): AsyncIterableIterator<number> {
  let waiter: ((r: IteratorResult<number>) => void) | undefined;
  let ended = false;
  const it: AsyncIterableIterator<number> = {
    next: () =>
      ended
        ? Promise.resolve({ value: undefined, done: true })
        : new Promise((resolve) => (waiter = resolve)),
    async return() {
      await gate;
      ended = true;
      waiter?.({ value: undefined, done: true });
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]: () => it,
  };
  return it;
}

let releaseGate: () => void = () => undefined;
let gate = Promise.resolve();

const resolvers: SubgraphServerOptions<SubgraphContext>['resolvers'] = {
  Query: {
    hello: (_root: unknown, args: { name?: string | null }) => `hello ${args.name ?? 'world'}`,
    boom: () => {
      throw new Error('secret database password in this message');
    },
    missing: () => {
      throw NOT_FOUND.err('there is no such thing');
    },
    me: (_root: unknown, _args: unknown, ctx: SubgraphContext) =>
      `${ctx.user.name} [${ctx.user.groups.join(',')}]`,
  },
  Subscription: {
    ticks: {
      subscribe: () => {
        const q: EventQueue<number> = new EventQueue<number>(100, () => tickQueues.delete(q));
        tickQueues.add(q);
        return q;
      },
      resolve: (n: number) => n,
    },
    relayed: {
      // an async generator relaying a queue: suspended in an await, its return() waits for the next item
      subscribe: async function* relayed() {
        const q: EventQueue<number> = new EventQueue<number>(100, () => tickQueues.delete(q));
        tickQueues.add(q);
        for await (const n of q) yield n;
      },
      resolve: (n: number) => n,
    },
    gated: {
      subscribe: () => gatedIterator(gate),
      resolve: (n: number) => n,
    },
    me: {
      // one event naming the user the context carries, then complete
      subscribe: async function* me(_root: unknown, _args: unknown, ctx: SubgraphContext) {
        yield `${ctx.user.name} [${ctx.user.groups.join(',')}]`;
      },
      resolve: (me: string) => me,
    },
  },
};

const leftovers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const dispose of leftovers.splice(0).reverse()) await dispose();
  tickQueues.clear();
});
afterAll(async () => {
  for (const dispose of leftovers.splice(0).reverse()) await dispose();
});

async function start(options: Partial<SubgraphServerOptions<SubgraphContext>> = {}): Promise<SubgraphServer> {
  const server = createSubgraphServer<SubgraphContext>({
    name: 'tiny',
    typeDefs,
    resolvers,
    identitySecret: TEST_IDENTITY_SECRET,
    ...options,
  });
  leftovers.push(() => server.close());
  await server.listen();
  return server;
}

/** a graphql-ws client whose handshake the gateway signed */
function wsClient(server: SubgraphServer): Client {
  const client = subgraphWsClient(server.url);
  leftovers.push(() => client.dispose());
  return client;
}

interface Sink<T> {
  events: T[];
  /** resolves 'complete', or 'error: ...' */
  ended: Promise<string>;
  unsubscribe: () => void;
}

/** subscribes as `user` (signed identity in the payload's extensions), or with no identity when user is null */
function subscribe<T = unknown>(client: Client, query: string, user: UserInfo | null = ADMIN): Sink<T> {
  const events: T[] = [];
  let end: (how: string) => void = () => undefined;
  const ended = new Promise<string>((r) => (end = r));
  const unsubscribe = client.subscribe<T>(user ? asUser({ query }, user) : { query }, {
    next: (v) => events.push(v.data as T),
    error: (e) => end(`error: ${e instanceof Error ? e.message : JSON.stringify(e)}`),
    complete: () => end('complete'),
  });
  return { events, ended, unsubscribe };
}

/** POSTs as the gateway would, signed for ADMIN, unless `headers` is given (then exactly those headers) */
async function post(
  server: SubgraphServer,
  body: unknown,
  headers: Record<string, string> = signedHeaders(),
) {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function get(server: SubgraphServer, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(new URL(path, server.url), { headers });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json: json as Record<string, unknown> };
}

/** the value of one sample of /metrics whose labels include `labels`, or undefined */
function metric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('createSubgraphServer', () => {
  it('answers a query over HTTP and streams a subscription over graphql-ws on the same port and path', async () => {
    const server = await start();
    expect(new URL(server.wsUrl).port).toBe(new URL(server.url).port);
    expect(new URL(server.wsUrl).pathname).toBe(new URL(server.url).pathname);

    const res = await post(server, {
      query: 'query Hi($n: String) { hello(name: $n) }',
      variables: { n: 'fleet' },
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ data: { hello: 'hello fleet' } });

    const sink = subscribe<{ ticks: number }>(wsClient(server), 'subscription { ticks }');
    await waitFor(() => tickQueues.size === 1, 'the subscription to start');
    for (const q of tickQueues) [1, 2, 3].forEach((n) => q.push(n));
    await waitFor(() => sink.events.length === 3, 'three ticks');
    expect(sink.events).toEqual([{ ticks: 1 }, { ticks: 2 }, { ticks: 3 }]);
    sink.unsubscribe();
    expect(await sink.ended).toBe('complete');
  });

  it('serves /healthz, and /readyz follows the readiness function with its checks', async () => {
    let readiness: Readiness = { ready: false, checks: { cacheSynced: false } };
    const server = await start({ readiness: () => readiness });

    expect(await get(server, '/healthz')).toMatchObject({ status: 200, json: { status: 'ok' } });
    expect(await get(server, '/readyz')).toMatchObject({
      status: 503,
      json: { status: 'not ready', checks: { cacheSynced: false } },
    });

    readiness = { ready: true, checks: { cacheSynced: true } };
    expect(await get(server, '/readyz')).toMatchObject({
      status: 200,
      json: { status: 'ready', checks: { cacheSynced: true } },
    });

    readiness = { ready: false };
    expect((await get(server, '/readyz')).status).toBe(503);
    expect((await get(server, '/nowhere')).status).toBe(404);
  });

  it('counts operations in /metrics, and the active-subscriptions gauge goes 1 → 0 on unsubscribe', async () => {
    const server = await start();
    await post(server, { query: '{ hello }' });
    await post(server, { query: '{ missing }' });

    const client = wsClient(server);
    const sink = subscribe(client, 'subscription { ticks }');
    await waitFor(() => tickQueues.size === 1, 'the subscription to start');

    let text = (await get(server, '/metrics')).text;
    expect(
      metric(text, 'fleetgraph_subgraph_operations_total', { operation: 'query', transport: 'http' }),
    ).toBe(2);
    expect(
      metric(text, 'fleetgraph_subgraph_operations_total', { operation: 'subscription', transport: 'ws' }),
    ).toBe(1);
    expect(metric(text, 'fleetgraph_subgraph_errors_total', { operation: 'query', code: 'NOT_FOUND' })).toBe(
      1,
    );
    expect(metric(text, 'fleetgraph_subgraph_subscriptions_active', { subgraph: 'tiny' })).toBe(1);

    sink.unsubscribe();
    expect(await sink.ended).toBe('complete');
    text = await waitFor(async () => {
      const t = (await get(server, '/metrics')).text;
      return metric(t, 'fleetgraph_subgraph_subscriptions_active') === 0 ? t : undefined;
    }, 'the gauge to drop to 0');
    expect(metric(text, 'fleetgraph_subgraph_subscriptions_active', { subgraph: 'tiny' })).toBe(0);
    expect(tickQueues.size).toBe(0);
  });

  it('close() completes open subscriptions (complete, not error) and /readyz reports stopping meanwhile', async () => {
    gate = new Promise<void>((r) => (releaseGate = r));
    const server = await start();
    const client = wsClient(server);
    const ticks = subscribe(client, 'subscription { ticks }');
    const gated = subscribe(client, 'subscription { gated }');
    await waitFor(() => tickQueues.size === 1, 'the ticks subscription to start');
    await waitFor(async () => {
      const t = (await get(server, '/metrics')).text;
      return metric(t, 'fleetgraph_subgraph_subscriptions_active') === 2;
    }, 'both subscriptions to be active');

    const closing = server.close();
    // the gated subscription holds close() open: the server is stopping, and says so
    expect(await get(server, '/readyz')).toMatchObject({ status: 503, json: { status: 'stopping' } });
    expect(await ticks.ended).toBe('complete');

    releaseGate();
    expect(await gated.ended).toBe('complete');
    await closing;
    await expect(fetch(new URL('/healthz', server.url))).rejects.toThrow();
  });

  it('close() also completes a subscription served by an async generator waiting for its next item', async () => {
    // the generator's return() never settles (it is queued behind an await): close() waits only the grace period
    const server = await start({ shutdownGraceMs: 200 });
    const sink = subscribe<{ relayed: number }>(wsClient(server), 'subscription { relayed }');
    await waitFor(() => tickQueues.size === 1, 'the subscription to start');
    for (const q of tickQueues) q.push(7);
    await waitFor(() => sink.events.length === 1, 'one event');
    await server.close();
    expect(await sink.ended).toBe('complete');
    expect(sink.events).toEqual([{ relayed: 7 }]);
  });

  it('refuses an oversized body with 413 PAYLOAD_TOO_LARGE and invalid JSON with 400 BAD_REQUEST', async () => {
    const server = await start();
    const big = JSON.stringify({ query: `{ hello(name: "${'x'.repeat(1024 * 1024 + 10)}") }` });
    const tooLarge = await post(server, big);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json).toMatchObject({ errors: [{ extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });

    const bad = await post(server, '{"query": "{ hello }"');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });

    // the server still answers after both
    expect((await post(server, { query: '{ hello }' })).json).toEqual({ data: { hello: 'hello world' } });
  });

  it('masks uncoded errors with maskErrors and lets coded errors through', async () => {
    const server = await start({ maskErrors: true });
    const boom = await post(server, { query: '{ boom }' });
    expect(boom.json).toEqual({
      data: { boom: null },
      errors: [
        {
          message: 'Internal server error',
          path: ['boom'],
          locations: [{ line: 1, column: 3 }],
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        },
      ],
    });
    expect(JSON.stringify(boom.json)).not.toContain('secret');

    const missing = await post(server, { query: '{ missing }' });
    expect(missing.json).toMatchObject({
      data: { missing: null },
      errors: [{ message: 'there is no such thing', extensions: { code: 'NOT_FOUND' } }],
    });
    expect(JSON.stringify(missing.json)).not.toContain('stacktrace');
  });

  it('shows uncoded error messages when maskErrors is off', async () => {
    const server = await start({ maskErrors: false });
    const boom = await post(server, { query: '{ boom }' });
    expect(boom.json).toMatchObject({
      errors: [
        {
          message: 'secret database password in this message',
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        },
      ],
    });
  });

  it("refuses a GET without a preflight header (Apollo's CSRF prevention) and accepts one with it", async () => {
    const server = await start();
    const refused = await get(server, `/graphql?query=${encodeURIComponent('{ hello }')}`, signedHeaders());
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/CSRF/);

    const allowed = await get(server, `/graphql?query=${encodeURIComponent('{ hello }')}`, {
      ...signedHeaders(),
      'apollo-require-preflight': 'true',
    });
    expect(allowed.status).toBe(200);
    expect(allowed.json).toEqual({ data: { hello: 'hello world' } });
  });
});

/** the response to a WebSocket upgrade: the HTTP status it was refused with, or 101 when it was accepted */
function upgradeStatus(server: SubgraphServer, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(server.wsUrl, 'graphql-transport-ws', { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      resolve(101);
      ws.close();
    });
    ws.on('error', (e) => reject(e));
  });
}

describe('createSubgraphServer: the gateway-signed identity', () => {
  const query = { query: '{ me }' };

  /** identity headers for `user`, signed with `secret`, at `timestamp` */
  function signedAt(
    user: UserInfo,
    timestamp: number,
    secret = TEST_IDENTITY_SECRET,
  ): Record<string, string> {
    return signIdentity(secret, { ...user, timestamp, requestId: randomUUID() });
  }

  function expectUnauthenticated(res: { status: number; json: Record<string, unknown> }): void {
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(res.json['data']).toBeUndefined();
  }

  it('gives the resolver the signed user (name and groups) over HTTP', async () => {
    const server = await start();
    const res = await post(server, query, signedHeaders(ALICE));
    expect(res).toEqual({
      status: 200,
      json: { data: { me: 'alice [retail-team,system:authenticated]' } },
    });
  });

  it('refuses an HTTP request without a signature with 401 UNAUTHENTICATED', async () => {
    const server = await start();
    expectUnauthenticated(await post(server, query, {}));
    // the identity headers without the signature are no better
    const { [IDENTITY_HEADERS.signature]: _signature, ...unsigned } = signedHeaders(ADMIN);
    expectUnauthenticated(await post(server, query, unsigned));
  });

  it('refuses a signature made with another secret (401)', async () => {
    const server = await start();
    const forged = signedHeaders(ADMIN, 'not-the-gateway-secret-but-long-enough-0123');
    expectUnauthenticated(await post(server, query, forged));
  });

  it('refuses a stale signature, and one from too far ahead (401), and accepts one within the skew', async () => {
    const server = await start();
    expectUnauthenticated(await post(server, query, signedAt(ADMIN, Date.now() - 120_000)));
    expectUnauthenticated(await post(server, query, signedAt(ADMIN, Date.now() + 120_000)));
    const recent = await post(server, query, signedAt(ADMIN, Date.now() - 30_000));
    expect(recent).toEqual({ status: 200, json: { data: { me: 'admin [system:authenticated]' } } });
  });

  it('refuses a signed request whose user, groups or timestamp header was changed afterwards (401)', async () => {
    const server = await start();
    const signed = signedHeaders(ALICE);
    expectUnauthenticated(await post(server, query, { ...signed, [IDENTITY_HEADERS.user]: 'admin' }));
    expectUnauthenticated(
      await post(server, query, {
        ...signed,
        [IDENTITY_HEADERS.groups]: 'retail-team,system:authenticated,system:masters',
      }),
    );
    expectUnauthenticated(
      await post(server, query, {
        ...signed,
        [IDENTITY_HEADERS.timestamp]: String(Number(signed[IDENTITY_HEADERS.timestamp]) + 1),
      }),
    );
    // the untouched headers still work
    expect((await post(server, query, signed)).status).toBe(200);
  });

  it('refuses a WebSocket upgrade without a valid signature with HTTP 401', async () => {
    const server = await start();
    expect(await upgradeStatus(server)).toBe(401);
    expect(
      await upgradeStatus(server, signedHeaders(ADMIN, 'not-the-gateway-secret-but-long-enough-0123')),
    ).toBe(401);
    expect(await upgradeStatus(server, signedAt(ADMIN, Date.now() - 120_000))).toBe(401);
    expect(await upgradeStatus(server, signedHeaders(ADMIN))).toBe(101);

    // a graphql-ws client that does not sign its handshake never gets to subscribe
    const client = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    leftovers.push(() => client.dispose());
    const sink = subscribe(client, 'subscription { me }');
    expect(await sink.ended).toMatch(/^error: /);
    expect(sink.events).toEqual([]);
  });

  it('refuses a WebSocket operation without a signed identity in its extensions with UNAUTHENTICATED', async () => {
    const server = await start();
    const client = wsClient(server);
    const none = subscribe(client, 'subscription { me }', null);
    const ended = await none.ended;
    expect(ended).toMatch(/^error: /);
    expect(JSON.parse(ended.slice('error: '.length))).toMatchObject([
      { extensions: { code: 'UNAUTHENTICATED' } },
    ]);
    expect(none.events).toEqual([]);

    // a forged identity is refused the same way, and the connection stays usable for a signed operation
    let forgedEnd: (how: string) => void = () => undefined;
    const forgedEnded = new Promise<string>((r) => (forgedEnd = r));
    client.subscribe(
      asUser({ query: 'subscription { me }' }, ADMIN, 'not-the-gateway-secret-but-long-enough-0123'),
      {
        next: () => forgedEnd('next'),
        error: (e) => forgedEnd(`error: ${JSON.stringify(e)}`),
        complete: () => forgedEnd('complete'),
      },
    );
    const forged = await forgedEnded;
    expect(forged).toMatch(/^error: /);
    expect(forged).toContain('UNAUTHENTICATED');

    const signed = subscribe<{ me: string }>(client, 'subscription { me }', ALICE);
    expect(await signed.ended).toBe('complete');
    expect(signed.events).toEqual([{ me: 'alice [retail-team,system:authenticated]' }]);
  });

  it('gives each WebSocket operation its own user, whatever the connection was signed as', async () => {
    const server = await start();
    const client = wsClient(server);
    const admin = subscribe<{ me: string }>(client, 'subscription { me }', ADMIN);
    const alice = subscribe<{ me: string }>(client, 'subscription { me }', ALICE);
    expect([await admin.ended, await alice.ended]).toEqual(['complete', 'complete']);
    expect(admin.events).toEqual([{ me: 'admin [system:authenticated]' }]);
    expect(alice.events).toEqual([{ me: 'alice [retail-team,system:authenticated]' }]);
  });

  it('serves /healthz, /readyz and /metrics without a signature', async () => {
    const server = await start();
    expect(await get(server, '/healthz')).toMatchObject({ status: 200, json: { status: 'ok' } });
    expect(await get(server, '/readyz')).toMatchObject({ status: 200, json: { status: 'ready' } });
    const metrics = await get(server, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('fleetgraph_subgraph_operations_total');
  });
});
