import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { FormattedExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadKubeConfig, patchObject } from '@fleetgraph/lib/kube';

import { query, subscribe, wsClient } from '../../harness/graphqlClient.ts';
import { type Stack, startStack } from '../../harness/stack.ts';

/**
 * A member-cluster upgrade through the gateway, as the README's first thing to try: start it with upgradeCluster,
 * follow it with clusterUpgradeProgress, and check that a subscriber who joins late still gets every log line, in
 * order, once. In the demo fleet, edge runs KubeSphere v4.1.3 and the host v4.2.1.
 */

interface UpgradeEvent {
  kind: 'PHASE' | 'LOG' | 'COMPLETED';
  upgrade: { id: string; phase: string; toVersion: string };
  line: { seq: number; text: string } | null;
}

const PROGRESS = `subscription ($id: ID!) {
  clusterUpgradeProgress(upgradeId: $id) { kind upgrade { id phase toVersion } line { seq text } }
}`;

let stack: Stack;
let outDir: string;
let admin: string;

const eventOf = (e: FormattedExecutionResult): UpgradeEvent => {
  const data = e.data as { clusterUpgradeProgress: UpgradeEvent } | null | undefined;
  if (!data) throw new Error(`event without data: ${JSON.stringify(e)}`);
  return data.clusterUpgradeProgress;
};

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'fleetgraph-upgrade-'));
  stack = await startStack({ port: 0, outDir, probePeriodMs: 1000, logLevel: 'warn' });
  admin = await stack.token('admin');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await rm(outDir, { recursive: true, force: true });
});

describe('member-cluster upgrade with live logs, through the gateway', () => {
  it('refuses invalid upgrades with a clear code and changes nothing', async () => {
    const cases: Array<[string, string, string, string]> = [
      ['alice', 'edge', 'v4.2.1', 'FORBIDDEN'],
      ['admin', 'no-such-cluster', 'v4.2.1', 'CLUSTER_NOT_FOUND'],
      ['admin', 'host', 'v4.2.2', 'BAD_USER_INPUT'],
      ['admin', 'edge', '4.2', 'BAD_USER_INPUT'],
      ['admin', 'edge', 'v4.1.3', 'BAD_USER_INPUT'],
      ['admin', 'edge', 'v4.3.0', 'VERSION_SKEW'],
    ];
    for (const [user, name, version, code] of cases) {
      const r = await query(
        stack.gatewayUrl,
        'mutation ($n: ID!, $v: String!) { upgradeCluster(input: { name: $n, version: $v }) { upgrade { id } } }',
        { n: name, v: version },
        await stack.token(user),
      );
      expect(r.errors?.[0]?.extensions?.['code'], `${user} ${name} ${version}`).toBe(code);
    }
    const edge = await query(
      stack.gatewayUrl,
      '{ cluster(name: "edge") { kubesphereVersion upgrades { id } } }',
      undefined,
      admin,
    );
    expect(edge.data).toEqual({ cluster: { kubesphereVersion: 'v4.1.3', upgrades: [] } });
  });

  it(
    'a failing upgrade ends FAILED with its last log lines, and edge keeps its version',
    { timeout: 120_000 },
    async () => {
      // kube-sim's test knob makes the helm job fail (docs/kube-sim.md); set on the Cluster object on the host
      const host = loadKubeConfig({ kind: 'kubeconfig', path: stack.kubeconfigs['host'] ?? '' });
      const knob = (value: string | null) =>
        patchObject(
          host,
          '/apis/cluster.kubesphere.io/v1alpha1/clusters/edge',
          { metadata: { annotations: { 'sim.fleetgraph.io/fail-ks-core': value } } },
          { type: 'merge', cluster: 'host' },
        );
      await knob('true');
      try {
        const started = await query(
          stack.gatewayUrl,
          'mutation { upgradeCluster(input: { name: "edge", version: "v4.2.1" }) { upgrade { id } } }',
          undefined,
          admin,
        );
        expect(started.errors).toBeUndefined();
        const id = (started.data as { upgradeCluster: { upgrade: { id: string } } }).upgradeCluster.upgrade
          .id;
        const client = wsClient(stack.gatewayWsUrl, admin);
        try {
          const sub = subscribe(client, { query: PROGRESS, variables: { id } });
          const done = eventOf(await sub.waitFor((e) => eventOf(e).kind === 'COMPLETED', 60_000));
          expect(done.upgrade.phase).toBe('FAILED');
          const last = sub.events
            .map(eventOf)
            .filter((e) => e.kind === 'LOG')
            .slice(-5)
            .map((e) => e.line?.text ?? '');
          expect(last.some((l) => /UPGRADE FAILED/.test(l))).toBe(true);
        } finally {
          await client.dispose();
        }
        const edge = await query(
          stack.gatewayUrl,
          '{ cluster(name: "edge") { kubesphereVersion upgrade { id phase } conditions { type status } } }',
          undefined,
          admin,
        );
        expect(edge.data).toMatchObject({
          cluster: { kubesphereVersion: 'v4.1.3', upgrade: { id, phase: 'FAILED' } },
        });
        expect((edge.data as { cluster: { conditions: unknown[] } }).cluster.conditions).toContainEqual({
          type: 'KSCoreReady',
          status: 'False',
        });
      } finally {
        await knob(null);
      }
    },
  );

  it(
    'upgrades edge to v4.2.1; a late subscriber gets every log line in order, then completion',
    { timeout: 120_000 },
    async () => {
      const started = await query(
        stack.gatewayUrl,
        'mutation { upgradeCluster(input: { name: "edge", version: "v4.2.1" }) { upgrade { id phase toVersion } } }',
        undefined,
        admin,
      );
      expect(started.errors).toBeUndefined();
      const id = (started.data as { upgradeCluster: { upgrade: { id: string } } }).upgradeCluster.upgrade.id;
      expect(id).toMatch(/^helm-install-ks-core-[a-z0-9]{6}$/);

      const early = wsClient(stack.gatewayWsUrl, admin);
      const late = wsClient(stack.gatewayWsUrl, admin);
      try {
        const first = subscribe(early, { query: PROGRESS, variables: { id } });
        // join late: once the first subscriber has seen three log lines
        await first.waitFor((e) => eventOf(e).line?.seq === 3);
        const second = subscribe(late, { query: PROGRESS, variables: { id } });
        const collect = async (s: typeof first): Promise<UpgradeEvent[]> => {
          const out: UpgradeEvent[] = [];
          for (;;) {
            const e = eventOf(await s.next(60_000));
            out.push(e);
            if (e.kind === 'COMPLETED') return out;
          }
        };
        const [a, b] = await Promise.all([collect(first), collect(second)]);
        const lines = (events: UpgradeEvent[]) => events.filter((e) => e.kind === 'LOG').map((e) => e.line);
        // the early subscriber's lines, minus the ones it had taken before collect() started
        const all = [...first.events.map(eventOf)].filter((e) => e.kind === 'LOG').map((e) => e.line);
        expect(lines(b)).toEqual(all);
        expect(all.map((l) => l?.seq)).toEqual(all.map((_, i) => i + 1));
        expect(all.length).toBeGreaterThan(10);
        expect(all.some((l) => /has been upgraded\. Happy Helming/.test(l?.text ?? ''))).toBe(true);
        expect(b[0]?.kind).toBe('PHASE');
        expect(a.at(-1)?.upgrade.phase).toBe('SUCCEEDED');
        expect(b.at(-1)).toMatchObject({
          kind: 'COMPLETED',
          upgrade: { id, phase: 'SUCCEEDED', toVersion: 'v4.2.1' },
        });
      } finally {
        await Promise.all([early.dispose(), late.dispose()]);
      }
      const edge = await query(
        stack.gatewayUrl,
        '{ cluster(name: "edge") { kubesphereVersion upgrade { id phase } conditions { type status } } }',
        undefined,
        admin,
      );
      const cluster = (
        edge.data as {
          cluster: {
            kubesphereVersion: string;
            upgrade: { id: string; phase: string };
            conditions: { type: string; status: string }[];
          };
        }
      ).cluster;
      expect(cluster.kubesphereVersion).toBe('v4.2.1');
      expect(cluster.upgrade).toEqual({ id, phase: 'SUCCEEDED' });
      expect(cluster.conditions).toContainEqual({ type: 'KSCoreReady', status: 'True' });
    },
  );
});
