import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { FormattedExecutionResult as ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { kubeRequest, loadKubeConfig } from '@fleetgraph/lib/kube';

import { eventually, metric, query, subscribe, wsClient } from '../../harness/graphqlClient.ts';
import { type Stack, startStack } from '../../harness/stack.ts';

/**
 * The platform end to end, as separate processes: kube-sim's demo fleet, the clusters and workloads subgraphs and
 * the gateway (the same start-up `npm start` uses), queried and subscribed through the gateway over graphql-ws.
 */

const PROBE_PERIOD_MS = 500;

interface ClusterEvent {
  clusterStatusChanged: {
    name: string;
    status: { phase: string; reason: string; lastProbeTime: string | null };
    podCount: number | null;
  };
}

const STATUS_SUBSCRIPTION = `subscription ($names: [ID!]) {
  clusterStatusChanged(names: $names) { name status { phase reason lastProbeTime } podCount }
}`;

function cluster(e: ExecutionResult): ClusterEvent['clusterStatusChanged'] {
  const data = e.data as ClusterEvent | null | undefined;
  if (!data) throw new Error(`event without data: ${JSON.stringify(e)}`);
  return data.clusterStatusChanged;
}

let stack: Stack;
let outDir: string;
/** the demo fleet's platform admin (sees every cluster) */
let token: string;

/** takes a member offline in kube-sim (connections refused) for forMs, through its /__sim/ control endpoint */
async function takeOffline(name: string, forMs: number): Promise<number> {
  const path = stack.kubeconfigs[name];
  if (!path) throw new Error(`no kubeconfig for ${name}`);
  const kc = loadKubeConfig({ kind: 'kubeconfig', path });
  const at = Date.now();
  await kubeRequest(kc, '/__sim/offline', { method: 'POST', body: { mode: 'refuse', forMs } });
  return at;
}

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'fleetgraph-e2e-'));
  // split: one test kills the workloads subgraph's own process
  stack = await startStack({
    port: 0,
    outDir,
    probePeriodMs: PROBE_PERIOD_MS,
    logLevel: 'warn',
    split: true,
  });
  token = await stack.token('admin');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await rm(outDir, { recursive: true, force: true });
});

describe('the platform through the gateway', () => {
  it('answers a query that crosses the clusters and workloads subgraphs', async () => {
    const r = await query(
      stack.gatewayUrl,
      '{ clusters { nodes { name role status { phase ready } podCount } } }',
      undefined,
      token,
    );
    expect(r.errors).toBeUndefined();
    const clusters = (r.data as { clusters: { nodes: { name: string; role: string; podCount: number }[] } })
      .clusters.nodes;
    expect(clusters.map((c) => c.name)).toEqual(['host', 'edge', 'prod']);
    expect(clusters[0]?.role).toBe('HOST');
    for (const c of clusters) expect(c.podCount).toBeGreaterThan(0);
  });

  it('publishes a member going offline within two probe periods, with the cross-subgraph field in each event', async () => {
    const client = wsClient(stack.gatewayWsUrl, token);
    try {
      const sub = subscribe(client, { query: STATUS_SUBSCRIPTION, variables: { names: ['edge'] } });
      const first = cluster(await sub.next());
      expect(first).toMatchObject({ name: 'edge', status: { phase: 'READY' } });
      expect(first.podCount).toBeGreaterThan(0);

      const offlineAt = await takeOffline('edge', 3000);
      const down = cluster(await sub.waitFor((e) => cluster(e).status.phase !== 'READY'));
      expect(down.status.phase).toBe('UNREACHABLE');
      // a new connection is refused; a probe that catches the listener closing sees its connection reset
      expect(['ConnectionRefused', 'ConnectionReset']).toContain(down.status.reason);
      // the probe that saw it finished within two probe periods of the fault (the server's own clock)
      expect(Date.parse(down.status.lastProbeTime ?? '') - offlineAt).toBeLessThanOrEqual(
        2 * PROBE_PERIOD_MS,
      );
      expect(down.podCount).toBe(first.podCount);

      const up = cluster(await sub.waitFor((e) => cluster(e).status.phase === 'READY'));
      expect(up.podCount).toBe(first.podCount);
      sub.close();
    } finally {
      await client.dispose();
    }
  });

  it('shares one upstream subscription among 100 identical ones, and closes it when they unsubscribe', async () => {
    const clustersUrl = stack.subgraphUrls['clusters'] ?? '';
    const gauge = 'fleetgraph_subgraph_subscriptions_active';
    expect(await metric(clustersUrl, gauge)).toBe(0);
    const clients = Array.from({ length: 10 }, () => wsClient(stack.gatewayWsUrl, token));
    try {
      const subs = clients.flatMap((c) =>
        Array.from({ length: 10 }, () => subscribe(c, { query: STATUS_SUBSCRIPTION })),
      );
      for (const s of subs) {
        const names = [
          cluster(await s.next()).name,
          cluster(await s.next()).name,
          cluster(await s.next()).name,
        ];
        expect(names).toEqual(['host', 'edge', 'prod']);
      }
      expect(await metric(clustersUrl, gauge)).toBe(1);
      expect(await metric(stack.gatewayUrl, 'fleetgraph_gateway_upstream_subscriptions_active')).toBe(1);
      expect(await metric(stack.gatewayUrl, 'fleetgraph_gateway_subscriptions_active')).toBe(100);

      // a change reaches every one of the 100
      await takeOffline('prod', 1500);
      for (const s of subs) {
        const e = cluster(
          await s.waitFor((x) => cluster(x).name === 'prod' && cluster(x).status.phase !== 'READY'),
        );
        expect(e.podCount).toBeGreaterThan(0);
      }

      for (const s of subs) s.close();
      await eventually(async () => (await metric(clustersUrl, gauge)) === 0, 10_000, 'the upstream closed');
      expect(await metric(stack.gatewayUrl, 'fleetgraph_gateway_upstream_subscriptions_active')).toBe(0);
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
    }
  });

  it('tells a clusterChanged subscriber through the gateway when a member joins and when it is removed', async () => {
    // an earlier test took prod offline for a moment: its twin is READY only once prod is
    await eventually(async () => {
      const r = await query(
        stack.gatewayUrl,
        '{ cluster(name: "prod") { status { phase } } }',
        undefined,
        token,
      );
      return (
        (r.data as { cluster: { status: { phase: string } } } | undefined)?.cluster.status.phase === 'READY'
      );
    });
    const host = loadKubeConfig({ kind: 'kubeconfig', path: stack.hostKubeconfig });
    const clustersPath = '/apis/cluster.kubesphere.io/v1alpha1/clusters';
    const prod = await kubeRequest<{ metadata: { labels?: Record<string, string> }; spec: unknown }>(
      host,
      `${clustersPath}/prod`,
    );
    const client = wsClient(stack.gatewayWsUrl, token);
    try {
      const sub = subscribe(client, {
        query: 'subscription { clusterChanged { type name cluster { name status { phase } podCount } } }',
      });
      type Change = { type: string; name: string; cluster: { name: string; podCount: number | null } | null };
      const change = (e: ExecutionResult): Change => (e.data as { clusterChanged: Change }).clusterChanged;
      for (let i = 0; i < 3; i++) expect(change(await sub.next()).type).toBe('INITIAL');

      await kubeRequest(host, clustersPath, {
        method: 'POST',
        body: {
          apiVersion: 'cluster.kubesphere.io/v1alpha1',
          kind: 'Cluster',
          metadata: { name: 'prod-twin', labels: prod.metadata.labels ?? {} },
          spec: prod.spec,
        },
      });
      const added = await sub.waitFor((e) => change(e).name === 'prod-twin');
      expect(change(added)).toMatchObject({
        type: 'ADDED',
        cluster: { name: 'prod-twin', status: { phase: 'READY' } },
      });
      // podCount comes from the workloads subgraph, fetched for the event: it may not have listed the new member's
      // pods yet, and then says so (partial data with an error), never failing the event
      for (const e of added.errors ?? []) {
        expect(e.path).toEqual(['clusterChanged', 'cluster', 'podCount']);
        expect(e.extensions?.['code']).toBe('CLUSTER_UNREACHABLE');
      }

      await kubeRequest(host, `${clustersPath}/prod-twin`, { method: 'DELETE' });
      const removed = await sub.waitFor((e) => change(e).type === 'REMOVED');
      expect(removed.errors).toBeUndefined();
      expect(change(removed)).toEqual({ type: 'REMOVED', name: 'prod-twin', cluster: null });
      expect(sub.completed).toBe(false);
      sub.close();
    } finally {
      await client.dispose();
    }
  });

  it('keeps a subscription open with partial data and an error when the workloads subgraph dies', async () => {
    await eventually(
      async () =>
        (await query(stack.gatewayUrl, '{ cluster(name: "edge") { status { phase } } }', undefined, token))
          .data !== undefined,
    );
    const client = wsClient(stack.gatewayWsUrl, token);
    try {
      const sub = subscribe(client, { query: STATUS_SUBSCRIPTION, variables: { names: ['edge'] } });
      const edge = await sub.waitFor((e) => cluster(e).status.phase === 'READY');
      expect(edge.errors).toBeUndefined();

      const workloads = stack.processes.get('workloads');
      workloads?.child.kill('SIGKILL');
      await workloads?.exited;

      await takeOffline('edge', 1500);
      const down = await sub.waitFor((e) => cluster(e).status.phase === 'UNREACHABLE');
      expect(cluster(down).podCount).toBeNull();
      expect(down.errors?.length).toBeGreaterThan(0);
      expect(down.errors?.[0]?.extensions?.['code']).toBe('SUBGRAPH_UNAVAILABLE');
      expect(down.errors?.[0]?.extensions?.['serviceName']).toBe('workloads');
      expect(down.errors?.[0]?.message).toMatch(/subgraph "workloads" is unavailable: .*ECONNREFUSED/);

      // still open: the next transition arrives too
      const up = await sub.waitFor((e) => cluster(e).status.phase === 'READY');
      expect(cluster(up).podCount).toBeNull();
      expect(sub.completed).toBe(false);
      sub.close();
    } finally {
      await client.dispose();
    }
  });
});
