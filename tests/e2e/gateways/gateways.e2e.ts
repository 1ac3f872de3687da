import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { FormattedExecutionResult } from 'graphql';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { kubeRequest, loadKubeConfig, serverOf } from '@fleetgraph/lib/kube';

import {
  eventually,
  query,
  subscribe,
  type TestSubscription,
  wsClient,
} from '../../harness/graphqlClient.ts';
import { type Stack, startStack } from '../../harness/stack.ts';

/**
 * A gateway's one-click rolling upgrade through the fleetgraph gateway, against kube-sim's demo fleet in real time:
 * prod's project gateway kubesphere-router-shop (ingress-nginx v1.8.1, 2 replicas, RollingUpdate maxUnavailable 0)
 * is upgraded to v1.9.6 while a load loop sends requests to its Service through prod's API server service proxy;
 * not one request finds no ready replica (503), and both the old and the new pods answer over the run. Then the
 * retail workspace gateway's rollout stalls on pods that cannot pull their image and reports why, and
 * rollbackGateway returns it to its version.
 */

const NS = 'kubesphere-controls-system';
const SHOP = 'kubesphere-router-shop';
const RETAIL = 'kubesphere-router-workspace-retail';
const IMAGE = 'kubesphere/nginx-ingress-controller';

interface Gateway {
  name: string;
  version: string | null;
  image: string | null;
  state: string;
  replicas: { desired: number; updated: number; ready: number; available: number };
  pods: Array<{ name: string; ready: boolean; image: string | null }>;
  upgradePlan: {
    fromVersion: string | null;
    toVersion: string | null;
    phase: string;
    reason: string | null;
    message: string | null;
    podProblems: string[];
  } | null;
}
interface RolloutEvent {
  done: boolean;
  gateway: Gateway;
}

const FIELDS = `name version image state replicas { desired updated ready available } pods { name ready image }
  upgradePlan { fromVersion toVersion phase reason message podProblems }`;
const UPGRADE = `mutation ($input: UpgradeGatewayInput!) { upgradeGateway(input: $input) { gateway { ${FIELDS} } } }`;
const ROLLBACK = `mutation ($input: RollbackGatewayInput!) { rollbackGateway(input: $input) { gateway { ${FIELDS} } } }`;
const ROLLOUT = `subscription ($c: ID!, $ns: ID!, $n: ID!) {
  gatewayRollout(cluster: $c, namespace: $ns, name: $n) { done gateway { ${FIELDS} } }
}`;

let stack: Stack;
let outDir: string;
let admin: string;
let prod: ReturnType<typeof loadKubeConfig>;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'fleetgraph-gateways-'));
  stack = await startStack({ port: 0, outDir, probePeriodMs: 1000, logLevel: 'warn' });
  admin = await stack.token('admin');
  prod = loadKubeConfig({ kind: 'kubeconfig', path: stack.kubeconfigs['prod'] ?? '' });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await rm(outDir, { recursive: true, force: true });
});

async function gateway(name: string): Promise<Gateway | null> {
  const r = await query(
    stack.gatewayUrl,
    `query ($n: ID!) { cluster(name: "prod") { gateway(name: $n) { ${FIELDS} } } }`,
    { n: name },
    admin,
  );
  expect(r.errors).toBeUndefined();
  return (r.data as { cluster: { gateway: Gateway | null } }).cluster.gateway;
}

const eventOf = (e: FormattedExecutionResult): RolloutEvent => {
  const data = e.data as { gatewayRollout: RolloutEvent } | null | undefined;
  if (!data) throw new Error(`event without data: ${JSON.stringify(e)}`);
  return data.gatewayRollout;
};

/** every event of a rollout subscription up to its last (done), then checks that it completed */
async function untilDone(sub: TestSubscription): Promise<RolloutEvent[]> {
  const out: RolloutEvent[] = [];
  for (;;) {
    const e = eventOf(await sub.next(90_000));
    out.push(e);
    if (e.done) break;
  }
  await eventually(() => sub.completed, 15_000, 'the rollout subscription to complete');
  return out;
}

/** one answer of the gateway's Service through prod's API server service proxy */
interface Answer {
  status: number;
  pod: string;
  body: string;
}

/**
 * Requests to <gateway>'s Service through the service proxy, one after the other, until stopped; with prod's
 * admin kubeconfig (its CA and token) and one keep-alive connection pool. Not kubeRequest: the answers are 404s
 * whose header names the pod.
 */
async function loadLoop(name: string) {
  const url = `${serverOf(prod)}/api/v1/namespaces/${NS}/services/${name}:http/proxy/healthz`;
  const ca = Buffer.from(prod.getCurrentCluster()?.caData ?? '', 'base64').toString();
  const headers = { authorization: `Bearer ${prod.getCurrentUser()?.token ?? ''}` };
  const dispatcher = new Agent({ connect: { ca } });
  const answers: Answer[] = [];
  let stopped = false;
  const running = (async () => {
    while (!stopped) {
      const res = await fetch(url, { headers, dispatcher });
      answers.push({ status: res.status, pod: res.headers.get('x-sim-pod') ?? '', body: await res.text() });
    }
  })();
  return {
    answers,
    async stop() {
      stopped = true;
      await running;
      await dispatcher.close();
    },
  };
}

const patchDeployment = (name: string, patch: unknown) =>
  kubeRequest(prod, `/apis/apps/v1/namespaces/${NS}/deployments/${name}`, {
    method: 'PATCH',
    body: patch,
    contentType: 'application/merge-patch+json',
  });

describe('gateway one-click rolling upgrade, through the gateway', () => {
  it(
    'upgrades the shop gateway to v1.9.6 while a load through its Service never meets an unavailable replica',
    { timeout: 150_000 },
    async () => {
      let before: Gateway | null = null;
      await eventually(
        async () => {
          before = await gateway(SHOP);
          return before?.state === 'RUNNING' && before.pods.length === 2 && before.pods.every((p) => p.ready);
        },
        30_000,
        'the shop gateway running with 2 ready pods',
      );
      const old = (before as Gateway | null)?.pods.map((p) => p.name) ?? [];
      expect((before as Gateway | null)?.version).toBe('v1.8.1');

      const load = await loadLoop(SHOP);
      let stopped = false;
      try {
        // the loop reaches the gateway's pods before the upgrade starts
        await eventually(() => load.answers.length >= 5, 15_000, 'answers before the upgrade');
        const started = await query(
          stack.gatewayUrl,
          UPGRADE,
          { input: { cluster: 'prod', namespace: NS, name: SHOP, version: 'v1.9.6' } },
          admin,
        );
        expect(started.errors).toBeUndefined();
        const from = load.answers.length;
        const client = wsClient(stack.gatewayWsUrl, admin);
        let events: RolloutEvent[];
        try {
          events = await untilDone(
            subscribe(client, { query: ROLLOUT, variables: { c: 'prod', ns: NS, n: SHOP } }),
          );
        } finally {
          await client.dispose();
        }
        const last = events.at(-1)?.gateway;
        expect(events.at(-1)?.done).toBe(true);
        expect(last?.version).toBe('v1.9.6');
        expect(last?.state).toBe('RUNNING');
        expect(last?.upgradePlan).toMatchObject({
          fromVersion: 'v1.8.1',
          toVersion: 'v1.9.6',
          phase: 'COMPLETE',
        });
        expect(last?.pods.map((p) => p.image)).toEqual([`${IMAGE}:v1.9.6`, `${IMAGE}:v1.9.6`]);
        expect(events.every((e) => e.gateway.replicas.available >= 2)).toBe(true);
        const fresh = last?.pods.map((p) => p.name) ?? [];
        expect(fresh.filter((p) => old.includes(p))).toEqual([]);

        // keep the load on until a new pod has answered it
        await eventually(
          () => load.answers.slice(from).some((a) => fresh.includes(a.pod)),
          15_000,
          'a new pod answering through the service proxy',
        );
        await load.stop();
        stopped = true;
        const during = load.answers.slice(from);
        expect(load.answers.filter((a) => a.status === 503)).toEqual([]);
        // every request reached an ingress-nginx controller, which answers an unknown host from its default backend
        expect(load.answers.filter((a) => a.status !== 404 || a.body !== 'default backend - 404')).toEqual(
          [],
        );
        expect(during.some((a) => old.includes(a.pod))).toBe(true);
        expect(during.some((a) => fresh.includes(a.pod))).toBe(true);
        expect(load.answers.every((a) => old.includes(a.pod) || fresh.includes(a.pod))).toBe(true);
      } finally {
        if (!stopped) await load.stop();
      }
      expect((await gateway(SHOP))?.version).toBe('v1.9.6');
    },
  );

  it(
    'reports a rollout whose pods cannot pull their image as STALLED with the cause; rollbackGateway undoes it',
    { timeout: 150_000 },
    async () => {
      expect((await gateway(RETAIL))?.version).toBe('v1.9.6');
      // a deadline that passes once the new pod is backing off its pulls (the first retry is 10 s after the failure)
      await patchDeployment(RETAIL, { spec: { progressDeadlineSeconds: 20 } });
      const started = await query(
        stack.gatewayUrl,
        UPGRADE,
        { input: { cluster: 'prod', namespace: NS, name: RETAIL, version: 'v1.10.0' } },
        admin,
      );
      expect(started.errors).toBeUndefined();
      await patchDeployment(RETAIL, {
        spec: { template: { metadata: { annotations: { 'sim.fleetgraph.io/image-pull': 'fail' } } } },
      });
      const client = wsClient(stack.gatewayWsUrl, admin);
      try {
        const stalled = await untilDone(
          subscribe(client, { query: ROLLOUT, variables: { c: 'prod', ns: NS, n: RETAIL } }),
        );
        const gw = stalled.at(-1)?.gateway;
        expect(gw?.upgradePlan).toMatchObject({
          phase: 'STALLED',
          reason: 'ProgressDeadlineExceeded',
          toVersion: 'v1.10.0',
        });
        expect(gw?.upgradePlan?.podProblems).toContain('ImagePullBackOff');
        expect(gw?.upgradePlan?.message).toMatch(/ImagePullBackOff/);
        expect(gw?.state).toBe('FAULTED');
        // the old pods kept serving: maxUnavailable 0
        expect(stalled.every((e) => e.gateway.replicas.available >= 2)).toBe(true);

        const back = await query(
          stack.gatewayUrl,
          ROLLBACK,
          { input: { cluster: 'prod', namespace: NS, name: RETAIL } },
          admin,
        );
        expect(back.errors).toBeUndefined();
        expect((back.data as { rollbackGateway: { gateway: Gateway } }).rollbackGateway.gateway.version).toBe(
          'v1.9.6',
        );
        const after = await untilDone(
          subscribe(client, { query: ROLLOUT, variables: { c: 'prod', ns: NS, n: RETAIL } }),
        );
        const done = after.at(-1)?.gateway;
        expect(done?.upgradePlan).toMatchObject({
          phase: 'ROLLED_BACK',
          fromVersion: 'v1.10.0',
          toVersion: 'v1.9.6',
        });
        expect(done?.state).toBe('RUNNING');
        expect(done?.pods.map((p) => p.image)).toEqual([`${IMAGE}:v1.9.6`, `${IMAGE}:v1.9.6`]);
      } finally {
        await client.dispose();
      }
      expect((await gateway(RETAIL))?.version).toBe('v1.9.6');
    },
  );
});
