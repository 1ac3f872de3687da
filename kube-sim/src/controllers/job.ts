import type { KubeObject, StoredObject } from '../types.ts';
import type { ControllerContext } from './context.ts';
import type { Scheduler } from './scheduler.ts';
import { rankForDeletion } from './replicaset.ts';
import {
  type Condition,
  conditionsOf,
  controllerOf,
  controllerRef,
  nameSuffix,
  num,
  obj,
  podActive,
  podReady,
  specOf,
  statusOf,
  ts,
} from './util.ts';

/**
 * The Job controller (pkg/controller/job), non-indexed completions: up to `parallelism` pods at a time until
 * `completions` have succeeded (or, without completions, until one has and none is left running); failed pods are
 * replaced after an exponential back-off (10 s doubling, at most 6 min) until more than `backoffLimit` have failed;
 * `activeDeadlineSeconds`, `suspend` and `ttlSecondsAfterFinished` are honoured. Status: startTime, active, ready,
 * succeeded, failed, completionTime and the Complete / Failed / Suspended conditions, with the controller's
 * events. What the pods do is up to their script (`sim.fleetgraph.io/script` on the pod template).
 */

const SOURCE = { component: 'job-controller' };

export class JobController {
  private seq = 0;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly scheduler: Scheduler,
  ) {}

  start(): void {
    this.ctx.watch('jobs.batch', (type, job) => {
      if (type !== 'DELETED') this.enqueue(job.metadata.namespace ?? '', job.metadata.name);
    });
    this.ctx.watch('pods', (_type, pod) => {
      const ref = controllerOf(pod);
      if (ref?.kind === 'Job') this.enqueue(pod.metadata.namespace ?? '', ref.name);
    });
  }

  private enqueue(ns: string, name: string, afterMs = 0): void {
    const key = `job/${ns}/${name}`;
    const work = (): void => this.sync(ns, name);
    if (afterMs > 0) this.ctx.queue.addAfter(key, afterMs, work);
    else this.ctx.queue.add(key, work);
  }

  private get type() {
    return this.ctx.type('batch', 'v1', 'jobs');
  }

  private sync(ns: string, name: string): void {
    const job = this.ctx.store.get('jobs.batch', ns, name);
    if (!job) return;
    const now = this.ctx.now();
    const spec = specOf(job);
    const status = statusOf(job);
    const finished = conditionsOf(status).find(
      (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
    );
    if (finished) return this.ttl(job, now);
    if (job.metadata.deletionTimestamp) return;
    const pods: StoredObject[] = [];
    for (const { gr, object } of this.ctx.store.dependentsOf(job.metadata.uid))
      if (gr === 'pods' && controllerOf(object)?.uid === job.metadata.uid) pods.push(object);
    const active = pods.filter(podActive);
    const succeeded = Math.max(
      num(status['succeeded']),
      pods.filter((p) => statusOf(p)['phase'] === 'Succeeded').length,
    );
    const failedPods = pods.filter((p) => statusOf(p)['phase'] === 'Failed');
    const failed = Math.max(num(status['failed']), failedPods.length);
    const completions = typeof spec['completions'] === 'number' ? spec['completions'] : undefined;
    const parallelism = num(spec['parallelism'], 1);
    const suspended = spec['suspend'] === true;
    const next: Record<string, unknown> = { ...structuredClone(status), uncountedTerminatedPods: {} };
    if (!next['startTime'] && !suspended) next['startTime'] = ts(now);
    let conditions = conditionsOf(next);
    const set = (c: Condition): void => {
      const before = conditions.find((x) => x.type === c.type);
      if (before?.status === c.status && before.reason === c.reason) return;
      conditions = [...conditions.filter((x) => x.type !== c.type), c];
    };
    const cond = (type: string, s: Condition['status'], reason?: string, message?: string): Condition => {
      const c: Condition = { type, status: s, lastProbeTime: ts(now), lastTransitionTime: ts(now) };
      if (reason) c.reason = reason;
      if (message) c.message = message;
      return c;
    };
    const started = Date.parse(String(next['startTime'] ?? ''));
    const deadline =
      typeof spec['activeDeadlineSeconds'] === 'number' ? spec['activeDeadlineSeconds'] * 1000 : undefined;
    let fail: [string, string] | undefined;
    // With restartPolicy OnFailure the pods stay and their containers restart: restarts count against the limit.
    const restarts = active.reduce((n, p) => n + restartsOf(p), 0);
    if (failed + restarts > num(spec['backoffLimit'], 6))
      fail = ['BackoffLimitExceeded', 'Job has reached the specified backoff limit'];
    else if (deadline !== undefined && Number.isFinite(started) && now - started >= deadline)
      fail = ['DeadlineExceeded', 'Job was active longer than specified deadline'];
    const complete =
      completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0;
    let activeNow = active;
    if (fail) {
      this.deletePods(job, active);
      activeNow = [];
      set(cond('Failed', 'True', fail[0], fail[1]));
      this.ctx.events.record(job, 'Warning', fail[0], fail[1], SOURCE);
    } else if (complete) {
      set(cond('Complete', 'True'));
      next['completionTime'] = ts(now);
      this.ctx.events.record(job, 'Normal', 'Completed', 'Job completed', SOURCE);
    } else if (suspended) {
      this.deletePods(job, active);
      activeNow = [];
      if (
        conditions.some((c) => c.type === 'Suspended' && c.status !== 'True') ||
        !conditions.some((c) => c.type === 'Suspended')
      )
        this.ctx.events.record(job, 'Normal', 'Suspended', 'Job suspended', SOURCE);
      set(cond('Suspended', 'True', 'JobSuspended', 'Job suspended'));
    } else {
      if (conditions.some((c) => c.type === 'Suspended' && c.status === 'True')) {
        set(cond('Suspended', 'False', 'JobResumed', 'Job resumed'));
        this.ctx.events.record(job, 'Normal', 'Resumed', 'Job resumed', SOURCE);
      }
      const want =
        completions === undefined
          ? succeeded > 0
            ? 0
            : parallelism
          : Math.min(parallelism, completions - succeeded);
      const diff = want - active.length;
      if (diff > 0) {
        const wait = this.backoffLeft(failedPods, failed, now);
        if (wait > 0) this.enqueue(job.metadata.namespace ?? '', job.metadata.name, wait);
        else for (let i = 0; i < diff; i++) activeNow = [...activeNow, this.createPod(job)];
      } else if (diff < 0) {
        const extra = rankForDeletion(active, now).slice(0, -diff);
        this.deletePods(job, extra);
        activeNow = active.filter((p) => !extra.includes(p));
      }
      if (deadline !== undefined && Number.isFinite(started))
        this.enqueue(job.metadata.namespace ?? '', job.metadata.name, Math.max(1, started + deadline - now));
    }
    next['conditions'] = conditions;
    if (conditions.length === 0) delete next['conditions'];
    next['active'] = activeNow.length;
    next['ready'] = activeNow.filter(podReady).length;
    next['succeeded'] = succeeded;
    next['failed'] = failed;
    for (const f of ['active', 'succeeded', 'failed']) if (next[f] === 0) delete next[f];
    const written = this.ctx.patchStatus(this.type, job, (s) => {
      for (const k of Object.keys(s)) delete s[k];
      Object.assign(s, next);
    });
    if (fail || complete) this.ttl(written, now);
  }

  /** ms left before a failed pod may be replaced */
  private backoffLeft(failedPods: StoredObject[], failed: number, now: number): number {
    if (failed === 0) return 0;
    const last = Math.max(
      0,
      ...failedPods.map((p) => {
        const finished = (
          Array.isArray(statusOf(p)['containerStatuses'])
            ? (statusOf(p)['containerStatuses'] as unknown[])
            : []
        )
          .map((c) => Date.parse(String(obj(obj(obj(c)['state'])['terminated'])['finishedAt'] ?? '')))
          .filter(Number.isFinite);
        return finished.length ? Math.max(...finished) : Date.parse(p.metadata.creationTimestamp);
      }),
    );
    const backoff = Math.min(360_000, 10_000 * 2 ** (failed - 1));
    return last + backoff - now;
  }

  private createPod(job: StoredObject): StoredObject {
    const ns = job.metadata.namespace ?? '';
    const template = obj(specOf(job)['template']);
    const tmeta = obj(template['metadata']);
    let name = '';
    do
      name = `${job.metadata.name}-${nameSuffix(`${this.ctx.options.seed}/${job.metadata.name}/${++this.seq}`)}`;
    while (this.ctx.store.get('pods', ns, name));
    const jobLabels = {
      'batch.kubernetes.io/controller-uid': job.metadata.uid,
      'batch.kubernetes.io/job-name': job.metadata.name,
      'controller-uid': job.metadata.uid,
      'job-name': job.metadata.name,
    };
    const metadata: KubeObject['metadata'] = {
      name,
      generateName: `${job.metadata.name}-`,
      namespace: ns,
      labels: { ...(obj(tmeta['labels']) as Record<string, string>), ...jobLabels },
      ownerReferences: [controllerRef(job)],
    };
    if (tmeta['annotations'])
      metadata.annotations = structuredClone(tmeta['annotations']) as Record<string, string>;
    const pod = this.scheduler.createPod({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata,
      spec: structuredClone(obj(template['spec'])),
    });
    this.ctx.events.record(job, 'Normal', 'SuccessfulCreate', `Created pod: ${name}`, SOURCE);
    return pod;
  }

  private deletePods(job: StoredObject, pods: StoredObject[]): void {
    const podType = this.ctx.type('', 'v1', 'pods');
    for (const p of pods)
      if (this.ctx.remove(podType, p))
        this.ctx.events.record(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, SOURCE);
  }

  /** ttlSecondsAfterFinished: the finished Job (and, through garbage collection, its pods) goes */
  private ttl(job: StoredObject, now: number): void {
    const ttl = specOf(job)['ttlSecondsAfterFinished'];
    if (typeof ttl !== 'number') return;
    const finished = conditionsOf(statusOf(job)).find(
      (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
    );
    const at = Date.parse(String(finished?.lastTransitionTime ?? '')) + ttl * 1000;
    if (!Number.isFinite(at)) return;
    if (at > now) return this.enqueue(job.metadata.namespace ?? '', job.metadata.name, at - now);
    if (!job.metadata.deletionTimestamp) this.ctx.remove(this.type, job);
  }
}

function restartsOf(pod: StoredObject): number {
  const statuses = statusOf(pod)['containerStatuses'];
  return (Array.isArray(statuses) ? statuses : []).reduce<number>(
    (n, c) => n + num(obj(c)['restartCount']),
    0,
  );
}
