import { createKubeSim, type KubeSim } from '@fleetgraph/kube-sim';
import {
  type ClusterRegistry,
  type ClusterRegistryEvent,
  createClusterRegistry,
  kubeRequest,
  loadKubeConfig,
} from '@fleetgraph/lib/kube';
import { waitFor } from '@fleetgraph/lib/testing';
import type { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';

/** createClusterRegistry against kube-sim fleets whose host holds KubeSphere Cluster objects. */

const registries: ClusterRegistry[] = [];
const backoff = { initialMs: 20, maxMs: 200 };

afterEach(async () => {
  for (const r of registries.splice(0)) await r.stop();
});

function hostKubeConfig(sim: KubeSim, cluster = 'host'): KubeConfig {
  return loadKubeConfig({ kind: 'inline', kubeconfig: sim.cluster(cluster).kubeconfig() });
}

function registryFor(sim: KubeSim, options: { hostName?: string; host?: KubeConfig } = {}) {
  const host = options.host ?? hostKubeConfig(sim);
  const registry = createClusterRegistry({
    host,
    backoff,
    ...(options.hostName ? { hostName: options.hostName } : {}),
  });
  registries.push(registry);
  const events: string[] = [];
  registry.subscribe((e: ClusterRegistryEvent) =>
    events.push(`${e.type} ${e.cluster.name} ${e.cluster.role}`),
  );
  return { registry, events, host };
}

const smallFleet = () =>
  createKubeSim({
    controllers: false,
    fleet: { clusters: [{ name: 'host', multiCluster: true }, { name: 'prod' }, { name: 'edge' }] },
  });

function clusterTarget(sim: KubeSim, name: string) {
  const type = sim.cluster('host').registry.get('cluster.kubesphere.io', 'v1alpha1', 'clusters');
  if (!type) throw new Error('no Cluster type on the host');
  return { type, namespace: '', name };
}

function clusterObject(name: string, connection: Record<string, unknown>) {
  return {
    apiVersion: 'cluster.kubesphere.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name },
    spec: { provider: 'test', connection },
  };
}

describe('createClusterRegistry', () => {
  it('lists the host and the members of the demo fleet, with roles and working kubeconfigs', async () => {
    await using sim = await createKubeSim({ fleet: 'demo', controllers: false });
    const { registry, events, host } = registryFor(sim);
    expect(registry.hasSynced()).toBe(false);
    await registry.start();
    expect(registry.hasSynced()).toBe(true);
    expect(registry.list().map((c) => `${c.name} ${c.role}`)).toEqual([
      'host HOST',
      'edge MEMBER',
      'prod MEMBER',
    ]);
    expect(events.sort()).toEqual(['ADDED edge MEMBER', 'ADDED host HOST', 'ADDED prod MEMBER']);
    expect(registry.host()?.kubeConfig).toBe(host);
    expect(registry.host()?.object?.metadata?.name).toBe('host');
    for (const c of registry.list()) {
      expect(c.configError).toBeUndefined();
      expect(c.server).toBe(sim.cluster(c.name).url);
      if (!c.kubeConfig) throw new Error(`${c.name} has no kubeConfig`);
      // the member's own API server answers with the member's nodes
      const nodes = await kubeRequest<{ items: Array<{ metadata: { name: string } }> }>(
        c.kubeConfig,
        '/api/v1/nodes',
      );
      expect(nodes.items.map((n) => n.metadata.name)).toEqual(
        sim
          .cluster(c.name)
          .store.list('nodes')
          .map((n) => n.metadata.name),
      );
    }
  });

  it('removes a deleted Cluster and adds a created one at run time', async () => {
    await using sim = await smallFleet();
    const { registry, events } = registryFor(sim);
    await registry.start();
    events.length = 0;
    const edge = sim.cluster('host').api.get(clusterTarget(sim, 'edge'));
    sim.cluster('host').api.delete(clusterTarget(sim, 'edge'));
    await waitFor(() => events.includes('REMOVED edge MEMBER'), 'edge REMOVED');
    expect(registry.get('edge')).toBeUndefined();
    expect(registry.list().map((c) => c.name)).toEqual(['host', 'prod']);

    const { uid: _uid, resourceVersion: _rv, creationTimestamp: _ct, ...metadata } = edge.metadata;
    sim.apply([{ ...edge, metadata }], 'host');
    await waitFor(() => events.includes('ADDED edge MEMBER'), 'edge ADDED');
    const added = registry.get('edge');
    if (!added?.kubeConfig) throw new Error('edge came back without a kubeConfig');
    expect(await kubeRequest(added.kubeConfig, '/version')).toMatchObject({ gitVersion: expect.any(String) });
    expect(events).toEqual(['REMOVED edge MEMBER', 'ADDED edge MEMBER']);
  });

  it('emits MODIFIED for a new kubeconfig, not for a status write', async () => {
    await using sim = await smallFleet();
    const { registry, events } = registryFor(sim);
    await registry.start();
    events.length = 0;
    const api = sim.cluster('host').api;
    const target = clusterTarget(sim, 'prod');
    const current = api.get(target);
    api.update(
      target,
      { ...current, status: { ...(current['status'] as object), nodeCount: 99 } },
      {},
      'status',
    );
    const before = registry.get('prod')?.kubeConfig;
    const kubeconfig = sim.cluster('prod').kubeconfig(sim.cluster('prod').adminToken, 'another-admin');
    const next = api.get(target);
    const spec = next['spec'] as { connection: Record<string, unknown> };
    api.update(target, {
      ...next,
      spec: {
        ...spec,
        connection: { ...spec.connection, kubeconfig: Buffer.from(kubeconfig).toString('base64') },
      },
    });
    await waitFor(() => events.length > 0, 'a registry event');
    expect(events).toEqual(['MODIFIED prod MEMBER']);
    const after = registry.get('prod');
    expect(after?.kubeConfig).not.toBe(before);
    expect(after?.kubeConfig?.getCurrentUser()?.name).toBe('another-admin');
    expect((after?.object?.['status' as never] as { nodeCount?: number } | undefined)?.nodeCount).toBe(99);
  });

  it('registers a Cluster it cannot connect to with a configError', async () => {
    await using sim = await smallFleet();
    const { registry } = registryFor(sim);
    sim.apply(
      [
        clusterObject('garbled', {
          type: 'direct',
          kubeconfig: Buffer.from('not: [a kubeconfig').toString('base64'),
        }),
        clusterObject('empty', { type: 'direct' }),
        clusterObject('tunnelled', { type: 'proxy', token: 'abc' }),
      ],
      'host',
    );
    await registry.start();
    const broken = registry.list().filter((c) => c.configError !== undefined);
    expect(broken.map((c) => [c.name, c.role, c.kubeConfig, c.server])).toEqual([
      ['empty', 'MEMBER', undefined, undefined],
      ['garbled', 'MEMBER', undefined, undefined],
      ['tunnelled', 'MEMBER', undefined, undefined],
    ]);
    expect(registry.get('garbled')?.configError).toMatch(
      /spec\.connection\.kubeconfig: cannot load the inline kubeconfig/,
    );
    expect(registry.get('empty')?.configError).toBe('spec.connection.kubeconfig is missing');
    expect(registry.get('tunnelled')?.configError).toMatch(/connection type "proxy" is not supported/);
    expect(registry.get('prod')?.configError).toBeUndefined();
  });

  it('adds the host under hostName while no Cluster carries the host label', async () => {
    await using sim = await smallFleet();
    const { registry, events, host } = registryFor(sim, { hostName: 'main' });
    await registry.start();
    const api = sim.cluster('host').api;
    const target = clusterTarget(sim, 'host');
    const labelled = api.get(target);
    api.update(target, { ...labelled, metadata: { ...labelled.metadata, labels: {} } });
    await waitFor(() => events.includes('ADDED main HOST'), 'main ADDED');
    expect(registry.host()).toMatchObject({ name: 'main', role: 'HOST', object: undefined });
    expect(registry.host()?.kubeConfig).toBe(host);
    expect(registry.get('host')?.role).toBe('MEMBER');

    const unlabelled = api.get(target);
    api.update(target, {
      ...unlabelled,
      metadata: { ...unlabelled.metadata, labels: labelled.metadata.labels },
    });
    await waitFor(() => events.includes('REMOVED main HOST'), 'main REMOVED');
    expect(registry.host()?.name).toBe('host');
    expect(registry.list().map((c) => c.name)).toEqual(['host', 'edge', 'prod']);
  });

  it('falls back to single-cluster mode when the host has no cluster.kubesphere.io API', async () => {
    await using sim = await createKubeSim({ controllers: false });
    const { registry, events, host } = registryFor(sim, { host: hostKubeConfig(sim, 'sim') });
    await registry.start();
    expect(registry.list()).toEqual([
      {
        name: 'sim',
        role: 'HOST',
        kubeConfig: host,
        configError: undefined,
        server: sim.url,
        object: undefined,
      },
    ]);
    expect(events).toEqual(['ADDED sim HOST']);

    const named = registryFor(sim, { host, hostName: 'main' });
    await named.registry.start();
    expect(named.registry.host()?.name).toBe('main');
  });

  it('keeps retrying discovery while the host is unreachable', async () => {
    await using sim = await smallFleet();
    await sim.cluster('host').faults.offline('refuse');
    const warnings: string[] = [];
    const registry = createClusterRegistry({
      host: hostKubeConfig(sim),
      backoff,
      log: { debug: () => undefined, warn: (m) => warnings.push(m) },
    });
    registries.push(registry);
    const started = registry.start();
    await waitFor(() => warnings.length >= 2, 'two failed discoveries');
    expect(warnings[0]).toBe('cluster API discovery failed, retrying');
    expect(registry.hasSynced()).toBe(false);
    await sim.cluster('host').faults.online();
    await started;
    expect(registry.list().map((c) => c.name)).toEqual(['host', 'edge', 'prod']);
  });
});
