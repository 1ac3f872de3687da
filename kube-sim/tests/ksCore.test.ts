import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ManualClock } from '../src/clock.ts';
import { createKubeSim, type KubeSim, type StoredObject } from '../src/index.ts';
import { raw } from './support.ts';
import { advance, until } from './simTime.ts';

/**
 * The ks-core upgrade controller on the demo host (controllers/ksCore.ts): an annotation on a Cluster becomes a
 * helm Job in kubesphere-system whose pod prints a helm log, and the Job's end becomes the Cluster's status.
 */

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

let clock: ManualClock;
let sim: KubeSim;

beforeEach(async () => {
  clock = new ManualClock();
  sim = await createKubeSim({ clock, fleet: 'demo' });
});
afterEach(async () => {
  await sim.close();
});

const NS = 'kubesphere-system';
const host = () => sim.cluster('host').store;
const clusterObj = (name: string): StoredObject => {
  const c = host().get('clusters.cluster.kubesphere.io', '', name);
  if (!c) throw new Error(`no Cluster ${name}`);
  return c;
};
const statusOf = (o: StoredObject) =>
  (o['status'] ?? {}) as { kubeSphereVersion?: string; conditions?: Condition[] };
const ksCoreReady = (name: string): Condition | undefined =>
  statusOf(clusterObj(name)).conditions?.find((c) => c.type === 'KSCoreReady');
const jobsFor = (member: string): StoredObject[] =>
  host()
    .list('jobs.batch', NS)
    .filter((j) => j.metadata.labels?.['kubesphere.io/cluster'] === member);
const jobFinished = (j: StoredObject): string | undefined =>
  ((j['status'] as { conditions?: Condition[] } | undefined)?.conditions ?? []).find(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  )?.type;
const podOf = (job: string): StoredObject | undefined =>
  host()
    .list('pods', NS)
    .find((p) => p.metadata.labels?.['job-name'] === job);

async function annotate(name: string, annotations: Record<string, string | null>): Promise<void> {
  const res = await raw(sim, 'PATCH', `/apis/cluster.kubesphere.io/v1alpha1/clusters/${name}`, {
    cluster: 'host',
    body: { metadata: { annotations } },
    contentType: 'application/merge-patch+json',
  });
  expect(res.status).toBe(200);
}

async function podLog(pod: string): Promise<string[]> {
  const res = await raw(sim, 'GET', `/api/v1/namespaces/${NS}/pods/${pod}/log?container=helm`, {
    cluster: 'host',
  });
  expect(res.status).toBe(200);
  return res.text.split('\n').filter((l) => l !== '');
}

describe('the ks-core upgrade controller', () => {
  it('turns an upgrade annotation into a helm Job whose success sets the version and KSCoreReady=True', async () => {
    expect(statusOf(clusterObj('edge')).kubeSphereVersion).toBe('v4.1.3');
    expect(ksCoreReady('edge')?.status).toBe('True');
    await annotate('edge', {
      'kubesphere.io/ks-core-action': 'upgrade',
      'kubesphere.io/ks-core-version': 'v4.2.1',
    });
    const job = await until(clock, () => jobsFor('edge')[0], 'the helm job');
    const jobName = job.metadata.name;
    expect(jobName).toMatch(/^helm-install-ks-core-[a-z0-9]{6}$/);
    expect(job.metadata.labels).toEqual({
      'kubesphere.io/managed': 'true',
      name: jobName,
      'kubesphere.io/cluster': 'edge',
    });
    expect(job.metadata.annotations).toEqual({
      'kubesphere.io/ks-core-action': 'upgrade',
      'kubesphere.io/ks-core-version': 'v4.2.1',
      'kubesphere.io/ks-core-from-version': 'v4.1.3',
    });
    expect(job.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Cluster', name: 'edge', uid: clusterObj('edge').metadata.uid }),
    ]);
    const spec = job['spec'] as {
      backoffLimit: number;
      template: { spec: { containers: { name: string; image: string }[]; restartPolicy: string } };
    };
    expect(spec.backoffLimit).toBe(0);
    expect(spec.template.spec.containers.map((c) => c.name)).toEqual(['helm']);
    expect(spec.template.spec.restartPolicy).toBe('Never');
    expect(host().get('configmaps', NS, jobName)).toBeDefined();

    // the Cluster: the job recorded, the action consumed, KSCoreReady gone while it runs
    const running = clusterObj('edge');
    expect(running.metadata.annotations?.['kubesphere.io/install-core-jobname']).toBe(jobName);
    expect(running.metadata.annotations?.['kubesphere.io/ks-core-action']).toBeUndefined();
    expect(ksCoreReady('edge')).toBeUndefined();
    expect(statusOf(running).kubeSphereVersion).toBe('v4.1.3');

    const done = await until(
      clock,
      () => {
        const j = host().get('jobs.batch', NS, jobName);
        return j && jobFinished(j);
      },
      'the job to finish',
    );
    expect(done).toBe('Complete');
    await until(clock, () => ksCoreReady('edge'), 'KSCoreReady again');
    expect(ksCoreReady('edge')).toMatchObject({
      status: 'True',
      message: 'KS Core is available now',
    });
    expect(statusOf(clusterObj('edge')).kubeSphereVersion).toBe('v4.2.1');

    // the pod log, through the API, in order
    const pod = podOf(jobName);
    expect(pod).toBeDefined();
    const lines = await podLog(pod?.metadata.name ?? '');
    expect(lines.length).toBeGreaterThanOrEqual(20);
    expect(lines.length).toBeLessThanOrEqual(30);
    expect(lines[0]).toContain('helm upgrade --install ks-core');
    const at = (text: string): number => lines.findIndex((l) => l.includes(text));
    const order = [
      'helm upgrade --install ks-core',
      'preparing upgrade for ks-core (v4.1.3 -> v4.2.1',
      'upgrading CRDs',
      'Patch Deployment "ks-apiserver"',
      'Patch Deployment "ks-controller-manager"',
      'Patch Deployment "ks-console"',
      'beginning wait for',
      'Release "ks-core" has been upgraded. Happy Helming!',
      'STATUS: deployed',
    ].map(at);
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // about 4 s of clock time from the first line to the last
    const held = sim.cluster('host').logs.read(NS, pod?.metadata.name ?? '', 'helm')?.lines ?? [];
    const span = (held.at(-1)?.time ?? 0) - (held[0]?.time ?? 0);
    expect(span).toBeGreaterThanOrEqual(3_000);
    expect(span).toBeLessThanOrEqual(5_000);
  });

  it('a failing upgrade ends KSCoreReady=False with helm error lines, and the version stays', async () => {
    await annotate('edge', {
      'sim.fleetgraph.io/fail-ks-core': 'true',
      'kubesphere.io/ks-core-action': 'upgrade',
    });
    const job = await until(clock, () => jobsFor('edge')[0], 'the helm job');
    // no ks-core-version annotation: the host's own version
    expect(job.metadata.annotations?.['kubesphere.io/ks-core-version']).toBe('v4.2.1');
    await until(clock, () => ksCoreReady('edge'), 'KSCoreReady set again');
    expect(ksCoreReady('edge')).toMatchObject({ status: 'False', message: 'KS Core installation failed' });
    expect(jobFinished(host().get('jobs.batch', NS, job.metadata.name) as StoredObject)).toBe('Failed');
    expect(statusOf(clusterObj('edge')).kubeSphereVersion).toBe('v4.1.3');
    const lines = await podLog(podOf(job.metadata.name)?.metadata.name ?? '');
    expect(lines.some((l) => l.startsWith('Error: UPGRADE FAILED:'))).toBe(true);
    expect(lines.slice(-5).join('\n')).toContain('UPGRADE FAILED');
    expect(lines.some((l) => l.includes('Happy Helming'))).toBe(false);
    const pod = podOf(job.metadata.name);
    expect((pod?.['status'] as { phase?: string }).phase).toBe('Failed');
  });

  it('a second trigger while a job runs starts no second job; it waits and runs once the first has finished', async () => {
    await annotate('edge', { 'kubesphere.io/ks-core-action': 'upgrade' });
    const first = await until(clock, () => jobsFor('edge')[0], 'the first job');
    await until(clock, () => podOf(first.metadata.name), 'its pod');
    await annotate('edge', { 'kubesphere.io/ks-core-action': 'reinstall' });
    await advance(clock, 1_000);
    expect(jobsFor('edge')).toHaveLength(1);
    expect(jobFinished(jobsFor('edge')[0] as StoredObject)).toBeUndefined();
    // the trigger stays on the Cluster, the running job stays recorded
    expect(clusterObj('edge').metadata.annotations).toMatchObject({
      'kubesphere.io/ks-core-action': 'reinstall',
      'kubesphere.io/install-core-jobname': first.metadata.name,
    });
    const second = await until(
      clock,
      () => jobsFor('edge').find((j) => j.metadata.name !== first.metadata.name),
      'the second job',
    );
    expect(jobFinished(host().get('jobs.batch', NS, first.metadata.name) as StoredObject)).toBe('Complete');
    expect(second.metadata.annotations).toMatchObject({
      'kubesphere.io/ks-core-action': 'reinstall',
      'kubesphere.io/ks-core-from-version': 'v4.2.1',
    });
    expect(clusterObj('edge').metadata.annotations?.['kubesphere.io/install-core-jobname']).toBe(
      second.metadata.name,
    );
    expect(clusterObj('edge').metadata.annotations?.['kubesphere.io/ks-core-action']).toBeUndefined();
    await until(clock, () => ksCoreReady('edge')?.status === 'True', 'the second run to succeed');
  });
});

describe('the demo fleet for upgrades and gateways', () => {
  it('runs edge on an older KubeSphere, every Cluster KSCoreReady', () => {
    const versions = Object.fromEntries(
      ['host', 'prod', 'edge'].map((n) => [n, statusOf(clusterObj(n)).kubeSphereVersion]),
    );
    expect(versions).toEqual({ host: 'v4.2.1', prod: 'v4.2.1', edge: 'v4.1.3' });
    for (const n of ['host', 'prod', 'edge']) expect(ksCoreReady(n)?.status).toBe('True');
    expect(host().get('namespaces', '', NS)).toBeDefined();
  });

  it('has a gateway at each scope on prod, each with a Deployment, running pods and a Service', async () => {
    const prod = sim.cluster('prod').store;
    const ns = 'kubesphere-controls-system';
    const gateways = prod.list('gateways.gateway.kubesphere.io', ns);
    const byType = Object.fromEntries(
      gateways.map((g) => [g.metadata.labels?.['kubesphere.io/gateway-type'], g.metadata.name]),
    );
    expect(byType).toEqual({
      cluster: 'kubesphere-router-cluster',
      workspace: 'kubesphere-router-workspace-retail',
      project: 'kubesphere-router-shop',
    });
    const ws = gateways.find((g) => g.metadata.name === 'kubesphere-router-workspace-retail');
    expect(ws?.metadata.labels?.['kubesphere.io/workspace']).toBe('retail');
    const project = gateways.find((g) => g.metadata.name === 'kubesphere-router-shop');
    expect(project?.metadata.labels?.['kubesphere.io/namespace']).toBe('shop');
    // through the API, as a client sees them
    const listed = await raw(sim, 'GET', `/apis/gateway.kubesphere.io/v2alpha2/namespaces/${ns}/gateways`, {
      cluster: 'prod',
    });
    expect(listed.status).toBe(200);
    expect((listed.json as { items: unknown[] }).items).toHaveLength(3);
    for (const g of gateways) {
      const name = g.metadata.name;
      expect(g['spec']).toMatchObject({ appVersion: expect.stringMatching(/^4\.\d+\.\d+$/) });
      expect(g['status']).toMatchObject({ state: 'Running', helmRelease: { name } });
      const d = prod.get('deployments.apps', ns, name);
      expect(d?.['spec']).toMatchObject({
        replicas: 2,
        progressDeadlineSeconds: 60,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      });
      const image = (d?.['spec'] as { template: { spec: { containers: { image: string }[] } } }).template.spec
        .containers[0]?.image;
      expect(image).toMatch(/^kubesphere\/nginx-ingress-controller:v1\.\d+\.\d+$/);
      const pods = prod
        .list('pods', ns)
        .filter(
          (p) =>
            p.metadata.labels?.['app.kubernetes.io/instance'] === name &&
            p.metadata.labels['app.kubernetes.io/component'] === 'controller',
        );
      expect(pods).toHaveLength(2);
      expect(pods.every((p) => (p['status'] as { phase: string }).phase === 'Running')).toBe(true);
      expect(prod.get('services', ns, name)).toBeDefined();
    }
    const cluster = prod.get('deployments.apps', ns, 'kubesphere-router-cluster');
    expect(JSON.stringify(cluster?.['spec'])).toContain('nginx-ingress-controller:v1.9.6');
    // the controller's log reads like ingress-nginx
    const pod = prod.list('pods', ns)[0]?.metadata.name ?? '';
    const log = await raw(sim, 'GET', `/api/v1/namespaces/${ns}/pods/${pod}/log`, { cluster: 'prod' });
    expect(log.text).toContain('NGINX Ingress controller');
  });
});
