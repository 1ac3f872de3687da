import type { ExecutionResult } from 'graphql';
import { afterAll, describe, expect, it } from 'vitest';

import { disposeLeftovers, eventually, startEnv, subscribe, type Subscription } from './support.ts';

afterAll(disposeLeftovers);

const WATCH_T1 = `subscription {
  thingChanged(ids: ["t1"]) { id name status score detail { label tags owner { name } } }
}`;

type Coded = { message: string; extensions?: Record<string, unknown> };
const codes = (r: ExecutionResult | undefined): unknown[] =>
  ((r?.errors ?? []) as readonly Coded[]).map((e) => e.extensions?.['code']);

describe('federated subscriptions through the gateway (graphql-ws)', () => {
  it('delivers the beta fields in every event', async () => {
    await using env = await startEnv();
    const sub = env.subscribe(WATCH_T1);
    const expectFull = (status: string) => (e: ExecutionResult) =>
      expect(e).toEqual({
        data: {
          thingChanged: {
            id: 't1',
            name: 'one',
            status,
            score: 20,
            detail: { label: 'detail of t1', tags: ['a', 't1'], owner: { name: 'owner-t1' } },
          },
        },
      });
    await sub.waitForEvent(expectFull('Ready'));
    env.alpha.update('t1', { status: 'Degraded' });
    await sub.waitForEvent(expectFull('Degraded'));
    env.beta.scores.set('t1', 99);
    env.alpha.update('t1', { status: 'Ready' });
    await sub.waitForEvent((e) =>
      expect(e.data).toMatchObject({ thingChanged: { status: 'Ready', score: 99 } }),
    );
    // an event for t2 is not for this subscriber
    env.alpha.update('t2', { status: 'Down' });
    await sub.expectNoEvent(100);
  });

  it('shapes events as the same selection is shaped for a query: aliases, fragments, variables, @include/@skip, __typename', async () => {
    await using env = await startEnv();
    const selection = `{
      ...Names
      __typename
      ... on Thing { st: status }
      points: score @include(if: $withScore)
      detail @skip(if: $skipDetail) { __typename label ... on Detail { owner { who: name } } }
    }`;
    const fragment = 'fragment Names on Thing { key: id name }';
    const subscription = `subscription Watch($ids: [ID!], $withScore: Boolean!, $skipDetail: Boolean!) {
      changed: thingChanged(ids: $ids) ${selection}
    } ${fragment}`;
    const query = `query Get($id: ID!, $withScore: Boolean!, $skipDetail: Boolean!) {
      changed: thing(id: $id) ${selection}
    } ${fragment}`;
    for (const flags of [
      { withScore: true, skipDetail: false },
      { withScore: false, skipDetail: true },
    ]) {
      const sub = env.subscribe(subscription, { ids: ['t1'], ...flags }, { client: env.client() });
      const event = await sub.waitForEvent();
      const { body } = await env.query(query, { id: 't1', ...flags });
      expect(body.errors).toBeUndefined();
      expect(event).toEqual({ data: body.data });
      // the shape is what was asked for, not merely equal to the query's
      expect(Object.keys((event.data as { changed: object }).changed)).toEqual([
        'key',
        'name',
        '__typename',
        'st',
        ...(flags.withScore ? ['points'] : []),
        ...(flags.skipDetail ? [] : ['detail']),
      ]);
      env.alpha.update('t1', { name: `renamed-${String(flags.withScore)}` });
      const next = await sub.waitForEvent();
      const { body: after } = await env.query(query, { id: 't1', ...flags });
      expect(next).toEqual({ data: after.data });
      sub.unsubscribe();
    }
  });

  it('bubbles a null in a non-null beta field exactly as a query does', async () => {
    await using env = await startEnv();
    env.beta.brokenLabels.add('t1');
    const selection = '{ id name detail { label tags } }';
    const sub = env.subscribe(`subscription { thingChanged(ids: ["t1"]) ${selection} }`);
    const event = await sub.waitForEvent();
    const { body } = await env.query(`{ thingChanged: thing(id: "t1") ${selection} }`);
    expect(body.data).toEqual({ thingChanged: { id: 't1', name: 'one', detail: null } });
    expect(event.data).toEqual(body.data);
    const strip = (errors: readonly unknown[] | undefined) =>
      (errors as readonly (Coded & { path?: unknown })[] | undefined)?.map((e) => ({
        message: e.message,
        path: e.path,
        code: e.extensions?.['code'],
      }));
    expect(strip(event.errors)).toEqual(strip(body.errors));
    expect(strip(event.errors)?.[0]?.path).toEqual(['thingChanged', 'detail', 'label']);
  });

  it('rejects an invalid field with a validation error and opens no upstream', async () => {
    await using env = await startEnv();
    const sub = env.subscribe('subscription { thingChanged { id nope } }');
    const end = await sub.waitForEnd();
    expect(end.kind).toBe('error');
    const errors = (end as { error: Coded[] }).error;
    expect(Array.isArray(errors)).toBe(true);
    expect(errors[0]?.message).toMatch(/Cannot query field "nope" on type "Thing"/);
    expect(sub.events).toEqual([]);
    expect(await env.alpha.activeSubscriptions()).toBe(0);
    const total = (await env.alpha.server.metrics.subscriptionsTotal.get()).values[0]?.value ?? 0;
    expect(total).toBe(0);
    expect(await env.upstreamGauge()).toBe(0);
  });

  it('rejects a variable of the wrong type with a coded error', async () => {
    await using env = await startEnv();
    const sub = env.subscribe('subscription ($n: Int!) { ticks(count: $n) }', { n: 'three' });
    // graphql-ws sends a result that is not a stream as one `next`, then `complete`
    const result = await sub.waitForEvent();
    expect(await sub.waitForEnd()).toEqual({ kind: 'complete' });
    expect(result.data).toBeUndefined();
    const errors = (result.errors ?? []) as readonly Coded[];
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]?.message).toMatch(/\$n/);
    expect(errors[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(await env.alpha.activeSubscriptions()).toBe(0);
    expect(await env.upstreamGauge()).toBe(0);
  });

  it('answers a subscription sent over HTTP POST with a coded 400, not a hang or an uncoded 500', async () => {
    await using env = await startEnv();
    const res = await env.query('subscription { thingChanged { id } }');
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.['code']).toBe('SUBSCRIPTION_NOT_SUPPORTED');
    expect((res.body.errors?.[0] as Coded).message).toMatch(/graphql-ws/);
    expect(await env.alpha.activeSubscriptions()).toBe(0);
  });

  it('shares one upstream among 100 identical subscriptions and fetches beta once per event for all of them', async () => {
    await using env = await startEnv();
    const clients = Array.from({ length: 4 }, () => env.client());
    const subs: Subscription[] = Array.from({ length: 100 }, (_, i) =>
      env.subscribe(WATCH_T1, undefined, { client: clients[i % clients.length]! }),
    );
    // the current state first, to every one of them (live or replayed)
    await Promise.all(
      subs.map((s) =>
        s.waitForEvent((e) => expect(e.data).toMatchObject({ thingChanged: { status: 'Ready' } })),
      ),
    );
    expect(await env.alpha.activeSubscriptions()).toBe(1);
    expect(await env.upstreamGauge()).toBe(1);
    expect(await env.downstreamGauge()).toBe(100);

    env.beta.entitiesCalls = 0;
    for (const [n, status] of ['Degraded', 'Down', 'Ready'].entries()) {
      env.alpha.update('t1', { status });
      await Promise.all(
        subs.map((s) =>
          s.waitForEvent((e) =>
            expect(e.data).toMatchObject({
              thingChanged: { status, score: 20, detail: { label: 'detail of t1' } },
            }),
          ),
        ),
      );
      expect(env.beta.entitiesCalls).toBe(n + 1);
    }
    expect(subs.every((s) => s.events.length === 4)).toBe(true);
    expect(await env.alpha.activeSubscriptions()).toBe(1);
    expect(await env.upstreamGauge()).toBe(1);
  });

  it('replays the current state to a late joiner of the shared entity stream, then live events, without duplicates', async () => {
    await using env = await startEnv();
    const query = 'subscription { thingChanged { id status score } }';
    const first = env.subscribe(query);
    await first.waitForEvent((e) =>
      expect(e.data).toEqual({ thingChanged: { id: 't1', status: 'Ready', score: 20 } }),
    );
    await first.waitForEvent((e) =>
      expect(e.data).toEqual({ thingChanged: { id: 't2', status: 'Ready', score: 20 } }),
    );
    env.alpha.update('t1', { status: 'Degraded' });
    await first.waitForEvent((e) =>
      expect(e.data).toMatchObject({ thingChanged: { id: 't1', status: 'Degraded' } }),
    );

    const late = env.subscribe(query, undefined, { client: env.client() });
    // what a fresh subscription would show first: the latest state of each thing
    const replayed = [await late.waitForEvent(), await late.waitForEvent()].map((e) => e.data);
    expect(replayed).toEqual(
      expect.arrayContaining([
        { thingChanged: { id: 't1', status: 'Degraded', score: 20 } },
        { thingChanged: { id: 't2', status: 'Ready', score: 20 } },
      ]),
    );
    expect(await env.alpha.activeSubscriptions()).toBe(1);
    expect(await env.upstreamGauge()).toBe(1);

    env.alpha.update('t2', { status: 'Down' });
    for (const s of [first, late])
      await s.waitForEvent((e) =>
        expect(e.data).toEqual({ thingChanged: { id: 't2', status: 'Down', score: 20 } }),
      );
    await late.expectNoEvent(100);
    expect(late.events).toHaveLength(3);
    expect(first.events).toHaveLength(4);
  });

  it('replays the current state to a late joiner with another selection on the same upstream', async () => {
    await using env = await startEnv();
    const first = env.subscribe('subscription { thingChanged { id status score } }');
    await first.waitForEvent();
    await first.waitForEvent();
    env.alpha.update('t2', { status: 'Down' });
    await first.waitForEvent((e) =>
      expect(e.data).toMatchObject({ thingChanged: { id: 't2', status: 'Down' } }),
    );

    // the same primary fetch on alpha, other beta fields: one upstream, its own group
    const other = env.subscribe('subscription { thingChanged { id status detail { label } } }', undefined, {
      client: env.client(),
    });
    const replayed = [await other.waitForEvent(), await other.waitForEvent()].map((e) => e.data);
    expect(replayed).toEqual(
      expect.arrayContaining([
        { thingChanged: { id: 't1', status: 'Ready', detail: { label: 'detail of t1' } } },
        { thingChanged: { id: 't2', status: 'Down', detail: { label: 'detail of t2' } } },
      ]),
    );
    expect(await env.alpha.activeSubscriptions()).toBe(1);
    expect(await env.upstreamGauge()).toBe(1);
    env.alpha.update('t1', { status: 'Down' });
    await other.waitForEvent((e) =>
      expect(e.data).toEqual({
        thingChanged: { id: 't1', status: 'Down', detail: { label: 'detail of t1' } },
      }),
    );
    await first.waitForEvent((e) =>
      expect(e.data).toEqual({ thingChanged: { id: 't1', status: 'Down', score: 20 } }),
    );
    await other.expectNoEvent(100);
  });

  it('opens one upstream per distinct upstream variables, and shares equal ones', async () => {
    await using env = await startEnv();
    const query =
      'subscription ($ids: [ID!], $withScore: Boolean!) { thingChanged(ids: $ids) { id score @include(if: $withScore) } }';
    const t1 = env.subscribe(query, { ids: ['t1'], withScore: true });
    const t1b = env.subscribe(query, { withScore: false, ids: ['t1'] }, { client: env.client() });
    const t2 = env.subscribe(query, { ids: ['t2'], withScore: true }, { client: env.client() });
    await t1.waitForEvent((e) => expect(e.data).toEqual({ thingChanged: { id: 't1', score: 20 } }));
    await t1b.waitForEvent((e) => expect(e.data).toEqual({ thingChanged: { id: 't1' } }));
    await t2.waitForEvent((e) => expect(e.data).toEqual({ thingChanged: { id: 't2', score: 20 } }));
    expect(await env.alpha.activeSubscriptions()).toBe(2);
    expect(await env.upstreamGauge()).toBe(2);
    env.alpha.update('t2', { status: 'Down' });
    await t2.waitForEvent();
    await t1.expectNoEvent(50);
    expect(t1b.events).toHaveLength(1);
  });

  it('gives a non-entity subscription opened after the first event its own upstream', async () => {
    await using env = await startEnv();
    const query = 'subscription { ticks(count: 3) }';
    const a = env.subscribe(query);
    const a2 = env.subscribe(query, undefined, { client: env.client() });
    await eventually(async () => expect(await env.alpha.activeSubscriptions()).toBe(1));
    await eventually(async () => expect(await env.downstreamGauge()).toBe(2));
    env.alpha.tick();
    await a.waitForEvent((e) => expect(e).toEqual({ data: { ticks: 1 } }));
    await a2.waitForEvent((e) => expect(e).toEqual({ data: { ticks: 1 } }));

    const b = env.subscribe(query, undefined, { client: env.client() });
    await eventually(async () => expect(await env.alpha.activeSubscriptions()).toBe(2));
    expect(await env.upstreamGauge()).toBe(2);
    env.alpha.tick();
    await a.waitForEvent((e) => expect(e).toEqual({ data: { ticks: 2 } }));
    await a2.waitForEvent((e) => expect(e).toEqual({ data: { ticks: 2 } }));
    await b.waitForEvent((e) => expect(e).toEqual({ data: { ticks: 1 } }));

    // count reached: the upstream completes and so do its subscribers
    env.alpha.tick();
    await a.waitForEvent((e) => expect(e).toEqual({ data: { ticks: 3 } }));
    expect(await a.waitForEnd()).toEqual({ kind: 'complete' });
    expect(await a2.waitForEnd()).toEqual({ kind: 'complete' });
    await b.waitForEvent((e) => expect(e).toEqual({ data: { ticks: 2 } }));
    expect(b.ended).toBeUndefined();
    await eventually(async () => expect(await env.upstreamGauge()).toBe(1));
  });

  it('closes the upstream as soon as the last subscriber unsubscribes', async () => {
    await using env = await startEnv();
    const one = env.subscribe(WATCH_T1);
    const two = env.subscribe(WATCH_T1, undefined, { client: env.client() });
    await one.waitForEvent();
    await two.waitForEvent();
    expect(await env.alpha.activeSubscriptions()).toBe(1);
    one.unsubscribe();
    await eventually(async () => expect(await env.downstreamGauge()).toBe(1));
    expect(await env.alpha.activeSubscriptions()).toBe(1);
    env.alpha.update('t1', { status: 'Down' });
    await two.waitForEvent((e) => expect(e.data).toMatchObject({ thingChanged: { status: 'Down' } }));

    const started = Date.now();
    two.unsubscribe();
    await eventually(async () => expect(await env.alpha.activeSubscriptions()).toBe(0), { timeoutMs: 1000 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await env.upstreamGauge()).toBe(0);
    expect(await env.downstreamGauge()).toBe(0);
    expect(one.events).toHaveLength(1);
  });

  it('closes the upstream when the last client connection drops', async () => {
    await using env = await startEnv();
    const client = env.client();
    const subs = [
      env.subscribe(WATCH_T1, undefined, { client }),
      env.subscribe(WATCH_T1, undefined, { client }),
    ];
    for (const s of subs) await s.waitForEvent();
    expect(await env.alpha.activeSubscriptions()).toBe(1);
    expect(await env.downstreamGauge()).toBe(2);
    await client.dispose();
    await eventually(async () => expect(await env.alpha.activeSubscriptions()).toBe(0), { timeoutMs: 1000 });
    await eventually(async () => expect(await env.downstreamGauge()).toBe(0));
    expect(await env.upstreamGauge()).toBe(0);
  });

  it('passes an error event of alpha on, naming alpha (not an internal service), and stays open', async () => {
    await using env = await startEnv();
    const sub = env.subscribe(WATCH_T1);
    await sub.waitForEvent();
    env.alpha.emitNull();
    await sub.waitForEvent((e) => {
      expect(e.data).toBeNull();
      expect(e.errors).toHaveLength(1);
      const error = e.errors?.[0] as Coded & { path?: unknown };
      expect(error.message).toMatch(/Cannot return null for non-nullable field Subscription.thingChanged/);
      expect(error.extensions).toEqual({ code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'alpha' });
      expect(error.path).toEqual(['thingChanged']);
    });
    env.alpha.update('t1', { status: 'Down' });
    await sub.waitForEvent((e) =>
      expect(e).toEqual({
        data: {
          thingChanged: {
            id: 't1',
            name: 'one',
            status: 'Down',
            score: 20,
            detail: { label: 'detail of t1', tags: ['a', 't1'], owner: { name: 'owner-t1' } },
          },
        },
      }),
    );
    expect(sub.ended).toBeUndefined();
  });

  it('keeps the subscription open when beta is down: alpha data, null beta fields and a coded error', async () => {
    await using env = await startEnv();
    const sub = env.subscribe(WATCH_T1);
    await sub.waitForEvent((e) => expect(e.data).toMatchObject({ thingChanged: { score: 20 } }));
    await env.beta.server.close();

    env.alpha.update('t1', { status: 'Degraded' });
    const event = await sub.waitForEvent();
    expect(event.data).toEqual({
      thingChanged: { id: 't1', name: 'one', status: 'Degraded', score: null, detail: null },
    });
    expect(event.errors?.length).toBeGreaterThan(0);
    expect(codes(event)).toContain('SUBGRAPH_UNAVAILABLE');
    expect((event.errors as readonly Coded[]).map((e) => e.extensions?.['serviceName'])).toContain('beta');
    for (const code of codes(event)) expect(typeof code).toBe('string');
    expect(sub.ended).toBeUndefined();

    env.alpha.update('t1', { status: 'Ready' });
    await sub.waitForEvent((e) =>
      expect(e.data).toMatchObject({ thingChanged: { status: 'Ready', score: null } }),
    );
    expect(sub.ended).toBeUndefined();
  });

  it('ends every subscriber with UPSTREAM_SUBSCRIPTION_FAILED then complete when alpha goes away', async () => {
    await using env = await startEnv();
    const subs = [env.subscribe(WATCH_T1), env.subscribe(WATCH_T1, undefined, { client: env.client() })];
    for (const s of subs) await s.waitForEvent();
    await env.alpha.crash();
    for (const s of subs) {
      await s.waitForEvent((e) => {
        expect(e.data).toBeNull();
        expect(codes(e)).toEqual(['UPSTREAM_SUBSCRIPTION_FAILED']);
        expect((e.errors?.[0] as Coded).extensions?.['serviceName']).toBe('alpha');
      });
      expect(await s.waitForEnd()).toEqual({ kind: 'complete' });
    }
    await eventually(async () => expect(await env.upstreamGauge()).toBe(0));
    await eventually(async () => expect(await env.downstreamGauge()).toBe(0));
  });

  it('ends the subscription (no hang) when alpha shuts down gracefully', async () => {
    await using env = await startEnv();
    const sub = env.subscribe(WATCH_T1);
    await sub.waitForEvent();
    await env.alpha.server.close();
    const end = await sub.waitForEnd();
    expect(end.kind).toBe('complete');
    await eventually(async () => expect(await env.upstreamGauge()).toBe(0));
  });

  it('runs a query sent over graphql-ws like one sent over HTTP', async () => {
    await using env = await startEnv();
    const query = '{ things { id name score detail { owner { name } } } }';
    const sub = subscribe(env.client(), query);
    const event = await sub.waitForEvent();
    expect(await sub.waitForEnd()).toEqual({ kind: 'complete' });
    const { body } = await env.query(query);
    expect(event).toEqual({ data: body.data });
    expect(event.data).toMatchObject({
      things: [
        { id: 't1', score: 20 },
        { id: 't2', score: 20 },
      ],
    });
  });
});
