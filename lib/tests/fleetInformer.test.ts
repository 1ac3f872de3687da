import { createKubeSim, type KubeSim } from '@fleetgraph/kube-sim';
import {
  type ClusterRegistry,
  createClusterRegistry,
  createFleetInformer,
  type FleetEvent,
  type FleetInformer,
  loadKubeConfig,
} from '@fleetgraph/lib/kube';
import { waitFor } from '@fleetgraph/lib/testing';
import type { V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';

import { pod } from '../../kube-sim/tests/support.ts';

/** createFleetInformer over a ClusterRegistry of kube-sim clusters: pods on every member, members coming and going. */

const backoff = { initialMs: 20, maxMs: 200 };
const disposables: AsyncDisposable[] = [];

afterEach(async () => {
  for (const d of disposables.splice(0).reverse()) await d[Symbol.asyncDispose]();
});

async function fleetSim(): Promise<KubeSim> {
  const sim = await createKubeSim({
    controllers: false,
    fleet: { clusters: [{ name: 'host', multiCluster: true }, { name: 'prod' }, { name: 'edge' }] },
  });
  for (const name of ['host', 'prod', 'edge'])
    sim.apply([pod('default', `${name}-a`), pod('default', `${name}-b`)], name);
  return sim;
}

function follow(sim: KubeSim): {
  registry: ClusterRegistry;
  fleet: FleetInformer<V1Pod>;
  events: string[];
} {
  const registry = createClusterRegistry({
    host: loadKubeConfig({ kind: 'inline', kubeconfig: sim.cluster('host').kubeconfig() }),
    backoff,
  });
  const fleet = createFleetInformer<V1Pod>({ registry, path: '/api/v1/pods', backoff });
  disposables.push(registry, fleet);
  const events: string[] = [];
  fleet.subscribe((e: FleetEvent<V1Pod>) => events.push(`${e.type} ${e.cluster}/${e.object.metadata?.name}`));
  return { registry, fleet, events };
}

const names = (pods: V1Pod[]): string[] => pods.map((p) => p.metadata?.name ?? '').sort();

function clusterTarget(sim: KubeSim, name: string) {
  const type = sim.cluster('host').registry.get('cluster.kubesphere.io', 'v1alpha1', 'clusters');
  if (!type) throw new Error('no Cluster type on the host');
  return { type, namespace: '', name };
}

function podTarget(sim: KubeSim, cluster: string, name: string) {
  const type = sim.cluster(cluster).registry.get('', 'v1', 'pods');
  if (!type) throw new Error('no pods type');
  return { type, namespace: 'default', name };
}

describe('createFleetInformer', () => {
  it('follows pods on every cluster, through subscribe and events()', async () => {
    const sim = await fleetSim();
    disposables.push(sim);
    const { fleet, events } = follow(sim);
    await fleet.start();
    expect(fleet.settled()).toBe(true);
    expect(fleet.clusters()).toEqual(['edge', 'host', 'prod']);
    for (const c of ['host', 'prod', 'edge']) {
      expect(names(fleet.list(c))).toEqual([`${c}-a`, `${c}-b`]);
      expect(fleet.clusterState(c)).toEqual({ synced: true, lastError: undefined });
    }
    expect(fleet.get('prod', 'prod-a', 'default')?.metadata?.name).toBe('prod-a');
    expect(fleet.get('prod', 'host-a', 'default')).toBeUndefined();
    expect(names(fleet.byIndex('edge', 'namespace', 'default'))).toEqual(['edge-a', 'edge-b']);
    expect(events.filter((e) => e.startsWith('ADDED')).length).toBe(6);

    const stream = fleet.events({ filter: (e) => e.cluster === 'edge' });
    sim.apply([pod('default', 'prod-c')], 'prod');
    sim.apply([pod('default', 'edge-c')], 'edge');
    const next = await stream.next();
    expect(next.done).toBe(false);
    expect(next.value).toMatchObject({
      type: 'ADDED',
      cluster: 'edge',
      object: { metadata: { name: 'edge-c' } },
    });
    await waitFor(() => events.includes('ADDED prod/prod-c'), 'prod-c ADDED');
    await fleet.stop();
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it("stops a removed member's informer and emits its DELETEDs; follows a member added later", async () => {
    const sim = await fleetSim();
    disposables.push(sim);
    const { fleet, events } = follow(sim);
    await fleet.start();
    await waitFor(() => sim.cluster('edge').store.watcherCount() === 1, 'edge watched');
    events.length = 0;
    const edge = sim.cluster('host').api.get(clusterTarget(sim, 'edge'));
    sim.cluster('host').api.delete(clusterTarget(sim, 'edge'));
    await waitFor(() => events.length === 2, 'two DELETED');
    expect(events.sort()).toEqual(['DELETED edge/edge-a', 'DELETED edge/edge-b']);
    expect(fleet.clusters()).toEqual(['host', 'prod']);
    expect(fleet.list('edge')).toEqual([]);
    expect(fleet.clusterState('edge')).toBeUndefined();
    await waitFor(() => sim.cluster('edge').store.watcherCount() === 0, 'edge no longer watched');

    events.length = 0;
    const { uid: _uid, resourceVersion: _rv, creationTimestamp: _ct, ...metadata } = edge.metadata;
    sim.apply([{ ...edge, metadata }], 'host');
    await waitFor(() => events.length === 2, 'two ADDED');
    expect(events.sort()).toEqual(['ADDED edge/edge-a', 'ADDED edge/edge-b']);
    expect(fleet.clusters()).toEqual(['edge', 'host', 'prod']);
  });

  it("replaces a member's informer when its kubeconfig changes, reconciling by its first list", async () => {
    const sim = await fleetSim();
    disposables.push(sim);
    const { fleet, events } = follow(sim);
    await fleet.start();
    events.length = 0;
    const prod = sim.cluster('prod');
    const listsBefore = prod.requestLog.filter(
      (r) => r.path === '/api/v1/pods' && !r.query.includes('watch'),
    ).length;
    const api = sim.cluster('host').api;
    const target = clusterTarget(sim, 'prod');
    const current = api.get(target);
    const spec = current['spec'] as { connection: Record<string, unknown> };
    const kubeconfig = prod.kubeconfig(prod.adminToken, 'rotated-admin');
    // behind the old informer's back (its watch never hears of it), while the kubeconfig changes: a pod goes
    prod.faults.dropNextEvents(1);
    prod.api.delete(podTarget(sim, 'prod', 'prod-b'));
    api.update(target, {
      ...current,
      spec: {
        ...spec,
        connection: { ...spec.connection, kubeconfig: Buffer.from(kubeconfig).toString('base64') },
      },
    });
    await waitFor(
      () =>
        prod.requestLog.filter((r) => r.path === '/api/v1/pods' && !r.query.includes('watch')).length >
        listsBefore,
      'prod relisted with the new kubeconfig',
    );
    await waitFor(() => events.includes('DELETED prod/prod-b'), 'prod-b DELETED');
    sim.apply([pod('default', 'prod-c')], 'prod');
    await waitFor(() => events.includes('ADDED prod/prod-c'), 'prod-c ADDED');
    // prod-a, unchanged, produced no event at all
    expect(events).toEqual(['DELETED prod/prod-b', 'ADDED prod/prod-c']);
    expect(names(fleet.list('prod'))).toEqual(['prod-a', 'prod-c']);
    await waitFor(() => prod.store.watcherCount() === 1, 'one watch on prod');
  });

  it('settles with an offline member, which catches up when it comes back', async () => {
    const sim = await fleetSim();
    disposables.push(sim);
    await sim.cluster('edge').faults.offline('refuse');
    const { fleet } = follow(sim);
    await fleet.start();
    expect(fleet.settled()).toBe(true);
    expect(fleet.clusterState('prod')).toEqual({ synced: true, lastError: undefined });
    expect(fleet.clusterState('edge')?.synced).toBe(false);
    expect(fleet.clusterState('edge')?.lastError).toMatch(/fetch failed|ECONNREFUSED/);
    expect(fleet.list('edge')).toEqual([]);
    await sim.cluster('edge').faults.online();
    await waitFor(() => fleet.clusterState('edge')?.synced, 'edge synced');
    expect(names(fleet.list('edge'))).toEqual(['edge-a', 'edge-b']);
  });

  it('settles with a member whose Cluster has no usable kubeconfig', async () => {
    const sim = await fleetSim();
    disposables.push(sim);
    sim.apply(
      [
        {
          apiVersion: 'cluster.kubesphere.io/v1alpha1',
          kind: 'Cluster',
          metadata: { name: 'broken' },
          spec: { connection: { type: 'direct', kubeconfig: Buffer.from('nonsense').toString('base64') } },
        },
      ],
      'host',
    );
    const { fleet } = follow(sim);
    await fleet.start();
    expect(fleet.clusters()).toEqual(['broken', 'edge', 'host', 'prod']);
    expect(fleet.clusterState('broken')).toMatchObject({
      synced: false,
      lastError: expect.stringMatching(/kubeconfig/),
    });
    expect(fleet.list('broken')).toEqual([]);
    expect(fleet.clusterState('prod')?.synced).toBe(true);
  });
});
