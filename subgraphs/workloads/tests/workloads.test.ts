import { createKubeSim, type KubeSim } from '@fleetgraph/kube-sim';
import { createClusterRegistry, loadKubeConfig } from '@fleetgraph/lib/kube';
import { silentLogger } from '@fleetgraph/lib/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { waitFor } from '../../../kube-sim/tests/support.ts';
import { createPodSource } from '../src/kube.ts';
import { createWorkloadsSubgraph, type WorkloadsSubgraph } from '../src/subgraph.ts';

/** The workloads subgraph in process, against kube-sim's demo fleet: Cluster.podCount and runningPodCount. */

interface ClusterCounts {
  name: string;
  podCount: number | null;
  runningPodCount: number | null;
}
interface Result {
  data?: { _entities: Array<ClusterCounts | null> } | null;
  errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }>;
}

const leftovers: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const dispose of leftovers.splice(0).reverse()) await dispose();
});

function createSubgraph(sim: KubeSim): WorkloadsSubgraph {
  const registry = createClusterRegistry({
    host: loadKubeConfig({ kind: 'inline', kubeconfig: sim.cluster('host').kubeconfig() }),
    backoff: { initialMs: 20, maxMs: 200 },
  });
  const subgraph = createWorkloadsSubgraph({ pods: createPodSource(registry, silentLogger) });
  leftovers.push(() => subgraph.close());
  return subgraph;
}

async function entities(subgraph: WorkloadsSubgraph, names: string[]): Promise<Result> {
  const res = await fetch(subgraph.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: `query ($r: [_Any!]!) {
        _entities(representations: $r) { ... on Cluster { name podCount runningPodCount } }
      }`,
      variables: { r: names.map((name) => ({ __typename: 'Cluster', name })) },
    }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Result;
}

/** what kube-sim holds for a cluster right now */
function expectedCounts(sim: KubeSim, name: string): ClusterCounts {
  const pods = sim.cluster(name).store.list('pods');
  const running = pods.filter((p) => (p['status'] as { phase?: string } | undefined)?.phase === 'Running');
  return { name, podCount: pods.length, runningPodCount: running.length };
}

function podTarget(sim: KubeSim, cluster: string, namespace: string, name: string) {
  const type = sim.cluster(cluster).registry.get('', 'v1', 'pods');
  if (!type) throw new Error('no pods type');
  return { type, namespace, name };
}

async function readyz(subgraph: WorkloadsSubgraph) {
  const res = await fetch(new URL('/readyz', subgraph.url));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('workloads subgraph against the demo fleet', () => {
  let sim: KubeSim;
  let subgraph: WorkloadsSubgraph;

  beforeAll(async () => {
    sim = await createKubeSim({ fleet: 'demo', controllers: false });
    leftovers.unshift(() => sim.close());
    subgraph = createSubgraph(sim);
    await subgraph.start();
  });

  it('gives each Cluster entity the pod counts kube-sim holds for it', async () => {
    expect((await readyz(subgraph)).status).toBe(200);
    const names = ['host', 'prod', 'edge'];
    const expected = names.map((n) => expectedCounts(sim, n));
    // the demo fleet has pods, some Running, so the comparison means something
    expect(expected.some((e) => (e.podCount ?? 0) > 0 && (e.runningPodCount ?? 0) > 0)).toBe(true);
    const res = await entities(subgraph, names);
    expect(res.errors).toBeUndefined();
    expect(res.data?._entities).toEqual(expected);
  });

  it('follows a pod created and deleted at run time', async () => {
    const before = expectedCounts(sim, 'prod');
    sim.cluster('prod').apply([
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'added-at-run-time', namespace: 'default' },
        spec: { containers: [{ name: 'main', image: 'nginx:1.27' }] },
        status: { phase: 'Running' },
      },
    ]);
    const after = expectedCounts(sim, 'prod');
    expect(after).toEqual({
      name: 'prod',
      podCount: (before.podCount ?? 0) + 1,
      runningPodCount: (before.runningPodCount ?? 0) + 1,
    });
    await waitFor(async () => {
      const res = await entities(subgraph, ['prod']);
      return JSON.stringify(res.data?._entities) === JSON.stringify([after]);
    }, 'the new pod to be counted');

    sim.cluster('prod').api.delete(podTarget(sim, 'prod', 'default', 'added-at-run-time'));
    expect(expectedCounts(sim, 'prod')).toEqual(before);
    await waitFor(async () => {
      const res = await entities(subgraph, ['prod']);
      return JSON.stringify(res.data?._entities) === JSON.stringify([before]);
    }, 'the deleted pod to be gone from the counts');
  });

  it('resolves an unknown cluster to a null entity', async () => {
    const res = await entities(subgraph, ['nope', 'edge']);
    expect(res.errors).toBeUndefined();
    expect(res.data?._entities).toEqual([null, expectedCounts(sim, 'edge')]);
  });
});

describe('workloads subgraph readiness', () => {
  it('settles while a member is offline, with null counts and CLUSTER_UNREACHABLE for it, and recovers', async () => {
    await using sim = await createKubeSim({ fleet: 'demo', controllers: false });
    await sim.cluster('edge').faults.offline('refuse');
    const subgraph = createSubgraph(sim);
    await subgraph.start();

    expect(await readyz(subgraph)).toEqual({
      status: 200,
      body: { status: 'ready', checks: { podsSettled: true } },
    });
    const res = await entities(subgraph, ['prod', 'edge']);
    expect(res.data?._entities).toEqual([
      expectedCounts(sim, 'prod'),
      { name: 'edge', podCount: null, runningPodCount: null },
    ]);
    expect(res.errors?.map((e) => [e.path, e.extensions?.['code'], e.extensions?.['cluster']])).toEqual([
      [['_entities', 1, 'podCount'], 'CLUSTER_UNREACHABLE', 'edge'],
      [['_entities', 1, 'runningPodCount'], 'CLUSTER_UNREACHABLE', 'edge'],
    ]);
    expect(res.errors?.[0]?.message).toMatch(/cluster "edge"/);

    await sim.cluster('edge').faults.online();
    await waitFor(
      async () => {
        const r = await entities(subgraph, ['edge']);
        return JSON.stringify(r.data?._entities) === JSON.stringify([expectedCounts(sim, 'edge')]);
      },
      'edge pods to be listed once it is back',
      20_000,
    );
    await subgraph.close();
  });
});
