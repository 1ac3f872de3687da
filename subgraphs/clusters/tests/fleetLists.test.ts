import type { KubeSim } from '@fleetgraph/kube-sim';
import { waitFor } from '@fleetgraph/lib/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ClustersSubgraph } from '../src/subgraph.ts';
import { gql, type Leftovers, MALLORY, startOnDemoFleet, userOf } from './support.ts';

/**
 * The fleet-wide connections (Query.clusters, nodes, projects, workspaces, gateways) against kube-sim's demo fleet:
 * fleet order (host first, then members by name, then each object's name), paging with the Relay page info, the
 * default page and the maximum, filters, and what each user may see. Expected values come from kube-sim's store.
 */

const leftovers: Leftovers = [];
afterAll(async () => {
  for (const dispose of leftovers.splice(0).reverse()) await dispose();
});

const FLEET = ['host', 'edge', 'prod'];

interface Page<T> {
  totalCount: number;
  nodes: T[];
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}
interface Ref {
  cluster: string;
  name: string;
}

const PAGE =
  'totalCount nodes { cluster name } edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';

let sim: KubeSim;
let subgraph: ClustersSubgraph;

beforeAll(async () => {
  ({ sim, subgraph } = await startOnDemoFleet(leftovers));
});

function nodeType() {
  const type = sim.cluster('host').registry.get('', 'v1', 'nodes');
  if (!type) throw new Error('no nodes type');
  return type;
}

/** `gr` objects of every cluster in fleet order, from kube-sim's store */
function stored(gr: string, namespace?: string): Ref[] {
  return FLEET.flatMap((cluster) =>
    sim
      .cluster(cluster)
      .store.list(gr, namespace)
      .map((o) => o.metadata.name)
      .sort()
      .map((name) => ({ cluster, name })),
  );
}

async function page(field: string, args: string, user = userOf(sim, 'admin')): Promise<Page<Ref>> {
  const res = await gql<Record<string, Page<Ref>>>(subgraph, `{ ${field}${args} { ${PAGE} } }`, {}, user);
  expect(res.errors).toBeUndefined();
  const p = res.data?.[field];
  if (!p) throw new Error(`no ${field}`);
  return p;
}

describe('fleet-wide connections', () => {
  it('Query.nodes lists every node of the fleet in fleet order, and pages through it', async () => {
    const all = stored('nodes');
    expect(all.length).toBeGreaterThan(4);
    const whole = await page('nodes', '');
    expect(whole.totalCount).toBe(all.length);
    expect(whole.nodes).toEqual(all);
    expect(whole.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });

    const first = await page('nodes', '(first: 2)');
    expect(first.nodes).toEqual(all.slice(0, 2));
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(first.pageInfo.startCursor).toBe(first.edges[0]?.cursor);
    const rest = await page('nodes', `(first: 100, after: "${first.pageInfo.endCursor}")`);
    expect(rest.nodes).toEqual(all.slice(2));
    expect(rest.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect(rest.totalCount).toBe(all.length);

    const edge = await page('nodes', '(filter: { clusters: ["edge"] })');
    expect(edge.nodes).toEqual(all.filter((n) => n.cluster === 'edge'));
  });

  it('orderBy sorts by name or age in either direction, and pages stay in that order', async () => {
    const all = stored('nodes');
    const byName = [...all].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    expect((await page('nodes', '(orderBy: { field: NAME })')).nodes).toEqual(byName);
    expect((await page('nodes', '(orderBy: { field: NAME, direction: DESC })')).nodes).toEqual(
      [...byName].reverse(),
    );
    const first = await page('nodes', '(first: 3, orderBy: { field: NAME })');
    const rest = await page('nodes', `(after: "${first.pageInfo.endCursor}", orderBy: { field: NAME })`);
    expect([...first.nodes, ...rest.nodes]).toEqual(byName);

    // by creation time: a node added a second later on the host comes last, though it is first in fleet order
    await new Promise((r) => setTimeout(r, 1100));
    sim.cluster('host').apply([{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'host-node-0' } }]);
    const young = { cluster: 'host', name: 'host-node-0' };
    await waitFor(
      async () => (await page('nodes', '')).nodes[0]?.name === 'host-node-0',
      'host-node-0 in the cache',
    );
    expect((await page('nodes', '(orderBy: { field: CREATED_AT })')).nodes).toEqual([...all, young]);
    expect((await page('nodes', '(orderBy: { field: CREATED_AT, direction: DESC })')).nodes[0]).toEqual(
      young,
    );
    sim.cluster('host').api.delete({ type: nodeType(), namespace: '', name: 'host-node-0' });
    await waitFor(async () => (await page('nodes', '')).totalCount === all.length, 'host-node-0 gone');

    const users = await gql<{ users: { nodes: Array<{ name: string }> } }>(
      subgraph,
      '{ users(orderBy: { field: NAME, direction: DESC }) { nodes { name } } }',
    );
    expect(users.data?.users.nodes.map((u) => u.name)).toEqual(['victor', 'frank', 'alice', 'admin']);
  });

  it('Query.projects and Query.gateways follow the same order, each filtered to what the user may see', async () => {
    expect((await page('projects', '(first: 1000)')).nodes).toEqual(stored('namespaces'));
    // alice administers retail (shop and payments on prod) and may list no nodes
    expect((await page('projects', '', userOf(sim, 'alice'))).nodes).toEqual([
      { cluster: 'prod', name: 'payments' },
      { cluster: 'prod', name: 'shop' },
    ]);
    expect((await page('nodes', '', userOf(sim, 'alice'))).totalCount).toBe(0);
    const gateways = stored('gateways.gateway.kubesphere.io', 'kubesphere-controls-system');
    expect(gateways.length).toBeGreaterThan(0);
    expect((await page('gateways', '')).nodes).toEqual(gateways);
    expect((await page('gateways', '', MALLORY)).nodes).toEqual([]);
  });

  it('Query.clusters and Query.workspaces are connections with filters', async () => {
    const members = await gql<{ clusters: Page<{ name: string; role: string }> }>(
      subgraph,
      '{ clusters(filter: { role: MEMBER }) { totalCount nodes { name role } } }',
    );
    expect(members.data?.clusters).toEqual({
      totalCount: 2,
      nodes: [
        { name: 'edge', role: 'MEMBER' },
        { name: 'prod', role: 'MEMBER' },
      ],
    });
    const ws = await gql<{ workspaces: { nodes: Array<{ name: string }> } }>(
      subgraph,
      '{ workspaces(filter: { cluster: "edge" }) { nodes { name } } }',
    );
    expect(ws.data?.workspaces.nodes).toEqual([{ name: 'factory' }]);
  });

  it('without `first` a page holds at most 100; over 1000, or a foreign cursor, is a clear BAD_USER_INPUT', async () => {
    for (const [args, field] of [
      ['(first: 1001)', 'first'],
      ['(first: -1)', 'first'],
      ['(after: "not-a-cursor")', 'after'],
    ] as const) {
      const res = await gql(subgraph, `{ nodes${args} { totalCount } }`);
      expect(res.data).toBeNull();
      expect(res.errors?.map((e) => [e.extensions?.['code'], e.extensions?.['field']])).toEqual([
        ['BAD_USER_INPUT', field],
      ]);
    }
  });
});
