import type { KubeSim } from '@fleetgraph/kube-sim';
import { ADMIN, asUser, waitFor } from '@fleetgraph/lib/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ClustersSubgraph } from '../src/subgraph.ts';
import { clusterTarget, type Leftovers, MALLORY, startOnDemoFleet, wsClient } from './support.ts';

/** clusterChanged: the shared `*Changed` shape (INITIAL, ADDED, UPDATED, REMOVED), through the subgraph's graphql-ws. */

interface ChangeEvent {
  type: string;
  name: string;
  cluster: { name: string; status: { phase: string } } | null;
}

const leftovers: Leftovers = [];
afterAll(async () => {
  for (const dispose of leftovers.splice(0).reverse()) await dispose();
});

let sim: KubeSim;
let subgraph: ClustersSubgraph;

beforeAll(async () => {
  ({ sim, subgraph } = await startOnDemoFleet(leftovers));
});

function listen(user = ADMIN, names?: string[]): { events: ChangeEvent[]; errors: unknown[] } {
  const events: ChangeEvent[] = [];
  const errors: unknown[] = [];
  const unsubscribe = wsClient(subgraph, leftovers).subscribe<{ clusterChanged: ChangeEvent }>(
    asUser(
      {
        query: `subscription ($names: [ID!]) {
          clusterChanged(names: $names) { type name cluster { name status { phase } } }
        }`,
        variables: names ? { names } : {},
      },
      user,
    ),
    {
      next: (v) => {
        if (v.errors) errors.push(...v.errors);
        if (v.data) events.push(v.data.clusterChanged);
      },
      error: (e) => errors.push(e),
      complete: () => undefined,
    },
  );
  leftovers.push(unsubscribe);
  return { events, errors };
}

/** a member's Cluster object under another name, with the same connection */
function copyOf(from: string, name: string) {
  const original = sim.cluster('host').api.get(clusterTarget(sim, from));
  return {
    apiVersion: 'cluster.kubesphere.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name, labels: { ...(original.metadata.labels ?? {}) } },
    spec: structuredClone(original['spec']),
  };
}

describe('clusterChanged', () => {
  it('sends INITIAL for every visible cluster, ADDED for a new one, and REMOVED with its name when it is deleted', async () => {
    const all = listen();
    await waitFor(() => all.events.length >= 3, 'the current state');
    expect(all.events.map((e) => `${e.type} ${e.name} ${e.cluster?.name}`)).toEqual([
      'INITIAL host host',
      'INITIAL edge edge',
      'INITIAL prod prod',
    ]);

    sim.cluster('host').apply([copyOf('prod', 'prod-copy')]);
    const added = await waitFor(() => all.events.find((e) => e.name === 'prod-copy'), 'prod-copy ADDED');
    expect(added).toEqual({
      type: 'ADDED',
      name: 'prod-copy',
      cluster: { name: 'prod-copy', status: { phase: 'READY' } },
    });

    const before = all.events.length;
    sim.cluster('host').api.delete(clusterTarget(sim, 'prod-copy'));
    const removed = await waitFor(
      () => all.events.slice(before).find((e) => e.type === 'REMOVED'),
      'prod-copy REMOVED',
    );
    expect(removed).toEqual({ type: 'REMOVED', name: 'prod-copy', cluster: null });
    expect(all.errors).toEqual([]);
  });

  it('tells a subscriber nothing about clusters it may not see, and filters by name', async () => {
    const outsider = listen(MALLORY);
    const edgeOnly = listen(ADMIN, ['edge']);
    const admin = listen();
    await waitFor(() => edgeOnly.events.length >= 1 && admin.events.length >= 3, 'the current state');
    sim.cluster('host').apply([copyOf('prod', 'hidden-copy')]);
    await waitFor(
      () => admin.events.some((e) => e.name === 'hidden-copy'),
      'hidden-copy ADDED for the admin',
    );
    sim.cluster('host').api.delete(clusterTarget(sim, 'hidden-copy'));
    await waitFor(
      () => admin.events.some((e) => e.name === 'hidden-copy' && e.type === 'REMOVED'),
      'hidden-copy REMOVED for the admin',
    );
    // mallory has no binding and no cluster is public: not one event, neither for the copy nor its removal
    expect(outsider.events).toEqual([]);
    expect(outsider.errors).toEqual([]);
    expect(edgeOnly.events.map((e) => `${e.type} ${e.name}`)).toEqual(['INITIAL edge']);
  });
});
