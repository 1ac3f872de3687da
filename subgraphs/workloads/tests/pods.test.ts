import { createKubeSim, type KubeSim, RealClock } from '@fleetgraph/kube-sim';
import type { UserInfo } from '@fleetgraph/lib/auth';
import {
  ADMIN,
  asUser,
  createLeftovers,
  startSubgraphUnderTest,
  type SubgraphUnderTest,
  TEST_IDENTITY_SECRET,
  waitFor,
} from '@fleetgraph/lib/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createWorkloadsSubgraph } from '../src/subgraph.ts';

/**
 * The Pod entity and podLogs, owned by the workloads subgraph, against kube-sim's demo fleet with its controllers
 * on a clock 10 times faster than real time. prod's gateways run ingress-nginx pods in kubesphere-controls-system,
 * whose controller container writes a log line about every 10 s of sim time. admin is platform-admin; victor views
 * the retail workspace and has no binding in kubesphere-controls-system; mallory has nothing.
 */

const NS = 'kubesphere-controls-system';
const leftovers = createLeftovers();
afterAll(() => leftovers.dispose());

interface Pod {
  cluster: string;
  namespace: string;
  name: string;
  uid: string;
  phase: string;
  ready: boolean;
  nodeName: string | null;
  restartCount: number;
  labels: Array<{ key: string; value: string }>;
}

let sim: KubeSim;
let workloads: SubgraphUnderTest;
const victor = (): UserInfo => {
  const u = sim.users.find((x) => x.name === 'victor');
  if (!u) throw new Error('no victor');
  return { name: u.name, groups: [...u.groups] };
};
const MALLORY: UserInfo = { name: 'mallory', groups: ['system:authenticated'] };

beforeAll(async () => {
  sim = await createKubeSim({
    fleet: 'demo',
    clock: new RealClock({ speed: 10 }),
    controllers: { startDelayMs: 100, pullMs: 300, readyAfterMs: 1_000 },
  });
  leftovers.unshift(() => sim.close());
  workloads = await startSubgraphUnderTest({
    hostKubeconfig: sim.cluster('host').kubeconfig(),
    create: (fleet) => createWorkloadsSubgraph({ fleet, identitySecret: TEST_IDENTITY_SECRET }),
    leftovers,
  });
});

/** a running gateway pod of prod, as kube-sim's store holds it */
async function runningGatewayPod() {
  return waitFor(
    () =>
      sim
        .cluster('prod')
        .store.list('pods', NS)
        .find((p) => (p['status'] as { phase?: string } | undefined)?.phase === 'Running'),
    'a running gateway pod on prod',
  );
}

async function entity(ref: { cluster: string; namespace: string; name: string }, user: UserInfo = ADMIN) {
  const res = await workloads.query(
    `query ($r: [_Any!]!) { _entities(representations: $r) {
      ... on Pod { cluster namespace name uid phase ready nodeName restartCount labels { key value } } } }`,
    { variables: { r: [{ __typename: 'Pod', ...ref }] }, user },
  );
  expect(res.errors).toBeUndefined();
  return (res.data as { _entities: Array<Pod | null> } | undefined)?._entities[0];
}

describe('workloads subgraph: pods', () => {
  it('resolves a Pod by key from the pod cache, for those who may get it; null alike for others and for none', async () => {
    const stored = await runningGatewayPod();
    const ref = { cluster: 'prod', namespace: NS, name: stored.metadata.name };
    const pod = await entity(ref);
    const spec = stored['spec'] as { nodeName?: string };
    expect(pod).toMatchObject({
      ...ref,
      uid: stored.metadata.uid,
      phase: 'RUNNING',
      nodeName: spec.nodeName ?? null,
      labels: Object.entries(stored.metadata.labels ?? {})
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([key, value]) => ({ key, value })),
    });
    expect(await entity(ref, victor())).toBeNull();
    expect(await entity(ref, MALLORY)).toBeNull();
    expect(await entity({ ...ref, name: 'no-such-pod' })).toBeNull();
  });

  it('podLogs streams a pod: its tail first, numbered from 1, then new lines; FORBIDDEN for victor', async () => {
    const stored = await runningGatewayPod();
    const client = workloads.wsClient();
    const query = `subscription ($pod: ID!) {
      podLogs(cluster: "prod", namespace: "${NS}", pod: $pod, container: "controller", tailLines: 2) { seq time text }
    }`;
    const run = (user: UserInfo) => {
      const lines: Array<{ seq: number; text: string }> = [];
      const errors: Array<{ message: string; extensions?: Readonly<Record<string, unknown>> }> = [];
      leftovers.push(
        client.subscribe<{ podLogs: { seq: number; text: string } }>(
          asUser({ query, variables: { pod: stored.metadata.name } }, user),
          {
            next: (v) => {
              if (v.errors) errors.push(...v.errors);
              if (v.data) lines.push(v.data.podLogs);
            },
            error: (e) => errors.push({ message: String(e), extensions: { transport: true } }),
            complete: () => undefined,
          },
        ),
      );
      return { lines, errors };
    };
    const admin = run(ADMIN);
    await waitFor(() => admin.lines.length >= 3, 'the tail and a live line', 20_000);
    expect(admin.lines.slice(0, 3).map((l) => l.seq)).toEqual([1, 2, 3]);
    expect(admin.lines.every((l) => l.text.length > 0)).toBe(true);

    const denied = run(victor());
    await waitFor(() => denied.errors.length > 0 || undefined, 'an error for victor');
    expect(denied.errors[0]?.extensions?.['code']).toBe('FORBIDDEN');
    expect(denied.lines).toEqual([]);

    // an unknown pod is NOT_FOUND, as the schema says, for those who may read logs there; victor still gets FORBIDDEN
    const unknown = (user: UserInfo) => {
      const lines: unknown[] = [];
      const errors: Array<{ message: string; extensions?: Readonly<Record<string, unknown>> }> = [];
      leftovers.push(
        client.subscribe(asUser({ query, variables: { pod: 'no-such-pod' } }, user), {
          next: (v) => {
            if (v.errors) errors.push(...v.errors);
            if (v.data) lines.push(v.data);
          },
          error: () => undefined,
          complete: () => undefined,
        }),
      );
      return { lines, errors };
    };
    const missing = unknown(ADMIN);
    const missingForVictor = unknown(victor());
    await waitFor(
      () => (missing.errors.length > 0 && missingForVictor.errors.length > 0) || undefined,
      'errors for the unknown pod',
    );
    expect(missing.errors.map((e) => e.extensions?.['code'])).toEqual(['NOT_FOUND']);
    expect(missingForVictor.errors.map((e) => e.extensions?.['code'])).toEqual(['FORBIDDEN']);
    expect(missingForVictor.errors[0]?.message).toBe(denied.errors[0]?.message);
    expect(missing.lines).toEqual([]);
  });

  it('podLogs is authorized again when bindings change: a user who loses access gets FORBIDDEN and no more lines', async () => {
    const pod = await waitFor(
      () =>
        sim
          .cluster('prod')
          .store.list('pods', 'shop')
          .find((p) => (p['status'] as { phase?: string } | undefined)?.phase === 'Running'),
      'a running pod in shop',
    );
    const rbac = sim.cluster('prod').registry.get('rbac.authorization.k8s.io', 'v1', 'rolebindings');
    if (!rbac) throw new Error('no rolebindings type');
    sim.cluster('prod').apply([
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'mallory-view', namespace: 'shop' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'mallory' }],
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      },
    ]);
    const client = workloads.wsClient();
    const query = `subscription ($pod: ID!) { podLogs(cluster: "prod", namespace: "shop", pod: $pod, tailLines: 0) { seq } }`;
    const events: Array<{ data?: unknown; codes: unknown[] }> = [];
    let completed = false;
    const subscribeOnce = () =>
      client.subscribe(asUser({ query, variables: { pod: pod.metadata.name } }, MALLORY), {
        next: (v) =>
          events.push({ data: v.data, codes: (v.errors ?? []).map((e) => e.extensions?.['code']) }),
        error: (e) => events.push({ codes: [`transport: ${String(e)}`] }),
        complete: () => (completed = true),
      });
    // the authorizer sees the binding a moment after it is made: until then mallory is refused
    let unsubscribe = subscribeOnce();
    await waitFor(async () => {
      if (events.length === 0 && !completed) {
        await new Promise((r) => setTimeout(r, 300));
        if (events.length === 0 && !completed) return true; // open, and nothing refused it
      }
      unsubscribe();
      events.length = 0;
      completed = false;
      unsubscribe = subscribeOnce();
      return false;
    }, "mallory's stream open");
    leftovers.push(unsubscribe);

    sim.cluster('prod').api.delete({ type: rbac, namespace: 'shop', name: 'mallory-view' });
    await waitFor(() => completed || undefined, 'the stream to end');
    expect(events.at(-1)).toEqual({ data: null, codes: ['FORBIDDEN'] });
    expect(events.slice(0, -1).every((e) => e.codes.length === 0)).toBe(true);
  });
});
