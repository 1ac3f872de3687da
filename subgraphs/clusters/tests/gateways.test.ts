import { createKubeSim, type KubeSim, RealClock } from '@fleetgraph/kube-sim';
import type { UserInfo } from '@fleetgraph/lib/auth';
import { kubeRequest } from '@fleetgraph/lib/kube';
import { ADMIN, asUser, waitFor } from '@fleetgraph/lib/testing';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { kubeConfigOf } from '../../../kube-sim/tests/support.ts';
import type { ClustersSubgraph } from '../src/subgraph.ts';
import { createSubgraph, gql, type GqlError, type Leftovers, MALLORY, userOf, wsClient } from './support.ts';

/**
 * Gateways against kube-sim's demo fleet with its controllers running on a clock 10 times faster than real time:
 * prod's three gateways (cluster, workspace retail, project shop) in kubesphere-controls-system, each an
 * ingress-nginx Deployment of 2 replicas (RollingUpdate maxUnavailable 0, maxSurge 1). Listing with scope and
 * owner per user, upgradeGateway's refusals, a rolling upgrade that never has fewer than 2 available replicas, a
 * rollout whose pods cannot pull stalling with the cause, rollbackGateway, Gateway.logs and podLogs.
 *
 * Roles (kube-sim's demo tenancy): admin is platform-admin; alice is the retail workspace's admin and victor its
 * viewer, both platform-regular. kubesphere-controls-system belongs to no workspace and neither has a binding in
 * it, so neither may update (or get) its Deployments: both are FORBIDDEN to upgrade, and both see only the retail
 * workspace gateway and the shop project gateway.
 */

const NS = 'kubesphere-controls-system';
const SHOP = 'kubesphere-router-shop';
const RETAIL = 'kubesphere-router-workspace-retail';
const CLUSTER_GW = 'kubesphere-router-cluster';

interface Gateway {
  name: string;
  scope: string;
  owner: string | null;
  appVersion: string | null;
  version: string | null;
  image: string | null;
  state: string;
  replicas: { desired: number; updated: number; ready: number; available: number };
  pods: Array<{ name: string; phase: string; ready: boolean; image: string | null; node: string | null }>;
  upgradePlan: {
    revision: number | null;
    fromVersion: string | null;
    toVersion: string | null;
    phase: string;
    reason: string | null;
    message: string | null;
    podProblems: string[];
  } | null;
}
interface RolloutEvent {
  gateway: Gateway;
  done: boolean;
}

const GATEWAY_FIELDS = `name scope owner appVersion version image state
  replicas { desired updated ready available }
  pods { name phase ready image node }
  upgradePlan { revision fromVersion toVersion phase reason message podProblems }`;
const UPGRADE = `mutation ($input: UpgradeGatewayInput!) { upgradeGateway(input: $input) { gateway { ${GATEWAY_FIELDS} } } }`;
const ROLLBACK = `mutation ($input: RollbackGatewayInput!) { rollbackGateway(input: $input) { gateway { ${GATEWAY_FIELDS} } } }`;
const ROLLOUT = `subscription ($c: ID!, $ns: ID!, $n: ID!) {
  gatewayRollout(cluster: $c, namespace: $ns, name: $n) { done gateway { ${GATEWAY_FIELDS} } }
}`;

const leftovers: Leftovers = [];
afterAll(async () => {
  for (const dispose of leftovers.splice(0).reverse()) await dispose();
});

interface Stream<T> {
  items: T[];
  /** 'complete' or the error */
  ended: Promise<string>;
  errors: GqlError[];
}

function stream<T>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  user: UserInfo = ADMIN,
) {
  const items: T[] = [];
  const errors: GqlError[] = [];
  let end: (how: string) => void = () => undefined;
  const ended = new Promise<string>((r) => (end = r));
  const unsubscribe = client.subscribe<Record<string, T>>(asUser({ query, variables }, user), {
    next: (v) => {
      if (v.errors) errors.push(...(v.errors as GqlError[]));
      if (v.data) items.push(Object.values(v.data)[0] as T);
    },
    error: (e) => end(`error: ${JSON.stringify(e)}`),
    complete: () => end('complete'),
  });
  leftovers.push(unsubscribe);
  return { items, ended, errors } satisfies Stream<T>;
}

describe('clusters subgraph: gateways', () => {
  let sim: KubeSim;
  let subgraph: ClustersSubgraph;
  let client: Client;

  beforeAll(async () => {
    sim = await createKubeSim({
      fleet: 'demo',
      clock: new RealClock({ speed: 10 }),
      controllers: { startDelayMs: 100, pullMs: 300, readyAfterMs: 1_000 },
    });
    leftovers.unshift(() => sim.close());
    subgraph = createSubgraph(sim, leftovers);
    await subgraph.start();
    client = wsClient(subgraph, leftovers);
  });

  const gateways = async (user: UserInfo = ADMIN, scope?: string) => {
    const res = await gql<{ cluster: { gateways: Gateway[] } | null }>(
      subgraph,
      `query ($scope: GatewayScope) { cluster(name: "prod") { gateways(scope: $scope) { ${GATEWAY_FIELDS} } } }`,
      scope ? { scope } : {},
      user,
    );
    expect(res.errors).toBeUndefined();
    return res.data?.cluster?.gateways ?? null;
  };
  const upgrade = (name: string, version: string, user: UserInfo = ADMIN) =>
    gql<{ upgradeGateway: { gateway: Gateway } }>(
      subgraph,
      UPGRADE,
      { input: { cluster: 'prod', namespace: NS, name, version } },
      user,
    );
  const rollout = (name: string) => stream<RolloutEvent>(client, ROLLOUT, { c: 'prod', ns: NS, n: name });
  const patchDeployment = (name: string, patch: unknown) =>
    kubeRequest(kubeConfigOf(sim, 'prod'), `/apis/apps/v1/namespaces/${NS}/deployments/${name}`, {
      method: 'PATCH',
      body: patch,
      contentType: 'application/merge-patch+json',
    });

  it('Cluster.gateways lists the three gateways of prod with their scope, owner, versions and pods', async () => {
    const all = await waitFor(async () => {
      const g = await gateways();
      return g && g.length === 3 && g.every((x) => x.pods.length === 2 && x.state === 'RUNNING')
        ? g
        : undefined;
    }, 'three running gateways');
    expect(all.map((g) => [g.name, g.scope, g.owner, g.appVersion, g.version])).toEqual([
      [CLUSTER_GW, 'CLUSTER', null, '4.9.1', 'v1.9.6'],
      [SHOP, 'PROJECT', 'shop', '4.7.1', 'v1.8.1'],
      [RETAIL, 'WORKSPACE', 'retail', '4.9.1', 'v1.9.6'],
    ]);
    const shop = all.find((g) => g.name === SHOP);
    expect(shop?.image).toBe('kubesphere/nginx-ingress-controller:v1.8.1');
    expect(shop?.replicas).toEqual({ desired: 2, updated: 2, ready: 2, available: 2 });
    expect(shop?.upgradePlan?.phase).toBe('COMPLETE');
    expect(shop?.pods.every((p) => p.ready && p.phase === 'Running' && p.node)).toBe(true);
    expect((await gateways(ADMIN, 'PROJECT'))?.map((g) => g.name)).toEqual([SHOP]);
  });

  it('shows workspace and project gateways to the retail members, nothing to a stranger', async () => {
    const names = async (u: UserInfo) => (await gateways(u))?.map((g) => g.name) ?? null;
    expect(await names(userOf(sim, 'alice'))).toEqual([SHOP, RETAIL]);
    expect(await names(userOf(sim, 'victor'))).toEqual([SHOP, RETAIL]);
    expect(await names(userOf(sim, 'frank'))).toBeNull(); // prod is not visible to him at all
    expect(await names(MALLORY)).toBeNull();
    const one = await gql<{ cluster: { gateway: Gateway | null } }>(
      subgraph,
      `{ cluster(name: "prod") { gateway(name: "${CLUSTER_GW}") { name } } }`,
      {},
      userOf(sim, 'alice'),
    );
    expect(one.data?.cluster.gateway).toBeNull();
  });

  it('refuses upgrades: FORBIDDEN for alice and victor, unknown gateway, unknown or older versions', async () => {
    for (const who of ['alice', 'victor']) {
      const res = await upgrade(SHOP, 'v1.9.6', userOf(sim, who));
      expect(res.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    }
    expect((await upgrade('kubesphere-router-nope', 'v1.9.6')).errors?.[0]?.extensions?.['code']).toBe(
      'GATEWAY_NOT_FOUND',
    );
    for (const version of ['v9.9.9', 'latest', 'v1.8.1']) {
      const res = await upgrade(SHOP, version);
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'version' });
    }
    const gw = (await gateways())?.find((g) => g.name === SHOP);
    expect(gw?.version).toBe('v1.8.1');
  });

  it('upgrades the shop gateway with a rolling update that never drops below 2 available replicas', async () => {
    // every state of the Deployment, as the store commits it (no polling gaps)
    const store = sim.cluster('prod').store;
    const seen: Array<{ available: number; updated: number; total: number }> = [];
    const sink = {
      gr: 'deployments.apps',
      namespace: NS,
      internal: true,
      matches: (o: { metadata: { name?: string } }) => o.metadata.name === SHOP,
      send: (
        _t: string,
        o: { status?: { availableReplicas?: number; updatedReplicas?: number; replicas?: number } },
      ) =>
        seen.push({
          available: o.status?.availableReplicas ?? 0,
          updated: o.status?.updatedReplicas ?? 0,
          total: o.status?.replicas ?? 0,
        }),
      close: () => undefined,
    };
    store.watch(sink as never, store.resourceVersion);
    leftovers.push(() => store.unwatch(sink as never));

    const res = await upgrade(SHOP, 'v1.9.6');
    expect(res.errors).toBeUndefined();
    const started = res.data?.upgradeGateway.gateway;
    expect(started?.version).toBe('v1.9.6');
    expect(started?.appVersion).toBe('4.9.1');
    expect(started?.upgradePlan).toMatchObject({ fromVersion: 'v1.8.1', toVersion: 'v1.9.6' });
    expect((await upgrade(SHOP, 'v1.10.0')).errors?.[0]?.extensions?.['code']).toBe(
      'GATEWAY_ROLLOUT_IN_PROGRESS',
    );

    const events = rollout(SHOP);
    expect(await events.ended).toBe('complete');
    expect(events.errors).toEqual([]);
    const last = events.items.at(-1);
    expect(last?.done).toBe(true);
    expect(last?.gateway.upgradePlan?.phase).toBe('COMPLETE');
    expect(last?.gateway.state).toBe('RUNNING');
    expect(last?.gateway.pods.map((p) => p.image)).toEqual([
      'kubesphere/nginx-ingress-controller:v1.9.6',
      'kubesphere/nginx-ingress-controller:v1.9.6',
    ]);
    expect(events.items.every((e) => e.gateway.replicas.available >= 2)).toBe(true);
    // the store saw the rollout surge to 3 pods and replace them one by one, never with fewer than 2 available
    expect(seen.some((d) => d.total === 3 && d.updated < 2)).toBe(true);
    expect(seen.at(-1)).toEqual({ available: 2, updated: 2, total: 2 });
    expect(Math.min(...seen.map((d) => d.available))).toBeGreaterThanOrEqual(2);
    expect(events.items.slice(0, -1).every((e) => !e.done && e.gateway.state === 'UPDATING')).toBe(true);
  });

  it('reports a rollout whose pods cannot pull as STALLED with the cause, then rolls it back', async () => {
    // a short deadline (20 s of sim time), then the upgrade, then pods that cannot pull their image
    await patchDeployment(RETAIL, { spec: { progressDeadlineSeconds: 20 } });
    const res = await upgrade(RETAIL, 'v1.10.0');
    expect(res.errors).toBeUndefined();
    await patchDeployment(RETAIL, {
      spec: { template: { metadata: { annotations: { 'sim.fleetgraph.io/image-pull': 'fail' } } } },
    });
    const events = rollout(RETAIL);
    expect(await events.ended).toBe('complete');
    const stalled = events.items.at(-1)?.gateway;
    expect(stalled?.upgradePlan).toMatchObject({ phase: 'STALLED', reason: 'ProgressDeadlineExceeded' });
    expect(stalled?.upgradePlan?.podProblems).toContain('ImagePullBackOff');
    expect(stalled?.upgradePlan?.message).toMatch(/ImagePullBackOff/);
    expect(stalled?.state).toBe('FAULTED');
    expect(stalled?.replicas.available).toBe(2);
    expect(events.items.every((e) => e.gateway.replicas.available >= 2)).toBe(true);

    const forbidden = await gql(
      subgraph,
      ROLLBACK,
      { input: { cluster: 'prod', namespace: NS, name: RETAIL } },
      userOf(sim, 'alice'),
    );
    expect(forbidden.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const back = await gql<{ rollbackGateway: { gateway: Gateway } }>(subgraph, ROLLBACK, {
      input: { cluster: 'prod', namespace: NS, name: RETAIL },
    });
    expect(back.errors).toBeUndefined();
    expect(back.data?.rollbackGateway.gateway).toMatchObject({ version: 'v1.9.6', appVersion: '4.9.1' });
    const after = rollout(RETAIL);
    expect(await after.ended).toBe('complete');
    const done = after.items.at(-1)?.gateway;
    expect(done?.upgradePlan).toMatchObject({
      phase: 'ROLLED_BACK',
      fromVersion: 'v1.10.0',
      toVersion: 'v1.9.6',
    });
    expect(done?.pods.map((p) => p.image)).toEqual([
      'kubesphere/nginx-ingress-controller:v1.9.6',
      'kubesphere/nginx-ingress-controller:v1.9.6',
    ]);
    expect(done?.state).toBe('RUNNING');
  });

  it('Gateway.logs returns the recent controller lines of the gateway, oldest first', async () => {
    const res = await gql<{ cluster: { gateway: { pods: Array<{ name: string }>; all: LogLine[] } } }>(
      subgraph,
      `{ cluster(name: "prod") { gateway(name: "${CLUSTER_GW}") { pods { name } all: logs(tail: 5) { seq time text } } } }`,
    );
    expect(res.errors).toBeUndefined();
    const lines = res.data?.cluster.gateway.all ?? [];
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(lines.every((l) => l.text.length > 0 && l.time)).toBe(true);
    expect([...lines].map((l) => l.time).sort()).toEqual(lines.map((l) => l.time));
    const pod = res.data?.cluster.gateway.pods[0]?.name ?? '';
    const one = await gql<{ cluster: { gateway: { logs: LogLine[] } } }>(
      subgraph,
      `{ cluster(name: "prod") { gateway(name: "${CLUSTER_GW}") { logs(tail: 2, pod: "${pod}") { seq text } } } }`,
    );
    expect(one.data?.cluster.gateway.logs).toHaveLength(2);
  });

  it('podLogs streams a gateway pod: its tail first, then new lines; FORBIDDEN for victor', async () => {
    const gw = (await gateways())?.find((g) => g.name === CLUSTER_GW);
    const pod = gw?.pods[0]?.name ?? '';
    const query = `subscription ($pod: ID!) {
      podLogs(cluster: "prod", namespace: "${NS}", pod: $pod, container: "controller", tailLines: 3) { seq time text }
    }`;
    const lines = stream<LogLine>(client, query, { pod });
    // 3 lines of tail, then lines the controller writes later (about every 10 s of sim time: 1 s here)
    await waitFor(() => lines.items.length >= 5, 'two live lines after the tail', 20_000);
    expect(lines.items.slice(0, 5).map((l) => l.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(lines.items.every((l) => l.text.length > 0)).toBe(true);

    const denied = stream<LogLine>(client, query, { pod }, userOf(sim, 'victor'));
    await waitFor(() => denied.errors.length > 0 || undefined, 'an error for victor');
    expect(denied.errors[0]?.extensions?.['code']).toBe('FORBIDDEN');
    expect(denied.items).toEqual([]);
  });
});

interface LogLine {
  seq: number;
  time: string | null;
  text: string;
}
