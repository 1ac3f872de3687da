import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ManualClock } from '../src/clock.ts';
import { createKubeSim, type KubeSim, type StoredObject } from '../src/index.ts';
import { column, KubectlHarness, kubectlAvailable } from './kubectlHarness.ts';
import { raw } from './support.ts';
import { advance, until } from './simTime.ts';

/** Kubelet heartbeats, a node going NotReady and coming back, and metrics.k8s.io for kubectl top. */

interface Condition {
  type: string;
  status: string;
  reason?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

const hasKubectl = await kubectlAvailable();
const conditionsOf = (o: StoredObject | undefined): Condition[] =>
  ((o?.['status'] as { conditions?: Condition[] } | undefined)?.conditions ?? []) as Condition[];
const ready = (o: StoredObject | undefined): Condition | undefined =>
  conditionsOf(o).find((c) => c.type === 'Ready');
const taints = (o: StoredObject | undefined): string[] =>
  ((o?.['spec'] as { taints?: { key: string; effect: string }[] } | undefined)?.taints ?? []).map(
    (t) => `${t.key}:${t.effect}`,
  );

function deployment(replicas: number) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'app', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'app' } },
      template: {
        metadata: { labels: { app: 'app' } },
        spec: {
          containers: [
            { name: 'app', image: 'app:1', resources: { requests: { cpu: '250m', memory: '256Mi' } } },
          ],
        },
      },
    },
  };
}

describe('nodes', () => {
  let clock: ManualClock;
  let sim: KubeSim;
  beforeEach(async () => {
    clock = new ManualClock();
    sim = await createKubeSim({ clock, fleet: { clusters: [{ name: 'sim', nodes: 3 }] } });
  });
  afterEach(async () => {
    await sim.close();
  });
  const store = () => sim.cluster().store;
  const node = (name: string) => store().get('nodes', '', name);

  it('renew their Lease every 10 s and post status heartbeats every minute', async () => {
    await advance(clock, 1000);
    const lease = () => store().get('leases.coordination.k8s.io', 'kube-node-lease', 'sim-node-1');
    const renew = () => (lease()?.['spec'] as { renewTime: string }).renewTime;
    expect(lease()?.['spec']).toMatchObject({ holderIdentity: 'sim-node-1', leaseDurationSeconds: 40 });
    expect(lease()?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Node', name: 'sim-node-1' });
    expect(renew()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const first = Date.parse(renew());
    const heartbeat = Date.parse(ready(node('sim-node-1'))?.lastHeartbeatTime ?? '');
    await advance(clock, 61_000, 1000);
    expect(Date.parse(renew()) - first).toBeGreaterThanOrEqual(50_000);
    expect(Date.parse(ready(node('sim-node-1'))?.lastHeartbeatTime ?? '') - heartbeat).toBeGreaterThanOrEqual(
      60_000,
    );
    expect(ready(node('sim-node-1'))).toMatchObject({ status: 'True', reason: 'KubeletReady' });
  });

  it('go Unknown after the grace period when their kubelet stops, evict their pods, and come back', async () => {
    const c = sim.cluster();
    await raw(sim, 'POST', '/apis/apps/v1/namespaces/default/deployments', { body: deployment(3) });
    const onNode = (name: string) =>
      store()
        .list('pods', 'default')
        .filter((p) => (p['spec'] as { nodeName?: string }).nodeName === name);
    await until(
      clock,
      () => onNode('sim-node-2').length === 1 && ready(onNode('sim-node-2')[0])?.status === 'True',
      'a pod on node 2',
    );
    const victim = onNode('sim-node-2')[0]?.metadata.name;
    const since = clock.now();
    c.nodes.setReady('sim-node-2', false);
    await until(clock, () => ready(node('sim-node-2'))?.status === 'Unknown', 'node 2 to go Unknown');
    const waited = clock.now() - since;
    expect(waited).toBeGreaterThan(40_000);
    expect(waited).toBeLessThan(60_000);
    const n2 = node('sim-node-2');
    expect(conditionsOf(n2).map((x) => `${x.type}=${x.status}/${x.reason ?? ''}`)).toEqual([
      'MemoryPressure=Unknown/NodeStatusUnknown',
      'DiskPressure=Unknown/NodeStatusUnknown',
      'PIDPressure=Unknown/NodeStatusUnknown',
      'Ready=Unknown/NodeStatusUnknown',
    ]);
    expect(taints(n2)).toEqual([
      'node.kubernetes.io/unreachable:NoSchedule',
      'node.kubernetes.io/unreachable:NoExecute',
    ]);
    expect((n2?.['status'] as { capacity: unknown }).capacity).toEqual(
      (node('sim-node-1')?.['status'] as { capacity: unknown }).capacity,
    );
    // its pod is no longer Ready, so the Deployment is short of one
    expect(ready(store().get('pods', 'default', victim ?? ''))?.status).toBe('False');
    await until(
      clock,
      () =>
        (store().get('deployments.apps', 'default', 'app')?.['status'] as { readyReplicas?: number })
          .readyReplicas === 2,
      'the deployment to notice',
    );
    // after the eviction timeout the pod is deleted and replaced on a Ready node
    await until(clock, () => !store().get('pods', 'default', victim ?? ''), 'the eviction', 400_000, 5000);
    await until(
      clock,
      () => onNode('sim-node-1').length + onNode('sim-node-3').length === 3,
      'the replacement',
      30_000,
    );
    expect(
      store()
        .list('events', 'default')
        .map((e) => e['reason']),
    ).toEqual(expect.arrayContaining(['NodeNotReady', 'TaintManagerEviction']));

    c.nodes.setReady('sim-node-2', true);
    await until(
      clock,
      () => ready(node('sim-node-2'))?.status === 'True' && taints(node('sim-node-2')).length === 0,
      'node 2 back',
    );
    expect(ready(node('sim-node-2'))).toMatchObject({ reason: 'KubeletReady' });
  });

  it('can be stopped with the sim.fleetgraph.io/ready annotation', async () => {
    const res = await raw(sim, 'PATCH', '/api/v1/nodes/sim-node-3', {
      body: { metadata: { annotations: { 'sim.fleetgraph.io/ready': 'false' } } },
      contentType: 'application/merge-patch+json',
    });
    expect(res.status).toBe(200);
    await until(clock, () => ready(node('sim-node-3'))?.status === 'Unknown', 'node 3 to go Unknown');
    expect(sim.cluster().nodes.isUp('sim-node-3')).toBe(false);
    await raw(sim, 'PATCH', '/api/v1/nodes/sim-node-3', {
      body: { metadata: { annotations: { 'sim.fleetgraph.io/ready': null } } },
      contentType: 'application/merge-patch+json',
    });
    await until(clock, () => ready(node('sim-node-3'))?.status === 'True', 'node 3 back');
  });

  it('serve NodeMetrics and PodMetrics, read-only', async () => {
    await raw(sim, 'POST', '/apis/apps/v1/namespaces/default/deployments', { body: deployment(2) });
    await until(
      clock,
      () => store().list('pods.metrics.k8s.io', 'default').length === 2,
      'pod metrics',
      60_000,
      1000,
    );
    const nodes = await raw(sim, 'GET', '/apis/metrics.k8s.io/v1beta1/nodes');
    expect(nodes.status).toBe(200);
    const list = nodes.json as { kind: string; items: Record<string, unknown>[] };
    expect(list.kind).toBe('NodeMetricsList');
    expect(list.items).toHaveLength(3);
    expect(list.items[0]).toMatchObject({
      kind: 'NodeMetrics',
      window: '30s',
      usage: { cpu: expect.stringMatching(/^\d+n$/), memory: expect.stringMatching(/^\d+Ki$/) },
    });
    const pods = await raw(
      sim,
      'GET',
      '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dapp',
    );
    const podItems = (pods.json as { items: { containers: { name: string; usage: { cpu: string } }[] }[] })
      .items;
    expect(podItems).toHaveLength(2);
    const cpu = Number(podItems[0]?.containers[0]?.usage.cpu.replace('n', ''));
    // a seeded share of the 250m request
    expect(cpu).toBeGreaterThan(0.01e9);
    expect(cpu).toBeLessThan(0.25e9);
    expect(
      (await raw(sim, 'POST', '/apis/metrics.k8s.io/v1beta1/nodes', { body: { metadata: { name: 'x' } } }))
        .status,
    ).toBe(405);
    expect((await raw(sim, 'DELETE', '/apis/metrics.k8s.io/v1beta1/nodes/sim-node-1')).status).toBe(405);
    const discovery = (await raw(sim, 'GET', '/apis/metrics.k8s.io/v1beta1')).json as {
      resources: { name: string; verbs: string[] }[];
    };
    expect(discovery.resources.map((r) => [r.name, r.verbs])).toEqual([
      ['nodes', ['get', 'list']],
      ['pods', ['get', 'list']],
    ]);
  });
});

describe.skipIf(!hasKubectl)('kubectl top', () => {
  let h: KubectlHarness;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock();
    h = await KubectlHarness.start({ clock, fleet: { clusters: [{ name: 'sim', nodes: 2 }] } });
  });
  afterEach(async () => {
    await h.close();
  });

  it('shows node and pod usage from metrics.k8s.io', async () => {
    h.cluster.api.create(
      { type: h.cluster.registry.get('apps', 'v1', 'deployments')!, namespace: 'default' },
      deployment(2),
    );
    await until(
      clock,
      () => h.cluster.store.list('pods.metrics.k8s.io', 'default').length === 2,
      'pod metrics',
      60_000,
      1000,
    );
    const nodes = await h.ok(['top', 'nodes']);
    expect(nodes).toMatch(/^NAME\s+CPU\(cores\)\s+CPU(%| %)\s+MEMORY\(bytes\)\s+MEMORY(%| %)/);
    expect(column(nodes)).toEqual(['sim-node-1', 'sim-node-2']);
    const pods = await h.ok(['top', 'pods', '-n', 'default']);
    expect(pods).toMatch(/^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
    expect(column(pods)).toHaveLength(2);
    for (const line of pods.trim().split('\n').slice(1))
      expect(line.trim()).toMatch(/^app-\w+-\w{5}\s+\d+m\s+\d+Mi$/);
  });
});
