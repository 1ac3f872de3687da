import { createKubeSim, type KubeSim } from '@fleetgraph/kube-sim';
import type { UserInfo } from '@fleetgraph/lib/auth';
import { waitFor } from '@fleetgraph/lib/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { ClustersSubgraph } from '../src/subgraph.ts';
import {
  type Cluster,
  clusters,
  createSubgraph,
  gql,
  type Leftovers,
  MALLORY,
  subscribe,
  userOf,
  wsClient,
} from './support.ts';

/**
 * Who sees which cluster, through the clusters subgraph, against kube-sim's demo fleet (kube-sim/src/fleets/demo.ts):
 * workspace retail is placed on prod (namespaces shop, payments), factory on edge (namespace iot); admin is
 * platform-admin; alice is retail's admin and victor its viewer (RoleBindings in shop and payments on prod); frank
 * is a regular member of factory and operator of project iot (a RoleBinding in iot on edge); mallory has nothing.
 */

/** written from the fixture's facts above, not from the authorizer (host first, then members by name) */
const VISIBLE: Record<string, string[]> = {
  admin: ['host', 'edge', 'prod'], // platform-admin may list every cluster
  alice: ['prod'], // retail is placed on prod
  victor: ['prod'], // retail is placed on prod
  frank: ['edge'], // factory is placed on edge (and his iot RoleBinding is there)
  mallory: [], // no role, no binding, and no cluster is public
};

const leftovers: Leftovers = [];
afterAll(async () => {
  for (const dispose of leftovers.splice(0).reverse()) await dispose();
});

describe('clusters subgraph: tenancy', () => {
  let sim: KubeSim;
  let subgraph: ClustersSubgraph;
  const user = (name: string): UserInfo => (name === 'mallory' ? MALLORY : userOf(sim, name));

  beforeAll(async () => {
    sim = await createKubeSim({ fleet: 'demo', controllers: false });
    leftovers.unshift(() => sim.close());
    subgraph = createSubgraph(sim, leftovers);
    await subgraph.start();
  });

  afterEach(async () => {
    for (const name of ['host', 'prod', 'edge']) {
      sim.cluster(name).faults.clear();
      await sim.cluster(name).faults.online();
    }
  });

  it('the fixture is what the expectations assume', () => {
    expect(sim.users.map((u) => u.name).sort()).toEqual(['admin', 'alice', 'frank', 'victor']);
    expect(sim.users.find((u) => u.name === 'mallory')).toBeUndefined();
    const clusterLabels = sim
      .cluster('host')
      .store.list('clusters.cluster.kubesphere.io')
      .map((c) => c.metadata.labels?.['cluster.kubesphere.io/visibility']);
    expect(clusterLabels).toEqual([undefined, undefined, undefined]);
  });

  it.each(Object.entries(VISIBLE))('Query.clusters as %s lists exactly %j', async (name, expected) => {
    const list = await clusters(subgraph, user(name));
    expect(list.map((c) => c.name)).toEqual(expected);
  });

  it('Query.cluster answers null for a cluster the user may not see, exactly as for an unknown one', async () => {
    const query = `{ edge: cluster(name: "edge") { name } prod: cluster(name: "prod") { name }
      host: cluster(name: "host") { name } nope: cluster(name: "nope") { name } }`;
    for (const [name, visible] of Object.entries(VISIBLE)) {
      const res = await gql<Record<string, { name: string } | null>>(subgraph, query, {}, user(name));
      expect(res.errors, name).toBeUndefined();
      expect(res.data, name).toEqual({
        edge: visible.includes('edge') ? { name: 'edge' } : null,
        prod: visible.includes('prod') ? { name: 'prod' } : null,
        host: visible.includes('host') ? { name: 'host' } : null,
        nope: null,
      });
    }
  });

  it('resolves a Cluster reference the user may not see to null, as an unknown one', async () => {
    const res = await gql<{ _entities: Array<{ name: string } | null> }>(
      subgraph,
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Cluster { name } } }`,
      { r: ['host', 'prod', 'edge', 'nope'].map((name) => ({ __typename: 'Cluster', name })) },
      user('alice'),
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?._entities).toEqual([null, { name: 'prod' }, null, null]);
  });

  it('clusterStatusChanged sends each subscriber only the clusters it may see', async () => {
    const client = wsClient(subgraph, leftovers);
    const admin = subscribe(client, leftovers, { user: user('admin') });
    const frank = subscribe(client, leftovers, { user: user('frank') });
    const victor = subscribe(client, leftovers, { user: user('victor'), names: ['edge', 'prod', 'host'] });
    await waitFor(() => admin.events.length >= 3, "admin's current state");
    await waitFor(() => frank.events.length >= 1 && victor.events.length >= 1, 'the current states');
    expect(admin.events.slice(0, 3).map((c) => c.name)).toEqual(['host', 'edge', 'prod']);

    await sim.cluster('edge').faults.offline('refuse');
    await frank.waitForEvent((c) => c.status.phase === 'UNREACHABLE', 'edge down for frank', 1);
    await admin.waitForEvent((c) => c.name === 'edge' && c.status.phase === 'UNREACHABLE', 'edge down', 3);
    await victor.expectNoEvent(300);

    expect(frank.events.every((c) => c.name === 'edge')).toBe(true);
    expect(victor.events.map((c) => `${c.name} ${c.status.phase}`)).toEqual(['prod READY']);

    // a tenant sees the reason and a fixed sentence; the platform administrator the probe's own words
    const down = frank.events.find((c) => c.status.phase === 'UNREACHABLE');
    const forAdmin = admin.events.find((c) => c.name === 'edge' && c.status.phase === 'UNREACHABLE');
    expect(down?.status.reason).toBe(forAdmin?.status.reason);
    expect(['ConnectionRefused', 'ConnectionReset']).toContain(down?.status.reason);
    expect(down?.status.message).toMatch(
      /^the (connection to the )?cluster's API server (refused the connection|was reset)$/,
    );
    expect(forAdmin?.status.message).toMatch(/127\.0\.0\.1:\d+|ECONNREFUSED|ECONNRESET|socket/);
    const listed = (await clusters(subgraph, user('frank'))).find((c) => c.name === 'edge');
    expect(listed?.status.message).not.toMatch(/127\.0\.0\.1|ECONN|fetch failed/);
  });

  it('a binding made for mallory on prod sends prod at once; removing it silences prod again', async () => {
    const client = wsClient(subgraph, leftovers);
    const admin = subscribe(client, leftovers, { user: user('admin') });
    const mallory = subscribe(client, leftovers, { user: MALLORY });
    await waitFor(() => admin.events.length >= 3, "admin's current state");
    await mallory.expectNoEvent(300);
    expect(mallory.events).toEqual([]);

    const rbType = sim.cluster('prod').registry.get('rbac.authorization.k8s.io', 'v1', 'rolebindings');
    if (!rbType) throw new Error('no RoleBinding type on prod');
    sim.cluster('prod').apply([
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'mallory-view', namespace: 'shop' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'mallory' }],
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      },
    ]);
    const sent = await mallory.waitForEvent((c) => c.name === 'prod', "prod's current state for mallory");
    expect(sent).toMatchObject({ name: 'prod', role: 'MEMBER', status: { phase: 'READY', ready: true } });
    expect(mallory.events.map((c) => c.name)).toEqual(['prod']);
    expect((await clusters(subgraph, MALLORY)).map((c) => c.name)).toEqual(['prod']);

    // while bound, mallory follows prod
    await sim.cluster('prod').faults.offline('refuse');
    await mallory.waitForEvent((c) => c.status.phase === 'UNREACHABLE', 'prod down for mallory', 1);
    await sim.cluster('prod').faults.online();
    await mallory.waitForEvent((c) => c.status.phase === 'READY', 'prod up again for mallory', 2);

    sim.cluster('prod').api.delete({ type: rbType, namespace: 'shop', name: 'mallory-view' });
    await waitFor(
      async () => (await clusters(subgraph, MALLORY)).length === 0,
      'prod to be invisible to mallory again',
    );
    const seen = mallory.events.length;

    const adminFrom = admin.events.length;
    await sim.cluster('prod').faults.offline('refuse');
    await admin.waitForEvent(
      (c) => c.name === 'prod' && c.status.phase === 'UNREACHABLE',
      'prod down for admin',
      adminFrom,
    );
    await mallory.expectNoEvent(300);
    await sim.cluster('prod').faults.online();
    await admin.waitForEvent(
      (c) => c.name === 'prod' && c.status.phase === 'READY',
      'prod up for admin',
      adminFrom + 1,
    );
    await mallory.expectNoEvent(300);
    expect(mallory.events.length).toBe(seen);
    expect(await Promise.race([mallory.ended, Promise.resolve('open')])).toBe('open');
  });

  it('labelling a Cluster object public shows it to everyone, and a subscriber gets it at once', async () => {
    const client = wsClient(subgraph, leftovers);
    const mallory = subscribe(client, leftovers, { user: MALLORY });
    const admin = subscribe(client, leftovers, { user: user('admin') });
    await waitFor(() => admin.events.length >= 3, "admin's current state");
    await mallory.expectNoEvent(300);

    const original = sim.cluster('host').store.get('clusters.cluster.kubesphere.io', '', 'edge');
    if (!original) throw new Error('no Cluster edge on the host');
    const labelled = structuredClone(original);
    labelled.metadata.labels = { ...labelled.metadata.labels, 'cluster.kubesphere.io/visibility': 'public' };
    sim.cluster('host').apply([labelled]);
    try {
      const sent = await mallory.waitForEvent((c) => c.name === 'edge', 'edge sent to mallory once public');
      expect(sent).toMatchObject({ name: 'edge', status: { phase: 'READY' } });
      expect(mallory.events.map((c) => c.name)).toEqual(['edge']);
      expect((await clusters(subgraph, MALLORY)).map((c) => c.name)).toEqual(['edge']);
      expect((await clusters(subgraph, user('alice'))).map((c) => c.name)).toEqual(['edge', 'prod']);
    } finally {
      const current = sim.cluster('host').store.get('clusters.cluster.kubesphere.io', '', 'edge');
      const unlabelled = structuredClone(current ?? original);
      delete unlabelled.metadata.labels?.['cluster.kubesphere.io/visibility'];
      sim.cluster('host').apply([unlabelled]);
    }
    await waitFor(
      async () => (await clusters(subgraph, MALLORY)).length === 0,
      'edge to be invisible to mallory again',
    );
  });

  it('Cluster.description and labels are visible to a user who may see the cluster', async () => {
    const res = await gql<{ cluster: (Cluster & { labels: Array<{ key: string; value: string }> }) | null }>(
      subgraph,
      '{ cluster(name: "prod") { name description labels { key value } } }',
      {},
      user('victor'),
    );
    expect(res.errors).toBeUndefined();
    const object = sim.cluster('host').store.get('clusters.cluster.kubesphere.io', '', 'prod');
    const labels = Object.entries(object?.metadata.labels ?? {})
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, value]) => ({ key, value }));
    expect(res.data?.cluster).toEqual({
      name: 'prod',
      description: object?.metadata.annotations?.['kubesphere.io/description'] ?? null,
      labels,
    });
  });
});
