import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createKubeSim, type KubeSim } from '../src/index.ts';
import { configMap, openWatch, raw } from './support.ts';

/** Watch on the wire: resume, 410 inside the stream, bookmarks, timeouts, selector transitions, ordering. */

let sim: KubeSim;
const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

beforeAll(async () => {
  // no controllers: the ordering test counts every resourceVersion, and heartbeats would add their own
  sim = await createKubeSim({ seed: [ns('w')], bookmarkIntervalMs: 100, controllers: false });
});
afterAll(async () => {
  await sim.close();
});

const rvOf = (o: unknown): number =>
  Number((o as { metadata: { resourceVersion: string } }).metadata.resourceVersion);

async function put(name: string, data: Record<string, string>, labels: Record<string, string> = {}) {
  const existing = await raw(sim, 'GET', `/api/v1/namespaces/w/configmaps/${name}`);
  if (existing.status === 404)
    return raw(sim, 'POST', '/api/v1/namespaces/w/configmaps', { body: configMap('w', name, data, labels) });
  return raw(sim, 'PATCH', `/api/v1/namespaces/w/configmaps/${name}`, {
    body: { metadata: { labels }, data },
    contentType: 'application/merge-patch+json',
  });
}

describe('watch', () => {
  it('streams one JSON event per line on a chunked 200, starting with the current state when no resourceVersion is given', async () => {
    await put('first', { a: '1' });
    const w = await openWatch(sim, '/api/v1/namespaces/w/configmaps?watch=true');
    expect(w.status).toBe(200);
    expect(w.headers['transfer-encoding']).toBe('chunked');
    expect(w.headers['content-length']).toBeUndefined();
    const [added] = await w.next(1);
    expect(added?.type).toBe('ADDED');
    expect(added?.object.kind).toBe('ConfigMap');
    expect(added?.object.metadata.name).toBe('first');
    w.close();
  });

  it('resumes from a list resourceVersion with no replay of older state, and replays what came after', async () => {
    const list = await raw(sim, 'GET', '/api/v1/namespaces/w/configmaps');
    const listRv = rvOf(list.json);
    await put('later', { b: '1' });
    await put('first', { a: '2' });
    const w = await openWatch(sim, `/api/v1/namespaces/w/configmaps?watch=1&resourceVersion=${listRv}`);
    const events = await w.next(2);
    expect(events.map((e) => `${e.type} ${e.object.metadata.name ?? ''}`)).toEqual([
      'ADDED later',
      'MODIFIED first',
    ]);
    expect(events.every((e) => rvOf(e.object) > listRv)).toBe(true);
    w.close();
  });

  it('sends ERROR 410 Expired inside the stream for a compacted resourceVersion, then ends it', async () => {
    const before = rvOf((await raw(sim, 'GET', '/api/v1/namespaces/w/configmaps')).json);
    await put('compacted', { c: '1' });
    sim.cluster().faults.compact();
    const w = await openWatch(sim, `/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${before}`);
    expect(w.status).toBe(200);
    await w.ended;
    expect(w.events).toHaveLength(1);
    expect(w.events[0]?.type).toBe('ERROR');
    expect(w.events[0]?.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(String(w.events[0]?.object['message'])).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });

  it('sends bookmarks only when asked, carrying the current resourceVersion', async () => {
    const rv = rvOf((await raw(sim, 'GET', '/api/v1/namespaces/w/configmaps')).json);
    const plain = await openWatch(sim, `/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${rv}`);
    const w = await openWatch(
      sim,
      `/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`,
    );
    const [b] = await w.next(1);
    expect(b?.type).toBe('BOOKMARK');
    expect(b?.object.kind).toBe('ConfigMap');
    expect(rvOf(b?.object)).toBeGreaterThanOrEqual(rv);
    expect(plain.events).toHaveLength(0);
    w.close();
    plain.close();
  });

  it('ends the stream cleanly after timeoutSeconds', async () => {
    const rv = rvOf((await raw(sim, 'GET', '/api/v1/namespaces/w/configmaps')).json);
    const w = await openWatch(
      sim,
      `/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${rv}&timeoutSeconds=1`,
    );
    const started = Date.now();
    await w.ended;
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(w.events.filter((e) => e.type !== 'BOOKMARK')).toHaveLength(0);
  });

  it('turns selector transitions into ADDED and DELETED', async () => {
    const rv = rvOf((await raw(sim, 'GET', '/api/v1/namespaces/w/configmaps')).json);
    const w = await openWatch(
      sim,
      `/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${rv}&labelSelector=tier%3Dweb`,
    );
    await put('moving', { m: '1' }, { tier: 'db' });
    await put('moving', { m: '2' }, { tier: 'web' });
    await put('moving', { m: '3' }, { tier: 'web' });
    await put('moving', { m: '4' }, { tier: 'db' });
    const events = await w.next(3);
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(events.map((e) => (e.object['data'] as Record<string, string>)['m'])).toEqual(['2', '3', '4']);
    w.close();
  });

  it('sends a DELETED event with a new resourceVersion, and watches a single object by name', async () => {
    const created = await put('doomed', {});
    const rv = rvOf(created.json);
    const w = await openWatch(
      sim,
      `/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Ddoomed`,
    );
    await put('bystander', {});
    const del = await raw(sim, 'DELETE', '/api/v1/namespaces/w/configmaps/doomed', {
      body: { propagationPolicy: 'Background' },
    });
    expect(del.status).toBe(200);
    const [e] = await w.next(1);
    expect(e?.type).toBe('DELETED');
    expect(rvOf(e?.object)).toBeGreaterThan(rv);
    expect(w.events.some((x) => x.object.metadata.name === 'bystander')).toBe(false);
    w.close();
  });

  it('refuses a resourceVersion from the future and a bad selector before streaming', async () => {
    const future = await raw(
      sim,
      'GET',
      '/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=999999999',
    );
    expect(future.status).toBe(504);
    expect(future.json).toMatchObject({ kind: 'Status', reason: 'Timeout' });
    const bad = await raw(sim, 'GET', '/api/v1/namespaces/w/configmaps?watch=true&labelSelector=a%20in%20(b');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
  });
});

describe('ordering and completeness under load', () => {
  it(
    'every concurrent watcher sees every change exactly once, in resourceVersion order',
    { timeout: 60_000 },
    async () => {
      await raw(sim, 'POST', '/api/v1/namespaces', { body: ns('load') });
      const rv = rvOf((await raw(sim, 'GET', '/api/v1/namespaces/load/configmaps')).json);
      const watchers = await Promise.all(
        Array.from({ length: 8 }, () =>
          openWatch(sim, `/api/v1/namespaces/load/configmaps?watch=true&resourceVersion=${rv}`),
        ),
      );
      // A late joiner resumes from the same resourceVersion while writes are in flight.
      const writes: Promise<unknown>[] = [];
      const names = Array.from({ length: 50 }, (_, i) => `cm-${i}`);
      for (const n of names)
        writes.push(
          raw(sim, 'POST', '/api/v1/namespaces/load/configmaps', { body: configMap('load', n, { v: '0' }) }),
        );
      await Promise.all(writes);
      const late = openWatch(sim, `/api/v1/namespaces/load/configmaps?watch=true&resourceVersion=${rv}`);
      const total = 5000;
      const batch: Promise<unknown>[] = [];
      for (let i = 0; i < total - names.length * 2; i++) {
        const n = names[i % names.length] ?? 'cm-0';
        batch.push(
          raw(sim, 'PATCH', `/api/v1/namespaces/load/configmaps/${n}`, {
            body: { data: { v: String(i + 1) } },
            contentType: 'application/merge-patch+json',
          }),
        );
        if (batch.length === 50) await Promise.all(batch.splice(0));
      }
      await Promise.all(batch);
      for (const n of names) await raw(sim, 'DELETE', `/api/v1/namespaces/load/configmaps/${n}`);
      watchers.push(await late);
      const finalRv = sim.cluster().store.resourceVersion;
      const expected = finalRv - rv;
      expect(expected).toBe(total);
      for (const w of watchers) {
        const events = await w.next(expected, 30_000);
        const rvs = events.map((e) => rvOf(e.object));
        expect(rvs).toHaveLength(expected);
        // strictly increasing and contiguous: no gap, no duplicate, no reordering
        expect(rvs.every((v, i) => v === rv + 1 + i)).toBe(true);
        w.close();
      }
    },
  );
});
