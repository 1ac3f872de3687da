import { NOT_FOUND } from '@fleetgraph/lib/errors';
import { EventQueue } from '@fleetgraph/lib/kube';
import {
  createSubgraphServer,
  type Readiness,
  type SubgraphServer,
  type SubgraphServerOptions,
  type SubgraphContext,
} from '@fleetgraph/lib/subgraph';
import { parse } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { waitFor } from '../../kube-sim/tests/support.ts';

/** The subgraph runtime with a tiny schema: HTTP, graphql-ws, probes, metrics, shutdown, limits and masking. */

const typeDefs = parse(/* GraphQL */ `
  type Query {
    hello(name: String): String!
    boom: String
    missing: String
  }
  type Subscription {
    ticks: Int!
    gated: Int!
    relayed: Int!
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
  const server = createSubgraphServer<SubgraphContext>({ name: 'tiny', typeDefs, resolvers, ...options });
  leftovers.push(() => server.close());
  await server.listen();
  return server;
}

function wsClient(server: SubgraphServer): Client {
  const client = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
  leftovers.push(() => client.dispose());
  return client;
}

interface Sink<T> {
  events: T[];
  /** resolves 'complete', or 'error: ...' */
  ended: Promise<string>;
  unsubscribe: () => void;
}

function subscribe<T = unknown>(client: Client, query: string): Sink<T> {
  const events: T[] = [];
  let end: (how: string) => void = () => undefined;
  const ended = new Promise<string>((r) => (end = r));
  const unsubscribe = client.subscribe<T>(
    { query },
    {
      next: (v) => events.push(v.data as T),
      error: (e) => end(`error: ${e instanceof Error ? e.message : JSON.stringify(e)}`),
      complete: () => end('complete'),
    },
  );
  return { events, ended, unsubscribe };
}

async function post(server: SubgraphServer, body: unknown, headers: Record<string, string> = {}) {
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
    const refused = await get(server, `/graphql?query=${encodeURIComponent('{ hello }')}`);
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/CSRF/);

    const allowed = await get(server, `/graphql?query=${encodeURIComponent('{ hello }')}`, {
      'apollo-require-preflight': 'true',
    });
    expect(allowed.status).toBe(200);
    expect(allowed.json).toEqual({ data: { hello: 'hello world' } });
  });
});
