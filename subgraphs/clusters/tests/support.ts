import { createKubeSim, type KubeSim } from '@fleetgraph/kube-sim';
import type { UserInfo } from '@fleetgraph/lib/auth';
import {
  ADMIN,
  asUser,
  createTestFleet,
  subgraphQuery,
  subgraphWsClient,
  TEST_IDENTITY_SECRET,
  waitFor,
} from '@fleetgraph/lib/testing';
import type { Client } from 'graphql-ws';
import { expect } from 'vitest';

import { type ClustersSubgraph, createClustersSubgraph } from '../src/subgraph.ts';

/** Shared by the clusters subgraph's tests: the subgraph against kube-sim, called as the gateway calls it. */

export interface ClusterStatus {
  phase: string;
  ready: boolean;
  reason: string;
  message: string;
  lastProbeTime: string | null;
  probeLatencyMs: number | null;
}
export interface Cluster {
  name: string;
  role: string;
  kubernetesVersion: string | null;
  status: ClusterStatus;
}

export const CLUSTER_FIELDS = `name role kubernetesVersion
  status { phase ready reason message lastProbeTime probeLatencyMs }`;

/** a user with no role or binding anywhere in the demo fleet */
export const MALLORY: UserInfo = { name: 'mallory', groups: ['system:authenticated'] };

/** a demo fleet user as the gateway passes it on: the fixture's name and groups (system:authenticated included) */
export function userOf(sim: KubeSim, name: string): UserInfo {
  const u = sim.users.find((x) => x.name === name);
  if (!u) throw new Error(`no demo user ${name}`);
  return { name: u.name, groups: [...u.groups] };
}

/** dispose functions run in reverse by each test file's afterAll */
export type Leftovers = Array<() => Promise<void> | void>;

/** the clusters subgraph over kube-sim's host, on a test fleet (fast backoff) */
export function createSubgraph(sim: KubeSim, leftovers: Leftovers): ClustersSubgraph {
  const subgraph = createClustersSubgraph({
    fleet: createTestFleet(sim.cluster('host').kubeconfig()),
    identitySecret: TEST_IDENTITY_SECRET,
    probePeriodMs: 200,
    // the production default: the first probes run while the authorizer's informers list every cluster's RBAC, in
    // the same process as kube-sim, and a loaded test run has seen a probe take longer than 1s
    probeTimeoutMs: 3_000,
  });
  leftovers.push(() => subgraph.close());
  return subgraph;
}

/** kube-sim's demo fleet without controllers and the clusters subgraph over it, started; both closed by `leftovers` */
export async function startOnDemoFleet(
  leftovers: Leftovers,
): Promise<{ sim: KubeSim; subgraph: ClustersSubgraph }> {
  const sim = await createKubeSim({ fleet: 'demo', controllers: false });
  leftovers.unshift(() => sim.close());
  const subgraph = createSubgraph(sim, leftovers);
  await subgraph.start();
  return { sim, subgraph };
}

export interface GqlError {
  message: string;
  path?: readonly unknown[];
  extensions?: Readonly<Record<string, unknown>>;
}

/** one operation over HTTP, signed for `user` (the platform admin by default); expects HTTP 200 */
export async function gql<T = Record<string, unknown>>(
  subgraph: ClustersSubgraph,
  query: string,
  variables: Record<string, unknown> = {},
  user: UserInfo = ADMIN,
): Promise<{ data?: T | null; errors?: readonly GqlError[] }> {
  const res = await subgraphQuery(subgraph.url, query, { variables, user });
  expect(res.status).toBe(200);
  return res as { data?: T | null; errors?: readonly GqlError[] };
}

/** Query.clusters as `user` */
export async function clusters(subgraph: ClustersSubgraph, user: UserInfo = ADMIN): Promise<Cluster[]> {
  const res = await gql<{ clusters: { nodes: Cluster[] } }>(
    subgraph,
    `{ clusters { nodes { ${CLUSTER_FIELDS} } } }`,
    {},
    user,
  );
  expect(res.errors).toBeUndefined();
  return res.data?.clusters.nodes ?? [];
}

/** a graphql-ws client connected as the gateway connects (signed handshake) */
export function wsClient(subgraph: ClustersSubgraph, leftovers: Leftovers): Client {
  const client = subgraphWsClient(subgraph.server.wsUrl);
  leftovers.push(() => client.dispose());
  return client;
}

export interface Sink {
  events: Cluster[];
  ended: Promise<string>;
  /** the first event after `from` that matches */
  waitForEvent(test: (c: Cluster) => boolean, what: string, from?: number): Promise<Cluster>;
  /** fails if any event arrives within `ms` (counted from the call) */
  expectNoEvent(ms: number): Promise<void>;
  unsubscribe(): void;
}

/** clusterStatusChanged(names) as `user` (signed identity in the payload's extensions) */
export function subscribe(
  client: Client,
  leftovers: Leftovers,
  options: { names?: string[]; user?: UserInfo } = {},
): Sink {
  const events: Cluster[] = [];
  let end: (how: string) => void = () => undefined;
  const ended = new Promise<string>((r) => (end = r));
  const unsubscribe = client.subscribe<{ clusterStatusChanged: Cluster }>(
    asUser(
      {
        query: `subscription ($names: [ID!]) { clusterStatusChanged(names: $names) { ${CLUSTER_FIELDS} } }`,
        variables: options.names ? { names: options.names } : {},
      },
      options.user ?? ADMIN,
    ),
    {
      next: (v) => {
        if (v.errors) end(`errors: ${JSON.stringify(v.errors)}`);
        if (v.data) events.push(v.data.clusterStatusChanged);
      },
      error: (e) => end(`error: ${e instanceof Error ? e.message : JSON.stringify(e)}`),
      complete: () => end('complete'),
    },
  );
  leftovers.push(unsubscribe);
  return {
    events,
    ended,
    unsubscribe,
    waitForEvent: (test, what, from = 0) => waitFor(() => events.slice(from).find(test), what),
    async expectNoEvent(ms) {
      const before = events.length;
      await new Promise((r) => setTimeout(r, ms));
      expect(events.slice(before)).toEqual([]);
    },
  };
}

export function clusterTarget(sim: KubeSim, name: string) {
  const type = sim.cluster('host').registry.get('cluster.kubesphere.io', 'v1alpha1', 'clusters');
  if (!type) throw new Error('no Cluster type on the host');
  return { type, namespace: '', name };
}
