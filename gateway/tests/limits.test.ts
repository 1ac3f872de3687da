import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { ConfigError } from '@fleetgraph/lib/config';

import { DEFAULT_LIMITS, loadLimitsConfig } from '../src/limits/config.ts';
import { eventually } from './support.ts';
import { codes, type GuardEnv, type Shop, startGuardEnv, startShop, wsCodes, wsRun } from './guardSupport.ts';

/** small limits, so that each is easy to reach and to stay just under */
const LIMITS = {
  maxDepth: 4,
  maxAliases: 3,
  maxRootFields: 3,
  maxTokens: 60,
  maxCost: 1000,
  defaultListSize: 10,
  maxBodyBytes: 4096,
  maxOperationsPerConnection: 2,
  introspection: true,
};

let shop: Shop;
let env: GuardEnv;

beforeAll(async () => {
  shop = await startShop();
  env = await startGuardEnv(shop, { limits: LIMITS, explorer: true });
});

afterAll(async () => {
  await env?.[Symbol.asyncDispose]();
  await shop?.server.close();
});

interface Case {
  limit: string;
  code: string;
  /** what the refusal's message names */
  names: RegExp;
  over: { query: string; variables?: Record<string, unknown> };
  under: { query: string; variables?: Record<string, unknown> };
}

const ids = (n: number): string => Array.from({ length: n }, () => 'id').join(' ');

const CASES: Case[] = [
  {
    limit: 'depth',
    code: 'MAX_DEPTH_EXCEEDED',
    names: /5 levels deep.*MAX_DEPTH.* 4/,
    over: {
      query:
        '{ items(first: 1) { children(first: 1) { children(first: 1) { children(first: 1) { id } } } } }',
    },
    under: { query: '{ items(first: 1) { children(first: 1) { children(first: 1) { id } } } }' },
  },
  {
    limit: 'aliases',
    code: 'MAX_ALIASES_EXCEEDED',
    names: /4 aliases.*MAX_ALIASES.* 3/,
    over: { query: '{ items(first: 1) { a: id b: id c: name d: name } }' },
    under: { query: '{ items(first: 1) { a: id b: id c: name } }' },
  },
  {
    limit: 'root fields',
    code: 'MAX_ROOT_FIELDS_EXCEEDED',
    names: /4 root fields.*MAX_ROOT_FIELDS.* 3/,
    // a fragment on the root type counts its fields
    over: { query: '{ one ...F } fragment F on Query { two three four }' },
    under: { query: '{ one __typename ...F } fragment F on Query { two three }' },
  },
  {
    limit: 'tokens',
    code: 'MAX_TOKENS_EXCEEDED',
    names: /more than 60 tokens.*MAX_TOKENS/,
    // `{ items ( first : 1 ) {` and `} }` are 10 tokens
    over: { query: `{ items(first: 1) { ${ids(51)} } }` },
    under: { query: `{ items(first: 1) { ${ids(50)} } }` },
  },
  {
    limit: 'cost (page sizes)',
    code: 'MAX_COST_EXCEEDED',
    names: /cost is 250000.*MAX_COST.* 1000/,
    over: { query: '{ items(first: 500) { children(first: 500) { id } } }' },
    under: { query: '{ items(first: 5) { children(first: 5) { id } } }' },
  },
  {
    limit: 'cost (page sizes in variables)',
    code: 'MAX_COST_EXCEEDED',
    names: /cost is 250000/,
    over: {
      query: 'query Q($n: Int) { items(first: $n) { children(first: $n) { id } } }',
      variables: { n: 500 },
    },
    under: {
      query: 'query Q($n: Int) { items(first: $n) { children(first: $n) { id } } }',
      variables: { n: 5 },
    },
  },
  {
    limit: 'cost (lists without a page size count DEFAULT_LIST_SIZE)',
    code: 'MAX_COST_EXCEEDED',
    // 10 × 10 × 10 × (id 1 + tags 10)
    names: /cost is 11000/,
    over: { query: '{ items { children { children { id tags } } } }' },
    // 10 × 10 × 10 × id
    under: { query: '{ items { children { children { id } } } }' },
  },
];

describe.each(CASES)('the $limit limit', (c) => {
  it('refuses an operation over it, over HTTP, with its code and a message naming the limit', async () => {
    const res = await env.post(c.over);
    expect(res.status).toBe(400);
    expect(codes(res.body)).toEqual([c.code]);
    expect(res.body.errors?.[0]?.message).toMatch(c.names);
    expect(res.body.data).toBeUndefined();
  });

  it('refuses it over graphql-ws, with the same code', async () => {
    const outcome = await wsRun(env.client(), c.over);
    expect(wsCodes(outcome)).toEqual([c.code]);
    expect(outcome.events).toEqual([]);
  });

  it('runs an operation just under it, over HTTP and over graphql-ws', async () => {
    const res = await env.post(c.under);
    expect(res.body.errors).toBeUndefined();
    expect(res.status).toBe(200);
    expect(res.body.data).toBeTruthy();
    const outcome = await wsRun(env.client(), c.under);
    expect(outcome.end).toEqual({ kind: 'complete' });
    expect(outcome.events).toHaveLength(1);
    expect(outcome.events[0]?.errors).toBeUndefined();
    expect(outcome.events[0]?.data).toEqual(res.body.data);
  });
});

describe('limits on subscriptions over graphql-ws', () => {
  it('refuse a subscription over a limit before it opens upstream, and let one under it stream', async () => {
    // the token count comes before validation: the unused fragment only pads the document
    const padded = `subscription { ticks(count: 1) } fragment F on Item { ${ids(60)} }`;
    expect(wsCodes(await wsRun(env.client(), { query: padded }))).toEqual(['MAX_TOKENS_EXCEEDED']);
    const client = env.client();
    const events: unknown[] = [];
    const stop = client.subscribe(
      { query: 'subscription { ticks(count: 1) }' },
      { next: (e) => void events.push(e), error: () => undefined, complete: () => undefined },
    );
    await eventually(() => {
      shop.tick();
      expect(events.length).toBeGreaterThan(0);
    });
    expect(events[0]).toEqual({ data: { ticks: 1 } });
    stop();
  });
});

describe('cost with variables that do not coerce', () => {
  it('leaves them to execution, which refuses them with BAD_USER_INPUT (HTTP and graphql-ws)', async () => {
    const op = {
      query: 'query Q($n: Int) { items(first: $n) { children(first: $n) { id } } }',
      variables: { n: 'lots' },
    };
    const res = await env.post(op);
    expect(codes(res.body)).toEqual(['BAD_USER_INPUT']);
    expect(res.body.data).toBeUndefined();
    const ws = await wsRun(env.client(), op);
    expect(JSON.stringify(ws)).toMatch(/BAD_USER_INPUT/);
    expect(JSON.stringify(ws)).not.toMatch(/"items"/);
  });
});

describe('body and message size', () => {
  it('answers 413 PAYLOAD_TOO_LARGE to an HTTP body over MAX_BODY_BYTES, and runs one just under', async () => {
    const over = await env.post({ query: `{ one }${' '.repeat(4096)}` });
    expect(over.status).toBe(413);
    expect(codes(over.body)).toEqual(['PAYLOAD_TOO_LARGE']);
    const under = await env.post({ query: `{ one }${' '.repeat(3000)}` });
    expect(under.status).toBe(200);
    expect(under.body.data).toEqual({ one: 1 });
  });

  it('closes a WebSocket whose message is over MAX_BODY_BYTES (1009), and takes one just under', async () => {
    const outcome = await wsRun(env.client(), { query: `{ one }${' '.repeat(5000)}` });
    expect(outcome.end.kind).toBe('error');
    const error = outcome.end.kind === 'error' ? (outcome.end.error as { code?: number }) : {};
    expect(error.code).toBe(1009);
    const ok = await wsRun(env.client(), { query: `{ one }${' '.repeat(3000)}` });
    expect(ok.events).toEqual([{ data: { one: 1 } }]);
  });
});

describe('operations per graphql-ws connection', () => {
  it('refuses the operation beyond MAX_OPERATIONS_PER_CONNECTION open at once, and takes one again after one ends', async () => {
    const client = env.client();
    const events: unknown[][] = [[], [], []];
    const ends: unknown[] = [undefined, undefined, undefined];
    const open = (i: number): (() => void) =>
      client.subscribe(
        { query: 'subscription { ticks(count: 1) }' },
        {
          next: (e) => void events[i]?.push(e),
          error: (e) => void (ends[i] = e),
          complete: () => void (ends[i] = 'complete'),
        },
      );
    const first = open(0);
    open(1);
    open(2);
    await eventually(() => expect(ends[2]).toBeDefined());
    expect((ends[2] as { extensions?: { code?: string } }[]).map((e) => e.extensions?.code)).toEqual([
      'TOO_MANY_OPERATIONS',
    ]);
    expect((ends[2] as { message: string }[])[0]?.message).toMatch(/MAX_OPERATIONS_PER_CONNECTION.* 2/);
    // the first two are still open
    expect(ends[0]).toBeUndefined();
    expect(ends[1]).toBeUndefined();
    first();
    const again = wsRun(client, { query: '{ one }' });
    expect((await again).events).toEqual([{ data: { one: 1 } }]);
  });
});

describe('CSRF prevention (Apollo Server 5 default) stays on', () => {
  it('refuses a simple GET (no preflight header, no JSON content type)', async () => {
    const res = await env.get({ query: '{ bumps }' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/Cross-Site Request Forgery/);
    // the same GET with a header a browser would preflight runs
    const allowed = await env.get({ query: '{ bumps }' }, { 'apollo-require-preflight': 'true' });
    expect(allowed.status).toBe(200);
    expect(allowed.body.data).toEqual({ bumps: shop.bumps });
  });

  it.each(['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain'])(
    'refuses a form POST (%s) without running it',
    async (type) => {
      const before = shop.bumps;
      const res = await env.post(JSON.stringify({ query: 'mutation { bump }' }), { 'content-type': type });
      expect(res.status).toBe(400);
      expect(res.text).toMatch(/Cross-Site Request Forgery/);
      expect(shop.bumps).toBe(before);
      // the same request as JSON runs (so the refusal above is the CSRF rule, not the mutation)
      const ok = await env.post({ query: 'mutation { bump }' });
      expect(ok.body.data).toEqual({ bump: before + 1 });
    },
  );
});

describe('introspection, explorer and errors outside production', () => {
  it('allows introspection when INTROSPECTION is on', async () => {
    const res = await env.post({ query: '{ __schema { queryType { name } } }' });
    expect(res.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });

  it('serves the explorer to a browser', async () => {
    const res = await env.get({}, { accept: 'text/html' });
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/text\/html/);
  });

  it('shows the message of an uncoded error (no masking)', async () => {
    const res = await env.post({ query: '{ boom }' });
    expect(res.text).toMatch(/hunter2/);
    expect(res.text).not.toMatch(/stacktrace/);
  });
});

describe('production mode (NODE_ENV=production)', () => {
  let prod: GuardEnv;
  beforeAll(async () => {
    vi.stubEnv('NODE_ENV', 'production');
    // the defaults the gateway takes from NODE_ENV: no limits, explorer or maskErrors given
    prod = await startGuardEnv(shop, { limits: { maxDepth: 4 } });
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await prod?.[Symbol.asyncDispose]();
  });

  it('refuses introspection over HTTP and graphql-ws (INTROSPECTION_DISABLED), but not __typename', async () => {
    for (const query of ['{ __schema { queryType { name } } }', '{ __type(name: "Item") { name } }']) {
      const res = await prod.post({ query });
      expect(res.status).toBe(400);
      expect(codes(res.body)).toEqual(['INTROSPECTION_DISABLED']);
      expect(wsCodes(await wsRun(prod.client(), { query }))).toEqual(['INTROSPECTION_DISABLED']);
    }
    expect((await prod.post({ query: '{ __typename one }' })).body).toEqual({
      data: { __typename: 'Query', one: 1 },
    });
  });

  it('gives no "Did you mean" suggestions, over HTTP and graphql-ws, when introspection is off', async () => {
    const query = '{ itms(first: 1) { id } }';
    const res = await prod.post({ query });
    expect(codes(res.body)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const message = res.body.errors?.[0]?.message ?? '';
    expect(message).toBe('Cannot query field "itms" on type "Query".');
    const ws = await wsRun(prod.client(), { query });
    expect(wsCodes(ws)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(JSON.stringify(ws.end)).toContain('Cannot query field');
    expect(JSON.stringify(ws.end)).not.toMatch(/Did you mean|items/);
    // with introspection on, the suggestion is there (the same schema could be read anyway)
    const dev = await env.post({ query });
    expect(dev.body.errors?.[0]?.message).toBe(
      'Cannot query field "itms" on type "Query". Did you mean "items"?',
    );
  });

  it('serves no explorer (nor Apollo landing page)', async () => {
    const res = await prod.get({}, { accept: 'text/html' });
    expect(res.type).not.toMatch(/text\/html/);
    expect(res.text).not.toMatch(/<html|<script/i);
  });

  it('masks uncoded errors: neither message nor stack reaches the client, over HTTP or graphql-ws', async () => {
    const res = await prod.post({ query: '{ boom }' });
    expect(res.body.errors?.[0]?.message).toBe('Internal server error');
    expect(codes(res.body)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(res.text).not.toMatch(/hunter2|db-7|stacktrace/);
    const ws = await wsRun(prod.client(), { query: '{ boom }' });
    expect(JSON.stringify(ws.events)).toMatch(/Internal server error/);
    expect(JSON.stringify(ws.events)).not.toMatch(/hunter2|db-7|stacktrace/);
  });

  it('keeps coded refusals as they are', async () => {
    const res = await prod.post({
      query:
        '{ items(first: 1) { children(first: 1) { children(first: 1) { children(first: 1) { id } } } } }',
    });
    expect(codes(res.body)).toEqual(['MAX_DEPTH_EXCEEDED']);
  });
});

describe('loadLimitsConfig', () => {
  it('has the documented defaults, with introspection and the explorer on', () => {
    expect(loadLimitsConfig({})).toEqual({
      ...DEFAULT_LIMITS,
      maxDepth: 12,
      maxAliases: 30,
      maxRootFields: 20,
      maxTokens: 5000,
      maxCost: 10_000,
      defaultListSize: 10,
      maxBodyBytes: 1_048_576,
      maxOperationsPerConnection: 100,
      introspection: true,
      explorer: true,
      requirePersistedOperations: false,
    });
  });

  it('turns introspection and the explorer off in production unless set', () => {
    const prod = loadLimitsConfig({ NODE_ENV: 'production' });
    expect([prod.introspection, prod.explorer]).toEqual([false, false]);
    const set = loadLimitsConfig({ NODE_ENV: 'production', INTROSPECTION: 'true', EXPLORER: '1' });
    expect([set.introspection, set.explorer]).toEqual([true, true]);
  });

  it('reads every variable', () => {
    const c = loadLimitsConfig({
      MAX_DEPTH: '7',
      MAX_ALIASES: '0',
      MAX_ROOT_FIELDS: '5',
      MAX_TOKENS: '900',
      MAX_COST: '123',
      DEFAULT_LIST_SIZE: '20',
      MAX_BODY_BYTES: '2048',
      MAX_OPERATIONS_PER_CONNECTION: '9',
    });
    expect(c).toMatchObject({
      maxDepth: 7,
      maxAliases: 0,
      maxRootFields: 5,
      maxTokens: 900,
      maxCost: 123,
      defaultListSize: 20,
      maxBodyBytes: 2048,
      maxOperationsPerConnection: 9,
    });
  });

  it.each([
    ['MAX_DEPTH', '0'],
    ['MAX_COST', 'lots'],
    ['MAX_BODY_BYTES', '10'],
    ['INTROSPECTION', 'maybe'],
    ['MAX_OPERATIONS_PER_CONNECTION', '1.5'],
  ])('fails fast on %s=%s, naming the variable', (name, value) => {
    expect(() => loadLimitsConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadLimitsConfig({ [name]: value })).toThrow(new RegExp(`^${name}`));
  });
});
