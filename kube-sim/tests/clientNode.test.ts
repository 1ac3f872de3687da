import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubernetesObject,
  ListWatch,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createKubeSim, type KubeSim } from '../src/index.ts';
import { configMap, kubeConfigOf, waitFor } from './support.ts';

/** @kubernetes/client-node 2.x, unmodified, against kube-sim: typed calls and an informer across reconnects and relists. */

let sim: KubeSim;
let core: CoreV1Api;

beforeAll(async () => {
  sim = await createKubeSim({ seed: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } }] });
  const kc = kubeConfigOf(sim);
  core = kc.makeApiClient(CoreV1Api);
});
afterAll(async () => {
  await sim.close();
});

async function expectStatus(p: Promise<unknown>, code: number, reason: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiException);
  const e = err as ApiException<string>;
  expect(e.code).toBe(code);
  expect(JSON.parse(e.body).reason).toBe(reason);
}

describe('typed API calls', () => {
  it('creates, reads, lists, patches and deletes with the right resourceVersions', async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: 'app',
      body: configMap('app', 'one', { a: '1' }, { tier: 'web' }),
    });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    const rv1 = Number(created.metadata?.resourceVersion);
    const read = await core.readNamespacedConfigMap({ namespace: 'app', name: 'one' });
    expect(read.data).toEqual({ a: '1' });
    const list = await core.listNamespacedConfigMap({ namespace: 'app', labelSelector: 'tier in (web,api)' });
    expect(list.items.map((i) => i.metadata?.name)).toEqual(['one']);
    expect(Number(list.metadata?.resourceVersion)).toBeGreaterThanOrEqual(rv1);
    // client-node's default patch type is JSON patch
    const patched = await core.patchNamespacedConfigMap({
      namespace: 'app',
      name: 'one',
      body: [{ op: 'add', path: '/data/b', value: '2' }],
    });
    expect(patched.data).toEqual({ a: '1', b: '2' });
    expect(Number(patched.metadata?.resourceVersion)).toBeGreaterThan(rv1);
    const merged = await core.patchNamespacedConfigMap(
      { namespace: 'app', name: 'one', body: { data: { a: null } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(merged.data).toEqual({ b: '2' });
    // A write that changes nothing keeps the resourceVersion.
    const same = await core.replaceNamespacedConfigMap({ namespace: 'app', name: 'one', body: merged });
    expect(same.metadata?.resourceVersion).toBe(merged.metadata?.resourceVersion);
    await core.deleteNamespacedConfigMap({ namespace: 'app', name: 'one' });
    await expectStatus(core.readNamespacedConfigMap({ namespace: 'app', name: 'one' }), 404, 'NotFound');
  });

  it('refuses a stale resourceVersion with 409 Conflict and a duplicate create with AlreadyExists', async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: 'app',
      body: configMap('app', 'occ', { v: '1' }),
    });
    await core.replaceNamespacedConfigMap({
      namespace: 'app',
      name: 'occ',
      body: { ...cm, data: { v: '2' } },
    });
    await expectStatus(
      core.replaceNamespacedConfigMap({ namespace: 'app', name: 'occ', body: { ...cm, data: { v: '3' } } }),
      409,
      'Conflict',
    );
    await expectStatus(
      core.createNamespacedConfigMap({ namespace: 'app', body: configMap('app', 'occ') }),
      409,
      'AlreadyExists',
    );
    expect((await core.readNamespacedConfigMap({ namespace: 'app', name: 'occ' })).data).toEqual({ v: '2' });
  });

  it('names generated from generateName, and invalid names refused with 422', async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: 'app',
      body: { metadata: { generateName: 'gen-' }, data: {} },
    });
    expect(cm.metadata?.name).toMatch(/^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    await expectStatus(
      core.createNamespacedConfigMap({ namespace: 'app', body: configMap('app', 'Not_Valid') }),
      422,
      'Invalid',
    );
    await expectStatus(
      core.createNamespacedConfigMap({ namespace: 'missing', body: configMap('missing', 'x') }),
      404,
      'NotFound',
    );
  });

  it('paginates with limit and continue over one snapshot', async () => {
    await core.createNamespace({ body: { metadata: { name: 'pages' } } });
    for (let i = 0; i < 7; i++)
      await core.createNamespacedConfigMap({ namespace: 'pages', body: configMap('pages', `cm-${i}`) });
    const first = await core.listNamespacedConfigMap({ namespace: 'pages', limit: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.metadata?.remainingItemCount).toBe(4);
    // Changes after the first page do not show up in later pages.
    await core.createNamespacedConfigMap({ namespace: 'pages', body: configMap('pages', 'cm-late') });
    const names = first.items.map((i) => i.metadata?.name);
    let token = first.metadata?._continue;
    while (token) {
      const next = await core.listNamespacedConfigMap({ namespace: 'pages', limit: 3, _continue: token });
      expect(next.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
      names.push(...next.items.map((i) => i.metadata?.name));
      token = next.metadata?._continue;
    }
    expect(names).toEqual(['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5', 'cm-6']);
  });

  it('reads and writes the scale subresource of a Deployment', async () => {
    const apps = kubeConfigOf(sim).makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: 'app',
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'c', image: 'nginx' }] },
          },
        },
      },
    });
    const scale = await apps.readNamespacedDeploymentScale({ namespace: 'app', name: 'web' });
    expect(scale.spec?.replicas).toBe(2);
    expect(scale.status?.selector).toBe('app=web');
    await apps.replaceNamespacedDeploymentScale({
      namespace: 'app',
      name: 'web',
      body: { ...scale, spec: { replicas: 5 } },
    });
    const d = await apps.readNamespacedDeployment({ namespace: 'app', name: 'web' });
    expect(d.spec?.replicas).toBe(5);
    expect(d.metadata?.generation).toBe(2);
  });

  it('serves custom resources once their CRD exists, and refuses strategic merge on them with 415', async () => {
    const kc = kubeConfigOf(sim);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const ext = await import('@kubernetes/client-node').then((m) => kc.makeApiClient(m.ApiextensionsV1Api));
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: 'queues.scheduling.example.io' },
        spec: {
          group: 'scheduling.example.io',
          scope: 'Cluster',
          names: { plural: 'queues', singular: 'queue', kind: 'Queue', shortNames: ['q'] },
          versions: [
            {
              name: 'v1beta1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: { spec: { type: 'object', properties: { weight: { type: 'integer' } } } },
                },
              },
              subresources: { status: {} },
            },
          ],
        },
      },
    });
    const q = (await custom.createClusterCustomObject({
      group: 'scheduling.example.io',
      version: 'v1beta1',
      plural: 'queues',
      body: {
        apiVersion: 'scheduling.example.io/v1beta1',
        kind: 'Queue',
        metadata: { name: 'default' },
        spec: { weight: 1, bogus: true },
      },
    })) as KubernetesObject & { spec: Record<string, unknown> };
    expect(q.spec).toEqual({ weight: 1 });
    await expectStatus(
      custom.patchClusterCustomObject(
        {
          group: 'scheduling.example.io',
          version: 'v1beta1',
          plural: 'queues',
          name: 'default',
          body: { spec: { weight: 2 } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
      415,
      'UnsupportedMediaType',
    );
    await expectStatus(
      custom.createClusterCustomObject({
        group: 'scheduling.example.io',
        version: 'v1beta1',
        plural: 'queues',
        body: {
          apiVersion: 'scheduling.example.io/v1beta1',
          kind: 'Queue',
          metadata: { name: 'bad' },
          spec: { weight: 'heavy' },
        },
      }),
      422,
      'Invalid',
    );
  });
});

describe('an informer (ListWatch)', () => {
  type Cache = ListWatch<V1ConfigMap>;

  async function startInformer(namespace: string): Promise<{ informer: Cache; events: string[] }> {
    const kc = kubeConfigOf(sim);
    const api = kc.makeApiClient(CoreV1Api);
    const events: string[] = [];
    const informer = new ListWatch<V1ConfigMap>(
      `/api/v1/namespaces/${namespace}/configmaps`,
      new Watch(kc),
      () => api.listNamespacedConfigMap({ namespace }),
      false,
    );
    informer.on('add', (o) => events.push(`add ${o.metadata?.name ?? ''}`));
    informer.on('update', (o) => events.push(`update ${o.metadata?.name ?? ''}`));
    informer.on('delete', (o) => events.push(`delete ${o.metadata?.name ?? ''}`));
    // client-node's ListWatch stops for good on any error but 410 and its own timeout: restart it, as lib/kube does.
    // (An informer we stopped reports its aborted request as an error too: do not revive it.)
    let stopped = false;
    const stop = informer.stop.bind(informer);
    informer.stop = async () => {
      stopped = true;
      await stop();
    };
    informer.on('error', () => setTimeout(() => stopped || void informer.start(), 50));
    const before = sim.cluster().requestLog.at(-1)?.seq ?? 0;
    await informer.start();
    // Synced: listed, and its watch is open.
    await waitFor(
      () =>
        sim
          .cluster()
          .requestLog.some(
            (r) => r.seq > before && r.path.includes(`/${namespace}/`) && r.query.includes('watch=true'),
          ),
      'the informer watch',
    );
    return { informer, events };
  }

  /** the informer holds exactly what the server holds, at the same resourceVersions */
  function converged(informer: Cache, namespace: string): boolean {
    const server = sim.cluster().store.list('configmaps', namespace);
    const cached = informer.list(namespace);
    if (cached.length !== server.length) return false;
    return server.every(
      (s) =>
        informer.get(s.metadata.name, namespace)?.metadata?.resourceVersion === s.metadata.resourceVersion,
    );
  }

  /** the GET requests on one namespace's configmaps since a point in the request log */
  const requests = (namespace: string, since: number) =>
    sim
      .cluster()
      .requestLog.filter(
        (r) => r.seq > since && r.method === 'GET' && r.path === `/api/v1/namespaces/${namespace}/configmaps`,
      );
  const lastSeq = () => sim.cluster().requestLog.at(-1)?.seq ?? 0;

  it('re-watches from its last resourceVersion after a clean close, without a relist', async () => {
    await core.createNamespace({ body: { metadata: { name: 'inf1' } } });
    await core.createNamespacedConfigMap({ namespace: 'inf1', body: configMap('inf1', 'a') });
    const { informer, events } = await startInformer('inf1');
    await waitFor(() => converged(informer, 'inf1'), 'initial sync');
    const seq = lastSeq();
    sim.cluster().faults.resetWatches();
    await core.createNamespacedConfigMap({ namespace: 'inf1', body: configMap('inf1', 'b') });
    await core.patchNamespacedConfigMap({
      namespace: 'inf1',
      name: 'a',
      body: [{ op: 'add', path: '/data', value: { x: '1' } }],
    });
    await waitFor(() => converged(informer, 'inf1'), 'convergence after reset');
    expect(events).toEqual(['add a', 'add b', 'update a']);
    const after = requests('inf1', seq);
    expect(after.every((r) => r.query.includes('watch=true'))).toBe(true);
    expect(after[0]?.query).toMatch(/resourceVersion=\d+/);
    await informer.stop();
  });

  it('relists after a forced 410 and reports objects deleted while it was away', async () => {
    await core.createNamespace({ body: { metadata: { name: 'inf2' } } });
    for (const n of ['a', 'b', 'c'])
      await core.createNamespacedConfigMap({ namespace: 'inf2', body: configMap('inf2', n) });
    const { informer, events } = await startInformer('inf2');
    await waitFor(() => converged(informer, 'inf2'), 'initial sync');
    // Take the cluster away, change things, forget history: the informer must relist to catch up.
    await sim.cluster().faults.offline('refuse');
    const api = sim.cluster().api;
    const type = sim.cluster().registry.get('', 'v1', 'configmaps');
    if (!type) throw new Error('no configmaps type');
    api.delete({ type, namespace: 'inf2', name: 'b' });
    api.create({ type, namespace: 'inf2' }, configMap('inf2', 'd'));
    sim.cluster().store.compact();
    const seq = lastSeq();
    await sim.cluster().faults.online();
    await waitFor(() => converged(informer, 'inf2'), 'convergence after relist', 15_000);
    expect(events).toContain('delete b');
    expect(events).toContain('add d');
    expect(
      informer
        .list('inf2')
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(['a', 'c', 'd']);
    // The informer's watch from its old resourceVersion was answered with 410, then it listed again.
    const after = requests('inf2', seq);
    expect(after.some((r) => !r.query.includes('watch=true'))).toBe(true);
    await informer.stop();
  });

  it('replays deletes made while disconnected when history still holds them', async () => {
    await core.createNamespace({ body: { metadata: { name: 'inf3' } } });
    for (const n of ['a', 'b'])
      await core.createNamespacedConfigMap({ namespace: 'inf3', body: configMap('inf3', n) });
    const { informer, events } = await startInformer('inf3');
    await waitFor(() => converged(informer, 'inf3'), 'initial sync');
    await sim.cluster().faults.offline('refuse');
    const type = sim.cluster().registry.get('', 'v1', 'configmaps');
    if (!type) throw new Error('no configmaps type');
    sim.cluster().api.delete({ type, namespace: 'inf3', name: 'a' });
    const seq = lastSeq();
    await sim.cluster().faults.online();
    await waitFor(() => converged(informer, 'inf3'), 'convergence after reconnect', 15_000);
    expect(events.at(-1)).toBe('delete a');
    // No relist was needed: the watch resumed from the informer's resourceVersion.
    expect(requests('inf3', seq).every((r) => r.query.includes('watch=true'))).toBe(true);
    await informer.stop();
  });

  it('stays correct across its own 30 s watch timeout', { timeout: 60_000 }, async () => {
    await core.createNamespace({ body: { metadata: { name: 'inf4' } } });
    await core.createNamespacedConfigMap({ namespace: 'inf4', body: configMap('inf4', 'a') });
    const { informer, events } = await startInformer('inf4');
    await waitFor(() => converged(informer, 'inf4'), 'initial sync');
    const seq = lastSeq();
    // client-node aborts an idle watch after 30 s and re-watches from its resourceVersion.
    await waitFor(
      () => requests('inf4', seq).some((r) => r.query.includes('watch=true')),
      'the re-watch after 30 s',
      45_000,
    );
    await core.createNamespacedConfigMap({ namespace: 'inf4', body: configMap('inf4', 'b') });
    await waitFor(() => converged(informer, 'inf4'), 'convergence after the timeout');
    expect(events).toEqual(['add a', 'add b']);
    expect(requests('inf4', seq).every((r) => r.query.includes('watch=true'))).toBe(true);
    await informer.stop();
  });
});
