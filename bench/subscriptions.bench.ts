import { composeServices } from '@apollo/composition';
import { type Client, createClient } from 'graphql-ws';
import { type FormattedExecutionResult, parse } from 'graphql';
import WebSocket from 'ws';

import { EventQueue } from '@fleetgraph/lib/async';
import { createSubgraphServer, type SubgraphServer } from '@fleetgraph/lib/subgraph';

import { mintDevToken } from '../gateway/src/auth/devIssuer.ts';
import { createGateway, type Gateway } from '../gateway/src/createGateway.ts';
import { type BenchResult, type BenchSuite, median, nowMs, settledHeap, sleep } from './harness.ts';

/** the bench gateway's token secret and the identity secret it shares with the bench subgraphs */
const JWT_SECRET = 'bench-jwt-secret-0123456789abcdef01234567';
const IDENTITY_SECRET = 'bench-identity-secret-0123456789abcdef0123';

/**
 * The gateway's federated subscription fan-out, in-process: a `things` subgraph owns Thing and
 * Subscription.thingChanged (driven by a pubsub the bench pushes into), a `scores` subgraph adds Thing.score
 * through `_entities`, and the gateway on port 0. N identical graphql-ws subscribers (spread over up to
 * CONNECTIONS connections) get K published events each; measured: delivered events per second until every
 * subscriber has every event, the gateway's upstream subscriptions (expected 1 for any N), the scores
 * subgraph's `_entities` requests per event (expected 1 for any N) and heap per open subscription.
 */

const SUBSCRIBERS = [1, 10, 100, 1000] as const;
const CONNECTIONS = 10;
/** events published per run */
const EVENTS = 200;
/** timed runs per (selection, N), more for the short small-N runs; the median is reported */
const runsFor = (n: number): number => (n <= 10 ? 5 : 3);
/** a run with no progress for this long fails */
const STALL_MS = 30_000;

const THINGS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Thing @key(fields: "id") { id: ID! status: String }
  type Query { thing(id: ID!): Thing }
  type Subscription { thingChanged: Thing! }
`;
const SCORES_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Thing @key(fields: "id") { id: ID! score: Int }
`;

const SELECTIONS = {
  both: { label: 'both subgraphs', query: 'subscription { thingChanged { id status score } }' },
  owning: { label: 'owning subgraph only', query: 'subscription { thingChanged { id status } }' },
} as const;
type SelectionKey = keyof typeof SELECTIONS;

interface Thing {
  id: string;
  status: string;
}

interface Env {
  things: SubgraphServer;
  scores: SubgraphServer;
  gateway: Gateway;
  /** thingChanged sources open on the things subgraph now */
  sources: Set<EventQueue<{ thingChanged: Thing }>>;
  publish(thing: Thing): void;
  /** `_entities` requests the scores subgraph has served */
  entityRequests: number;
}

async function startEnv(): Promise<Env> {
  const sources = new Set<EventQueue<{ thingChanged: Thing }>>();
  const seenContexts = new WeakSet<object>();
  const env = {
    sources,
    entityRequests: 0,
    publish(thing: Thing) {
      for (const q of sources) q.push({ thingChanged: thing });
    },
  } as Env;
  env.things = createSubgraphServer({
    identitySecret: IDENTITY_SECRET,
    name: 'things',
    typeDefs: parse(THINGS_SDL),
    resolvers: {
      Query: { thing: (_: unknown, { id }: { id: string }) => ({ id, status: 'Ready' }) },
      Thing: { __resolveReference: (ref: { id: string }) => ({ id: ref.id, status: 'Ready' }) },
      Subscription: {
        thingChanged: {
          subscribe: () => {
            const q: EventQueue<{ thingChanged: Thing }> = new EventQueue(1_000_000, () => sources.delete(q));
            sources.add(q);
            return q;
          },
        },
      },
    },
  });
  env.scores = createSubgraphServer({
    identitySecret: IDENTITY_SECRET,
    name: 'scores',
    typeDefs: parse(SCORES_SDL),
    resolvers: {
      Thing: {
        // one context per HTTP request: the first reference of a context is one `_entities` request
        __resolveReference: (ref: { id: string }, context: object) => {
          if (!seenContexts.has(context)) {
            seenContexts.add(context);
            env.entityRequests++;
          }
          return { id: ref.id, score: ref.id.length };
        },
      },
    },
  });
  await env.things.listen();
  await env.scores.listen();
  const composed = composeServices([
    { name: 'things', url: env.things.url, typeDefs: parse(THINGS_SDL) },
    { name: 'scores', url: env.scores.url, typeDefs: parse(SCORES_SDL) },
  ]);
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
  env.gateway = createGateway({
    supergraph: { kind: 'sdl', sdl: composed.supergraphSdl },
    subgraphUrls: { things: env.things.url, scores: env.scores.url },
    port: 0,
    explorer: false,
    auth: {
      jwtSecret: JWT_SECRET,
      clockToleranceS: 30,
      identitySecret: IDENTITY_SECRET,
      publicMetrics: true,
    },
  });
  await env.gateway.start();
  return env;
}

async function gaugeOf(
  gateway: Gateway,
  metric: 'subscriptionsActive' | 'upstreamSubscriptions',
): Promise<number> {
  return (await gateway.metrics[metric].get()).values[0]?.value ?? 0;
}

/** polls `check` every 5 ms until it is true */
async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = STALL_MS,
): Promise<void> {
  const deadline = nowMs() + timeoutMs;
  while (!(await check())) {
    if (nowMs() > deadline) throw new Error(`subscriptions bench: timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** `count` graphql-ws clients, each connected (not lazy) */
async function connect(url: string, count: number): Promise<Client[]> {
  // every bench client is the same user, so identical subscriptions share one upstream
  const token = await mintDevToken({ secret: JWT_SECRET, user: 'bench', ttlSeconds: 3600 });
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Client>((resolve, reject) => {
          const client = createClient({
            url,
            webSocketImpl: WebSocket,
            lazy: false,
            retryAttempts: 0,
            connectionParams: { authorization: `Bearer ${token}` },
          });
          const off = client.on('connected', () => {
            off();
            resolve(client);
          });
          client.on('error', reject);
        }),
    ),
  );
}

interface RunResult {
  ms: number;
  /** most upstream subscriptions the gateway reported during the run */
  upstream: number;
  /** thingChanged sources open on the owning subgraph while subscribed */
  sources: number;
  entityRequests: number;
  /** heapUsed growth per subscription while they are open, when asked for */
  heapPerSubscription?: number;
}

let published = 0;

/**
 * Open `n` identical subscriptions over min(n, CONNECTIONS) connections, wait until the gateway counts them all
 * and the owning subgraph has its source open, publish EVENTS events and time until every subscriber has all
 * of them. Throws when an event is missing, wrong or carries errors.
 */
async function fanOutRun(env: Env, key: SelectionKey, n: number, measureHeap: boolean): Promise<RunResult> {
  const { query } = SELECTIONS[key];
  const clients = await connect(env.gateway.wsUrl, Math.min(n, CONNECTIONS));
  const heapBefore = measureHeap ? await settledHeap() : 0;
  const counts = new Array<number>(n).fill(0);
  let finished = 0;
  let failure: Error | undefined;
  const first = published;
  const lastStatus = `s${first + EVENTS - 1}`;
  const unsubscribes: (() => void)[] = [];
  for (let i = 0; i < n; i++) {
    const client = clients[i % clients.length] as Client;
    unsubscribes.push(
      client.subscribe(
        { query },
        {
          next: (e: FormattedExecutionResult) => {
            const thing = (e.data as { thingChanged?: Thing & { score?: number } } | null)?.thingChanged;
            if (e.errors?.length || !thing || (key === 'both' && typeof thing.score !== 'number')) {
              failure ??= new Error(`subscriber ${i} got ${JSON.stringify(e)}`);
              return;
            }
            const c = (counts[i] = (counts[i] ?? 0) + 1);
            if (c === EVENTS) {
              if (thing.status !== lastStatus)
                failure ??= new Error(
                  `subscriber ${i}: event ${c} is ${thing.status}, expected ${lastStatus}`,
                );
              finished++;
            }
          },
          error: (e: unknown) => {
            failure ??= new Error(`subscriber ${i} failed: ${JSON.stringify(e)}`);
          },
          complete: () => undefined,
        },
      ),
    );
  }
  await until(
    `${n} subscriptions at the gateway`,
    async () => (await gaugeOf(env.gateway, 'subscriptionsActive')) === n,
  );
  await until('the upstream subscription', () => env.sources.size > 0);
  const heapAfter = measureHeap ? await settledHeap() : 0;
  let upstream = await gaugeOf(env.gateway, 'upstreamSubscriptions');
  const sources = env.sources.size;
  const entitiesBefore = env.entityRequests;

  const t0 = nowMs();
  for (let i = 0; i < EVENTS; i++) env.publish({ id: `t${i % 10}`, status: `s${published++}` });
  let seen = -1;
  let lastProgress = nowMs();
  while (finished < n && !failure) {
    const total = counts.reduce((a, b) => a + b, 0);
    if (total !== seen) {
      seen = total;
      lastProgress = nowMs();
    } else if (nowMs() - lastProgress > STALL_MS) {
      failure = new Error(`no progress for ${STALL_MS} ms: ${total} of ${n * EVENTS} events delivered`);
    }
    await new Promise((r) => setImmediate(r));
  }
  const ms = nowMs() - t0;
  upstream = Math.max(upstream, await gaugeOf(env.gateway, 'upstreamSubscriptions'));
  const entityRequests = env.entityRequests - entitiesBefore;

  for (const u of unsubscribes) u();
  await Promise.all(clients.map((c) => c.dispose()));
  await until('the gateway to close every subscription', async () => {
    const down = await gaugeOf(env.gateway, 'subscriptionsActive');
    const up = await gaugeOf(env.gateway, 'upstreamSubscriptions');
    return down === 0 && up === 0 && env.sources.size === 0;
  });
  if (failure) throw failure;
  const extra = counts.findIndex((c) => c !== EVENTS);
  if (extra >= 0) throw new Error(`subscriber ${extra} got ${counts[extra]} events, expected ${EVENTS}`);
  return {
    ms,
    upstream,
    sources,
    entityRequests,
    ...(measureHeap ? { heapPerSubscription: (heapAfter - heapBefore) / n } : {}),
  };
}

async function run(log: (line: string) => void): Promise<BenchResult[]> {
  const suite = 'subscriptions';
  const rows: BenchResult[] = [];
  const env = await startEnv();
  try {
    log('warm-up: 100 subscribers, both selections');
    await fanOutRun(env, 'both', 100, false);
    await fanOutRun(env, 'owning', 100, false);

    const perSelection: Record<SelectionKey, Map<number, RunResult[]>> = {
      both: new Map(),
      owning: new Map(),
    };
    for (const key of ['both', 'owning'] as const) {
      for (const n of SUBSCRIBERS) {
        const runs: RunResult[] = [];
        for (let r = 0; r < runsFor(n); r++) runs.push(await fanOutRun(env, key, n, false));
        perSelection[key].set(n, runs);
        const ms = median(runs.map((x) => x.ms));
        log(
          `${SELECTIONS[key].label}, ${n} subscriber(s): ${EVENTS} events each, median ${ms.toFixed(0)} ms`,
        );
      }
    }
    log('heap: 1000 subscribers opened and held');
    const heapRun = await fanOutRun(env, 'both', 1000, true);

    const name = (key: SelectionKey, n: number, what: string): string =>
      `${SELECTIONS[key].label}, ${n} subscriber${n === 1 ? '' : 's'}: ${what}`;
    for (const key of ['both', 'owning'] as const) {
      const results = perSelection[key];
      const base = name(key, 1, 'events delivered');
      for (const n of SUBSCRIBERS) {
        const rs = results.get(n) ?? [];
        const rates = rs.map((x) => (n * EVENTS) / (x.ms / 1000));
        rows.push({
          suite,
          name: name(key, n, 'events delivered'),
          value: median(rates),
          unit: 'events/s',
          ...(n === 1
            ? key === 'owning'
              ? { baseline: name('both', 1, 'events delivered') }
              : {}
            : { baseline: base }),
          note:
            n === 1
              ? key === 'both'
                ? `baseline: ${EVENTS} events, each with one _entities fetch to scores`
                : 'no _entities fetch: against the both-subgraphs baseline'
              : `${n} x ${EVENTS} events / time until every subscriber has all (${Math.min(n, CONNECTIONS)} connections); ${n}x = subscribers are free`,
          samples: rates,
        });
      }
    }
    for (const key of ['both', 'owning'] as const) {
      const results = perSelection[key];
      for (const n of SUBSCRIBERS) {
        const rs = results.get(n) ?? [];
        const upstream = Math.max(...rs.map((x) => x.upstream));
        const sources = Math.max(...rs.map((x) => x.sources));
        rows.push({
          suite,
          name: name(key, n, 'upstream subscriptions'),
          value: upstream,
          unit: 'subscriptions',
          ...(n === 1 ? {} : { baseline: name(key, 1, 'upstream subscriptions') }),
          note: `fleetgraph_gateway_upstream_subscriptions_active, most seen; the owning subgraph had ${sources} open (expected 1)`,
          samples: rs.map((x) => x.upstream),
        });
        if (upstream !== 1 || sources !== 1)
          log(`UNEXPECTED: ${name(key, n, '')} ${upstream} upstream subscriptions, ${sources} sources`);
      }
    }
    for (const key of ['both', 'owning'] as const) {
      const results = perSelection[key];
      for (const n of SUBSCRIBERS) {
        const rs = results.get(n) ?? [];
        const perEvent = rs.map((x) => x.entityRequests / EVENTS);
        const value = median(perEvent);
        rows.push({
          suite,
          name: name(key, n, '_entities requests per event'),
          value,
          unit: 'requests',
          ...(n === 1 || key === 'owning' ? {} : { baseline: name(key, 1, '_entities requests per event') }),
          note:
            key === 'both'
              ? 'counted in the scores subgraph (one per HTTP request); expected 1 for any N'
              : 'expected 0: the selection needs no other subgraph',
          samples: perEvent,
        });
        const expected = key === 'both' ? 1 : 0;
        if (perEvent.some((x) => x !== expected))
          log(`UNEXPECTED: ${name(key, n, '')} _entities requests per event ${perEvent.join(', ')}`);
      }
    }
    rows.push({
      suite,
      name: 'heap per open subscription, 1000 subscribers',
      value: heapRun.heapPerSubscription ?? Number.NaN,
      unit: 'bytes',
      note: `heapUsed after gc, before and after subscribing 1000 (both subgraphs, ${CONNECTIONS} connections already open); client and gateway share the process`,
    });
  } finally {
    await env.gateway.close();
    await env.things.close();
    await env.scores.close();
  }
  return rows;
}

export const subscriptionsSuite: BenchSuite = {
  name: 'subscriptions',
  description:
    'gateway subscription fan-out over graphql-ws: 1 to 1000 identical subscribers on one upstream, events/s, _entities per event, heap per subscription',
  run,
};
