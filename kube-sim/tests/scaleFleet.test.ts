import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';

import { createKubeSim, type KubeObject } from '../src/index.ts';
import { parseScaleArg, scaleFleet } from '../src/fleets/scale.ts';
import { runSim } from './runSim.ts';

/** The scale generator: exact counts, an even spread, determinism, a 9,000-pod fleet that starts in seconds. */

const ofKind = (objects: readonly KubeObject[] | undefined, kind: string): KubeObject[] =>
  (objects ?? []).filter((o) => o.kind === kind);

describe('scaleFleet', () => {
  it('makes N clusters of M nodes with exactly K pods on every node', () => {
    const fleet = scaleFleet({ clusters: 3, nodesPerCluster: 7, podsPerNode: 11 });
    expect(fleet.clusters.map((c) => [c.name, c.role])).toEqual([
      ['host', 'host'],
      ['member-1', 'member'],
      ['member-2', 'member'],
    ]);
    for (const c of fleet.clusters) {
      expect(Array.isArray(c.nodes) ? c.nodes.length : c.nodes).toBe(7);
      const pods = ofKind(c.objects, 'Pod');
      expect(pods.length).toBe(77);
      const perNode = new Map<string, number>();
      for (const p of pods) {
        const node = String((p['spec'] as { nodeName: string }).nodeName);
        perNode.set(node, (perNode.get(node) ?? 0) + 1);
      }
      expect([...perNode.values()]).toEqual(Array(7).fill(11));
      const deployments = ofKind(c.objects, 'Deployment');
      const replicas = deployments.map((d) => (d['spec'] as { replicas: number }).replicas);
      expect(replicas.reduce((a, b) => a + b, 0)).toBe(77);
      expect(ofKind(c.objects, 'ReplicaSet').length).toBe(deployments.length);
      const keys = (c.objects ?? []).map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
      expect(new Set(keys).size).toBe(keys.length);
      // every workload namespace is in a workspace placed on this cluster
      const namespaces = ofKind(c.objects, 'Namespace');
      const workspaces = new Set(ofKind(c.objects, 'Workspace').map((w) => w.metadata.name));
      expect(namespaces.length).toBeGreaterThan(0);
      for (const ns of namespaces)
        expect(workspaces).toContain(ns.metadata.labels?.['kubesphere.io/workspace']);
    }
    expect(fleet.clusters[0]?.multiCluster).toBe(true);
    expect(fleet.users?.map((u) => [u.name, u.globalRole])).toEqual([['admin', 'platform-admin']]);
  });

  it('gives the same fleet for the same seed, and another for another seed', () => {
    const strip = (o: { clusters: { objects?: KubeObject[] }[] }): string =>
      JSON.stringify(
        o.clusters.map((c) =>
          ofKind(c.objects, 'Deployment').map((d) => [
            d.metadata.name,
            (d['spec'] as { replicas: number }).replicas,
          ]),
        ),
      );
    const a = scaleFleet({ clusters: 2, nodesPerCluster: 10, podsPerNode: 20, seed: 7 });
    const b = scaleFleet({ clusters: 2, nodesPerCluster: 10, podsPerNode: 20, seed: 7 });
    const c = scaleFleet({ clusters: 2, nodesPerCluster: 10, podsPerNode: 20, seed: 8 });
    expect(strip(a)).toBe(strip(b));
    expect(strip(a)).not.toBe(strip(c));
  });

  it('refuses sizes that are not whole numbers', () => {
    expect(() => scaleFleet({ clusters: 0, nodesPerCluster: 1, podsPerNode: 1 })).toThrow(/clusters/);
    expect(() => scaleFleet({ clusters: 1, nodesPerCluster: 1.5, podsPerNode: 1 })).toThrow(
      /nodesPerCluster/,
    );
    expect(
      scaleFleet({ clusters: 1, nodesPerCluster: 2, podsPerNode: 0 }).clusters[0]?.objects,
    ).toBeDefined();
  });

  it('reads the command-line form', () => {
    expect(parseScaleArg('scale:3,100,30')).toEqual({ clusters: 3, nodesPerCluster: 100, podsPerNode: 30 });
    expect(parseScaleArg('scale:2,5,10,42')).toEqual({
      clusters: 2,
      nodesPerCluster: 5,
      podsPerNode: 10,
      seed: 42,
    });
    expect(parseScaleArg('scale:3,100')).toBeUndefined();
    expect(parseScaleArg('demo')).toBeUndefined();
  });

  // How long this takes is measured by `npm run bench`, not asserted here.
  it('starts 3 clusters × 100 nodes × 30 pods (9,000 pods), all served', { timeout: 60_000 }, async () => {
    const fleet = scaleFleet({ clusters: 3, nodesPerCluster: 100, podsPerNode: 30 });
    await using sim = await createKubeSim({ fleet });
    for (const c of sim.clusters.values()) {
      const kc = new KubeConfig();
      kc.loadFromString(c.kubeconfig());
      const core = kc.makeApiClient(CoreV1Api);
      expect((await core.listNode()).items.length).toBe(100);
      const pods = await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${c.name}-node-42` });
      expect(pods.items.length).toBe(30);
      expect(c.store.count('pods')).toBe(3000);
    }
    const clusters = sim.cluster('host').store.list('clusters.cluster.kubesphere.io');
    expect(clusters.map((c) => [c.metadata.name, (c['status'] as { nodeCount: number }).nodeCount])).toEqual([
      ['host', 100],
      ['member-1', 100],
      ['member-2', 100],
    ]);
  });
});

describe('npm run sim -- --fleet scale:N,M,K', () => {
  it('runs a generated fleet', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kube-sim-scale-'));
    const run = runSim(['--fleet', 'scale:2,3,4', '--out', dir]);
    try {
      const printed = await run.ready;
      expect(printed).toMatch(/cluster host\s+https:\/\/127\.0\.0\.1:\d+/);
      expect(printed).toMatch(/cluster member-1\s+https:\/\/127\.0\.0\.1:\d+/);
      expect(printed).toMatch(/user {4}admin {6}token \S+ {2}platform-admin/);
      const kc = new KubeConfig();
      kc.loadFromString(await readFile(join(dir, 'member-1.kubeconfig'), 'utf8'));
      expect((await kc.makeApiClient(CoreV1Api).listPodForAllNamespaces()).items.length).toBe(12);
    } finally {
      run.stop();
    }
    expect(await run.exited).toBe(0);
  });

  it('refuses a malformed scale argument', { timeout: 30_000 }, async () => {
    const run = runSim(['--fleet', 'scale:3,x,1']);
    await expect(run.ready).rejects.toThrow(/expected scale:<clusters>,<nodes>,<pods per node>/);
    expect(await run.exited).toBe(1);
  });
});
