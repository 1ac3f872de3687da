import type { StoredObject } from '../types.ts';
import type { ControllerContext } from './context.ts';
import {
  actualSum,
  byCreation,
  calculateStatus,
  deploymentComplete,
  deploymentProgressing,
  hasProgressDeadline,
  maxUnavailable,
  msUntilTimeout,
  newCondition,
  newRSNewReplicas,
  removeCondition,
  replicas,
  revisionOf,
  setCondition,
  specSum,
} from './deploymentUtil.ts';
import { conditionsOf, num, specOf, statusOf } from './util.ts';

/**
 * The rollout strategies of the Deployment controller (rolling.go, recreate.go, progress.go): one step per sync,
 * scale up or scale down, never both, then the status with the Progressing condition.
 */

export interface RolloutHost {
  readonly ctx: ControllerContext;
  scaleRS(rs: StoredObject, to: number, d: StoredObject, op?: 'up' | 'down'): StoredObject;
  newAndOld(
    d: StoredObject,
    rsList: StoredObject[],
    create: boolean,
  ): { d: StoredObject; newRS: StoredObject | undefined; old: StoredObject[] };
  write(d: StoredObject, revision: string | undefined, status: Record<string, unknown>): StoredObject;
  enqueue(ns: string, name: string, afterMs?: number): void;
  removeRS(rs: StoredObject): boolean;
}

export function rolloutRolling(h: RolloutHost, d0: StoredObject, rsList: StoredObject[]): void {
  const { d, newRS, old } = h.newAndOld(d0, rsList, true);
  if (!newRS) return;
  const all = [...old, newRS];
  // Scale up, if we can.
  if (replicas(newRS) !== replicas(d)) {
    const target = replicas(newRS) > replicas(d) ? replicas(d) : newRSNewReplicas(d, all, newRS);
    const scaled = h.scaleRS(newRS, target, d);
    if (replicas(scaled) !== replicas(newRS)) return syncRolloutStatus(h, d, [...old, scaled], scaled);
  }
  // Scale down, if we can.
  const down = reconcileOld(h, d, old, newRS);
  if (down) return syncRolloutStatus(h, d, [...down, newRS], newRS);
  const rest = deploymentComplete(d, statusOf(d)) ? cleanup(h, d, old) : old;
  syncRolloutStatus(h, d, [...rest, newRS], newRS);
}

/** reconcileOldReplicaSets: unhealthy old replicas first, then down to minAvailable; the new list if scaled */
export function reconcileOld(
  h: RolloutHost,
  d: StoredObject,
  old: StoredObject[],
  newRS: StoredObject,
): StoredObject[] | undefined {
  const oldCount = specSum(old);
  if (oldCount === 0) return undefined;
  const all = [...old, newRS];
  const minAvailable = replicas(d) - maxUnavailable(d);
  const newUnavailable = replicas(newRS) - num(statusOf(newRS)['availableReplicas']);
  const maxScaledDown = specSum(all) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return undefined;
  const current = [...old].sort(byCreation);
  let cleaned = 0;
  for (let i = 0; i < current.length && cleaned < maxScaledDown; i++) {
    const rs = current[i] as StoredObject;
    const unhealthy = replicas(rs) - num(statusOf(rs)['availableReplicas']);
    if (replicas(rs) === 0 || unhealthy <= 0) continue;
    const n = Math.min(maxScaledDown - cleaned, unhealthy);
    current[i] = h.scaleRS(rs, replicas(rs) - n, d);
    cleaned += n;
  }
  // scaleDownOldReplicaSetsForRollingUpdate
  const availableNow = [...current, newRS].reduce((n, rs) => n + num(statusOf(rs)['availableReplicas']), 0);
  let scaled = 0;
  if (availableNow > minAvailable) {
    const budget = availableNow - minAvailable;
    for (let i = 0; i < current.length && scaled < budget; i++) {
      const rs = current[i] as StoredObject;
      if (replicas(rs) === 0) continue;
      const n = Math.min(replicas(rs), budget - scaled);
      current[i] = h.scaleRS(rs, replicas(rs) - n, d);
      scaled += n;
    }
  }
  return cleaned + scaled > 0 ? current : undefined;
}

export function rolloutRecreate(h: RolloutHost, d0: StoredObject, rsList: StoredObject[]): void {
  let { d, newRS, old } = h.newAndOld(d0, rsList, false);
  const active = old.filter((rs) => replicas(rs) > 0);
  if (active.length > 0) {
    const down = old.map((rs) => (replicas(rs) > 0 ? h.scaleRS(rs, 0, d) : rs));
    return syncRolloutStatus(h, d, newRS ? [...down, newRS] : down, newRS);
  }
  // Wait until every old pod is gone.
  if (actualSum(old) > 0) return syncRolloutStatus(h, d, newRS ? [...old, newRS] : old, newRS);
  if (!newRS) ({ d, newRS, old } = h.newAndOld(d, rsList, true));
  if (!newRS) return;
  const scaled = replicas(newRS) === replicas(d) ? newRS : h.scaleRS(newRS, replicas(d), d, 'up');
  const rest = deploymentComplete(d, statusOf(d)) ? cleanup(h, d, old) : old;
  syncRolloutStatus(h, d, [...rest, scaled], scaled);
}

/** revisionHistoryLimit: delete the oldest fully scaled-down ReplicaSets beyond it; returns those kept */
export function cleanup(h: RolloutHost, d: StoredObject, old: StoredObject[]): StoredObject[] {
  const limit = num(specOf(d)['revisionHistoryLimit'], 10);
  const cleanable = old.filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = cleanable.length - limit;
  if (diff <= 0) return old;
  const sorted = [...cleanable].sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
  const gone = new Set<string>();
  for (const rs of sorted.slice(0, diff)) {
    const observed = num(statusOf(rs)['observedGeneration']);
    if (num(statusOf(rs)['replicas']) !== 0 || replicas(rs) !== 0 || (rs.metadata.generation ?? 1) > observed)
      continue;
    if (h.removeRS(rs)) gone.add(rs.metadata.uid);
  }
  return old.filter((rs) => !gone.has(rs.metadata.uid));
}

/** syncRolloutStatus: counts, Available, and Progressing with its reasons and deadline */
export function syncRolloutStatus(
  h: RolloutHost,
  d: StoredObject,
  all: StoredObject[],
  newRS: StoredObject | undefined,
): void {
  const now = h.ctx.now();
  const status = calculateStatus(d, all, newRS, now);
  if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
  const current = conditionsOf(statusOf(d)).find((c) => c.type === 'Progressing');
  const complete =
    num(status['replicas']) === num(status['updatedReplicas']) &&
    current?.reason === 'NewReplicaSetAvailable';
  if (hasProgressDeadline(d) && !complete) {
    const rsName = newRS?.metadata.name;
    if (deploymentComplete(d, status)) {
      const msg = rsName
        ? `ReplicaSet "${rsName}" has successfully progressed.`
        : `Deployment "${d.metadata.name}" has successfully progressed.`;
      setCondition(status, newCondition('Progressing', 'True', 'NewReplicaSetAvailable', msg, now));
    } else if (deploymentProgressing(d, status)) {
      const msg = rsName
        ? `ReplicaSet "${rsName}" is progressing.`
        : `Deployment "${d.metadata.name}" is progressing.`;
      const c = newCondition('Progressing', 'True', 'ReplicaSetUpdated', msg, now);
      if (current?.status === 'True' && current.lastTransitionTime)
        c.lastTransitionTime = current.lastTransitionTime;
      removeCondition(status, 'Progressing');
      setCondition(status, c);
    } else if ((msUntilTimeout(d, now) ?? 1) <= 0) {
      const msg = rsName
        ? `ReplicaSet "${rsName}" has timed out progressing.`
        : `Deployment "${d.metadata.name}" has timed out progressing.`;
      setCondition(status, newCondition('Progressing', 'False', 'ProgressDeadlineExceeded', msg, now));
    }
  }
  const written = h.write(d, undefined, status);
  // requeueStuckDeployment: look again when the progress deadline would pass.
  if (!deploymentComplete(written, statusOf(written))) {
    const left = msUntilTimeout(written, now);
    if (left !== undefined && left > 0) h.enqueue(d.metadata.namespace ?? '', d.metadata.name, left + 1);
  }
}
