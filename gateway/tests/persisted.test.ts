import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ConfigError } from '@fleetgraph/lib/config';

import { loadLimitsConfig } from '../src/limits/config.ts';
import { parseManifest } from '../src/persisted/manifest.ts';
import { eventually } from './support.ts';
import { codes, type GuardEnv, type Shop, startGuardEnv, startShop, wsCodes, wsRun } from './guardSupport.ts';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

const ONE = 'query One { one }';
const ITEMS = 'query Items($n: Int) { items(first: $n) { id } }';
const TICKS = 'subscription Ticks { ticks(count: 1) }';
const BUMP = 'mutation Bump { bump }';

/** Apollo's manifest format, as @apollo/generate-persisted-query-manifest writes it */
const APOLLO_MANIFEST = {
  format: 'apollo-persisted-query-manifest',
  version: 1,
  operations: [
    { id: sha256(ONE), name: 'One', type: 'query', body: ONE },
    { id: sha256(ITEMS), name: 'Items', type: 'query', body: ITEMS },
    { id: sha256(TICKS), name: 'Ticks', type: 'subscription', body: TICKS },
    { id: sha256(BUMP), name: 'Bump', type: 'mutation', body: BUMP },
  ],
};

const apq = (hash: string): { persistedQuery: { version: number; sha256Hash: string } } => ({
  persistedQuery: { version: 1, sha256Hash: hash },
});
const UNKNOWN = sha256('query Nope { two }');

let shop: Shop;

beforeAll(async () => {
  shop = await startShop();
});

afterAll(async () => {
  await shop?.server.close();
});

describe('REQUIRE_PERSISTED_OPERATIONS=true (trusted documents only)', () => {
  let env: GuardEnv;
  beforeAll(async () => {
    env = await startGuardEnv(shop, {
      limits: { persistedOperations: parseManifest(APOLLO_MANIFEST), requirePersistedOperations: true },
    });
  });
  afterAll(async () => {
    await env?.[Symbol.asyncDispose]();
  });

  it('runs a manifest operation by documentId (with and without sha256:) and by APQ hash, over HTTP', async () => {
    for (const body of [
      { documentId: `sha256:${sha256(ONE)}` },
      { documentId: sha256(ONE) },
      { extensions: apq(sha256(ONE)) },
    ]) {
      const res = await env.post(body);
      expect(res.body).toEqual({ data: { one: 1 } });
    }
    const withVariables = await env.post({ documentId: sha256(ITEMS), variables: { n: 2 } });
    expect(withVariables.body).toEqual({ data: { items: [{ id: 'i0' }, { id: 'i1' }] } });
  });

  it('runs one by GET (documentId or extensions) and a mutation by POST', async () => {
    const preflight = { 'apollo-require-preflight': 'true' };
    expect((await env.get({ documentId: sha256(ONE) }, preflight)).body).toEqual({ data: { one: 1 } });
    expect((await env.get({ extensions: JSON.stringify(apq(sha256(ONE))) }, preflight)).body).toEqual({
      data: { one: 1 },
    });
    const before = shop.bumps;
    expect((await env.post({ documentId: sha256(BUMP) })).body).toEqual({ data: { bump: before + 1 } });
  });

  it('runs the manifest document, whatever text comes along with the id', async () => {
    const res = await env.post({ query: '{ two }', extensions: apq(sha256(ONE)) });
    expect(res.body).toEqual({ data: { one: 1 } });
  });

  it('refuses an unknown id (PERSISTED_OPERATION_NOT_FOUND), by documentId and by APQ hash', async () => {
    for (const body of [
      { documentId: UNKNOWN },
      { extensions: apq(UNKNOWN) },
      // registering a new document is not allowed either
      { query: 'query Nope { two }', extensions: apq(UNKNOWN) },
    ]) {
      const res = await env.post(body);
      expect(res.status).toBe(400);
      expect(codes(res.body)).toEqual(['PERSISTED_OPERATION_NOT_FOUND']);
      expect(res.body.data).toBeUndefined();
    }
  });

  it('refuses free text (PERSISTED_OPERATION_REQUIRED) without running it, even a manifest document', async () => {
    const before = shop.bumps;
    for (const query of ['{ two }', ONE, BUMP]) {
      const res = await env.post({ query });
      expect(res.status).toBe(400);
      expect(codes(res.body)).toEqual(['PERSISTED_OPERATION_REQUIRED']);
      expect(res.body.errors?.[0]?.message).toMatch(/REQUIRE_PERSISTED_OPERATIONS/);
    }
    expect(shop.bumps).toBe(before);
  });

  it('over graphql-ws: runs a manifest query and subscription by id, refuses unknown ids and free text', async () => {
    const client = env.client();
    const one = await wsRun(client, { query: '', extensions: apq(sha256(ONE)) });
    expect(one.events).toEqual([{ data: { one: 1 } }]);
    expect(one.end).toEqual({ kind: 'complete' });

    const events: unknown[] = [];
    const stop = client.subscribe(
      { query: '', extensions: apq(sha256(TICKS)) },
      { next: (e) => void events.push(e), error: () => undefined, complete: () => undefined },
    );
    await eventually(() => {
      shop.tick();
      expect(events.length).toBeGreaterThan(0);
    });
    expect(events[0]).toEqual({ data: { ticks: 1 } });
    stop();

    expect(wsCodes(await wsRun(client, { query: '', extensions: apq(UNKNOWN) }))).toEqual([
      'PERSISTED_OPERATION_NOT_FOUND',
    ]);
    for (const query of ['{ two }', ONE, TICKS])
      expect(wsCodes(await wsRun(client, { query }))).toEqual(['PERSISTED_OPERATION_REQUIRED']);
  });
});

describe('without REQUIRE_PERSISTED_OPERATIONS', () => {
  let env: GuardEnv;
  beforeAll(async () => {
    env = await startGuardEnv(shop, { limits: { persistedOperations: parseManifest(APOLLO_MANIFEST) } });
  });
  afterAll(async () => {
    await env?.[Symbol.asyncDispose]();
  });

  it('runs free text and manifest ids', async () => {
    expect((await env.post({ query: '{ two }' })).body).toEqual({ data: { two: 2 } });
    expect((await env.post({ documentId: sha256(ONE) })).body).toEqual({ data: { one: 1 } });
    expect((await wsRun(env.client(), { query: '{ two }' })).events).toEqual([{ data: { two: 2 } }]);
  });

  it('refuses an unknown documentId (it is no APQ hash)', async () => {
    expect(codes((await env.post({ documentId: UNKNOWN })).body)).toEqual(['PERSISTED_OPERATION_NOT_FOUND']);
  });

  it("keeps Apollo Server's APQ: an unknown hash asks for the text, then the hash alone runs it", async () => {
    const query = 'query Fresh { three }';
    const hash = sha256(query);
    const miss = await env.post({ extensions: apq(hash) });
    expect(codes(miss.body)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    const register = await env.post({ query, extensions: apq(hash) });
    expect(register.body).toEqual({ data: { three: 3 } });
    await eventually(async () => {
      const hit = await env.post({ extensions: apq(hash) });
      expect(hit.body).toEqual({ data: { three: 3 } });
    });
    // a hash that does not match the text is refused
    const wrong = await env.post({ query: '{ four }', extensions: apq(hash) });
    expect(wrong.status).toBe(400);
    expect(wrong.body.data).toBeUndefined();
  });

  it('applies the limits to APQ and manifest documents too', async () => {
    const deep = `query Deep { items(first: 1) { ${'children(first: 1) { '.repeat(12)}id${' }'.repeat(12)} } }`;
    const res = await env.post({ query: deep, extensions: apq(sha256(deep)) });
    expect(codes(res.body)).toEqual(['MAX_DEPTH_EXCEEDED']);
  });
});

describe('the manifest', () => {
  it('reads a plain { id: document } map', () => {
    const ops = parseManifest({ abc: ONE, def: ITEMS });
    expect([...ops]).toEqual([
      ['abc', ONE],
      ['def', ITEMS],
    ]);
  });

  it("reads Apollo's format", () => {
    expect(parseManifest(APOLLO_MANIFEST).get(sha256(TICKS))).toBe(TICKS);
  });

  it.each([
    [[]],
    [{ format: 'apollo-persisted-query-manifest', version: 2, operations: [] }],
    [{ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: 'x' }] }],
    [{ abc: 42 }],
  ])('refuses a malformed manifest (%j)', (json) => {
    expect(() => parseManifest(json)).toThrow();
  });

  it('is loaded from PERSISTED_OPERATIONS_FILE; a bad file or REQUIRE without a file fails fast', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetgraph-pq-'));
    const good = join(dir, 'manifest.json');
    writeFileSync(good, JSON.stringify(APOLLO_MANIFEST));
    const config = loadLimitsConfig({
      PERSISTED_OPERATIONS_FILE: good,
      REQUIRE_PERSISTED_OPERATIONS: 'true',
    });
    expect(config.requirePersistedOperations).toBe(true);
    expect(config.persistedOperations?.get(sha256(ONE))).toBe(ONE);

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    expect(() => loadLimitsConfig({ PERSISTED_OPERATIONS_FILE: bad })).toThrow(ConfigError);
    expect(() => loadLimitsConfig({ PERSISTED_OPERATIONS_FILE: bad })).toThrow(/^PERSISTED_OPERATIONS_FILE/);
    expect(() => loadLimitsConfig({ PERSISTED_OPERATIONS_FILE: join(dir, 'missing.json') })).toThrow(
      /PERSISTED_OPERATIONS_FILE: cannot read/,
    );
    expect(() => loadLimitsConfig({ REQUIRE_PERSISTED_OPERATIONS: 'true' })).toThrow(
      /REQUIRE_PERSISTED_OPERATIONS=true needs PERSISTED_OPERATIONS_FILE/,
    );
  });
});
