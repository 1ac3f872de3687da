import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { FormattedExecutionResult as ExecutionResult } from 'graphql';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { kubeRequest, loadKubeConfig } from '@fleetgraph/lib/kube';

import { eventually, query, subscribe, wsClient } from '../../harness/graphqlClient.ts';
import { type Stack, startStack } from '../../harness/stack.ts';

/**
 * The tenant isolation matrix: every root Query, Mutation and Subscription field, through the gateway, for each
 * kind of user, against the expected visibility. The expectations are written from the demo fleet's facts
 * (kube-sim/src/fleets/demo.ts and users.ts), not computed by the code under test:
 * - admin is a platform administrator: every cluster (host, edge, prod), every pod, may update clusters;
 * - alice administers the `retail` workspace and victor views it; retail is placed on prod (projects shop and
 *   payments): they see prod only, and count only shop and payments pods;
 * - frank is a member of the `factory` workspace (placed on edge) and operates project iot: edge only, iot pods;
 * - mallory has no bindings: sees nothing;
 * - an anonymous caller is refused everything.
 * The inventory (workspaces, projects, nodes): host has 3 nodes, prod 4, edge 2; only admin may list nodes (no
 * other user is bound to a role that lists them), so everyone else's nodeCount is 0 and nodes are empty. admin sees
 * both workspaces and every namespace; alice and victor see retail with its projects shop and payments (workspace
 * admin and viewer reach every project of retail); frank sees factory and iot; mallory sees none.
 * Gateways (kube-sim/src/fleets/gateways.ts): prod has three in kubesphere-controls-system, a CLUSTER gateway, the
 * retail WORKSPACE gateway and the shop PROJECT gateway. admin sees all three and may upgrade them and read their
 * pods' logs; alice and victor see the workspace and project gateways of retail, but kubesphere-controls-system
 * belongs to no workspace and neither has a binding there, so neither may upgrade a gateway or read its pod logs;
 * frank and mallory see no gateway (prod is not visible to them).
 * Later domain issues add their fields to this matrix.
 */

let stack: Stack;
let outDir: string;
const tokens: Record<string, string> = {};

interface UserCase {
  user: string;
  clusters: string[];
  /** namespaces whose pods the user's podCount counts, per visible cluster */
  podNamespaces: Record<string, string[] | 'all'>;
  mayUpdateClusters: boolean;
  /** Query.workspaces, by name */
  workspaces: string[];
  /** the projects (namespaces) the user may see per visible cluster, by name, or all of the cluster's */
  projects: Record<string, string[] | 'all'>;
  /** Cluster.nodeCount per visible cluster */
  nodeCount: Record<string, number>;
  /** prod's gateways the user sees, by name */
  gateways: string[];
  /** may upgrade and roll back prod's gateways and read their pods' logs (kubesphere-controls-system) */
  mayManageGateways: boolean;
}

const GW_NS = 'kubesphere-controls-system';
const CLUSTER_GW = 'kubesphere-router-cluster';
const SHOP_GW = 'kubesphere-router-shop';
const RETAIL_GW = 'kubesphere-router-workspace-retail';
/** scope and owner of prod's gateways, from the demo fleet */
const GATEWAY_FACTS: Record<string, { scope: string; owner: string | null }> = {
  [CLUSTER_GW]: { scope: 'CLUSTER', owner: null },
  [SHOP_GW]: { scope: 'PROJECT', owner: 'shop' },
  [RETAIL_GW]: { scope: 'WORKSPACE', owner: 'retail' },
};

const MATRIX: UserCase[] = [
  {
    user: 'admin',
    clusters: ['host', 'edge', 'prod'],
    podNamespaces: { host: 'all', edge: 'all', prod: 'all' },
    mayUpdateClusters: true,
    workspaces: ['factory', 'retail'],
    projects: { host: 'all', edge: 'all', prod: 'all' },
    nodeCount: { host: 3, edge: 2, prod: 4 },
    gateways: [CLUSTER_GW, SHOP_GW, RETAIL_GW],
    mayManageGateways: true,
  },
  {
    user: 'alice',
    clusters: ['prod'],
    podNamespaces: { prod: ['shop', 'payments'] },
    mayUpdateClusters: false,
    workspaces: ['retail'],
    projects: { prod: ['payments', 'shop'] },
    nodeCount: { prod: 0 },
    gateways: [SHOP_GW, RETAIL_GW],
    mayManageGateways: false,
  },
  {
    user: 'victor',
    clusters: ['prod'],
    podNamespaces: { prod: ['shop', 'payments'] },
    mayUpdateClusters: false,
    workspaces: ['retail'],
    projects: { prod: ['payments', 'shop'] },
    nodeCount: { prod: 0 },
    gateways: [SHOP_GW, RETAIL_GW],
    mayManageGateways: false,
  },
  {
    user: 'frank',
    clusters: ['edge'],
    podNamespaces: { edge: ['iot'] },
    mayUpdateClusters: false,
    workspaces: ['factory'],
    projects: { edge: ['iot'] },
    nodeCount: { edge: 0 },
    gateways: [],
    mayManageGateways: false,
  },
  {
    user: 'mallory',
    clusters: [],
    podNamespaces: {},
    mayUpdateClusters: false,
    workspaces: [],
    projects: {},
    nodeCount: {},
    gateways: [],
    mayManageGateways: false,
  },
];

/** pods on a cluster in the given namespaces (or all), counted with the cluster's admin kubeconfig */
async function podsIn(cluster: string, namespaces: string[] | 'all'): Promise<number> {
  const kc = loadKubeConfig({ kind: 'kubeconfig', path: stack.kubeconfigs[cluster] ?? '' });
  const paths =
    namespaces === 'all' ? ['/api/v1/pods'] : namespaces.map((ns) => `/api/v1/namespaces/${ns}/pods`);
  let n = 0;
  for (const p of paths) n += (await kubeRequest<{ items: unknown[] }>(kc, p)).items.length;
  return n;
}

/** every namespace of a cluster, by name, listed with the cluster's admin kubeconfig */
async function namespacesOf(cluster: string): Promise<string[]> {
  const kc = loadKubeConfig({ kind: 'kubeconfig', path: stack.kubeconfigs[cluster] ?? '' });
  const list = await kubeRequest<{ items: { metadata: { name: string } }[] }>(kc, '/api/v1/namespaces');
  return list.items.map((n) => n.metadata.name).sort();
}

async function projectsSeen(c: UserCase, cluster: string): Promise<string[]> {
  const p = c.projects[cluster];
  return p === 'all' ? namespacesOf(cluster) : (p ?? []);
}

/**
 * Subscribes to `field` as `user` and as the admin; takes the user's first `count` events, then, once the admin's
 * snapshot of all three clusters is in and a second has passed, checks that nothing else reached the user.
 */
async function onlyFirstEvents(
  user: string,
  field: string,
  selection: string,
  count: number,
): Promise<ExecutionResult[]> {
  const admin = wsClient(stack.gatewayWsUrl, tokens['admin'] ?? '');
  const client = wsClient(stack.gatewayWsUrl, tokens[user] ?? '');
  try {
    const reference = subscribe(admin, { query: `subscription { ${field} { name } }` });
    const sub = subscribe(client, { query: `subscription { ${field} { ${selection} } }` });
    const events: ExecutionResult[] = [];
    for (let i = 0; i < count; i++) events.push(await sub.next());
    for (let i = 0; i < 3; i++) await reference.next();
    await new Promise((r) => setTimeout(r, 1000));
    expect(sub.events).toHaveLength(count);
    expect(sub.error).toBeUndefined();
    sub.close();
    reference.close();
    return events;
  } finally {
    await Promise.all([admin.dispose(), client.dispose()]);
  }
}

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'fleetgraph-tenancy-'));
  stack = await startStack({ port: 0, outDir, probePeriodMs: 1000, logLevel: 'warn' });
  for (const c of MATRIX) tokens[c.user] = await stack.token(c.user);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await rm(outDir, { recursive: true, force: true });
});

describe('tenant isolation matrix', () => {
  describe.each(MATRIX)('$user', (c) => {
    it('Query.clusters lists exactly the clusters the user may see, with podCount over what it may list', async () => {
      const r = await query(
        stack.gatewayUrl,
        '{ clusters { nodes { name podCount } } }',
        undefined,
        tokens[c.user] ?? '',
      );
      expect(r.errors).toBeUndefined();
      const clusters = (r.data as { clusters: { nodes: { name: string; podCount: number }[] } }).clusters
        .nodes;
      expect(clusters.map((x) => x.name)).toEqual(c.clusters);
      for (const x of clusters) expect(x.podCount).toBe(await podsIn(x.name, c.podNamespaces[x.name] ?? []));
    });

    it('Query.cluster answers an invisible cluster exactly as an unknown one', async () => {
      for (const name of ['host', 'edge', 'prod', 'no-such-cluster']) {
        const r = await query(
          stack.gatewayUrl,
          'query ($n: ID!) { cluster(name: $n) { name status { phase } } }',
          { n: name },
          tokens[c.user] ?? '',
        );
        expect(r.errors).toBeUndefined();
        const cluster = (r.data as { cluster: { name: string } | null }).cluster;
        expect(cluster?.name ?? null).toBe(c.clusters.includes(name) ? name : null);
      }
    });

    it('Mutation.updateCluster is allowed only to platform administrators, and a refusal changes nothing', async () => {
      const description = `set by ${c.user}`;
      const r = await query(
        stack.gatewayUrl,
        'mutation ($d: String) { updateCluster(input: { name: "prod", description: $d }) { cluster { name description } } }',
        { d: description },
        tokens[c.user] ?? '',
      );
      const after = await query(
        stack.gatewayUrl,
        '{ cluster(name: "prod") { description } }',
        undefined,
        tokens['admin'] ?? '',
      );
      const current = (after.data as { cluster: { description: string | null } }).cluster.description;
      if (c.mayUpdateClusters) {
        expect(r.errors).toBeUndefined();
        expect(r.data).toEqual({ updateCluster: { cluster: { name: 'prod', description } } });
      } else {
        expect(r.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
        expect(r.data).toBeNull();
        expect(current).not.toBe(description);
      }
    });

    it('Mutation.upgradeCluster is judged before anything else: FORBIDDEN unless a platform administrator', async () => {
      // v4.1.3 is not newer than edge's version: an administrator passes authorization and is refused for the
      // input, so the matrix starts no upgrade
      const r = await query(
        stack.gatewayUrl,
        'mutation { upgradeCluster(input: { name: "edge", version: "v4.1.3" }) { upgrade { id } } }',
        undefined,
        tokens[c.user] ?? '',
      );
      expect(r.errors?.[0]?.extensions?.['code']).toBe(c.mayUpdateClusters ? 'BAD_USER_INPUT' : 'FORBIDDEN');
    });

    it("Cluster's version, conditions and upgrades follow the cluster's visibility", async () => {
      const r = await query(
        stack.gatewayUrl,
        '{ clusters { nodes { name kubesphereVersion conditions { type status } upgrade { id } upgrades { id } } } }',
        undefined,
        tokens[c.user] ?? '',
      );
      expect(r.errors).toBeUndefined();
      const clusters = (r.data as { clusters: { nodes: { name: string; conditions: { type: string }[] }[] } })
        .clusters.nodes;
      expect(clusters.map((x) => x.name)).toEqual(c.clusters);
      for (const x of clusters) expect(x.conditions.map((k) => k.type)).toContain('KSCoreReady');
    });

    it('Subscription.clusterUpgradeProgress answers an unknown upgrade the same for everyone', async () => {
      const client = wsClient(stack.gatewayWsUrl, tokens[c.user] ?? '');
      try {
        const sub = subscribe(client, {
          query: 'subscription { clusterUpgradeProgress(upgradeId: "helm-install-ks-core-nope00") { kind } }',
        });
        const e = await sub.next().catch((err: unknown) => ({ errors: [{ message: String(err) }] }));
        const codes = (e.errors ?? []).map((x) => (x as { extensions?: { code?: string } }).extensions?.code);
        expect(codes).toContain('UPGRADE_NOT_FOUND');
      } finally {
        await client.dispose();
      }
    });

    it('Query.workspaces and Query.workspace show only the workspaces the user may see', async () => {
      const r = await query(
        stack.gatewayUrl,
        `{ workspaces { nodes { name } } retail: workspace(name: "retail") { name }
           factory: workspace(name: "factory") { name } ghost: workspace(name: "ghost") { name } }`,
        undefined,
        tokens[c.user] ?? '',
      );
      expect(r.errors).toBeUndefined();
      const seen = (ws: string) => (c.workspaces.includes(ws) ? { name: ws } : null);
      expect(r.data).toEqual({
        workspaces: { nodes: c.workspaces.map((name) => ({ name })) },
        retail: seen('retail'),
        factory: seen('factory'),
        ghost: null,
      });
    });

    it('Query.project answers an invisible project exactly as an unknown one', async () => {
      const probes: Array<[string, string]> = [
        ['prod', 'shop'],
        ['prod', 'payments'],
        ['edge', 'iot'],
        ['prod', 'kube-system'],
        ['host', 'kubesphere-system'],
        ['prod', 'no-such-project'],
      ];
      for (const [cluster, name] of probes) {
        const r = await query(
          stack.gatewayUrl,
          'query ($c: ID!, $n: ID!) { project(cluster: $c, name: $n) { cluster name } }',
          { c: cluster, n: name },
          tokens[c.user] ?? '',
        );
        expect(r.errors).toBeUndefined();
        const visible = c.clusters.includes(cluster) && (await projectsSeen(c, cluster)).includes(name);
        expect((r.data as { project: unknown }).project, `${cluster}/${name}`).toEqual(
          visible ? { cluster, name } : null,
        );
      }
    });

    it('Cluster.nodes, nodeCount and projects hold only what the user may list', async () => {
      const r = await query(
        stack.gatewayUrl,
        `{ clusters { nodes { name nodeCount nodes(first: 20) { totalCount nodes { name } }
           projects(first: 20) { totalCount nodes { name } } } } }`,
        undefined,
        tokens[c.user] ?? '',
      );
      expect(r.errors).toBeUndefined();
      const clusters = (
        r.data as {
          clusters: {
            nodes: {
              name: string;
              nodeCount: number;
              nodes: { totalCount: number; nodes: { name: string }[] };
              projects: { totalCount: number; nodes: { name: string }[] };
            }[];
          };
        }
      ).clusters.nodes;
      expect(clusters.map((x) => x.name)).toEqual(c.clusters);
      for (const x of clusters) {
        const count = c.nodeCount[x.name];
        expect(x.nodeCount, x.name).toBe(count);
        expect(x.nodes.totalCount, x.name).toBe(count);
        // the demo fleet names nodes <cluster>-node-<i>
        expect(x.nodes.nodes.map((n) => n.name)).toEqual(
          Array.from({ length: count ?? 0 }, (_, i) => `${x.name}-node-${i + 1}`),
        );
        const projects = await projectsSeen(c, x.name);
        expect(
          x.projects.nodes.map((p) => p.name),
          x.name,
        ).toEqual(projects);
        expect(x.projects.totalCount).toBe(projects.length);
      }
    });

    it('Cluster.gateways and Cluster.gateway hold only the gateways the user may see, with scope and owner', async () => {
      const r = await query(
        stack.gatewayUrl,
        `{ cluster(name: "prod") { gateways { name scope owner }
           cluster: gateway(name: "${CLUSTER_GW}") { name } shop: gateway(name: "${SHOP_GW}") { name }
           retail: gateway(name: "${RETAIL_GW}") { name } ghost: gateway(name: "kubesphere-router-ghost") { name } } }`,
        undefined,
        tokens[c.user] ?? '',
      );
      expect(r.errors).toBeUndefined();
      const cluster = (
        r.data as {
          cluster: {
            gateways: { name: string; scope: string; owner: string | null }[];
            [alias: string]: unknown;
          } | null;
        }
      ).cluster;
      if (!c.clusters.includes('prod')) {
        expect(cluster).toBeNull();
        return;
      }
      expect(cluster?.gateways).toEqual(c.gateways.map((name) => ({ name, ...GATEWAY_FACTS[name] })));
      const one = (name: string) => (c.gateways.includes(name) ? { name } : null);
      expect(cluster?.['cluster']).toEqual(one(CLUSTER_GW));
      expect(cluster?.['shop']).toEqual(one(SHOP_GW));
      expect(cluster?.['retail']).toEqual(one(RETAIL_GW));
      expect(cluster?.['ghost']).toBeNull();
    });

    it('Mutation.upgradeGateway and rollbackGateway are FORBIDDEN unless the user may manage the gateway namespace', async () => {
      // v1.8.1 is not newer than any of prod's gateways (shop runs it, the others v1.9.6), and the cluster gateway
      // has no older ReplicaSet: an administrator passes authorization and is refused for the input, so the
      // matrix starts no rollout
      for (const name of [CLUSTER_GW, SHOP_GW, RETAIL_GW]) {
        const up = await query(
          stack.gatewayUrl,
          `mutation ($n: ID!) { upgradeGateway(input: { cluster: "prod", namespace: "${GW_NS}", name: $n, version: "v1.8.1" }) { gateway { name } } }`,
          { n: name },
          tokens[c.user] ?? '',
        );
        expect(up.errors?.[0]?.extensions?.['code'], name).toBe(
          c.mayManageGateways ? 'BAD_USER_INPUT' : 'FORBIDDEN',
        );
      }
      const back = await query(
        stack.gatewayUrl,
        `mutation { rollbackGateway(input: { cluster: "prod", namespace: "${GW_NS}", name: "${CLUSTER_GW}" }) { gateway { name } } }`,
        undefined,
        tokens[c.user] ?? '',
      );
      expect(back.errors?.[0]?.extensions?.['code']).toBe(
        c.mayManageGateways ? 'GATEWAY_NO_PREVIOUS_VERSION' : 'FORBIDDEN',
      );
      const versions = await query(
        stack.gatewayUrl,
        '{ cluster(name: "prod") { gateways { name version upgradePlan { phase } } } }',
        undefined,
        tokens['admin'] ?? '',
      );
      expect(
        (
          versions.data as { cluster: { gateways: { name: string; version: string }[] } }
        ).cluster.gateways.map((g) => [g.name, g.version]),
      ).toEqual([
        [CLUSTER_GW, 'v1.9.6'],
        [SHOP_GW, 'v1.8.1'],
        [RETAIL_GW, 'v1.9.6'],
      ]);
    });

    it('Subscription.gatewayRollout answers an invisible gateway as an unknown one', async () => {
      const client = wsClient(stack.gatewayWsUrl, tokens[c.user] ?? '');
      try {
        for (const name of [CLUSTER_GW, SHOP_GW, 'kubesphere-router-ghost']) {
          const sub = subscribe(client, {
            query: `subscription ($n: ID!) { gatewayRollout(cluster: "prod", namespace: "${GW_NS}", name: $n) { done gateway { name } } }`,
            variables: { n: name },
          });
          const e = await sub
            .next()
            .catch((err: unknown) => ({ data: null, errors: [{ message: String(err) }] }));
          if (c.gateways.includes(name)) {
            // not rolling out: its current state is the one and last event
            expect(e.data, name).toEqual({ gatewayRollout: { done: true, gateway: { name } } });
          } else {
            expect(JSON.stringify(e.errors ?? []), name).toContain('GATEWAY_NOT_FOUND');
          }
          sub.close();
        }
      } finally {
        await client.dispose();
      }
    });

    it("Subscription.podLogs of a gateway pod is FORBIDDEN unless the user may read kubesphere-controls-system's pod logs", async () => {
      const pods = await query(
        stack.gatewayUrl,
        `{ cluster(name: "prod") { gateway(name: "${CLUSTER_GW}") { pods { name } } } }`,
        undefined,
        tokens['admin'] ?? '',
      );
      const pod = (pods.data as { cluster: { gateway: { pods: { name: string }[] } } }).cluster.gateway
        .pods[0]?.name;
      expect(pod).toBeTruthy();
      const client = wsClient(stack.gatewayWsUrl, tokens[c.user] ?? '');
      try {
        const sub = subscribe(client, {
          query: `subscription ($p: ID!) { podLogs(cluster: "prod", namespace: "${GW_NS}", pod: $p, container: "controller", tailLines: 1) { seq text } }`,
          variables: { p: pod },
        });
        const e = await sub
          .next()
          .catch((err: unknown) => ({ data: null, errors: [{ message: String(err) }] }));
        if (c.mayManageGateways) {
          expect(e.errors).toBeUndefined();
          expect((e.data as { podLogs: { seq: number; text: string } }).podLogs.seq).toBe(1);
        } else {
          expect(e.data ?? null).toBeNull();
          expect(JSON.stringify(e.errors ?? [])).toContain('FORBIDDEN');
        }
        sub.close();
        // an unknown pod: NOT_FOUND for those who may read the namespace's logs, the same FORBIDDEN for the others
        const none = subscribe(client, {
          query: `subscription { podLogs(cluster: "prod", namespace: "${GW_NS}", pod: "no-such-pod") { seq } }`,
        });
        const n = await none
          .next()
          .catch((err: unknown) => ({ data: null, errors: [{ message: String(err) }] }));
        expect(n.data ?? null).toBeNull();
        expect(n.errors?.map((x) => (x as { extensions?: { code?: string } }).extensions?.code)).toEqual([
          c.mayManageGateways ? 'NOT_FOUND' : 'FORBIDDEN',
        ]);
        none.close();

        // invisible == absent: a namespace (or cluster) the user may not read answers exactly as one that does not
        // exist, but for the names the caller gave (same code, same message, same extensions)
        const answer = async (cluster: string, namespace: string) => {
          const s = subscribe(client, {
            query: `subscription { podLogs(cluster: "${cluster}", namespace: "${namespace}", pod: "p") { seq } }`,
          });
          const e = await s.next().catch((err: unknown) => ({ errors: [{ message: String(err) }] }));
          s.close();
          return JSON.stringify(
            (e.errors ?? []).map((x) => ({
              ...x,
              message: x.message
                .replaceAll(`cluster "${cluster}"`, 'cluster "<cluster>"')
                .replaceAll(namespace, '<namespace>'),
            })),
          );
        };
        if (!c.mayManageGateways) {
          expect(await answer('prod', GW_NS)).toBe(await answer('prod', 'no-such-namespace'));
          expect(await answer('prod', GW_NS)).toBe(await answer('no-such-cluster', GW_NS));
        }
      } finally {
        await client.dispose();
      }
    });

    it('Query.nodes, Query.projects and Query.gateways hold across the fleet what the user may see, in fleet order', async () => {
      const r = await query(
        stack.gatewayUrl,
        `{ nodes(first: 100) { totalCount nodes { cluster name } }
           projects(first: 100) { totalCount nodes { cluster name } }
           gateways { totalCount nodes { cluster name pods { name pod { name namespace phase } } } } }`,
        undefined,
        tokens[c.user] ?? '',
      );
      expect(r.errors).toBeUndefined();
      type Ref = { cluster: string; name: string };
      const data = r.data as {
        nodes: { totalCount: number; nodes: Ref[] };
        projects: { totalCount: number; nodes: Ref[] };
        gateways: {
          totalCount: number;
          nodes: Array<Ref & { pods: Array<{ name: string; pod: { name: string; phase: string } | null }> }>;
        };
      };
      const nodes = c.clusters.flatMap((cluster) =>
        Array.from({ length: c.nodeCount[cluster] ?? 0 }, (_, i) => ({
          cluster,
          name: `${cluster}-node-${i + 1}`,
        })),
      );
      expect(data.nodes.nodes).toEqual(nodes);
      expect(data.nodes.totalCount).toBe(nodes.length);
      const projects: Ref[] = [];
      for (const cluster of c.clusters)
        for (const name of await projectsSeen(c, cluster)) projects.push({ cluster, name });
      expect(data.projects.nodes).toEqual(projects);
      expect(data.gateways.nodes.map((g) => `${g.cluster}/${g.name}`)).toEqual(
        [...c.gateways].sort().map((g) => `prod/${g}`),
      );
      // a gateway pod is a Pod of the workloads subgraph, shown only to those who may get pods in its namespace
      for (const g of data.gateways.nodes) {
        expect(g.pods.length).toBeGreaterThan(0);
        for (const p of g.pods)
          expect(p.pod).toEqual(
            c.mayManageGateways ? expect.objectContaining({ name: p.name, namespace: GW_NS }) : null,
          );
      }
    });

    it('Subscription.clusterChanged sends INITIAL for exactly the clusters the user may see, and nothing else', async () => {
      const events = await onlyFirstEvents(
        c.user,
        'clusterChanged',
        'type name cluster { name status { phase } podCount }',
        c.clusters.length,
      );
      expect(
        events.map((e) => {
          const x = (e.data as { clusterChanged: { type: string; name: string; cluster: { name: string } } })
            .clusterChanged;
          return `${x.type} ${x.name} ${x.cluster.name}`;
        }),
      ).toEqual(c.clusters.map((n) => `INITIAL ${n} ${n}`));
    });

    it('Query.users and Query.user show every user to those who may list users, else only themselves', async () => {
      const r = await query(
        stack.gatewayUrl,
        `{ users { nodes { name } } me: user(name: "${c.user}") { name } alice: user(name: "alice") { name }
           ghost: user(name: "ghost") { name } retail: workspace(name: "retail") { manager { name } } }`,
        undefined,
        tokens[c.user] ?? '',
      );
      expect(r.errors).toBeUndefined();
      // every demo user but mallory is platform-admin or platform-regular, whose GlobalRole may get and list users;
      // mallory has no User object, so even "me" is null
      const listsUsers = c.user !== 'mallory';
      expect(r.data).toEqual({
        users: { nodes: listsUsers ? ['admin', 'alice', 'frank', 'victor'].map((name) => ({ name })) : [] },
        me: listsUsers ? { name: c.user } : null,
        alice: listsUsers ? { name: 'alice' } : null,
        ghost: null,
        retail: c.workspaces.includes('retail') ? { manager: { name: 'alice' } } : null,
      });
    });

    it('Subscription.clusterStatusChanged sends only the clusters the user may see', async () => {
      const events = await onlyFirstEvents(
        c.user,
        'clusterStatusChanged',
        'name status { phase } podCount',
        c.clusters.length,
      );
      expect(
        events.map((e) => (e.data as { clusterStatusChanged: { name: string } }).clusterStatusChanged.name),
      ).toEqual(c.clusters);
    });
  });

  it('a subscription gains and loses a cluster as its user gains and loses a binding', async () => {
    const prod = loadKubeConfig({ kind: 'kubeconfig', path: stack.kubeconfigs['prod'] ?? '' });
    const admin = wsClient(stack.gatewayWsUrl, tokens['admin'] ?? '');
    const client = wsClient(stack.gatewayWsUrl, tokens['mallory'] ?? '');
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'mallory-view', namespace: 'shop' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'mallory' }],
    };
    const phaseOf = (e: { data?: unknown }) =>
      (e.data as { clusterStatusChanged: { name: string; status: { phase: string } } }).clusterStatusChanged;
    try {
      const sub = subscribe(client, {
        query: 'subscription { clusterStatusChanged { name status { phase } } }',
      });
      const reference = subscribe(admin, {
        query: 'subscription { clusterStatusChanged(names: ["prod"]) { name status { phase } } }',
      });
      await reference.next();
      await kubeRequest(prod, '/apis/rbac.authorization.k8s.io/v1/namespaces/shop/rolebindings', {
        method: 'POST',
        body: binding,
      });
      expect(phaseOf(await sub.next())).toEqual({ name: 'prod', status: { phase: 'READY' } });

      await kubeRequest(
        prod,
        '/apis/rbac.authorization.k8s.io/v1/namespaces/shop/rolebindings/mallory-view',
        { method: 'DELETE' },
      );
      // once the revocation has reached the subgraphs (her queries no longer list prod), prod's changes stop reaching her
      await eventually(async () => {
        const r = await query(
          stack.gatewayUrl,
          '{ clusters { nodes { name } } }',
          undefined,
          tokens['mallory'] ?? '',
        );
        return (r.data as { clusters: { nodes: unknown[] } }).clusters.nodes.length === 0;
      });
      await kubeRequest(prod, '/__sim/offline', { method: 'POST', body: { mode: 'refuse', forMs: 1500 } });
      await reference.waitFor((e) => phaseOf(e).status.phase === 'UNREACHABLE');
      await reference.waitFor((e) => phaseOf(e).status.phase === 'READY');
      expect(sub.events).toHaveLength(1);
      sub.close();
      reference.close();
    } finally {
      await Promise.all([admin.dispose(), client.dispose()]);
    }
  });

  describe('anonymous', () => {
    it('gets 401 UNAUTHENTICATED for every query and mutation', async () => {
      for (const q of [
        '{ clusters { nodes { name } } }',
        '{ cluster(name: "prod") { name } }',
        '{ workspaces { nodes { name } } }',
        '{ nodes { totalCount } }',
        '{ projects { nodes { name } } }',
        '{ gateways { nodes { name } } }',
        '{ users { nodes { name } } }',
        '{ user(name: "admin") { name } }',
        '{ workspace(name: "retail") { name } }',
        '{ project(cluster: "prod", name: "shop") { name } }',
        'mutation { updateCluster(input: { name: "prod", description: "x" }) { cluster { name } } }',
        'mutation { upgradeCluster(input: { name: "edge", version: "v4.2.1" }) { upgrade { id } } }',
        '{ cluster(name: "prod") { gateways { name } } }',
        `mutation { upgradeGateway(input: { cluster: "prod", namespace: "${GW_NS}", name: "${SHOP_GW}", version: "v1.9.6" }) { gateway { name } } }`,
        `mutation { rollbackGateway(input: { cluster: "prod", namespace: "${GW_NS}", name: "${SHOP_GW}" }) { gateway { name } } }`,
      ]) {
        const res = await fetch(stack.gatewayUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: q }),
        });
        expect(res.status).toBe(401);
        const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[]; data?: unknown };
        expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
        expect(body.data).toBeUndefined();
      }
    });

    it('cannot subscribe: the WebSocket is closed with 4401', async () => {
      const closed = new Promise<number>((resolve) => {
        const client = createClient({
          url: stack.gatewayWsUrl,
          webSocketImpl: WebSocket,
          retryAttempts: 0,
          on: { closed: (e) => resolve((e as { code: number }).code) },
        });
        client.subscribe(
          { query: 'subscription { clusterStatusChanged { name } }' },
          { next: () => {}, error: () => {}, complete: () => {} },
        );
      });
      expect(await closed).toBe(4401);
    });
  });
});
