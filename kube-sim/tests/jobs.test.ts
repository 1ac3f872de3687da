import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ManualClock } from '../src/clock.ts';
import { createKubeSim, type KubeObject, type KubeSim, type StoredObject } from '../src/index.ts';
import { raw } from './support.ts';
import { until } from './simTime.ts';

/** Jobs whose pods run a script of log lines and exit: Succeeded, Failed with retries, completions and parallelism. */

interface JobStatus {
  active?: number;
  ready?: number;
  succeeded?: number;
  failed?: number;
  startTime?: string;
  completionTime?: string;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
}

let clock: ManualClock;
let sim: KubeSim;

beforeEach(async () => {
  clock = new ManualClock();
  sim = await createKubeSim({ clock, fleet: { clusters: [{ name: 'sim', nodes: 2 }] } });
});
afterEach(async () => {
  await sim.close();
});

const JOBS = '/apis/batch/v1/namespaces/default/jobs';
const store = () => sim.cluster().store;
const jobStatus = (name: string): JobStatus =>
  (store().get('jobs.batch', 'default', name)?.['status'] ?? {}) as JobStatus;
const finished = (name: string): boolean =>
  (jobStatus(name).conditions ?? []).some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
const podsOf = (job: string): StoredObject[] =>
  store()
    .list('pods', 'default')
    .filter((p) => p.metadata.labels?.['batch.kubernetes.io/job-name'] === job);
const phase = (p: StoredObject): string => String((p['status'] as { phase?: string }).phase);

function job(name: string, steps: unknown[], spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: {
      ...spec,
      template: {
        metadata: { annotations: { 'sim.fleetgraph.io/script': JSON.stringify(steps) } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36' }] },
      },
    },
  };
}

describe('a Job', () => {
  it('runs its script, writes the lines to the pod log and ends Complete with the pod Succeeded', async () => {
    const steps = [
      { after: '2s', line: 'pulling images' },
      { after: '1s', line: 'migrating schema' },
      { after: '3s', line: 'done' },
      { after: '1s', exit: 0 },
    ];
    expect((await raw(sim, 'POST', JOBS, { body: job('migrate', steps) })).status).toBe(201);
    await until(clock, () => podsOf('migrate').some((p) => phase(p) === 'Running'), 'the pod to run');
    expect(jobStatus('migrate')).toMatchObject({ active: 1 });
    await until(clock, () => finished('migrate'), 'the job to finish');
    const s = jobStatus('migrate');
    expect(s).toMatchObject({ succeeded: 1, ready: 0 });
    expect(s.active).toBeUndefined();
    expect(s.failed).toBeUndefined();
    expect(s.conditions).toEqual([expect.objectContaining({ type: 'Complete', status: 'True' })]);
    expect(Date.parse(s.completionTime ?? '') - Date.parse(s.startTime ?? '')).toBeGreaterThanOrEqual(7000);
    const [p] = podsOf('migrate');
    expect(p && phase(p)).toBe('Succeeded');
    expect(p?.metadata.generateName).toBe('migrate-');
    expect(p?.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Job',
      name: 'migrate',
      controller: true,
    });
    const terminated = (
      p?.['status'] as { containerStatuses: { state: { terminated: Record<string, unknown> } }[] }
    ).containerStatuses[0]?.state.terminated;
    expect(terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const log = await raw(sim, 'GET', `/api/v1/namespaces/default/pods/${p?.metadata.name ?? ''}/log`);
    expect(log.status).toBe(200);
    expect(log.text).toBe('pulling images\nmigrating schema\ndone\n');
    const events = store()
      .list('events', 'default')
      .filter((e) => (e['involvedObject'] as { kind: string }).kind === 'Job')
      .map((e) => e['reason']);
    expect(events).toEqual(['SuccessfulCreate', 'Completed']);
  });

  it('retries a failing pod with back-off until backoffLimit, then fails', async () => {
    const steps = [
      { after: '1s', line: 'connecting' },
      { after: '1s', line: 'error: connection refused' },
      { after: '0s', exit: 1 },
    ];
    await raw(sim, 'POST', JOBS, { body: job('flaky', steps, { backoffLimit: 2 }) });
    await until(clock, () => finished('flaky'), 'the job to fail', 300_000, 1000);
    const s = jobStatus('flaky');
    expect(s).toMatchObject({ failed: 3 });
    expect(s.conditions).toEqual([
      expect.objectContaining({
        type: 'Failed',
        status: 'True',
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit',
      }),
    ]);
    const pods = podsOf('flaky').sort((a, b) =>
      a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp),
    );
    expect(pods.map(phase)).toEqual(['Failed', 'Failed', 'Failed']);
    // the second pod waited 10 s after the first failed, the third 20 s after the second
    const created = pods.map((p) => Date.parse(p.metadata.creationTimestamp));
    expect((created[1] ?? 0) - (created[0] ?? 0)).toBeGreaterThanOrEqual(10_000);
    expect((created[2] ?? 0) - (created[1] ?? 0)).toBeGreaterThanOrEqual(20_000);
    const reasons = store()
      .list('events', 'default')
      .filter((e) => (e['involvedObject'] as { kind: string }).kind === 'Job')
      .map((e) => e['reason']);
    expect(reasons).toContain('BackoffLimitExceeded');
  });

  it('runs completions with at most parallelism pods at a time', async () => {
    await raw(sim, 'POST', JOBS, {
      body: job(
        'batch',
        [
          { after: '3s', line: 'work' },
          { after: '0s', exit: 0 },
        ],
        { completions: 5, parallelism: 2 },
      ),
    });
    let most = 0;
    await until(
      clock,
      () => {
        most = Math.max(
          most,
          podsOf('batch').filter((p) => phase(p) === 'Pending' || phase(p) === 'Running').length,
        );
        return finished('batch');
      },
      'the job to complete',
    );
    expect(most).toBe(2);
    expect(jobStatus('batch')).toMatchObject({ succeeded: 5 });
    expect(podsOf('batch').map(phase)).toEqual(Array(5).fill('Succeeded'));
  });

  it('is deleted ttlSecondsAfterFinished after it finished, its pods with it', async () => {
    await raw(sim, 'POST', JOBS, {
      body: job('short', [{ after: '1s', exit: 0 }], { ttlSecondsAfterFinished: 30 }),
    });
    await until(clock, () => finished('short'), 'the job to finish');
    await until(clock, () => !store().get('jobs.batch', 'default', 'short'), 'the job to go', 40_000);
    await until(clock, () => podsOf('short').length === 0, 'its pods to go');
  });
});
