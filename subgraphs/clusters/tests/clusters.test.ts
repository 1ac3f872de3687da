import { createKubeSim, type KubeSim } from '@fleetgraph/kube-sim';
import { waitFor } from '@fleetgraph/lib/testing';
import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { ClustersSubgraph } from '../src/subgraph.ts';
import {
  type Cluster,
  CLUSTER_FIELDS,
  clusterTarget,
  clusters,
  createSubgraph as createSubgraphFor,
  gql,
  type Leftovers,
  subscribe as subscribeAs,
  type Sink,
  wsClient as wsClientFor,
} from './support.ts';

/** The clusters subgraph in process, against kube-sim's demo fleet (host, prod, edge), called as the admin. */

const leftovers: Leftovers = [];
afterAll(async () => {
  for (const dispose of leftovers.splice(0).reverse()) await dispose();
});

function createSubgraph(sim: KubeSim): ClustersSubgraph {
  return createSubgraphFor(sim, leftovers);
}

async function readyz(subgraph: ClustersSubgraph) {
  const res = await fetch(new URL('/readyz', subgraph.url));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function subscribe(client: Client, names?: string[]): Sink {
  return subscribeAs(client, leftovers, names ? { names } : {});
}

function wsClient(subgraph: ClustersSubgraph): Client {
  return wsClientFor(subgraph, leftovers);
}

/** a member's Cluster object under another name (same connection), or with another kubeconfig */
function copyOfCluster(sim: KubeSim, from: string, name: string, kubeconfigBase64?: string) {
  const original = sim.cluster('host').api.get(clusterTarget(sim, from));
  const spec = structuredClone(original['spec']) as { connection: { kubeconfig: string } };
  if (kubeconfigBase64 !== undefined) spec.connection.kubeconfig = kubeconfigBase64;
  return {
    apiVersion: 'cluster.kubesphere.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name, labels: { ...(original.metadata.labels ?? {}) } },
    spec,
  };
}

describe('clusters subgraph readiness', () => {
  it('/readyz is not ready until the registry has synced and every cluster was probed', async () => {
    await using sim = await createKubeSim({ fleet: 'demo', controllers: false });
    await sim.cluster('host').faults.offline('hang');
    const subgraph = createSubgraph(sim);
    let started = false;
    const starting = subgraph.start().then(() => (started = true));

    await waitFor(() => subgraph.server.port !== 0, 'the subgraph to listen');
    const before = await readyz(subgraph);
    expect(before.status).toBe(503);
    expect(before.body).toMatchObject({ status: 'not ready', checks: { registrySynced: false } });
    expect(started).toBe(false);

    await sim.cluster('host').faults.online();
    await starting;
    const after = await readyz(subgraph);
    expect(after.status).toBe(200);
    expect(after.body).toEqual({
      status: 'ready',
      checks: {
        registrySynced: true,
        authorizerSynced: true,
        probedAll: true,
        inventorySynced: true,
        upgradesSynced: true,
        gatewaysSettled: true,
        usersSettled: true,
      },
    });
    expect((await clusters(subgraph)).map((c) => `${c.status.phase} ${c.status.reason}`)).toEqual([
      'READY Ready',
      'READY Ready',
      'READY Ready',
    ]);

    // closing completes open subscriptions: the client sees complete, not an error
    const sink = subscribe(wsClient(subgraph));
    await waitFor(() => sink.events.length >= 3, 'the current state');
    await subgraph.close();
    expect(await sink.ended).toBe('complete');
    expect((await fetch(new URL('/readyz', subgraph.url)).catch(() => undefined))?.status).not.toBe(200);
  });
});

describe('clusters subgraph against the demo fleet', () => {
  let sim: KubeSim;
  let subgraph: ClustersSubgraph;

  beforeAll(async () => {
    sim = await createKubeSim({ fleet: 'demo', controllers: false });
    leftovers.unshift(() => sim.close());
    subgraph = createSubgraph(sim);
    await subgraph.start();
  });

  afterEach(async () => {
    for (const name of ['host', 'prod', 'edge']) {
      sim.cluster(name).faults.clear();
      await sim.cluster(name).faults.online();
    }
  });

  it('lists the host first, then the members by name, each READY with its version and probe', async () => {
    const list = await clusters(subgraph);
    expect(list.map((c) => `${c.name} ${c.role}`)).toEqual(['host HOST', 'edge MEMBER', 'prod MEMBER']);
    for (const c of list) {
      expect(c.kubernetesVersion).toBe('v1.30.0-kube-sim');
      expect(c.status).toMatchObject({ phase: 'READY', ready: true, reason: 'Ready' });
      expect(Number.isNaN(Date.parse(c.status.lastProbeTime ?? ''))).toBe(false);
      expect(c.status.probeLatencyMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('answers Query.cluster by name, and null for an unknown name', async () => {
    const res = await gql<{ prod: Cluster | null; nope: Cluster | null }>(
      subgraph,
      `{ prod: cluster(name: "prod") { ${CLUSTER_FIELDS} } nope: cluster(name: "nope") { name } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.prod).toMatchObject({ name: 'prod', role: 'MEMBER', status: { phase: 'READY' } });
    expect(res.data?.nope).toBeNull();
  });

  it('resolves Cluster references through _entities (null for an unknown cluster)', async () => {
    const res = await gql<{ _entities: Array<Cluster | null> }>(
      subgraph,
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Cluster { name role status { phase } } } }`,
      {
        r: [
          { __typename: 'Cluster', name: 'edge' },
          { __typename: 'Cluster', name: 'host' },
          { __typename: 'Cluster', name: 'nope' },
        ],
      },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?._entities).toEqual([
      { name: 'edge', role: 'MEMBER', status: { phase: 'READY' } },
      { name: 'host', role: 'HOST', status: { phase: 'READY' } },
      null,
    ]);
  });

  it('clusterStatusChanged sends the current state first, then UNREACHABLE and READY again, filtered by names', async () => {
    const client = wsClient(subgraph);
    const all = subscribe(client);
    const edgeOnly = subscribe(client, ['edge']);
    const prodOnly = subscribe(client, ['prod']);

    await waitFor(() => all.events.length >= 3, 'the current state of every cluster');
    expect(all.events.slice(0, 3).map((c) => `${c.name} ${c.status.phase}`)).toEqual([
      'host READY',
      'edge READY',
      'prod READY',
    ]);
    await waitFor(() => edgeOnly.events.length >= 1 && prodOnly.events.length >= 1, 'the filtered states');
    expect(edgeOnly.events[0]).toMatchObject({ name: 'edge', status: { phase: 'READY' } });

    await sim.cluster('edge').faults.offline('refuse');
    const down = await edgeOnly.waitForEvent((c) => c.status.phase === 'UNREACHABLE', 'edge UNREACHABLE', 1);
    expect(down).toMatchObject({
      name: 'edge',
      kubernetesVersion: 'v1.30.0-kube-sim',
      status: { ready: false },
    });
    // a new connection is refused; a probe that catches the listener closing sees its connection reset
    expect(['ConnectionRefused', 'ConnectionReset']).toContain(down.status.reason);
    await all.waitForEvent((c) => c.name === 'edge' && c.status.phase === 'UNREACHABLE', 'edge down', 3);
    const queried = await gql<{ cluster: Cluster }>(
      subgraph,
      `{ cluster(name: "edge") { ${CLUSTER_FIELDS} } }`,
    );
    expect(queried.data?.cluster.status.phase).toBe('UNREACHABLE');

    await sim.cluster('edge').faults.online();
    const downAt = edgeOnly.events.indexOf(down);
    await edgeOnly.waitForEvent((c) => c.status.phase === 'READY', 'edge READY again', downAt + 1);

    expect(edgeOnly.events.every((c) => c.name === 'edge')).toBe(true);
    expect(prodOnly.events.every((c) => c.name === 'prod')).toBe(true);
    // prod was never disturbed: its subscriber saw only its current state
    expect(prodOnly.events.map((c) => c.status.phase)).toEqual(['READY']);
  });

  it('follows Cluster objects added and deleted on the host at run time', async () => {
    const all = subscribe(wsClient(subgraph));
    await waitFor(() => all.events.length >= 3, 'the current state');

    sim.cluster('host').apply([copyOfCluster(sim, 'prod', 'prod-copy')]);
    await all.waitForEvent((c) => c.name === 'prod-copy' && c.status.phase === 'READY', 'prod-copy READY', 3);
    // a new cluster appears only once probed: its first event already carries the probe's time and latency
    const firstOfCopy = all.events.find((c) => c.name === 'prod-copy');
    expect(firstOfCopy?.status.phase).toBe('READY');
    expect(firstOfCopy?.status.lastProbeTime).toEqual(expect.any(String));
    expect(firstOfCopy?.status.probeLatencyMs).toEqual(expect.any(Number));
    await waitFor(
      async () => (await clusters(subgraph)).some((c) => c.name === 'prod-copy'),
      'prod-copy listed',
    );
    expect((await clusters(subgraph)).map((c) => c.name)).toEqual(['host', 'edge', 'prod', 'prod-copy']);

    sim.cluster('host').api.delete(clusterTarget(sim, 'prod-copy'));
    await waitFor(
      async () => !(await clusters(subgraph)).some((c) => c.name === 'prod-copy'),
      'prod-copy gone from Query.clusters',
    );
    const gone = await gql<{ cluster: Cluster | null }>(subgraph, '{ cluster(name: "prod-copy") { name } }');
    expect(gone.data?.cluster).toBeNull();
  });

  it('reports a member with a broken kubeconfig as UNREACHABLE/InvalidKubeconfig, never READY', async () => {
    const broken = Buffer.from('this is: [not a kubeconfig').toString('base64');
    sim.cluster('host').apply([copyOfCluster(sim, 'edge', 'broken', broken)]);
    try {
      const c = await waitFor(async () => {
        const found = (await clusters(subgraph)).find((x) => x.name === 'broken');
        return found && found.status.phase !== 'UNKNOWN' ? found : undefined;
      }, 'broken to be probed');
      expect(c).toMatchObject({
        role: 'MEMBER',
        kubernetesVersion: null,
        status: { phase: 'UNREACHABLE', ready: false, reason: 'InvalidKubeconfig' },
      });
      expect(c.status.message).not.toBe('');
    } finally {
      sim.cluster('host').api.delete(clusterTarget(sim, 'broken'));
    }
  });

  it('reports a member whose API server answers 503 as NOT_READY, and READY once it recovers', async () => {
    const prod = subscribe(wsClient(subgraph), ['prod']);
    await waitFor(() => prod.events.length >= 1, 'the current state of prod');
    sim.cluster('prod').faults.failNext({ status: 503, count: 1_000_000, pathPrefix: '/version' });
    const notReady = await prod.waitForEvent((c) => c.status.phase === 'NOT_READY', 'prod NOT_READY', 1);
    expect(notReady.status).toMatchObject({ ready: false, reason: 'ServerError' });
    const queried = await gql<{ cluster: Cluster }>(
      subgraph,
      `{ cluster(name: "prod") { ${CLUSTER_FIELDS} } }`,
    );
    expect(queried.data?.cluster.status.phase).toBe('NOT_READY');

    sim.cluster('prod').faults.clear();
    await prod.waitForEvent(
      (c) => c.status.phase === 'READY',
      'prod READY again',
      prod.events.indexOf(notReady) + 1,
    );
  });
});
