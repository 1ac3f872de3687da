import type { KubeObject, StoredObject } from '../types.ts';
import type { ControllerContext } from './context.ts';
import type { Scheduler } from './scheduler.ts';
import {
  controllerOf,
  controllerRef,
  findCondition,
  nameSuffix,
  num,
  obj,
  podActive,
  podAvailable,
  podReady,
  selectorMatcher,
  specOf,
  statusOf,
  str,
} from './util.ts';

/**
 * The ReplicaSet controller (pkg/controller/replicaset): keeps spec.replicas active pods, named
 * `<replicaset>-<5 chars>` with generateName `<replicaset>-` and a controller owner reference; adopts orphan pods
 * that match its selector and releases owned pods that stop matching; deletes the least valuable pods first when
 * scaling down; and reports replicas, fullyLabeledReplicas, readyReplicas, availableReplicas and
 * observedGeneration. Pods are found through the store's owner index, never by listing every pod.
 */

const SOURCE = { component: 'replicaset-controller' };
/** the controller's burstReplicas: at most this many pods created or deleted in one sync */
const BURST = 500;

export class ReplicaSetController {
  /** namespace → names of active pods without a controller, candidates for adoption */
  private readonly orphans = new Map<string, Set<string>>();
  private seq = 0;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly scheduler: Scheduler,
  ) {}

  start(): void {
    this.ctx.watch('replicasets.apps', (type, rs) => {
      if (type !== 'DELETED') this.enqueue(rs.metadata.namespace ?? '', rs.metadata.name);
    });
    this.ctx.watch('pods', (type, pod) => {
      const ns = pod.metadata.namespace ?? '';
      const ref = controllerOf(pod);
      if (ref) {
        this.forgetOrphan(ns, pod.metadata.name);
        if (ref.kind === 'ReplicaSet') this.enqueue(ns, ref.name);
        return;
      }
      if (type === 'DELETED' || !podActive(pod)) {
        this.forgetOrphan(ns, pod.metadata.name);
        return;
      }
      let set = this.orphans.get(ns);
      if (!set) this.orphans.set(ns, (set = new Set()));
      if (set.has(pod.metadata.name)) return;
      set.add(pod.metadata.name);
      // A new orphan: wake the ReplicaSets of its namespace that select it (as addPod does through the lister).
      for (const rs of this.ctx.store.list('replicasets.apps', ns)) {
        if (selectorMatcher(specOf(rs)['selector'])(pod.metadata.labels)) this.enqueue(ns, rs.metadata.name);
      }
    });
  }

  private forgetOrphan(ns: string, name: string): void {
    const set = this.orphans.get(ns);
    if (set?.delete(name) && set.size === 0) this.orphans.delete(ns);
  }

  enqueue(ns: string, name: string, afterMs = 0): void {
    const key = `replicaset/${ns}/${name}`;
    const work = (): void => this.sync(ns, name);
    if (afterMs > 0) this.ctx.queue.addAfter(key, afterMs, work);
    else this.ctx.queue.add(key, work);
  }

  private sync(ns: string, name: string): void {
    const rs = this.ctx.store.get('replicasets.apps', ns, name);
    if (!rs) return;
    const pods = this.claimPods(rs);
    const active = pods.filter(podActive);
    if (!rs.metadata.deletionTimestamp) this.manage(rs, active);
    this.updateStatus(rs);
  }

  /** owned pods that still match, plus adopted orphans; owned pods that no longer match are released */
  private claimPods(rs: StoredObject): StoredObject[] {
    const ns = rs.metadata.namespace ?? '';
    const matches = selectorMatcher(specOf(rs)['selector']);
    const podType = this.ctx.type('', 'v1', 'pods');
    const out: StoredObject[] = [];
    for (const { gr, object: pod } of this.ctx.store.dependentsOf(rs.metadata.uid)) {
      if (gr !== 'pods' || controllerOf(pod)?.uid !== rs.metadata.uid) continue;
      if (matches(pod.metadata.labels) || pod.metadata.deletionTimestamp) {
        out.push(pod);
        continue;
      }
      const next = structuredClone(pod) as KubeObject;
      next.metadata.ownerReferences = (pod.metadata.ownerReferences ?? []).filter(
        (r) => r.uid !== rs.metadata.uid,
      );
      if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
      this.ctx.update(podType, pod, next);
    }
    const orphans = this.orphans.get(ns);
    if (orphans && !rs.metadata.deletionTimestamp) {
      for (const podName of [...orphans]) {
        const pod = this.ctx.store.get('pods', ns, podName);
        if (!pod || controllerOf(pod) || !podActive(pod) || !matches(pod.metadata.labels)) continue;
        const next = structuredClone(pod) as KubeObject;
        next.metadata.ownerReferences = [...(pod.metadata.ownerReferences ?? []), controllerRef(rs)];
        out.push(this.ctx.update(podType, pod, next));
        this.forgetOrphan(ns, podName);
      }
    }
    return out;
  }

  private manage(rs: StoredObject, active: StoredObject[]): void {
    const want = num(specOf(rs)['replicas'], 1);
    const diff = active.length - want;
    if (diff < 0) {
      for (let i = 0; i < Math.min(-diff, BURST); i++) {
        const pod = this.scheduler.createPod(this.newPod(rs));
        this.ctx.events.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, SOURCE);
      }
    } else if (diff > 0) {
      const podType = this.ctx.type('', 'v1', 'pods');
      for (const pod of rankForDeletion(active, this.ctx.now()).slice(0, Math.min(diff, BURST))) {
        if (this.ctx.remove(podType, pod))
          this.ctx.events.record(
            rs,
            'Normal',
            'SuccessfulDelete',
            `Deleted pod: ${pod.metadata.name}`,
            SOURCE,
          );
      }
    }
  }

  private newPod(rs: StoredObject): KubeObject {
    const ns = rs.metadata.namespace ?? '';
    const template = obj(specOf(rs)['template']);
    const tmeta = obj(template['metadata']);
    let name = '';
    do
      name = `${rs.metadata.name}-${nameSuffix(`${this.ctx.options.seed}/${rs.metadata.name}/${++this.seq}`)}`;
    while (this.ctx.store.get('pods', ns, name));
    const metadata: KubeObject['metadata'] = {
      name,
      generateName: `${rs.metadata.name}-`,
      namespace: ns,
      ownerReferences: [controllerRef(rs)],
    };
    if (tmeta['labels']) metadata.labels = structuredClone(tmeta['labels']) as Record<string, string>;
    if (tmeta['annotations'])
      metadata.annotations = structuredClone(tmeta['annotations']) as Record<string, string>;
    return { apiVersion: 'v1', kind: 'Pod', metadata, spec: structuredClone(obj(template['spec'])) };
  }

  private updateStatus(rs: StoredObject): void {
    const now = this.ctx.now();
    const minReady = num(specOf(rs)['minReadySeconds']);
    const templateLabels = obj(obj(obj(specOf(rs)['template'])['metadata'])['labels']);
    // Re-read: manage() changed the pods.
    const active: StoredObject[] = [];
    for (const { gr, object } of this.ctx.store.dependentsOf(rs.metadata.uid)) {
      if (gr === 'pods' && controllerOf(object)?.uid === rs.metadata.uid && podActive(object))
        active.push(object);
    }
    let labeled = 0;
    let ready = 0;
    let available = 0;
    let nextAvailable = Infinity;
    for (const pod of active) {
      const labels = pod.metadata.labels ?? {};
      if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v)) labeled++;
      if (!podReady(pod)) continue;
      ready++;
      if (podAvailable(pod, minReady, now)) available++;
      else {
        const since = Date.parse(str(findCondition(statusOf(pod), 'Ready')?.lastTransitionTime));
        nextAvailable = Math.min(
          nextAvailable,
          (Number.isFinite(since) ? since : now) + minReady * 1000 - now,
        );
      }
    }
    const current =
      this.ctx.store.get('replicasets.apps', rs.metadata.namespace ?? '', rs.metadata.name) ?? rs;
    this.ctx.patchStatus(this.ctx.type('apps', 'v1', 'replicasets'), current, (s) => {
      s['replicas'] = active.length;
      for (const [k, v] of [
        ['fullyLabeledReplicas', labeled],
        ['readyReplicas', ready],
        ['availableReplicas', available],
      ] as const) {
        if (v === 0) delete s[k];
        else s[k] = v;
      }
      s['observedGeneration'] = current.metadata.generation ?? 1;
    });
    if (Number.isFinite(nextAvailable)) {
      this.enqueue(rs.metadata.namespace ?? '', rs.metadata.name, Math.max(1, nextAvailable));
    }
  }
}

/** controller.ActivePods ordering: the pods a scale-down removes first come first */
export function rankForDeletion(pods: StoredObject[], now: number): StoredObject[] {
  const phaseRank: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
  const key = (p: StoredObject): number[] => {
    const status = statusOf(p);
    const readyCond = findCondition(status, 'Ready');
    const readySince = Date.parse(str(readyCond?.lastTransitionTime));
    const restarts = (
      Array.isArray(status['containerStatuses']) ? status['containerStatuses'] : []
    ).reduce<number>((n, c) => n + num(obj(c)['restartCount']), 0);
    return [
      str(specOf(p)['nodeName']) ? 1 : 0,
      phaseRank[str(status['phase'])] ?? 1,
      podReady(p) ? 1 : 0,
      // recently ready before long ready
      podReady(p) && Number.isFinite(readySince) ? now - readySince : Infinity,
      -restarts,
      -Date.parse(p.metadata.creationTimestamp),
    ];
  };
  const keys = new Map(pods.map((p) => [p, key(p)]));
  return [...pods].sort((a, b) => {
    const ka = keys.get(a) ?? [];
    const kb = keys.get(b) ?? [];
    for (let i = 0; i < ka.length; i++) {
      const d = (ka[i] ?? 0) - (kb[i] ?? 0);
      if (d !== 0 && !Number.isNaN(d)) return d;
    }
    return a.metadata.name < b.metadata.name ? 1 : -1;
  });
}
