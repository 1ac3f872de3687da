import { afterEach, describe, expect, it } from 'vitest';

import { ManualClock, RealClock } from '../src/clock.ts';
import { createKubeSim, type KubeObject, type KubeSim, type StoredObject } from '../src/index.ts';
import { openWatch, raw, waitFor } from './support.ts';
import { advance, settle, until } from './simTime.ts';

/** The simulated world: the demo fleet adopted as seeded, pods going through their lives, events, logs, partitions. */

interface Condition {
  type: string;
  status: string;
  reason?: string;
  lastTransitionTime?: string;
}
interface ContainerStatus {
  name: string;
  ready: boolean;
  restartCount: number;
  state: Record<string, Record<string, unknown>>;
  lastState: Record<string, Record<string, unknown>>;
}
interface PodStatus {
  phase?: string;
  conditions?: Condition[];
  containerStatuses?: ContainerStatus[];
  podIP?: string;
  hostIP?: string;
  startTime?: string;
}

let sim: KubeSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const podStatus = (o: Record<string, unknown> | undefined): PodStatus => (o?.['status'] ?? {}) as PodStatus;
const cond = (s: PodStatus, type: string): Condition | undefined =>
  s.conditions?.find((c) => c.type === type);

function pod(
  name: string,
  annotations: Record<string, string> = {},
  extra: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', annotations },
    spec: { containers: [{ name: 'app', image: 'ghcr.io/demo/app:1.0' }], ...extra },
  };
}

describe('the demo fleet', () => {
  // Start-up time is measured by `npm run bench`, not asserted here.
  it('adopts its seeded Deployments, ReplicaSets and pods without churn', async () => {
    const clock = new ManualClock();
    sim = await createKubeSim({ fleet: 'demo', clock });
    const snapshot = (gr: string): string[] =>
      [...(sim?.clusters.values() ?? [])].flatMap((c) =>
        c.store.list(gr).map((o) => `${c.name}/${o.metadata.namespace}/${o.metadata.name}/${o.metadata.uid}`),
      );
    const pods = snapshot('pods');
    const sets = snapshot('replicasets.apps');
    expect(pods.length).toBeGreaterThan(10);
    await advance(clock, 120_000, 1000);
    expect(snapshot('pods')).toEqual(pods);
    expect(snapshot('replicasets.apps')).toEqual(sets);
    for (const c of sim.clusters.values()) {
      for (const d of c.store.list('deployments.apps')) {
        expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
        expect(d['status']).toMatchObject({ observedGeneration: 1 });
      }
      // nothing was scheduled, pulled or started: the seeded pods were already running
      expect(c.store.list('events').filter((e) => e['reason'] === 'Scheduled')).toEqual([]);
      // kubelets renew their leases
      expect(c.store.list('leases.coordination.k8s.io', 'kube-node-lease').length).toBe(
        c.store.count('nodes'),
      );
    }
  });

  it('idles with a bounded number of writes on a real clock: leases, node status and metrics only', async () => {
    sim = await createKubeSim({ fleet: 'demo', clock: new RealClock({ speed: 20 }) });
    const rv = (): number =>
      [...(sim?.clusters.values() ?? [])].reduce((n, c) => n + c.store.resourceVersion, 0);
    await new Promise((r) => setTimeout(r, 300));
    const before = rv();
    await new Promise((r) => setTimeout(r, 1500)); // 30 s of clock time
    const writes = rv() - before;
    // per 30 s of clock time: leases every 10 s, node status every 60 s, one metrics refresh, for 9 nodes and ~20 pods
    expect(writes).toBeGreaterThan(9);
    expect(writes).toBeLessThan(150);
  });
});

describe('a pod', () => {
  it('is scheduled, pulls, starts and becomes Ready after its ready-after delay, with events and logs', async () => {
    const clock = new ManualClock();
    sim = await createKubeSim({ clock, fleet: { clusters: [{ name: 'sim', nodes: 2 }] } });
    const c = sim.cluster();
    const rv = c.store.resourceVersion;
    const w = await openWatch(sim, `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}`);
    expect(
      (
        await raw(sim, 'POST', '/api/v1/namespaces/default/pods', {
          body: pod('solo', { 'sim.fleetgraph.io/ready-after': '5s' }),
        })
      ).status,
    ).toBe(201);
    const ready = await until(
      clock,
      () => {
        const p = c.store.get('pods', 'default', 'solo');
        return cond(podStatus(p), 'Ready')?.status === 'True' ? p : undefined;
      },
      'the pod to become Ready',
    );
    await waitFor(
      () => w.events.some((e) => e.object.metadata.resourceVersion === ready?.metadata.resourceVersion),
      'the watch',
    );
    w.close();
    const stages = w.events.map((e) => {
      const s = podStatus(e.object);
      const state = Object.keys(s.containerStatuses?.[0]?.state ?? {})[0];
      const reason = s.containerStatuses?.[0]?.state[state ?? '']?.['reason'];
      return [s.phase, reason ? `${state}:${String(reason)}` : state, cond(s, 'Ready')?.status ?? '-'].join(
        ' ',
      );
    });
    expect([...new Set(stages)]).toEqual([
      'Pending  -',
      'Pending waiting:ContainerCreating False',
      'Running running False',
      'Running running True',
    ]);
    const s = podStatus(ready);
    expect((ready?.['spec'] as { nodeName: string }).nodeName).toMatch(/^sim-node-[12]$/);
    expect(s.podIP).toMatch(/^10\.244\.\d+\.\d+$/);
    expect(s.hostIP).toMatch(/^192\.168\.0\.\d+$/);
    expect(s.conditions?.map((x) => x.type)).toEqual([
      'PodReadyToStartContainers',
      'Initialized',
      'Ready',
      'ContainersReady',
      'PodScheduled',
    ]);
    const started = Date.parse(String(s.containerStatuses?.[0]?.state['running']?.['startedAt']));
    expect(Date.parse(cond(s, 'Ready')?.lastTransitionTime ?? '') - started).toBe(5000);

    const events = await raw(
      sim,
      'GET',
      '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dsolo',
    );
    const items = (events.json as { items: Record<string, unknown>[] }).items;
    expect(items.map((e) => e['reason'])).toEqual(['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']);
    for (const e of items) {
      expect(e).toMatchObject({
        type: 'Normal',
        count: 1,
        involvedObject: { kind: 'Pod', name: 'solo', namespace: 'default' },
      });
      expect(e['firstTimestamp']).toBe(e['lastTimestamp']);
    }
    expect(items[0]).toMatchObject({ source: { component: 'default-scheduler' } });
    expect(items[2]).toMatchObject({
      source: { component: 'kubelet' },
      involvedObject: { fieldPath: 'spec.containers{app}' },
    });
    expect(items[1]?.['message']).toBe('Pulling image "ghcr.io/demo/app:1.0"');

    // it writes a line now and then, and deleting it removes its logs
    await advance(clock, 60_000, 5000);
    expect(c.logs.read('default', 'solo', 'app')?.lines.length).toBeGreaterThan(3);
    expect((await raw(sim, 'DELETE', '/api/v1/namespaces/default/pods/solo')).status).toBe(200);
    await settle();
    expect(c.logs.read('default', 'solo', 'app')).toBeUndefined();
    expect(c.store.list('events', 'default').some((e) => e['reason'] === 'Killing')).toBe(true);
  });

  it('that keeps failing restarts with back-off, CrashLoopBackOff and an aggregated BackOff event', async () => {
    const clock = new ManualClock();
    sim = await createKubeSim({ clock });
    const c = sim.cluster();
    const script = JSON.stringify([
      { after: '1s', line: 'boom' },
      { after: '1s', exit: 2 },
    ]);
    c.api.create(
      { type: c.registry.get('', 'v1', 'pods')!, namespace: 'default' },
      pod('crash', { 'sim.fleetgraph.io/script': script }),
    );
    const status = () => podStatus(c.store.get('pods', 'default', 'crash')).containerStatuses?.[0];
    await until(
      clock,
      () => (status()?.restartCount ?? 0) >= 3 && status()?.state['waiting'],
      'three restarts',
    );
    const s = status();
    expect(s?.state['waiting']).toMatchObject({ reason: 'CrashLoopBackOff' });
    expect(s?.lastState['terminated']).toMatchObject({ exitCode: 2, reason: 'Error' });
    expect(podStatus(c.store.get('pods', 'default', 'crash')).phase).toBe('Running');
    const backoff = c.store.list('events', 'default').filter((e) => e['reason'] === 'BackOff');
    expect(backoff).toHaveLength(1);
    expect(backoff[0]).toMatchObject({ type: 'Warning', count: 4 });
    expect(Date.parse(String(backoff[0]?.['lastTimestamp']))).toBeGreaterThan(
      Date.parse(String(backoff[0]?.['firstTimestamp'])),
    );
    // the previous instance's lines are kept as `previous`
    expect(c.logs.read('default', 'crash', 'app', true)?.lines.map((l) => l.text)).toEqual(['boom']);
  });

  it('waits Unschedulable when no node fits, and is bound once one does', async () => {
    const clock = new ManualClock();
    sim = await createKubeSim({ clock });
    const c = sim.cluster();
    c.api.create(
      { type: c.registry.get('', 'v1', 'pods')!, namespace: 'default' },
      pod('gpu', {}, { nodeSelector: { gpu: 'yes' } }),
    );
    await advance(clock, 2000);
    const waiting = c.store.get('pods', 'default', 'gpu');
    expect(cond(podStatus(waiting), 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
    });
    expect(c.store.list('events', 'default').find((e) => e['reason'] === 'FailedScheduling')).toMatchObject({
      type: 'Warning',
    });
    const node = c.store.get('nodes', '', 'sim-node-1') as StoredObject;
    const labelled = {
      ...structuredClone(node),
      metadata: { ...structuredClone(node.metadata), labels: { ...node.metadata.labels, gpu: 'yes' } },
    };
    c.api.replace(
      { type: c.registry.get('', 'v1', 'nodes')!, namespace: '', name: 'sim-node-1' },
      node,
      labelled,
      {},
    );
    await until(
      clock,
      () => podStatus(c.store.get('pods', 'default', 'gpu')).phase === 'Running',
      'the pod to run',
    );
    expect((c.store.get('pods', 'default', 'gpu')?.['spec'] as { nodeName: string }).nodeName).toBe(
      'sim-node-1',
    );
  });
});

describe('determinism', () => {
  it('the same seed and the same steps give the same world: names, uids, IPs, logs and metrics', async () => {
    const run = async () => {
      const clock = new ManualClock();
      const k = await createKubeSim({ clock, fleet: { clusters: [{ name: 'sim', nodes: 2 }] } });
      try {
        const c = k.cluster();
        c.api.create(
          { type: c.registry.get('apps', 'v1', 'deployments')!, namespace: 'default' },
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'same' },
            spec: {
              replicas: 3,
              selector: { matchLabels: { app: 'same' } },
              template: {
                metadata: { labels: { app: 'same' } },
                spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] },
              },
            },
          },
        );
        for (let i = 0; i < 90; i++) clock.advance(1000);
        return c.store.list('pods', 'default').map((p) => ({
          name: p.metadata.name,
          uid: p.metadata.uid,
          ip: podStatus(p).podIP,
          node: (p['spec'] as { nodeName: string }).nodeName,
          logs: c.logs.read('default', p.metadata.name, 'c')?.lines.map((l) => `${l.time} ${l.text}`),
          usage: c.store.get('pods.metrics.k8s.io', 'default', p.metadata.name)?.['containers'],
        }));
      } finally {
        await k.close();
      }
    };
    const [a, b] = [await run(), await run()];
    expect(a).toHaveLength(3);
    expect(a.every((p) => (p.logs?.length ?? 0) > 3 && p.usage !== undefined)).toBe(true);
    expect(b).toEqual(a);
  });
});

describe('an offline cluster', () => {
  it('keeps its controllers running behind the partition', async () => {
    const clock = new ManualClock();
    sim = await createKubeSim({ clock });
    const c = sim.cluster();
    await c.faults.offline('refuse');
    const deploymentType = c.registry.get('apps', 'v1', 'deployments')!;
    c.api.create(
      { type: deploymentType, namespace: 'default' },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'behind' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'behind' } },
          template: {
            metadata: { labels: { app: 'behind' } },
            spec: { containers: [{ name: 'c', image: 'app:1' }] },
          },
        },
      },
    );
    await advance(clock, 10_000);
    expect(c.store.get('deployments.apps', 'default', 'behind')?.['status']).toMatchObject({
      availableReplicas: 2,
    });
    await c.faults.online();
    const res = await raw(sim, 'GET', '/apis/apps/v1/namespaces/default/deployments/behind');
    expect(res.json).toMatchObject({ status: { readyReplicas: 2, availableReplicas: 2 } });
  });
});
