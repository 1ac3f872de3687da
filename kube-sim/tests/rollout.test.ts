import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ManualClock } from '../src/clock.ts';
import { createKubeSim, type KubeObject, type KubeSim, type StoredObject } from '../src/index.ts';
import { openWatch, raw, waitFor, type WatchEvent } from './support.ts';
import { advance, until } from './simTime.ts';

/**
 * Deployments and StatefulSets rolling out under the simulated controllers, on a manual clock, observed the way a
 * client observes them: through watches.
 */

interface Condition {
  type: string;
  status: string;
  reason?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}
interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: Condition[];
}

let clock: ManualClock;
let sim: KubeSim;

beforeEach(async () => {
  clock = new ManualClock();
  sim = await createKubeSim({ clock, fleet: { clusters: [{ name: 'sim', nodes: 3 }] } });
});
afterEach(async () => {
  await sim.close();
});

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';
const store = () => sim.cluster().store;
const deployment = (name = 'web'): StoredObject | undefined =>
  store().get('deployments.apps', 'default', name);
const statusOf = (o: Record<string, unknown> | undefined): DeploymentStatus =>
  (o?.['status'] ?? {}) as DeploymentStatus;
const cond = (s: DeploymentStatus, type: string): Condition | undefined =>
  s.conditions?.find((c) => c.type === type);

function web(image: string, strategy: unknown, replicas = 6, name = 'web'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      strategy,
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name: 'web', image, resources: { requests: { cpu: '100m', memory: '64Mi' } } }],
        },
      },
    },
  };
}

/** the Deployment has rolled out its current generation completely */
function complete(name = 'web'): boolean {
  const d = deployment(name);
  const s = statusOf(d);
  const want = (d?.['spec'] as { replicas: number }).replicas;
  return (
    s.observedGeneration === d?.metadata.generation &&
    s.updatedReplicas === want &&
    s.replicas === want &&
    s.availableReplicas === want &&
    cond(s, 'Progressing')?.reason === 'NewReplicaSetAvailable'
  );
}

const rvOf = (e: WatchEvent): number => Number(e.object.metadata.resourceVersion);

async function setImage(image: string, name = 'web'): Promise<void> {
  const res = await raw(sim, 'PATCH', `${DEPLOYMENTS}/${name}`, {
    body: { spec: { template: { spec: { containers: [{ name: 'web', image }] } } } },
    contentType: 'application/strategic-merge-patch+json',
  });
  expect(res.status).toBe(200);
}

describe('a RollingUpdate Deployment', () => {
  it('rolls out within maxSurge and maxUnavailable, with status moving as the controller documents', async () => {
    const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: 1 } };
    expect((await raw(sim, 'POST', DEPLOYMENTS, { body: web('nginx:1.26', strategy) })).status).toBe(201);
    await until(clock, () => complete(), 'the first rollout');
    const first = deployment();
    expect(first?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(cond(statusOf(first), 'Available')).toMatchObject({
      status: 'True',
      reason: 'MinimumReplicasAvailable',
    });

    const rv = store().resourceVersion;
    const before = [...store().list('pods', 'default')];
    const deployments = await openWatch(
      sim,
      `${DEPLOYMENTS}?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dweb`,
    );
    const pods = await openWatch(
      sim,
      `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}&labelSelector=app%3Dweb`,
    );
    await setImage('nginx:1.27');
    await until(clock, () => complete(), 'the rollout of nginx:1.27');
    const last = deployment();
    const lastRv = Number(last?.metadata.resourceVersion);
    await waitFor(
      () => deployments.events.some((e) => rvOf(e) === lastRv),
      'the deployment watch to catch up',
    );
    await waitFor(() => pods.events.some((e) => rvOf(e) >= lastRv - 50), 'the pod watch to catch up');
    deployments.close();
    pods.close();

    // Every status a watcher saw: never more than replicas + maxSurge pods, never fewer than replicas - maxUnavailable available.
    const seen = deployments.events.map((e) => ({
      generation: (e.object.metadata as { generation?: number }).generation,
      s: statusOf(e.object),
    }));
    for (const { s } of seen) {
      expect(s.replicas ?? 0).toBeLessThanOrEqual(6 + 2);
      expect(s.availableReplicas ?? 0).toBeGreaterThanOrEqual(6 - 1);
    }
    // observedGeneration catches up with generation 2, and from then on updatedReplicas only rises, to 6.
    expect(seen[0]?.generation).toBe(2);
    const observed = seen.map((x) => x.s.observedGeneration ?? 0);
    expect(observed.every((g, i) => i === 0 || g >= (observed[i - 1] ?? 0))).toBe(true);
    const afterObserved = seen
      .filter((x) => x.s.observedGeneration === 2)
      .map((x) => x.s.updatedReplicas ?? 0);
    expect(afterObserved.length).toBeGreaterThan(2);
    expect(afterObserved.every((n, i) => i === 0 || n >= (afterObserved[i - 1] ?? 0))).toBe(true);
    expect(afterObserved.at(-1)).toBe(6);
    // Progressing: a new ReplicaSet was created, it progressed, and the last word is NewReplicaSetAvailable.
    const reasons = seen.map((x) => cond(x.s, 'Progressing')?.reason);
    expect(reasons).toContain('NewReplicaSetCreated');
    expect(reasons).toContain('ReplicaSetUpdated');
    const final = statusOf(last);
    expect(cond(final, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    expect(cond(final, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(final).toMatchObject({
      observedGeneration: 2,
      replicas: 6,
      updatedReplicas: 6,
      readyReplicas: 6,
      availableReplicas: 6,
    });
    expect(final.unavailableReplicas).toBeUndefined();
    const progressing = cond(final, 'Progressing');
    expect(Date.parse(progressing?.lastUpdateTime ?? '')).toBeGreaterThanOrEqual(
      Date.parse(progressing?.lastTransitionTime ?? ''),
    );

    // The same bounds, pod by pod, as the pod watch saw them.
    const readyNow = (o: StoredObject | WatchEvent['object']): boolean =>
      (((o['status'] as DeploymentStatus | undefined)?.conditions ?? []) as Condition[]).some(
        (c) => c.type === 'Ready' && c.status === 'True',
      );
    const live = new Map<string, boolean>(before.map((p) => [p.metadata.name, readyNow(p)]));
    let maxPods = 0;
    let minReady = Infinity;
    for (const e of pods.events) {
      const name = String(e.object.metadata.name);
      if (e.type === 'DELETED') live.delete(name);
      else live.set(name, readyNow(e.object));
      maxPods = Math.max(maxPods, live.size);
      minReady = Math.min(minReady, [...live.values()].filter(Boolean).length);
    }
    expect(maxPods).toBe(8);
    expect(minReady).toBe(5);
    expect(live.size).toBe(6);

    // Revisions: the new ReplicaSet is revision 2, the old one is kept at 0 replicas.
    const sets = store()
      .list('replicasets.apps', 'default')
      .map((rs) => ({
        revision: rs.metadata.annotations?.['deployment.kubernetes.io/revision'],
        replicas: (rs['spec'] as { replicas: number }).replicas,
        hash: rs.metadata.labels?.['pod-template-hash'],
        name: rs.metadata.name,
      }))
      .sort((a, b) => Number(a.revision) - Number(b.revision));
    expect(sets.map((s) => [s.revision, s.replicas])).toEqual([
      ['1', 0],
      ['2', 6],
    ]);
    for (const s of sets) expect(s.name).toBe(`web-${String(s.hash)}`);
    expect(last?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
  });

  it('percentages round as Kubernetes rounds them: maxSurge up, maxUnavailable down', async () => {
    // 10 replicas, 25%: surge ceil(2.5) = 3, unavailable floor(2.5) = 2
    const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
    await raw(sim, 'POST', DEPLOYMENTS, { body: web('nginx:1.26', strategy, 10) });
    await until(clock, () => complete(), 'the first rollout');
    const rv = store().resourceVersion;
    const w = await openWatch(
      sim,
      `${DEPLOYMENTS}?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dweb`,
    );
    await setImage('nginx:1.27');
    await until(clock, () => complete(), 'the rollout');
    const lastRv = Number(deployment()?.metadata.resourceVersion);
    await waitFor(() => w.events.some((e) => rvOf(e) === lastRv), 'the watch to catch up');
    w.close();
    const statuses = w.events.map((e) => statusOf(e.object));
    expect(Math.max(...statuses.map((s) => s.replicas ?? 0))).toBe(13);
    expect(Math.min(...statuses.map((s) => s.availableReplicas ?? 0))).toBe(8);
  });

  it('scales up and down through the scale subresource, with ScalingReplicaSet events', async () => {
    await raw(sim, 'POST', DEPLOYMENTS, { body: web('nginx:1.26', undefined, 2) });
    await until(clock, () => complete(), 'the first rollout');
    const scale = (n: number) =>
      raw(sim, 'PATCH', `${DEPLOYMENTS}/web/scale`, {
        body: { spec: { replicas: n } },
        contentType: 'application/merge-patch+json',
      });
    expect((await scale(5)).status).toBe(200);
    await until(clock, () => complete() && store().list('pods', 'default').length === 5, 'scale to 5');
    expect((await scale(1)).status).toBe(200);
    await until(clock, () => complete() && store().list('pods', 'default').length === 1, 'scale to 1');
    expect(store().list('replicasets.apps', 'default')).toHaveLength(1);
    const messages = store()
      .list('events', 'default')
      .filter((e) => e['reason'] === 'ScalingReplicaSet')
      .map((e) => String(e['message']).replace(/web-\w+/, 'web-<hash>'));
    expect(messages).toEqual([
      'Scaled up replica set web-<hash> from 0 to 2',
      'Scaled up replica set web-<hash> from 2 to 5',
      'Scaled down replica set web-<hash> from 5 to 1',
    ]);
  });

  it('keeps revisionHistoryLimit old ReplicaSets, and rolls back to an old template as a new revision', async () => {
    const body = web('app:1', undefined, 2);
    (body['spec'] as Record<string, unknown>)['revisionHistoryLimit'] = 1;
    await raw(sim, 'POST', DEPLOYMENTS, { body });
    await until(clock, () => complete(), 'revision 1');
    for (const image of ['app:2', 'app:3']) {
      await setImage(image);
      await until(clock, () => complete(), image);
    }
    const revisions = () =>
      store()
        .list('replicasets.apps', 'default')
        .map((rs) => [
          rs.metadata.annotations?.['deployment.kubernetes.io/revision'],
          (rs['spec'] as { replicas: number }).replicas,
        ])
        .sort();
    expect(revisions()).toEqual([
      ['2', 0],
      ['3', 2],
    ]);
    // kubectl rollout undo writes the old template back: the ReplicaSet of revision 2 becomes revision 4.
    await setImage('app:2');
    await until(clock, () => complete(), 'the rollback');
    expect(revisions()).toEqual([
      ['3', 0],
      ['4', 2],
    ]);
    const rs = store()
      .list('replicasets.apps', 'default')
      .find((r) => r.metadata.annotations?.['deployment.kubernetes.io/revision'] === '4');
    expect(rs?.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('2');
  });
});

describe('a Recreate Deployment', () => {
  it('removes every old pod before it creates the first new one', async () => {
    await raw(sim, 'POST', DEPLOYMENTS, { body: web('app:1', { type: 'Recreate' }, 3) });
    await until(clock, () => complete(), 'the first rollout');
    const rv = store().resourceVersion;
    const pods = await openWatch(
      sim,
      `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}&labelSelector=app%3Dweb`,
    );
    await setImage('app:2');
    await until(clock, () => complete(), 'the recreate rollout');
    await waitFor(
      () => pods.events.filter((e) => e.type === 'ADDED').length === 3,
      'three new pods on the watch',
    );
    pods.close();
    const live = new Map<string, string>();
    for (const e of pods.events) {
      const name = String(e.object.metadata.name);
      const image = ((e.object['spec'] as { containers: { image: string }[] }).containers[0]?.image ??
        '') as string;
      if (e.type === 'DELETED') live.delete(name);
      else live.set(name, image);
      expect(new Set(live.values()).size).toBeLessThanOrEqual(1);
    }
    expect([...live.values()]).toEqual(['app:2', 'app:2', 'app:2']);
  });
});

describe('a StatefulSet', () => {
  const sts = (image: string): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'default' },
    spec: {
      replicas: 3,
      serviceName: 'db',
      selector: { matchLabels: { app: 'db' } },
      template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image }] } },
      volumeClaimTemplates: [
        { metadata: { name: 'data' }, spec: { resources: { requests: { storage: '1Gi' } } } },
      ],
    },
  });
  const stsStatus = () =>
    (store().get('statefulsets.apps', 'default', 'db')?.['status'] ?? {}) as Record<string, unknown>;

  it('creates pods in order, each once the one before is Ready, and updates them from the highest ordinal down', async () => {
    const rv = store().resourceVersion;
    const pods = await openWatch(sim, `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}`);
    expect(
      (await raw(sim, 'POST', '/apis/apps/v1/namespaces/default/statefulsets', { body: sts('db:1') })).status,
    ).toBe(201);
    await until(clock, () => stsStatus()['readyReplicas'] === 3, 'three ready replicas');
    const ready = (e: WatchEvent) =>
      ((e.object['status'] as { conditions?: Condition[] } | undefined)?.conditions ?? []).some(
        (c) => c.type === 'Ready' && c.status === 'True',
      );
    await waitFor(() => pods.events.filter(ready).length >= 3, 'ready pods on the watch');
    const order = pods.events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.name);
    expect(order).toEqual(['db-0', 'db-1', 'db-2']);
    // db-1 appeared only after db-0 was Ready
    const firstReady0 = pods.events.findIndex((e) => e.object.metadata.name === 'db-0' && ready(e));
    const added1 = pods.events.findIndex((e) => e.type === 'ADDED' && e.object.metadata.name === 'db-1');
    expect(firstReady0).toBeLessThan(added1);
    const pod0 = store().get('pods', 'default', 'db-0');
    expect(pod0?.['spec']).toMatchObject({ hostname: 'db-0', subdomain: 'db' });
    expect(pod0?.metadata.labels).toMatchObject({
      'statefulset.kubernetes.io/pod-name': 'db-0',
      'apps.kubernetes.io/pod-index': '0',
    });
    expect(store().get('persistentvolumeclaims', 'default', 'data-db-2')?.['status']).toMatchObject({
      phase: 'Bound',
    });
    const s1 = stsStatus();
    expect(s1).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
    });
    expect(s1['currentRevision']).toBe(s1['updateRevision']);

    const mark = pods.events.length;
    const patched = await raw(sim, 'PATCH', '/apis/apps/v1/namespaces/default/statefulsets/db', {
      body: { spec: { template: { spec: { containers: [{ name: 'db', image: 'db:2' }] } } } },
      contentType: 'application/strategic-merge-patch+json',
    });
    expect(patched.status).toBe(200);
    await until(
      clock,
      () =>
        stsStatus()['observedGeneration'] === 2 &&
        stsStatus()['currentRevision'] === stsStatus()['updateRevision'],
      'the update',
    );
    await advance(clock, 1000);
    const deleted = pods.events
      .slice(mark)
      .filter((e) => e.type === 'DELETED')
      .map((e) => e.object.metadata.name);
    expect(deleted).toEqual(['db-2', 'db-1', 'db-0']);
    pods.close();
    const s2 = stsStatus();
    expect(s2['currentRevision']).toBe(s2['updateRevision']);
    expect(s2['currentRevision']).not.toBe(s1['currentRevision']);
  });
});
