import type { KubeObject, StoredObject } from '../types.ts';
import type { ControllerContext } from './context.ts';
import {
  calculateStatus,
  DESIRED,
  findNewReplicaSet,
  hasProgressDeadline,
  isRolling,
  maxSurge,
  newCondition,
  newRSNewReplicas,
  replicas,
  REVISION,
  revisionOf,
  setCondition,
  setNewRSAnnotations,
  setReplicasAnnotations,
  tidyStatus,
} from './deploymentUtil.ts';
import { cleanup, rolloutRecreate, rolloutRolling, type RolloutHost } from './deploymentRollout.ts';
import { proportionalScale } from './deploymentScale.ts';
import {
  conditionsOf,
  controllerOf,
  controllerRef,
  num,
  obj,
  selectorMatcher,
  specOf,
  statusOf,
  templateHash,
} from './util.ts';

/**
 * The Deployment controller (pkg/controller/deployment): ReplicaSets named `<deployment>-<pod-template-hash>`,
 * RollingUpdate within maxSurge/maxUnavailable and Recreate, proportional scaling, pause, revisions and
 * revisionHistoryLimit, and status with the Available and Progressing conditions, step for step as the real
 * controller takes them. A ReplicaSet it already owns whose template matches (pod-template-hash aside) is the new
 * one, so seeded Deployments are adopted as they are, without a new rollout.
 */

const SOURCE = { component: 'deployment-controller' };

export class DeploymentController implements RolloutHost {
  /** namespace → names of ReplicaSets without a controller */
  private readonly orphans = new Map<string, Set<string>>();

  constructor(readonly ctx: ControllerContext) {}

  private get rsType() {
    return this.ctx.type('apps', 'v1', 'replicasets');
  }

  private get type() {
    return this.ctx.type('apps', 'v1', 'deployments');
  }

  start(): void {
    this.ctx.watch('deployments.apps', (type, d) => {
      if (type !== 'DELETED') this.enqueue(d.metadata.namespace ?? '', d.metadata.name);
    });
    this.ctx.watch('replicasets.apps', (type, rs) => {
      const ns = rs.metadata.namespace ?? '';
      const ref = controllerOf(rs);
      const set = this.orphans.get(ns);
      if (ref || type === 'DELETED') {
        if (set?.delete(rs.metadata.name) && set.size === 0) this.orphans.delete(ns);
        if (ref?.kind === 'Deployment') this.enqueue(ns, ref.name);
        return;
      }
      if (set?.has(rs.metadata.name)) return;
      this.orphans.set(ns, (set ?? new Set()).add(rs.metadata.name));
      for (const d of this.ctx.store.list('deployments.apps', ns))
        if (selectorMatcher(specOf(d)['selector'])(rs.metadata.labels)) this.enqueue(ns, d.metadata.name);
    });
  }

  enqueue(ns: string, name: string, afterMs = 0): void {
    const key = `deployment/${ns}/${name}`;
    const work = (): void => this.sync(ns, name);
    if (afterMs > 0) this.ctx.queue.addAfter(key, afterMs, work);
    else this.ctx.queue.add(key, work);
  }

  private get now(): number {
    return this.ctx.now();
  }

  private sync(ns: string, name: string): void {
    let d = this.ctx.store.get('deployments.apps', ns, name);
    if (!d) return;
    if (!hasSelector(d)) {
      this.ctx.events.record(
        d,
        'Warning',
        'SelectingAll',
        'This deployment will select all pods. A non-empty selector is required.',
        SOURCE,
      );
      this.ctx.patchStatus(this.type, d, (s) => (s['observedGeneration'] = d?.metadata.generation ?? 1));
      return;
    }
    const rsList = this.replicaSetsFor(d);
    if (d.metadata.deletionTimestamp) return void this.syncStatusOnly(d, rsList);
    d = this.checkPausedConditions(d);
    if (specOf(d)['paused'] === true || this.isScalingEvent(d, rsList)) return void this.syncScale(d, rsList);
    if (isRolling(d)) rolloutRolling(this, d, rsList);
    else rolloutRecreate(this, d, rsList);
  }

  /** owned ReplicaSets that still match; orphans that match are adopted, owned ones that do not are released */
  private replicaSetsFor(d: StoredObject): StoredObject[] {
    const ns = d.metadata.namespace ?? '';
    const matches = selectorMatcher(specOf(d)['selector']);
    const out: StoredObject[] = [];
    for (const { gr, object: rs } of this.ctx.store.dependentsOf(d.metadata.uid)) {
      if (gr !== 'replicasets.apps' || controllerOf(rs)?.uid !== d.metadata.uid) continue;
      if (matches(rs.metadata.labels)) out.push(rs);
      else this.setOwner(rs, (refs) => refs.filter((r) => r.uid !== d.metadata.uid));
    }
    if (!d.metadata.deletionTimestamp) {
      for (const rsName of [...(this.orphans.get(ns) ?? [])]) {
        const rs = this.ctx.store.get('replicasets.apps', ns, rsName);
        if (rs && !controllerOf(rs) && !rs.metadata.deletionTimestamp && matches(rs.metadata.labels))
          out.push(this.setOwner(rs, (refs) => [...refs, controllerRef(d)]));
      }
    }
    return out;
  }

  private setOwner(
    rs: StoredObject,
    change: (
      refs: NonNullable<KubeObject['metadata']['ownerReferences']>,
    ) => NonNullable<KubeObject['metadata']['ownerReferences']>,
  ): StoredObject {
    const next = structuredClone(rs) as KubeObject;
    const refs = change(rs.metadata.ownerReferences ?? []);
    if (refs.length) next.metadata.ownerReferences = refs;
    else delete next.metadata.ownerReferences;
    return this.ctx.update(this.rsType, rs, next);
  }

  /** write the Deployment's revision annotation (main resource) and then its status */
  write(d: StoredObject, revision: string | undefined, status: Record<string, unknown>): StoredObject {
    let current = d;
    if (revision !== undefined && d.metadata.annotations?.[REVISION] !== revision) {
      const next = structuredClone(d) as KubeObject;
      next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [REVISION]: revision };
      current = this.ctx.update(this.type, d, next);
    }
    return this.ctx.patchStatus(this.type, current, (s) => {
      for (const k of Object.keys(s)) delete s[k];
      Object.assign(s, tidyStatus(structuredClone(status)));
    });
  }

  private checkPausedConditions(d: StoredObject): StoredObject {
    if (!hasProgressDeadline(d)) return d;
    const paused = specOf(d)['paused'] === true;
    const cond = conditionsOf(statusOf(d)).find((c) => c.type === 'Progressing');
    const pausedNow = cond?.reason === 'DeploymentPaused';
    if (paused === pausedNow) return d;
    const status = structuredClone(statusOf(d));
    const c = paused
      ? newCondition('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', this.now)
      : newCondition('Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed', this.now);
    setCondition(status, c);
    return this.write(d, undefined, status);
  }

  private isScalingEvent(d: StoredObject, rsList: StoredObject[]): boolean {
    for (const rs of rsList) {
      if (replicas(rs) === 0) continue;
      const desired = rs.metadata.annotations?.[DESIRED];
      if (desired !== undefined && Number(desired) !== replicas(d)) return true;
    }
    return false;
  }

  /** getAllReplicaSetsAndSyncRevision: the new ReplicaSet (created on request) and the old ones */
  newAndOld(
    d: StoredObject,
    rsList: StoredObject[],
    create: boolean,
  ): { d: StoredObject; newRS: StoredObject | undefined; old: StoredObject[] } {
    const existing = findNewReplicaSet(d, rsList);
    const old = rsList.filter((rs) => rs !== existing);
    const revision = Math.max(0, ...old.map(revisionOf)) + 1;
    if (existing) {
      const copy = structuredClone(existing) as KubeObject;
      const annotationsChanged = setNewRSAnnotations(d, copy, revision, true);
      const minReady = num(specOf(d)['minReadySeconds']);
      if (annotationsChanged || num(specOf(copy)['minReadySeconds']) !== minReady) {
        const spec = obj(copy['spec']);
        if (minReady) spec['minReadySeconds'] = minReady;
        else delete spec['minReadySeconds'];
        // The update wakes this Deployment again, which then finds the annotations in place.
        return { d, newRS: this.ctx.update(this.rsType, existing, copy), old };
      }
      const status = structuredClone(statusOf(d));
      if (hasProgressDeadline(d) && !conditionsOf(status).some((c) => c.type === 'Progressing')) {
        setCondition(
          status,
          newCondition(
            'Progressing',
            'True',
            'FoundNewReplicaSet',
            `Found new replica set "${existing.metadata.name}"`,
            this.now,
          ),
        );
      }
      const rev = existing.metadata.annotations?.[REVISION];
      const changed =
        JSON.stringify(status) !== JSON.stringify(statusOf(d)) ||
        (rev !== undefined && d.metadata.annotations?.[REVISION] !== rev);
      return { d: changed ? this.write(d, rev, status) : d, newRS: existing, old };
    }
    if (!create) return { d, newRS: undefined, old };
    const template = structuredClone(obj(specOf(d)['template']));
    const collisionCount = statusOf(d)['collisionCount'];
    const hash = templateHash(template, typeof collisionCount === 'number' ? collisionCount : undefined);
    const tmeta = obj((template['metadata'] ??= {}));
    const labels = { ...obj(tmeta['labels']), 'pod-template-hash': hash } as Record<string, string>;
    tmeta['labels'] = labels;
    const selector = structuredClone(obj(specOf(d)['selector']));
    selector['matchLabels'] = { ...obj(selector['matchLabels']), 'pod-template-hash': hash };
    const rs: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace ?? '',
        labels,
        ownerReferences: [controllerRef(d)],
      },
      spec: {
        replicas: 0,
        selector,
        template,
        ...(num(specOf(d)['minReadySeconds']) ? { minReadySeconds: num(specOf(d)['minReadySeconds']) } : {}),
      },
      status: { replicas: 0 },
    };
    const count = newRSNewReplicas(d, [...old, rs], rs);
    obj(rs['spec'])['replicas'] = count;
    setNewRSAnnotations(d, rs, revision, false);
    const created = this.ctx.create(this.rsType, rs);
    if (count > 0)
      this.ctx.events.record(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${created.metadata.name} from 0 to ${count}`,
        SOURCE,
      );
    const status = structuredClone(statusOf(d));
    if (hasProgressDeadline(d)) {
      setCondition(
        status,
        newCondition(
          'Progressing',
          'True',
          'NewReplicaSetCreated',
          `Created new replica set "${created.metadata.name}"`,
          this.now,
        ),
      );
    }
    return { d: this.write(d, String(revision), status), newRS: created, old };
  }

  /** scaleReplicaSet: size and the desired/max annotations; returns the ReplicaSet as stored */
  scaleRS(rs: StoredObject, to: number, d: StoredObject, op?: 'up' | 'down'): StoredObject {
    const from = replicas(rs);
    const copy = structuredClone(rs) as KubeObject;
    const annotationsChanged = setReplicasAnnotations(copy, replicas(d), replicas(d) + maxSurge(d));
    if (from === to && !annotationsChanged) return rs;
    obj(copy['spec'])['replicas'] = to;
    const written = this.ctx.update(this.rsType, rs, copy);
    if (from !== to) {
      const how = op ?? (to > from ? 'up' : 'down');
      this.ctx.events.record(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${how} replica set ${rs.metadata.name} from ${from} to ${to}`,
        SOURCE,
      );
    }
    return written;
  }

  removeRS(rs: StoredObject): boolean {
    return this.ctx.remove(this.rsType, rs);
  }

  private syncScale(d: StoredObject, rsList: StoredObject[]): void {
    const r = this.newAndOld(d, rsList, false);
    const scaled = proportionalScale(this, r.d, r.newRS, r.old);
    const newRS = scaled.find((rs) => rs.metadata.uid === r.newRS?.metadata.uid);
    let old = scaled.filter((rs) => rs !== newRS);
    if (specOf(r.d)['paused'] === true) old = cleanup(this, r.d, old);
    this.syncStatusOnly(r.d, newRS ? [...old, newRS] : old, newRS);
  }

  private syncStatusOnly(d: StoredObject, all: StoredObject[], newRS?: StoredObject): void {
    const status = calculateStatus(d, all, newRS ?? findNewReplicaSet(d, all), this.now);
    this.write(d, undefined, status);
  }
}

function hasSelector(d: KubeObject): boolean {
  const sel = obj(specOf(d)['selector']);
  return (
    Object.keys(obj(sel['matchLabels'])).length > 0 ||
    (Array.isArray(sel['matchExpressions']) && sel['matchExpressions'].length > 0)
  );
}
