import { createKubeSim, type KubeSim } from '@fleetgraph/kube-sim';
import type { UserInfo } from '@fleetgraph/lib/auth';
import {
  ADMIN,
  createTestFleet,
  subgraphQuery,
  TEST_IDENTITY_SECRET,
  waitFor,
} from '@fleetgraph/lib/testing';
import type { DomainSubgraph } from '@fleetgraph/lib/subgraph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createWorkloadsSubgraph } from '../src/subgraph.ts';

type WorkloadsSubgraph = DomainSubgraph;

/** The workloads subgraph in process, against kube-sim's demo fleet: Cluster.podCount and runningPodCount. */

interface ClusterCounts {
  name: string;
  podCount: number | null;
  runningPodCount: number | null;
}
interface Result {
  data?: { _entities: Array<ClusterCounts | null> } | null;
  errors?: ReadonlyArray<{
    message: string;
    path?: readonly unknown[];
    extensions?: Readonly<Record<string, unknown>>;
  }>;
}

const leftovers: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const dispose of leftovers.splice(0).reverse()) await dispose();
});

/** the workloads subgraph on a test fleet (fast backoff) */
function createSubgraph(sim: KubeSim): WorkloadsSubgraph {
  const subgraph = createWorkloadsSubgraph({
    fleet: createTestFleet(sim.cluster('host').kubeconfig()),
    identitySecret: TEST_IDENTITY_SECRET,
  });
  leftovers.push(() => subgraph.close());
  return subgraph;
}

/** _entities for these clusters, signed for `user` (the platform admin by default) */
async function entities(
  subgraph: WorkloadsSubgraph,
  names: string[],
  user: UserInfo = ADMIN,
): Promise<Result> {
  const res = await subgraphQuery(
    subgraph.url,
    `query ($r: [_Any!]!) {
      _entities(representations: $r) { ... on Cluster { name podCount runningPodCount } }
    }`,
    { variables: { r: names.map((name) => ({ __typename: 'Cluster', name })) }, user },
  );
  expect(res.status).toBe(200);
  return res as Result;
}

/** what kube-sim holds for a cluster right now, in the namespaces `namespaces` admits (all by default) */
function expectedCounts(
  sim: KubeSim,
  name: string,
  namespaces: (namespace: string) => boolean = () => true,
): ClusterCounts {
  const pods = sim
    .cluster(name)
    .store.list('pods')
    .filter((p) => namespaces(p.metadata.namespace ?? ''));
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
      body: { status: 'ready', checks: { registrySynced: true, authorizerSynced: true, podsSettled: true } },
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

/**
 * Pod counts per user. From the demo fixture (kube-sim/src/fleets/demo.ts, kubesphere.ts): admin is platform-admin
 * (every namespace of every cluster); alice (retail admin → ClusterRole admin) and victor (retail viewer → view)
 * are bound in retail's namespaces shop and payments on prod; frank is a regular member of factory (which reaches
 * no project by itself) and operator of project iot (→ ClusterRole edit, which lists pods) on edge; mallory has no
 * binding at all. A cluster the user may not see resolves to null.
 */
describe('workloads subgraph: counts only what the user may list', () => {
  const MALLORY: UserInfo = { name: 'mallory', groups: ['system:authenticated'] };
  let sim: KubeSim;
  let subgraph: WorkloadsSubgraph;

  /** per user and cluster: the namespaces whose pods count, or null when the cluster is invisible */
  const LISTABLE: Record<string, Record<string, ((ns: string) => boolean) | null>> = {
    admin: { host: () => true, prod: () => true, edge: () => true },
    alice: { host: null, prod: (ns) => ns === 'shop' || ns === 'payments', edge: null },
    victor: { host: null, prod: (ns) => ns === 'shop' || ns === 'payments', edge: null },
    frank: { host: null, prod: null, edge: (ns) => ns === 'iot' },
    mallory: { host: null, prod: null, edge: null },
  };

  const userOf = (name: string): UserInfo => {
    if (name === 'mallory') return MALLORY;
    const u = sim.users.find((x) => x.name === name);
    if (!u) throw new Error(`no demo user ${name}`);
    return { name: u.name, groups: [...u.groups] };
  };

  /** a Running pod outside any workspace, which only the platform admin may list */
  const strayPod = (namespace: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'stray', namespace },
    spec: { containers: [{ name: 'main', image: 'nginx:1.27' }] },
    status: { phase: 'Running' },
  });

  beforeAll(async () => {
    sim = await createKubeSim({ fleet: 'demo', controllers: false });
    leftovers.unshift(() => sim.close());
    // pods in namespaces no workspace owns, on both members: counted for the admin only
    sim.cluster('prod').apply([strayPod('default')]);
    sim.cluster('edge').apply([strayPod('default')]);
    subgraph = createSubgraph(sim);
    await subgraph.start();
    const all = ['host', 'prod', 'edge'];
    await waitFor(async () => {
      const res = await entities(subgraph, all);
      return JSON.stringify(res.data?._entities) === JSON.stringify(all.map((n) => expectedCounts(sim, n)));
    }, 'the stray pods to be counted for the admin');
  });

  it('the fixture is what the expectations assume', () => {
    const namespacesWithPods = (cluster: string) =>
      [
        ...new Set(
          sim
            .cluster(cluster)
            .store.list('pods')
            .map((p) => p.metadata.namespace),
        ),
      ].sort();
    // kubesphere-controls-system holds prod's gateways; it belongs to no workspace, so only admin counts it
    expect(namespacesWithPods('prod')).toEqual(['default', 'kubesphere-controls-system', 'payments', 'shop']);
    expect(
      sim.cluster('prod').store.get('namespaces', '', 'kubesphere-controls-system')?.metadata.labels?.[
        'kubesphere.io/workspace'
      ],
    ).toBeUndefined();
    expect(namespacesWithPods('edge')).toEqual(['default', 'iot']);
    // frank's project role on iot is ClusterRole edit, which lists pods
    const binding = sim
      .cluster('edge')
      .store.get('rolebindings.rbac.authorization.k8s.io', 'iot', 'frank-operator');
    expect(binding?.['roleRef']).toMatchObject({ kind: 'ClusterRole', name: 'edit' });
    const edit = sim.cluster('edge').store.get('clusterroles.rbac.authorization.k8s.io', '', 'edit');
    const rules = (edit?.['rules'] ?? []) as Array<{
      apiGroups?: string[];
      resources?: string[];
      verbs?: string[];
    }>;
    expect(
      rules.some(
        (r) => r.apiGroups?.includes('') && r.resources?.includes('pods') && r.verbs?.includes('list'),
      ),
    ).toBe(true);
  });

  it.each(Object.keys(LISTABLE))('counts for %s only the pods of namespaces they may list', async (name) => {
    const names = ['host', 'prod', 'edge'];
    const expected = names.map((c) => {
      const listable = LISTABLE[name]?.[c];
      return listable ? expectedCounts(sim, c, listable) : null;
    });
    const res = await entities(subgraph, names, userOf(name));
    expect(res.errors).toBeUndefined();
    expect(res.data?._entities).toEqual(expected);
  });

  it('the filtered counts differ from the whole cluster (the filter is exercised)', () => {
    const retail = (ns: string) => ns === 'shop' || ns === 'payments';
    expect(expectedCounts(sim, 'prod', retail).podCount).toBeGreaterThan(0);
    expect(expectedCounts(sim, 'prod', retail).podCount).toBeLessThan(
      expectedCounts(sim, 'prod').podCount ?? 0,
    );
    expect(expectedCounts(sim, 'edge', (ns) => ns === 'iot').podCount).toBeGreaterThan(0);
    expect(expectedCounts(sim, 'edge', (ns) => ns === 'iot').podCount).toBeLessThan(
      expectedCounts(sim, 'edge').podCount ?? 0,
    );
  });
});
