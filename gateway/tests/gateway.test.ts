import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { ConfigError } from '@fleetgraph/lib/config';
import { createLogger } from '@fleetgraph/lib/telemetry';

import { loadConfig, parseSubgraphUrls } from '../src/config.ts';
import { ALPHA_SDL, BETA_SDL_WITH_RANK, compose, disposeLeftovers, eventually, startEnv } from './support.ts';

afterAll(disposeLeftovers);

const tempDirs: string[] = [];
afterAll(async () => {
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** the value of one Prometheus sample line, 0 when absent */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

describe('gateway over HTTP', () => {
  it('answers queries across both subgraphs', async () => {
    await using env = await startEnv();
    const res = await env.query(
      `query ($id: ID!) {
        things { id name status score detail { label tags owner { name } } }
        one: thing(id: $id) { __typename name points: score }
        missing: thing(id: "nope") { id score }
      }`,
      { id: 't2' },
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: {
        things: [
          {
            id: 't1',
            name: 'one',
            status: 'Ready',
            score: 20,
            detail: { label: 'detail of t1', tags: ['a', 't1'], owner: { name: 'owner-t1' } },
          },
          {
            id: 't2',
            name: 'two',
            status: 'Ready',
            score: 20,
            detail: { label: 'detail of t2', tags: ['a', 't2'], owner: { name: 'owner-t2' } },
          },
        ],
        one: { __typename: 'Thing', name: 'two', points: 20 },
        missing: null,
      },
    });
    // one _entities fetch per root field that needs beta (both things in one), not one per thing
    expect(env.beta.entitiesCalls).toBe(2);
    expect(env.beta.references).toBe(3);
  });

  it('answers with alpha data, null beta fields and SUBGRAPH_UNAVAILABLE naming beta when beta is down', async () => {
    await using env = await startEnv();
    await env.beta.server.close();
    const res = await env.query('{ things { id name score } }');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      things: [
        { id: 't1', name: 'one', score: null },
        { id: 't2', name: 'two', score: null },
      ],
    });
    expect(res.body.errors?.map((e) => e.extensions)).toEqual([
      expect.objectContaining({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'beta' }),
    ]);
  });

  it('answers a document that fails to parse or validate, or variables that fail coercion, with coded errors: 200 under application/json, 400 under application/graphql-response+json', async () => {
    await using env = await startEnv();
    const post = async (body: unknown, accept?: string) => {
      const res = await fetch(env.gateway.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${env.token}`,
          ...(accept ? { accept } : {}),
        },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as {
        data?: unknown;
        errors?: Array<{ extensions?: { code?: string } }>;
      };
      return {
        status: res.status,
        type: res.headers.get('content-type'),
        codes: json.errors?.map((e) => e.extensions?.code),
        data: json.data,
      };
    };
    const cases: Array<[unknown, string]> = [
      [{ query: '{ things { nope } }' }, 'GRAPHQL_VALIDATION_FAILED'],
      [{ query: '{ things { id ' }, 'GRAPHQL_PARSE_FAILED'],
      [
        { query: 'query ($b: Boolean!) { things @include(if: $b) { id } }', variables: { b: 'yes' } },
        'BAD_USER_INPUT',
      ],
    ];
    for (const [body, code] of cases) {
      for (const accept of [undefined, 'application/json']) {
        const r = await post(body, accept);
        expect(r, `${JSON.stringify(body)} with accept ${accept}`).toMatchObject({
          status: 200,
          codes: [code],
        });
        expect(r.type).toMatch(/^application\/json/);
        expect(r.data).toBeUndefined();
      }
      const strict = await post(body, 'application/graphql-response+json');
      expect(strict).toMatchObject({ status: 400, codes: [code] });
    }
    // a request that is not GraphQL over HTTP at all stays 400
    expect((await post({ nothing: true })).status).toBe(400);
  });

  it('is ready when every subgraph answers, and names the one that is down otherwise', async () => {
    await using env = await startEnv();
    const up = await env.get('/readyz');
    expect(up.status).toBe(200);
    expect(JSON.parse(up.text)).toEqual({
      status: 'ready',
      supergraph: 'loaded',
      subgraphs: { alpha: 'ok', beta: 'ok' },
    });
    expect((await env.get('/healthz')).status).toBe(200);

    await env.beta.server.close();
    const down = await eventually(
      async () => {
        const r = await env.get('/readyz');
        expect(r.status).toBe(503);
        return JSON.parse(r.text) as { status: string; subgraphs: Record<string, string> };
      },
      { timeoutMs: 5000, everyMs: 100 },
    );
    expect(down.status).toBe('not ready');
    expect(down.subgraphs['alpha']).toBe('ok');
    expect(down.subgraphs['beta']).not.toBe('ok');
    expect(down.subgraphs['beta']).toMatch(/ECONNREFUSED|refused|HTTP/i);
  });

  it('counts operations, errors and subscriptions in /metrics', async () => {
    await using env = await startEnv();
    const before = (await env.get('/metrics')).text;
    const ops = (t: string): number =>
      sample(t, 'fleetgraph_gateway_operations_total', { operation: 'query', transport: 'http' });
    await env.query('{ things { id score } }');
    await env.query('{ things { id } }');
    await env.query('{ things { nope } }');
    const sub = env.subscribe('subscription { thingChanged(ids: ["t1"]) { id score } }');
    await sub.waitForEvent();
    const after = await eventually(async () => {
      const t = (await env.get('/metrics')).text;
      expect(sample(t, 'fleetgraph_gateway_subscription_events_total')).toBe(1);
      return t;
    });
    expect(ops(after) - ops(before)).toBe(2);
    expect(sample(after, 'fleetgraph_gateway_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    expect(
      sample(after, 'fleetgraph_gateway_operations_total', { operation: 'subscription', transport: 'ws' }),
    ).toBe(1);
    expect(sample(after, 'fleetgraph_gateway_subscriptions_active')).toBe(1);
    expect(sample(after, 'fleetgraph_gateway_upstream_subscriptions_active')).toBe(1);
    // the invalid query fails before its operation type is known: it is counted under operation="unknown"
    const durations = (t: string): number =>
      sample(t, 'fleetgraph_gateway_operation_duration_seconds_count', { operation: 'query' });
    expect(durations(after) - durations(before)).toBe(2);
    sub.unsubscribe();
    await eventually(async () =>
      expect(
        sample((await env.get('/metrics')).text, 'fleetgraph_gateway_upstream_subscriptions_active'),
      ).toBe(0),
    );
  });
});

describe('supergraph file reload', () => {
  async function fileEnv() {
    const dir = await mkdtemp(join(tmpdir(), 'fleetgraph-gw-'));
    tempDirs.push(dir);
    const path = join(dir, 'supergraph.graphql');
    const lines: string[] = [];
    const log = createLogger({
      level: 'info',
      json: true,
      destination: { write: (s: string) => lines.push(s) },
    });
    const env = await startEnv({
      log,
      supergraph: async (sdl) => {
        await writeFile(path, sdl);
        return { kind: 'file', path, pollMs: 100 };
      },
    });
    const withRank = compose([
      { name: 'alpha', url: env.alpha.url, typeDefs: ALPHA_SDL },
      { name: 'beta', url: env.beta.url, typeDefs: BETA_SDL_WITH_RANK },
    ]);
    return { env, path, lines, withRank };
  }

  it('serves a field added to the supergraph file without failing a query meanwhile', async () => {
    const { env: e, path, withRank } = await fileEnv();
    await using env = e;
    const rankQuery = '{ things { id rank } }';
    const before = await env.query(rankQuery);
    // an unknown field: a validation failure, answered 200 with the error under application/json
    expect(before.status).toBe(200);
    expect(before.body.errors?.[0]?.extensions?.['code']).toBe('GRAPHQL_VALIDATION_FAILED');

    const failures: unknown[] = [];
    let queries = 0;
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        const r = await env.query('{ things { id name score } }');
        queries++;
        if (r.status !== 200 || r.body.errors || (r.body.data as { things: unknown[] }).things.length !== 2)
          failures.push(r);
      }
    })();
    await writeFile(path, withRank);
    const after = await eventually(
      async () => {
        const r = await env.query(rankQuery);
        expect(r.status).toBe(200);
        expect(r.body.errors).toBeUndefined();
        return r.body;
      },
      { timeoutMs: 10_000, everyMs: 20 },
    );
    stop = true;
    await loop;
    expect(after).toEqual({
      data: {
        things: [
          { id: 't1', rank: 1 },
          { id: 't2', rank: 2 },
        ],
      },
    });
    expect(queries).toBeGreaterThan(0);
    expect(failures).toEqual([]);

    // new subscriptions plan against the new supergraph too
    const sub = env.subscribe('subscription { thingChanged(ids: ["t2"]) { id rank } }');
    await sub.waitForEvent((ev) => expect(ev).toEqual({ data: { thingChanged: { id: 't2', rank: 2 } } }));
  });

  it('rejects an invalid supergraph file and keeps serving the last good one', async () => {
    const { env: e, path, lines, withRank } = await fileEnv();
    await using env = e;
    await writeFile(path, 'this is not a supergraph {');
    await eventually(() => expect(lines.join('')).toMatch(/new supergraph rejected/), { timeoutMs: 5000 });
    const res = await env.query('{ things { id name score } }');
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect((await env.get('/readyz')).status).toBe(200);
    // a schema that parses but is not a supergraph is rejected as well
    await writeFile(path, 'type Query { hello: String }');
    await eventually(() => expect(lines.join('').match(/new supergraph rejected/g)).toHaveLength(2), {
      timeoutMs: 5000,
    });
    expect((await env.query('{ things { id } }')).status).toBe(200);
    const hello = await env.query('{ hello }');
    expect(hello.status).toBe(200);
    expect(hello.body.errors?.[0]?.extensions?.['code']).toBe('GRAPHQL_VALIDATION_FAILED');
    // and the watcher still takes the next good one
    await writeFile(path, withRank);
    await eventually(async () => expect((await env.query('{ things { rank } }')).status).toBe(200), {
      timeoutMs: 5000,
    });
  });
});

/** the authentication settings loadConfig requires (gateway/tests/auth.test.ts covers them) */
const AUTH_ENV = { AUTH_JWT_SECRET: 'a-jwt-secret', FLEETGRAPH_IDENTITY_SECRET: 'i'.repeat(32) };

describe('loadConfig', () => {
  it('parses SUBGRAPH_URLS', () => {
    expect(parseSubgraphUrls(undefined)).toEqual({});
    expect(parseSubgraphUrls('')).toEqual({});
    expect(
      parseSubgraphUrls(' clusters=http://127.0.0.1:4001/graphql , workloads=https://w.example/graphql,'),
    ).toEqual({
      clusters: 'http://127.0.0.1:4001/graphql',
      workloads: 'https://w.example/graphql',
    });
    expect(loadConfig({ ...AUTH_ENV, SUBGRAPH_URLS: 'a=http://a/graphql' }, []).subgraphUrls).toEqual({
      a: 'http://a/graphql',
    });
  });

  it.each(['clusters', '=http://x/graphql', 'clusters=ftp://x/graphql', 'clusters=localhost:4001'])(
    'rejects SUBGRAPH_URLS=%j with a ConfigError naming the variable',
    (value) => {
      let error: unknown;
      try {
        loadConfig({ ...AUTH_ENV, SUBGRAPH_URLS: value }, []);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variable).toBe('SUBGRAPH_URLS');
      expect((error as ConfigError).message).toMatch(/SUBGRAPH_URLS/);
    },
  );

  it('reads the supergraph from --supergraph over SUPERGRAPH, as a file or a URL', () => {
    expect(loadConfig({ ...AUTH_ENV }, []).supergraph).toEqual({
      kind: 'file',
      path: 'schema/supergraph.graphql',
      pollMs: 1000,
    });
    expect(loadConfig({ ...AUTH_ENV, SUPERGRAPH: '/etc/sg.graphql' }, []).supergraph).toEqual({
      kind: 'file',
      path: '/etc/sg.graphql',
      pollMs: 1000,
    });
    expect(
      loadConfig({ ...AUTH_ENV, SUPERGRAPH: '/etc/sg.graphql' }, ['--supergraph', '/other.graphql'])
        .supergraph,
    ).toEqual({ kind: 'file', path: '/other.graphql', pollMs: 1000 });
    expect(
      loadConfig({ ...AUTH_ENV, SUPERGRAPH: '/etc/sg.graphql', SUPERGRAPH_POLL_MS: '250' }, [
        '--supergraph=https://registry.example/supergraph',
      ]).supergraph,
    ).toEqual({ kind: 'url', url: 'https://registry.example/supergraph', pollMs: 250 });
    expect(loadConfig({ ...AUTH_ENV, SUPERGRAPH: 'http://r.example/sg' }, []).supergraph).toEqual({
      kind: 'url',
      url: 'http://r.example/sg',
      pollMs: 10_000,
    });
  });

  it('reads port, host and flags, with defaults', () => {
    const c = loadConfig({ ...AUTH_ENV }, []);
    expect(c).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      subgraphUrls: {},
      explorer: true,
      logJson: false,
    });
    expect(loadConfig({ ...AUTH_ENV, PORT: '5000' }, []).port).toBe(5000);
    expect(loadConfig({ ...AUTH_ENV, PORT: '5000' }, ['--port', '0']).port).toBe(0);
    expect(loadConfig({ ...AUTH_ENV, EXPLORER: 'false', HOST: '0.0.0.0' }, [])).toMatchObject({
      explorer: false,
      host: '0.0.0.0',
    });
  });

  it.each([
    [{ PORT: 'eighty' }, [], 'PORT'],
    [{ PORT: '70000' }, [], 'PORT'],
    [{ SUPERGRAPH_POLL_MS: '10' }, [], 'SUPERGRAPH_POLL_MS'],
    [{ SUPERGRAPH_POLL_MS: 'soon' }, [], 'SUPERGRAPH_POLL_MS'],
    [{ EXPLORER: 'maybe' }, [], 'EXPLORER'],
    [{ LOG_LEVEL: 'loud' }, [], 'LOG_LEVEL'],
    [{}, ['--nope'], 'argv'],
  ] as const)('rejects %j %j with a ConfigError naming %s', (env, argv, variable) => {
    let error: unknown;
    try {
      loadConfig({ ...AUTH_ENV, ...env }, [...argv]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
  });
});
