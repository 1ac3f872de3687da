import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ManualClock } from '../src/clock.ts';
import { createKubeSim, type KubeSim } from '../src/index.ts';
import { raw } from './support.ts';
import { until } from './simTime.ts';

/**
 * The API server's service proxy (/api/v1/namespaces/<ns>/services/<name>[:<port>]/proxy/<path>) on a manual
 * clock: its endpoints follow the pods that are Ready as a Deployment scales, round-robin among them; 503 without
 * one; 404 for an unknown Service; RBAC on services/proxy.
 */

let clock: ManualClock;
let sim: KubeSim;

const NS = 'default';
const PROXY = `/api/v1/namespaces/${NS}/services/web/proxy/hello`;

beforeEach(async () => {
  clock = new ManualClock();
  sim = await createKubeSim({
    clock,
    fleet: {
      clusters: [
        {
          name: 'sim',
          nodes: 2,
          users: [
            { name: 'viewer', token: 'viewer-token', groups: [] },
            { name: 'proxier', token: 'proxier-token', groups: [] },
          ],
        },
      ],
    },
    seed: [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: NS },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: NS },
        spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'viewer-view', namespace: NS },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'viewer' }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'proxy', namespace: NS },
        rules: [{ apiGroups: [''], resources: ['services/proxy'], verbs: ['get'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'proxier-proxy', namespace: NS },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'proxy' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'proxier' }],
      },
    ],
  });
});
afterEach(async () => {
  await sim.close();
});

interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
}
const readyPods = (): string[] =>
  (sim.cluster().store.list('pods', NS) as unknown as Pod[])
    .filter(
      (p) =>
        !p.metadata.deletionTimestamp &&
        (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    )
    .map((p) => p.metadata.name)
    .sort();
const allPods = (): string[] =>
  (sim.cluster().store.list('pods', NS) as unknown as Pod[]).map((p) => p.metadata.name);

async function scale(replicas: number): Promise<void> {
  const r = await raw(sim, 'PATCH', `/apis/apps/v1/namespaces/${NS}/deployments/web/scale`, {
    body: { spec: { replicas } },
    contentType: 'application/merge-patch+json',
  });
  expect(r.status).toBe(200);
}

/** the pods that answered `n` requests through the proxy, in order */
async function answers(n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await raw(sim, 'GET', PROXY);
    expect(r.status, r.text).toBe(200);
    const pod = String(r.headers['x-sim-pod']);
    expect(r.text).toBe(`${pod}: GET /hello\n`);
    out.push(pod);
  }
  return out;
}

describe('service proxy', () => {
  it('is 503 without a ready endpoint, then round-robins over the ready pods as the Deployment scales', async () => {
    const none = await raw(sim, 'GET', PROXY);
    expect(none.status).toBe(503);
    expect(none.json).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'ServiceUnavailable',
      message: 'no endpoints available for service "web"',
      code: 503,
    });

    await scale(1);
    // a pod that exists but is not Ready yet is no endpoint
    await until(clock, () => allPods().length === 1, 'a pod');
    expect(readyPods()).toEqual([]);
    expect((await raw(sim, 'GET', PROXY)).status).toBe(503);
    const [first] = await until(
      clock,
      () => (readyPods().length === 1 ? readyPods() : undefined),
      'one ready',
    );
    expect(await answers(3)).toEqual([first, first, first]);

    await scale(3);
    const three = await until(
      clock,
      () => (readyPods().length === 3 ? readyPods() : undefined),
      'three ready',
    );
    const seen = await answers(6);
    expect(new Set(seen)).toEqual(new Set(three));
    // round-robin: each of the three answers once in every three requests
    expect(seen.slice(3)).toEqual(seen.slice(0, 3));

    // by port name and number, with and without a scheme
    for (const id of ['web:http', 'web:80', 'http:web:80']) {
      const r = await raw(sim, 'GET', `/api/v1/namespaces/${NS}/services/${id}/proxy/`);
      expect(r.status, id).toBe(200);
      expect(r.text).toMatch(/: GET \/\n$/);
    }
    const badPort = await raw(sim, 'GET', `/api/v1/namespaces/${NS}/services/web:9999/proxy/`);
    expect(badPort.status).toBe(503);

    await scale(1);
    const one = await until(
      clock,
      () => (allPods().length === 1 && readyPods().length === 1 ? readyPods() : undefined),
      'scaled in to one',
    );
    expect(new Set(await answers(4))).toEqual(new Set(one));

    await scale(0);
    await until(clock, () => allPods().length === 0, 'no pods');
    expect((await raw(sim, 'GET', PROXY)).status).toBe(503);
  });

  it('drops a pod that loses Ready from the endpoints', async () => {
    await scale(2);
    const [a, b] = await until(
      clock,
      () => (readyPods().length === 2 ? readyPods() : undefined),
      'two ready',
    );
    // the kubelet reports one pod not ready (written behind the controllers' back, as a failing probe would)
    const api = sim.cluster().api;
    const type = sim.cluster().registry.get('', 'v1', 'pods');
    if (!type) throw new Error('no pods type');
    const pod = sim.cluster().store.get('pods', NS, a ?? '');
    if (!pod) throw new Error('no pod');
    const status = structuredClone(pod['status']) as { conditions: Array<{ type: string; status: string }> };
    for (const c of status.conditions)
      if (c.type === 'Ready' || c.type === 'ContainersReady') c.status = 'False';
    api.replace({ type, namespace: NS, name: a }, pod, { ...structuredClone(pod), status }, {}, 'status');
    expect(new Set(await answers(4))).toEqual(new Set([b]));
  });

  it('answers as an ingress-nginx controller for its pods: 404 from the default backend', async () => {
    await raw(sim, 'PATCH', `/apis/apps/v1/namespaces/${NS}/deployments/web`, {
      body: {
        spec: {
          replicas: 1,
          template: {
            spec: {
              containers: [{ name: 'web', image: 'kubesphere/nginx-ingress-controller:v1.9.6' }],
            },
          },
        },
      },
      contentType: 'application/strategic-merge-patch+json',
    });
    const [pod] = await until(clock, () => (readyPods().length === 1 ? readyPods() : undefined), 'one ready');
    const r = await raw(sim, 'GET', PROXY);
    expect(r.status).toBe(404);
    expect(r.text).toBe('default backend - 404');
    expect(r.headers['x-sim-pod']).toBe(pod);
  });

  it('is 404 for an unknown Service, and needs the verb on services/proxy', async () => {
    const unknown = await raw(sim, 'GET', `/api/v1/namespaces/${NS}/services/nope/proxy/`);
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ reason: 'NotFound', message: 'services "nope" not found' });

    const viewer = await raw(sim, 'GET', PROXY, { token: 'viewer-token' });
    expect(viewer.status).toBe(403);
    expect(viewer.json).toMatchObject({
      reason: 'Forbidden',
      message:
        'services "web" is forbidden: User "viewer" cannot get resource "services/proxy" in API group "" in the namespace "default"',
    });
    // the viewer may still read the Service itself
    expect(
      (await raw(sim, 'GET', `/api/v1/namespaces/${NS}/services/web`, { token: 'viewer-token' })).status,
    ).toBe(200);
    // get on services/proxy allows GET, not POST (verb create)
    expect((await raw(sim, 'GET', PROXY, { token: 'proxier-token' })).status).toBe(503);
    const post = await raw(sim, 'POST', PROXY, { token: 'proxier-token', body: {} });
    expect(post.status).toBe(403);
    expect(post.json).toMatchObject({
      message: expect.stringContaining('cannot create resource "services/proxy"'),
    });
  });
});
