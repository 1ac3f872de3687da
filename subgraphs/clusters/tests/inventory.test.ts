import { createKubeSim, type KubeSim } from '@fleetgraph/kube-sim';
import type { UserInfo } from '@fleetgraph/lib/auth';
import { kubeRequest, loadKubeConfig } from '@fleetgraph/lib/kube';
import { waitFor } from '@fleetgraph/lib/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ClustersSubgraph } from '../src/subgraph.ts';
import { createSubgraph, gql, type Leftovers, MALLORY, userOf } from './support.ts';

/**
 * The inventory (nodes, projects, workspaces) against kube-sim's demo fleet (kube-sim/src/fleets/demo.ts): host has
 * 3 nodes, prod 4 (the 4th with 32 CPUs and 128Gi), edge 2 (4 CPUs, 8Gi); workspace retail (manager alice) is
 * placed on prod with projects shop and payments, factory (manager admin) on edge with project iot. admin is
 * platform-admin (cluster-admin everywhere); alice administers retail and victor views it (RoleBindings to admin
 * and view in shop and payments); frank is a regular member of factory and operator (edit) of iot; mallory has
 * nothing. No demo user but admin is bound to a role that may list nodes.
 */

const leftovers: Leftovers = [];
afterAll(async () => {
  for (const dispose of leftovers.splice(0).reverse()) await dispose();
});

interface StoreNode {
  metadata: { name: string; uid: string; labels?: Record<string, string>; creationTimestamp?: string };
  status: {
    capacity: Record<string, string>;
    allocatable: Record<string, string>;
    conditions: Array<{
      type: string;
      status: string;
      reason: string;
      message: string;
      lastTransitionTime: string;
    }>;
    addresses: Array<{ type: string; address: string }>;
    nodeInfo: { kubeletVersion: string };
  };
}

const NODE_FIELDS = `cluster name uid labels { key value } createdAt roles ready kubeletVersion unschedulable
  conditions { type status reason message lastTransitionTime }
  capacity { cpu memory pods cpuCores memoryBytes } allocatable { cpu memory pods cpuCores memoryBytes }
  taints { key value effect } addresses { type address }`;

const GI = 2 ** 30;

describe('clusters subgraph: inventory', () => {
  let sim: KubeSim;
  let subgraph: ClustersSubgraph;
  const user = (name: string): UserInfo => (name === 'mallory' ? MALLORY : userOf(sim, name));

  beforeAll(async () => {
    sim = await createKubeSim({ fleet: 'demo', controllers: false });
    leftovers.unshift(() => sim.close());
    subgraph = createSubgraph(sim, leftovers);
    await subgraph.start();
  });

  it("lists a cluster's nodes with every field as kube-sim's store holds them", async () => {
    const res = await gql<{
      cluster: { nodeCount: number; nodes: { totalCount: number; nodes: unknown[] } };
    }>(subgraph, `{ cluster(name: "prod") { nodeCount nodes { totalCount nodes { ${NODE_FIELDS} } } } }`);
    expect(res.errors).toBeUndefined();
    const stored = (sim.cluster('prod').store.list('nodes') as unknown as StoreNode[])
      .slice()
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    expect(stored.map((n) => n.metadata.name)).toEqual([
      'prod-node-1',
      'prod-node-2',
      'prod-node-3',
      'prod-node-4',
    ]);
    const resources = (r: Record<string, string>) => ({
      cpu: r['cpu'],
      memory: r['memory'],
      pods: Number(r['pods']),
      cpuCores: Number(r['cpu']),
      memoryBytes: Number(r['memory']?.replace(/Gi$/, '')) * GI,
    });
    expect(res.data?.cluster.nodeCount).toBe(4);
    expect(res.data?.cluster.nodes.totalCount).toBe(4);
    expect(res.data?.cluster.nodes.nodes).toEqual(
      stored.map((n) => ({
        cluster: 'prod',
        name: n.metadata.name,
        uid: n.metadata.uid,
        labels: Object.entries(n.metadata.labels ?? {})
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([key, value]) => ({ key, value })),
        createdAt: n.metadata.creationTimestamp,
        roles: ['worker'],
        ready: true,
        kubeletVersion: n.status.nodeInfo.kubeletVersion,
        unschedulable: false,
        conditions: n.status.conditions.map((c) => ({
          type: c.type,
          status: c.status,
          reason: c.reason,
          message: c.message,
          lastTransitionTime: c.lastTransitionTime,
        })),
        capacity: resources(n.status.capacity),
        allocatable: resources(n.status.allocatable),
        taints: [],
        addresses: n.status.addresses,
      })),
    );
    // the fixture's big node, written out
    const big = (res.data?.cluster.nodes.nodes as Array<{ name: string; capacity: unknown }>).at(-1);
    expect(big?.capacity).toEqual({
      cpu: '32',
      memory: '128Gi',
      pods: 110,
      cpuCores: 32,
      memoryBytes: 128 * GI,
    });
  });

  it("answers a node's other resources in extended (by name, as written and as numbers), as kube-sim holds them", async () => {
    const res = await gql<{
      cluster: {
        nodes: {
          nodes: Array<{
            name: string;
            capacity: { cpu: string; extended: unknown[] };
            allocatable: { extended: unknown[] };
          }>;
        };
      };
    }>(
      subgraph,
      `{ cluster(name: "prod") { nodes(filter: { nameContains: "prod-node-4" }) { nodes { name
        capacity { cpu extended { name quantity value } } allocatable { extended { name quantity value } } } } } }`,
    );
    expect(res.errors).toBeUndefined();
    const stored = (sim.cluster('prod').store.list('nodes') as unknown as StoreNode[]).find(
      (n) => n.metadata.name === 'prod-node-4',
    );
    const capacity = stored?.status.capacity ?? {};
    // the demo's GPU node: cpu, memory and pods, plus ephemeral storage and 4 GPUs
    expect(Object.keys(capacity).sort()).toEqual([
      'cpu',
      'ephemeral-storage',
      'memory',
      'nvidia.com/gpu',
      'pods',
    ]);
    const extended = [
      { name: 'ephemeral-storage', quantity: capacity['ephemeral-storage'], value: 100 * GI },
      { name: 'nvidia.com/gpu', quantity: capacity['nvidia.com/gpu'], value: 4 },
    ];
    expect(extended.map((e) => e.quantity)).toEqual(['100Gi', '4']);
    expect(res.data?.cluster.nodes.nodes).toEqual([
      {
        name: 'prod-node-4',
        capacity: { cpu: capacity['cpu'], extended },
        allocatable: { extended },
      },
    ]);
  });

  it('pages nodes and projects with first/after, and filters them', async () => {
    const page = async (field: string, after: string | null) => {
      const res = await gql<{
        cluster: Record<
          string,
          {
            totalCount: number;
            nodes: { name: string }[];
            pageInfo: { hasNextPage: boolean; endCursor: string | null };
            edges: { cursor: string }[];
          }
        >;
      }>(
        subgraph,
        `query ($after: String) { cluster(name: "prod") { ${field}(first: 3, after: $after) {
          totalCount nodes { name } edges { cursor } pageInfo { hasNextPage endCursor } } } }`,
        { after },
      );
      expect(res.errors).toBeUndefined();
      const c = res.data?.cluster[field];
      if (!c) throw new Error('no page');
      expect(c.pageInfo.endCursor).toBe(c.edges.at(-1)?.cursor ?? null);
      return c;
    };
    const n1 = await page('nodes', null);
    expect(n1.nodes.map((n) => n.name)).toEqual(['prod-node-1', 'prod-node-2', 'prod-node-3']);
    expect(n1.pageInfo.hasNextPage).toBe(true);
    const n2 = await page('nodes', n1.pageInfo.endCursor);
    expect(n2.nodes.map((n) => n.name)).toEqual(['prod-node-4']);
    expect(n2).toMatchObject({ totalCount: 4, pageInfo: { hasNextPage: false } });

    const stored = sim
      .cluster('prod')
      .store.list('namespaces')
      .map((n) => n.metadata.name ?? '')
      .sort();
    const names: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const p = await page('projects', after);
      expect(p.totalCount).toBe(stored.length);
      names.push(...p.nodes.map((x) => x.name));
      if (!p.pageInfo.hasNextPage) break;
      after = p.pageInfo.endCursor;
    }
    expect(names).toEqual(stored);
    expect(names).toEqual(expect.arrayContaining(['default', 'kube-system', 'payments', 'shop']));

    const filtered = await gql<{ cluster: { p: { nodes: { name: string }[] }; n: { totalCount: number } } }>(
      subgraph,
      `{ cluster(name: "prod") { p: projects(filter: { workspace: "retail" }) { nodes { name } }
        n: nodes(filter: { nameContains: "node-4", ready: true, role: "worker" }) { totalCount } } }`,
    );
    expect(filtered.data?.cluster).toEqual({
      p: { nodes: [{ name: 'payments' }, { name: 'shop' }] },
      n: { totalCount: 1 },
    });

    const bad = await gql(subgraph, '{ cluster(name: "prod") { nodes(after: "nope") { totalCount } } }');
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    const big = await gql(subgraph, '{ cluster(name: "prod") { nodes(first: 5000) { totalCount } } }');
    expect(big.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  it('reads provider, group and connection type from the Cluster object', async () => {
    const res = await gql<{ clusters: { nodes: Array<Record<string, unknown>> } }>(
      subgraph,
      '{ clusters { nodes { name provider group connectionType } } }',
    );
    expect(res.errors).toBeUndefined();
    const objects = sim.cluster('host').store.list('clusters.cluster.kubesphere.io') as unknown as Array<{
      metadata: { name: string; labels?: Record<string, string> };
      spec?: { provider?: string; connection?: { type?: string } };
    }>;
    for (const c of res.data?.clusters.nodes ?? []) {
      const o = objects.find((x) => x.metadata.name === c['name']);
      expect(c).toEqual({
        name: c['name'],
        provider: o?.spec?.provider || null,
        group: o?.metadata.labels?.['cluster.kubesphere.io/group'] ?? null,
        connectionType: o?.spec?.connection?.type ? o.spec.connection.type.toUpperCase() : null,
      });
    }
  });

  /** written from the fixture's facts, not from the authorizer */
  const SEES: Record<
    string,
    { workspaces: string[]; projects: Record<string, string[]>; nodes: Record<string, number> }
  > = {
    alice: { workspaces: ['retail'], projects: { prod: ['payments', 'shop'] }, nodes: { prod: 0 } },
    victor: { workspaces: ['retail'], projects: { prod: ['payments', 'shop'] }, nodes: { prod: 0 } },
    frank: { workspaces: ['factory'], projects: { edge: ['iot'] }, nodes: { edge: 0 } },
    mallory: { workspaces: [], projects: {}, nodes: {} },
  };

  it.each(Object.entries(SEES))(
    'as %s: only the visible nodes, projects and workspaces',
    async (name, sees) => {
      const res = await gql<{
        workspaces: { nodes: { name: string; projects: { nodes: { cluster: string; name: string }[] } }[] };
        clusters: {
          nodes: {
            name: string;
            nodeCount: number;
            nodes: { totalCount: number; nodes: unknown[] };
            projects: { totalCount: number; nodes: { name: string; workspace: { name: string } | null }[] };
          }[];
        };
      }>(
        subgraph,
        `{ workspaces { nodes { name projects { nodes { cluster name } } } }
         clusters { nodes { name nodeCount nodes { totalCount nodes { name } } projects { totalCount nodes { name workspace { name } } } } } }`,
        {},
        user(name),
      );
      expect(res.errors).toBeUndefined();
      expect(res.data?.workspaces.nodes.map((w) => w.name)).toEqual(sees.workspaces);
      for (const c of res.data?.clusters.nodes ?? []) {
        expect(c.nodeCount).toBe(sees.nodes[c.name]);
        expect(c.nodes).toEqual({ totalCount: 0, nodes: [] });
        expect(c.projects.nodes.map((p) => p.name)).toEqual(sees.projects[c.name]);
        expect(c.projects.totalCount).toBe(sees.projects[c.name]?.length);
      }
      expect(res.data?.clusters.nodes.map((c) => c.name).sort()).toEqual(Object.keys(sees.projects).sort());
      const single = await gql<Record<string, { name: string } | null>>(
        subgraph,
        `{ shop: project(cluster: "prod", name: "shop") { name } iot: project(cluster: "edge", name: "iot") { name }
         sys: project(cluster: "prod", name: "kube-system") { name } nope: project(cluster: "prod", name: "nope") { name }
         retail: workspace(name: "retail") { name } factory: workspace(name: "factory") { name }
         ghost: workspace(name: "ghost") { name } }`,
        {},
        user(name),
      );
      expect(single.errors).toBeUndefined();
      const seen = (ws: string) => (sees.workspaces.includes(ws) ? { name: ws } : null);
      expect(single.data).toEqual({
        shop: sees.projects['prod']?.includes('shop') ? { name: 'shop' } : null,
        iot: sees.projects['edge']?.includes('iot') ? { name: 'iot' } : null,
        sys: null,
        nope: null,
        retail: seen('retail'),
        factory: seen('factory'),
        ghost: null,
      });
    },
  );

  it('shows an admin every workspace, with its manager, description, clusters and projects', async () => {
    const res = await gql<{ workspaces: { nodes: unknown[] }; cluster: { workspaces: { name: string }[] } }>(
      subgraph,
      `{ workspaces { nodes { name manager { name } description clusters { name } projects { totalCount nodes { cluster name workspace { name } } } } }
         cluster(name: "prod") { workspaces { name } } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({
      workspaces: {
        nodes: [
          {
            name: 'factory',
            manager: { name: 'admin' },
            description: 'Plant-floor IoT',
            clusters: [{ name: 'edge' }],
            projects: {
              totalCount: 1,
              nodes: [{ cluster: 'edge', name: 'iot', workspace: { name: 'factory' } }],
            },
          },
          {
            name: 'retail',
            manager: { name: 'alice' },
            description: 'Online shop and payments',
            clusters: [{ name: 'prod' }],
            projects: {
              totalCount: 2,
              nodes: [
                { cluster: 'prod', name: 'payments', workspace: { name: 'retail' } },
                { cluster: 'prod', name: 'shop', workspace: { name: 'retail' } },
              ],
            },
          },
        ],
      },
      cluster: { workspaces: [{ name: 'retail' }] },
    });
  });

  it('resolves Node, Project and Workspace references, null where the user may not see them', async () => {
    const query = `query ($r: [_Any!]!) { _entities(representations: $r) {
      ... on Node { cluster name ready } ... on Project { cluster name status { phase } } ... on Workspace { name } } }`;
    const r = [
      { __typename: 'Node', cluster: 'prod', name: 'prod-node-1' },
      { __typename: 'Node', cluster: 'prod', name: 'nope' },
      { __typename: 'Project', cluster: 'prod', name: 'shop' },
      { __typename: 'Project', cluster: 'edge', name: 'iot' },
      { __typename: 'Workspace', name: 'retail' },
      { __typename: 'Workspace', name: 'factory' },
    ];
    const admin = await gql<{ _entities: unknown[] }>(subgraph, query, { r });
    expect(admin.errors).toBeUndefined();
    expect(admin.data?._entities).toEqual([
      { cluster: 'prod', name: 'prod-node-1', ready: true },
      null,
      { cluster: 'prod', name: 'shop', status: { phase: 'ACTIVE' } },
      { cluster: 'edge', name: 'iot', status: { phase: 'ACTIVE' } },
      { name: 'retail' },
      { name: 'factory' },
    ]);
    const alice = await gql<{ _entities: unknown[] }>(subgraph, query, { r }, user('alice'));
    expect(alice.errors).toBeUndefined();
    expect(alice.data?._entities).toEqual([
      null,
      null,
      { cluster: 'prod', name: 'shop', status: { phase: 'ACTIVE' } },
      null,
      { name: 'retail' },
      null,
    ]);
  });

  it("a namespace created at run time appears in its workspace's projects", async () => {
    const prod = loadKubeConfig({ kind: 'inline', kubeconfig: sim.cluster('prod').kubeconfig() });
    await kubeRequest(prod, '/api/v1/namespaces', {
      method: 'POST',
      body: {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'checkout', labels: { 'kubesphere.io/workspace': 'retail' } },
      },
    });
    const names = async (who: string) => {
      const res = await gql<{ workspace: { projects: { nodes: { name: string }[] } } | null }>(
        subgraph,
        '{ workspace(name: "retail") { projects { nodes { name } } } }',
        {},
        user(who),
      );
      return res.data?.workspace?.projects.nodes.map((p) => p.name);
    };
    await waitFor(async () => (await names('admin'))?.includes('checkout'), 'checkout in retail');
    expect(await names('admin')).toEqual(['checkout', 'payments', 'shop']);
    // retail's admin and viewer WorkspaceRoles reach every project of retail, the new one too; frank's do not
    expect(await names('alice')).toEqual(['checkout', 'payments', 'shop']);
    expect(await names('victor')).toEqual(['checkout', 'payments', 'shop']);
    expect(await names('frank')).toBeUndefined();
  });
});
