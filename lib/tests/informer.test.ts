import { createKubeSim, type KubeSim } from '@fleetgraph/kube-sim';
import { createInformer, type Informer, type InformerEvent } from '@fleetgraph/lib/kube';
import { waitFor } from '@fleetgraph/lib/testing';
import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { configMap, kubeConfigOf } from '../../kube-sim/tests/support.ts';

/** createInformer against kube-sim (HTTPS, real client-node code path), through every fault kube-sim can inject. */

let sim: KubeSim;
const informers: Array<Informer<KubernetesObject>> = [];

beforeAll(async () => {
  sim = await createKubeSim({ controllers: false, bookmarkIntervalMs: 500 });
});

afterEach(async () => {
  for (const i of informers.splice(0)) await i.stop();
  sim.cluster().faults.clear();
});

afterAll(async () => {
  await sim.close();
});

/** each test stops its informers, so the only client watches are the current test's */
async function watchersConnected(n = 1): Promise<void> {
  await waitFor(() => sim.cluster().store.watcherCount() === n, `${n} watch(es) connected`);
}

function cmType() {
  const type = sim.cluster().registry.get('', 'v1', 'configmaps');
  if (!type) throw new Error('no configmaps type');
  return type;
}

/** a namespace with `names` config maps in it, written behind any client's back */
function seed(ns: string, names: string[], labels: Record<string, string> = {}): void {
  sim.cluster().apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }]);
  for (const n of names) create(ns, n, labels);
}

function create(ns: string, name: string, labels: Record<string, string> = {}): void {
  sim.cluster().api.create({ type: cmType(), namespace: ns }, configMap(ns, name, {}, labels));
}

function update(
  ns: string,
  name: string,
  data: Record<string, string>,
  labels?: Record<string, string>,
): void {
  const current = sim.cluster().api.get({ type: cmType(), namespace: ns, name });
  const body = {
    ...current,
    data,
    metadata: { ...current.metadata, labels: labels ?? current.metadata.labels ?? {} },
  };
  sim.cluster().api.update({ type: cmType(), namespace: ns, name }, body);
}

function remove(ns: string, name: string): void {
  sim.cluster().api.delete({ type: cmType(), namespace: ns, name });
}

function serverState(ns: string): string[] {
  return sim
    .cluster()
    .store.list('configmaps', ns)
    .map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`)
    .sort();
}

function cacheState(informer: Informer<V1ConfigMap>): string[] {
  return informer
    .list()
    .map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`)
    .sort();
}

function converged(informer: Informer<V1ConfigMap>, ns: string): boolean {
  return JSON.stringify(cacheState(informer)) === JSON.stringify(serverState(ns));
}

function lastSeq(): number {
  return sim.cluster().requestLog.at(-1)?.seq ?? 0;
}

/** requests for this namespace's config maps after `seq` */
function requests(ns: string, seq: number) {
  return sim
    .cluster()
    .requestLog.filter((r) => r.seq > seq && r.path === `/api/v1/namespaces/${ns}/configmaps`);
}

async function startInformer(ns: string, opts: { start?: boolean; labelSelector?: string } = {}) {
  const events: string[] = [];
  const informer = createInformer<V1ConfigMap>({
    kubeConfig: kubeConfigOf(sim),
    path: `/api/v1/namespaces/${ns}/configmaps`,
    backoff: { initialMs: 50, maxMs: 400 },
    ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}),
    listener: (e) => events.push(`${e.type} ${e.object.metadata?.name}`),
  });
  informers.push(informer);
  if (opts.start !== false) await informer.start();
  return { informer, events };
}

describe('createInformer', () => {
  it('syncs to the server state and serves reads from memory', async () => {
    seed('i-sync', ['a', 'b', 'c']);
    const { informer, events } = await startInformer('i-sync');
    expect(informer.hasSynced()).toBe(true);
    await informer.synced();
    expect(cacheState(informer)).toEqual(serverState('i-sync'));
    expect(events.sort()).toEqual(['ADDED a', 'ADDED b', 'ADDED c']);
    expect(informer.get('a', 'i-sync')?.kind).toBe('ConfigMap');
    expect(informer.get('a')).toBeUndefined();
    expect(informer.resourceVersion()).toMatch(/^\d+$/);
    expect(informer.stats()).toMatchObject({ lists: 1, watches: 1, restarts: 0, relists: 0 });
    await waitFor(() => requests('i-sync', 0).some((r) => r.query.includes('watch=true')), 'the watch');
    const watchReq = requests('i-sync', 0).find((r) => r.query.includes('watch=true'));
    expect(watchReq?.query).toContain('allowWatchBookmarks=true');
    expect(watchReq?.query).toContain('timeoutSeconds=300');

    const before = sim.cluster().requestLog.length;
    const seq = lastSeq();
    for (let i = 0; i < 100; i++) {
      informer.get('b', 'i-sync');
      informer.list('i-sync');
      informer.list();
      informer.byIndex('namespace', 'i-sync');
    }
    expect(sim.cluster().requestLog.length).toBe(before);
    expect(lastSeq()).toBe(seq);
  });

  it('follows creates, updates and deletes', async () => {
    seed('i-follow', ['a']);
    const { informer, events } = await startInformer('i-follow');
    create('i-follow', 'b');
    update('i-follow', 'a', { x: '1' });
    remove('i-follow', 'b');
    await waitFor(() => events.length === 4 && converged(informer, 'i-follow'), 'changes');
    expect(events).toEqual(['ADDED a', 'ADDED b', 'MODIFIED a', 'DELETED b']);
    expect(informer.get('a', 'i-follow')?.data).toEqual({ x: '1' });
  });

  it('relists after compact()+resetWatches() (410) and reports a delete it missed', async () => {
    seed('i-410', ['a', 'b', 'c']);
    const { informer, events } = await startInformer('i-410');
    await watchersConnected();
    const seq = lastSeq();
    // All synchronous, so no bookmark can slip in: the watcher never hears of these two changes.
    sim.cluster().faults.dropNextEvents(2);
    remove('i-410', 'b');
    create('i-410', 'd');
    sim.cluster().faults.compact();
    sim.cluster().faults.resetWatches();
    await waitFor(() => converged(informer, 'i-410'), 'convergence after relist');
    expect(events).toContain('DELETED b');
    expect(events).toContain('ADDED d');
    expect(informer.stats()).toMatchObject({ lists: 2, relists: 1, restarts: 0 });
    const after = requests('i-410', seq);
    expect(after.some((r) => r.query.includes('watch=true') && r.status === 200)).toBe(true);
    expect(after.some((r) => !r.query.includes('watch=true'))).toBe(true);
  });

  it('re-watches from its resourceVersion after resetWatches(), without relisting', async () => {
    seed('i-reset', ['a']);
    const { informer, events } = await startInformer('i-reset');
    await watchersConnected();
    const seq = lastSeq();
    sim.cluster().faults.resetWatches();
    create('i-reset', 'b');
    update('i-reset', 'a', { y: '2' });
    await waitFor(() => converged(informer, 'i-reset'), 'convergence after reset');
    await waitFor(() => requests('i-reset', seq).length > 0, 'the new watch');
    const after = requests('i-reset', seq);
    expect(after.every((r) => r.query.includes('watch=true'))).toBe(true);
    expect(after[0]?.query).toMatch(/resourceVersion=\d+/);
    expect(informer.stats()).toMatchObject({ lists: 1, relists: 0, restarts: 0 });
    expect(events).toEqual(['ADDED a', 'ADDED b', 'MODIFIED a']);
  });

  it('recovers from dropWatches()', async () => {
    seed('i-drop', ['a']);
    const { informer } = await startInformer('i-drop');
    await watchersConnected();
    const watches = informer.stats().watches;
    expect(sim.cluster().faults.dropWatches()).toBe(1);
    create('i-drop', 'b');
    await waitFor(() => informer.stats().watches > watches && converged(informer, 'i-drop'), 'recovery');
    await watchersConnected();
    expect(informer.stats().relists).toBe(0);
  });

  it('restarts with backoff when the watch fails with 5xx', async () => {
    seed('i-5xx-watch', ['a']);
    const { informer } = await startInformer('i-5xx-watch');
    await watchersConnected();
    sim.cluster().faults.failNext({ count: 3, status: 503, pathPrefix: '/api/v1/namespaces/i-5xx-watch' });
    sim.cluster().faults.resetWatches();
    create('i-5xx-watch', 'b');
    await waitFor(() => converged(informer, 'i-5xx-watch'), 'recovery after 503s');
    expect(informer.stats().restarts).toBe(3);
    expect(informer.stats().lastError).toMatch(/Service Unavailable|503/);
    expect(informer.stats().lists).toBe(1);
  });

  it('restarts with backoff when the list fails with 5xx', async () => {
    seed('i-5xx-list', ['a', 'b']);
    sim.cluster().faults.failNext({ count: 2, status: 500, pathPrefix: '/api/v1/namespaces/i-5xx-list' });
    const { informer } = await startInformer('i-5xx-list');
    expect(informer.hasSynced()).toBe(true);
    expect(cacheState(informer)).toEqual(serverState('i-5xx-list'));
    expect(informer.stats()).toMatchObject({ lists: 3, restarts: 2 });
  });

  it('paginates the list', async () => {
    seed(
      'i-pages',
      Array.from({ length: 12 }, (_, i) => `cm-${String(i).padStart(2, '0')}`),
    );
    const seq = lastSeq();
    const informer = createInformer<V1ConfigMap>({
      kubeConfig: kubeConfigOf(sim),
      path: '/api/v1/namespaces/i-pages/configmaps',
      pageSize: 5,
    });
    informers.push(informer);
    await informer.start();
    expect(cacheState(informer)).toEqual(serverState('i-pages'));
    const lists = requests('i-pages', seq).filter((r) => !r.query.includes('watch=true'));
    expect(lists).toHaveLength(3);
    expect(lists[1]?.query).toContain('continue=');
  });

  it('recovers from a listener restart(downMs)', async () => {
    seed('i-restart', ['a']);
    const { informer } = await startInformer('i-restart');
    await sim.cluster().faults.restart(300);
    create('i-restart', 'b');
    await waitFor(() => converged(informer, 'i-restart'), 'recovery after restart');
  });

  it('recovers from offline("refuse") then online()', async () => {
    seed('i-offline', ['a', 'b']);
    const { informer, events } = await startInformer('i-offline');
    await sim.cluster().faults.offline('refuse');
    remove('i-offline', 'a');
    create('i-offline', 'c');
    await waitFor(() => informer.stats().restarts > 0, 'a failed reconnect');
    await sim.cluster().faults.online();
    await waitFor(() => converged(informer, 'i-offline'), 'recovery after offline');
    expect(events).toContain('DELETED a');
    expect(events).toContain('ADDED c');
  });

  it('takes resourceVersions from bookmarks without touching the cache', async () => {
    seed('i-bookmark', ['a']);
    seed('i-elsewhere', []);
    const { informer, events } = await startInformer('i-bookmark');
    await watchersConnected();
    const cache = cacheState(informer);
    create('i-elsewhere', 'x'); // moves the cluster's resourceVersion past anything this informer saw
    const clusterRv = String(sim.cluster().store.resourceVersion);
    await waitFor(() => informer.resourceVersion() === clusterRv, 'a bookmark');
    expect(cacheState(informer)).toEqual(cache);
    expect(events).toEqual(['ADDED a']);
  });

  it('stops promptly while a connect hangs (offline "hang")', async () => {
    seed('i-hang', ['a']);
    const { informer } = await startInformer('i-hang');
    await watchersConnected();
    const watches = informer.stats().watches;
    await sim.cluster().faults.offline('hang');
    await waitFor(() => informer.stats().watches > watches, 'a re-watch into the hang');
    const t0 = Date.now();
    await informer.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
    await sim.cluster().faults.online();
  });

  it('fails a LIST that hangs after listPageTimeoutMs, reports it, and syncs once the server answers', async () => {
    seed('i-hang-list', ['a', 'b']);
    await sim.cluster().faults.offline('hang');
    const errors: unknown[] = [];
    const informer = createInformer<V1ConfigMap>({
      kubeConfig: kubeConfigOf(sim),
      path: '/api/v1/namespaces/i-hang-list/configmaps',
      backoff: { initialMs: 50, maxMs: 200 },
      listPageTimeoutMs: 200,
      onError: (e) => errors.push(e),
    });
    informers.push(informer);
    void informer.start().catch(() => undefined);
    try {
      await waitFor(() => errors.length > 0, 'the hung LIST to fail');
      expect(informer.hasSynced()).toBe(false);
      expect(informer.stats().lastError).toMatch(/TimeoutError|aborted/i);
    } finally {
      await sim.cluster().faults.online();
    }
    await informer.synced();
    expect(cacheState(informer)).toEqual(serverState('i-hang-list'));
  });

  it('says a resource that is not served (404) once at warn, and its retries at debug', async () => {
    const lines: string[] = [];
    const informer = createInformer<V1ConfigMap>({
      kubeConfig: kubeConfigOf(sim),
      path: '/apis/not-installed.example.com/v1/things',
      backoff: { initialMs: 20, maxMs: 40 },
      log: { debug: (m) => lines.push(`debug ${m}`), warn: (m) => lines.push(`warn ${m}`) },
    });
    informers.push(informer);
    void informer.start().catch(() => undefined);
    await waitFor(() => informer.stats().restarts >= 3, 'three retries of the missing resource');
    const notServed = lines.filter((l) => l.endsWith('resource not served here; retrying'));
    expect(notServed[0]).toBe('warn resource not served here; retrying');
    expect(notServed.slice(1).every((l) => l.startsWith('debug '))).toBe(true);
    expect(notServed.length).toBeGreaterThanOrEqual(3);
  });

  it('gives every events() consumer every change once, in resourceVersion order', async () => {
    seed('i-events', ['a']);
    const { informer } = await startInformer('i-events');
    const consume = async (filter?: (e: InformerEvent<V1ConfigMap>) => boolean) => {
      const seen: Array<{ type: string; name: string; rv: number }> = [];
      for await (const e of informer.events(filter ? { filter } : {})) {
        seen.push({
          type: e.type,
          name: e.object.metadata?.name ?? '',
          rv: Number(e.object.metadata?.resourceVersion),
        });
        if (seen.length === (filter ? 2 : 6)) break;
      }
      return seen;
    };
    const all1 = consume();
    const all2 = consume();
    const onlyB = consume((e) => e.object.metadata?.name === 'b');
    const watches = informer.stats().watches;
    create('i-events', 'b');
    update('i-events', 'a', { n: '1' });
    sim.cluster().faults.resetWatches(); // a re-watch in the middle must neither lose nor repeat events
    update('i-events', 'b', { n: '2' });
    create('i-events', 'c');
    update('i-events', 'a', { n: '3' });
    remove('i-events', 'c');
    const [s1, s2, sb] = await Promise.all([all1, all2, onlyB]);
    expect(s1).toEqual(s2);
    expect(s1.map((e) => `${e.type} ${e.name}`)).toEqual([
      'ADDED b',
      'MODIFIED a',
      'MODIFIED b',
      'ADDED c',
      'MODIFIED a',
      'DELETED c',
    ]);
    const rvs = s1.map((e) => e.rv);
    expect(rvs).toEqual([...rvs].sort((x, y) => x - y));
    expect(new Set(rvs).size).toBe(rvs.length);
    expect(sb.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED b', 'MODIFIED b']);
    // three consumers, one watch (plus the one re-watch after the reset)
    expect(informer.stats().watches - watches).toBeLessThanOrEqual(1);
  });

  it('indexes by namespace, label and owner, and keeps the indexes current', async () => {
    seed('i-index', []);
    create('i-index', 'web-1', { app: 'web' });
    create('i-index', 'web-2', { app: 'web' });
    create('i-index', 'db-1', { app: 'db' });
    const owner = sim.cluster().api.get({ type: cmType(), namespace: 'i-index', name: 'db-1' });
    const uid = owner.metadata.uid ?? '';
    sim.cluster().api.create(
      { type: cmType(), namespace: 'i-index' },
      {
        ...configMap('i-index', 'child'),
        metadata: {
          name: 'child',
          namespace: 'i-index',
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'db-1', uid }],
        },
      },
    );
    const { informer } = await startInformer('i-index');
    const names = (objs: V1ConfigMap[]) => objs.map((o) => o.metadata?.name).sort();
    expect(names(informer.byIndex('label:app', 'web'))).toEqual(['web-1', 'web-2']);
    expect(names(informer.byIndex('label:app', 'db'))).toEqual(['db-1']);
    expect(names(informer.byIndex('owner', uid))).toEqual(['child']);
    expect(names(informer.byIndex('namespace', 'i-index'))).toHaveLength(4);
    expect(names(informer.list('i-index'))).toHaveLength(4);
    expect(informer.byIndex('label:nope', 'x')).toEqual([]);
    update('i-index', 'web-2', {}, { app: 'db' });
    remove('i-index', 'web-1');
    await waitFor(() => converged(informer, 'i-index'), 'changes');
    expect(informer.byIndex('label:app', 'web')).toEqual([]);
    expect(names(informer.byIndex('label:app', 'db'))).toEqual(['db-1', 'web-2']);
  });

  it('applies a label selector to the list and the watch', async () => {
    seed('i-sel', []);
    create('i-sel', 'x', { tier: 'front' });
    create('i-sel', 'y', { tier: 'back' });
    const { informer, events } = await startInformer('i-sel', { labelSelector: 'tier=front' });
    expect(informer.list().map((o) => o.metadata?.name)).toEqual(['x']);
    create('i-sel', 'z', { tier: 'front' });
    create('i-sel', 'w', { tier: 'back' });
    await waitFor(() => informer.list().length === 2, 'z');
    expect(events).toEqual(['ADDED x', 'ADDED z']);
  });

  it('never restarts once stopped, and ends its events() streams', async () => {
    seed('i-stop', ['a']);
    const { informer } = await startInformer('i-stop');
    const stream = informer.events();
    const ended = stream.next();
    await informer.stop();
    await expect(ended).resolves.toEqual({ value: undefined, done: true });
    await watchersConnected(0); // stop() closed the watch connection
    const stats = informer.stats();
    const seq = lastSeq();
    sim.cluster().faults.resetWatches();
    create('i-stop', 'b');
    await informer.stop(); // idempotent
    expect(informer.stats()).toEqual(stats);
    expect(requests('i-stop', seq)).toEqual([]);
    await expect(informer.start()).rejects.toThrow(/stopped/);
  });

  it('rejects synced() when stopped before its first sync, without unhandled rejections', async () => {
    seed('i-unsynced', ['a']);
    sim.cluster().faults.failNext({ count: 1000, status: 503, pathPrefix: '/api/v1/namespaces/i-unsynced' });
    const { informer } = await startInformer('i-unsynced', { start: false });
    const started = informer.start();
    await waitFor(() => informer.stats().restarts >= 2, 'failing lists');
    expect(informer.hasSynced()).toBe(false);
    await informer.stop();
    await expect(started).rejects.toThrow(/stopped before it synced/);
    sim.cluster().faults.clear();
  });

  it('is AsyncDisposable', async () => {
    seed('i-dispose', ['a']);
    let informer: Informer<V1ConfigMap> | undefined;
    {
      await using inf = createInformer<V1ConfigMap>({
        kubeConfig: kubeConfigOf(sim),
        path: '/api/v1/namespaces/i-dispose/configmaps',
      });
      informer = inf;
      await inf.start();
    }
    await expect(informer.start()).rejects.toThrow(/stopped/);
  });
});
