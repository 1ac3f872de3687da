import type { KubeObject, StoredObject } from '../types.ts';
import {
  type Condition,
  conditionsOf,
  num,
  obj,
  scaledValue,
  specOf,
  statusOf,
  str,
  templateIgnoringHash,
  ts,
} from './util.ts';

/** pkg/controller/deployment/util, in small: the arithmetic and conditions of the Deployment controller. */

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED = 'deployment.kubernetes.io/desired-replicas';
export const MAX = 'deployment.kubernetes.io/max-replicas';
/** deployment annotations never copied to its ReplicaSets */
const SKIP = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  REVISION_HISTORY,
  DESIRED,
  MAX,
  'deprecated.deployment.rollback.to',
]);

export const replicas = (o: KubeObject): number => num(specOf(o)['replicas'], 1);
const rollingSpec = (d: KubeObject): Record<string, unknown> =>
  obj(obj(specOf(d)['strategy'])['rollingUpdate']);
export const isRolling = (d: KubeObject): boolean => str(obj(specOf(d)['strategy'])['type']) !== 'Recreate';
export const progressDeadline = (d: KubeObject): number => num(specOf(d)['progressDeadlineSeconds'], 600);
/** progressDeadlineSeconds is MaxInt32 when a Deployment does not want progress checks */
export const hasProgressDeadline = (d: KubeObject): boolean => progressDeadline(d) !== 2147483647;

/** ResolveFenceposts: surge rounds up, unavailable rounds down, and both 0 means unavailable 1 */
export function fenceposts(d: KubeObject): { surge: number; unavailable: number } {
  const desired = replicas(d);
  const ru = rollingSpec(d);
  const surge = scaledValue(ru['maxSurge'], desired, true, '25%');
  let unavailable = scaledValue(ru['maxUnavailable'], desired, false, '25%');
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxSurge(d: KubeObject): number {
  return isRolling(d) ? fenceposts(d).surge : 0;
}

export function maxUnavailable(d: KubeObject): number {
  if (!isRolling(d) || replicas(d) === 0) return 0;
  return Math.min(fenceposts(d).unavailable, replicas(d));
}

const rsStatus = (rs: KubeObject, field: string): number => num(statusOf(rs)[field]);
export const specSum = (rss: readonly KubeObject[]): number => rss.reduce((n, rs) => n + replicas(rs), 0);
export const actualSum = (rss: readonly KubeObject[]): number =>
  rss.reduce((n, rs) => n + rsStatus(rs, 'replicas'), 0);
const sum = (rss: readonly KubeObject[], field: string): number =>
  rss.reduce((n, rs) => n + rsStatus(rs, field), 0);

/** NewRSNewReplicas: how far the new ReplicaSet may grow now */
export function newRSNewReplicas(d: KubeObject, all: readonly KubeObject[], newRS: KubeObject): number {
  if (!isRolling(d)) return replicas(d);
  const surge = scaledValue(rollingSpec(d)['maxSurge'], replicas(d), true, '25%');
  const current = specSum(all);
  const maxTotal = replicas(d) + surge;
  if (current >= maxTotal) return replicas(newRS);
  return replicas(newRS) + Math.min(maxTotal - current, replicas(d) - replicas(newRS));
}

export function revisionOf(rs: KubeObject): number {
  const n = Number(rs.metadata.annotations?.[REVISION] ?? '');
  return Number.isInteger(n) && n > 0 ? n : 0;
}

export const byCreation = (a: StoredObject, b: StoredObject): number =>
  a.metadata.creationTimestamp === b.metadata.creationTimestamp
    ? a.metadata.name < b.metadata.name
      ? -1
      : 1
    : a.metadata.creationTimestamp < b.metadata.creationTimestamp
      ? -1
      : 1;

/** FindNewReplicaSet: the oldest ReplicaSet whose template equals the Deployment's, pod-template-hash aside */
export function findNewReplicaSet(d: KubeObject, rsList: StoredObject[]): StoredObject | undefined {
  const want = templateIgnoringHash(specOf(d)['template']);
  return [...rsList].sort(byCreation).find((rs) => templateIgnoringHash(specOf(rs)['template']) === want);
}

/** SetNewReplicaSetAnnotations: copy the Deployment's annotations, bump the revision; true when something changed */
export function setNewRSAnnotations(
  d: KubeObject,
  rs: KubeObject,
  newRevision: number,
  exists: boolean,
): boolean {
  const annotations = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (SKIP.has(k) || annotations[k] === v) continue;
    annotations[k] = v;
    changed = true;
  }
  const old = annotations[REVISION];
  const oldRevision = old === undefined ? 0 : Number(old);
  if (!Number.isInteger(oldRevision)) return changed;
  if (oldRevision < newRevision) {
    annotations[REVISION] = String(newRevision);
    changed = true;
    if (old !== undefined && oldRevision > 0) {
      const history = annotations[REVISION_HISTORY];
      annotations[REVISION_HISTORY] = history ? `${history},${old}` : old;
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicas(d), replicas(d) + maxSurge(d))) changed = true;
  return changed;
}

/** the desired-replicas and max-replicas annotations; true when they changed */
export function setReplicasAnnotations(rs: KubeObject, desired: number, max: number): boolean {
  const annotations = (rs.metadata.annotations ??= {});
  if (annotations[DESIRED] === String(desired) && annotations[MAX] === String(max)) return false;
  annotations[DESIRED] = String(desired);
  annotations[MAX] = String(max);
  return true;
}

export function newCondition(
  type: string,
  status: Condition['status'],
  reason: string,
  message: string,
  now: number,
): Condition {
  const t = ts(now);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

/** SetDeploymentCondition: no change for the same status and reason; lastTransitionTime kept for the same status */
export function setCondition(status: Record<string, unknown>, c: Condition): void {
  const conditions = conditionsOf(status);
  const current = conditions.find((x) => x.type === c.type);
  if (current && current.status === c.status && current.reason === c.reason) return;
  const next = { ...c };
  if (current && current.status === c.status && current.lastTransitionTime)
    next.lastTransitionTime = current.lastTransitionTime;
  status['conditions'] = [...conditions.filter((x) => x.type !== c.type), next];
}

export function removeCondition(status: Record<string, unknown>, type: string): void {
  status['conditions'] = conditionsOf(status).filter((x) => x.type !== type);
}

/** calculateStatus: counts from the ReplicaSets, and the Available condition */
export function calculateStatus(
  d: StoredObject,
  all: readonly KubeObject[],
  newRS: KubeObject | undefined,
  now: number,
): Record<string, unknown> {
  const available = sum(all, 'availableReplicas');
  const status: Record<string, unknown> = {
    ...structuredClone(statusOf(d)),
    observedGeneration: d.metadata.generation ?? 1,
    replicas: actualSum(all),
    updatedReplicas: newRS ? actualSum([newRS]) : 0,
    readyReplicas: sum(all, 'readyReplicas'),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, specSum(all) - available),
  };
  status['conditions'] = conditionsOf(status).map((c) => ({ ...c }));
  if (available >= replicas(d) - maxUnavailable(d)) {
    setCondition(
      status,
      newCondition(
        'Available',
        'True',
        'MinimumReplicasAvailable',
        'Deployment has minimum availability.',
        now,
      ),
    );
  } else {
    setCondition(
      status,
      newCondition(
        'Available',
        'False',
        'MinimumReplicasUnavailable',
        'Deployment does not have minimum availability.',
        now,
      ),
    );
  }
  return status;
}

export function deploymentComplete(d: KubeObject, s: Record<string, unknown>): boolean {
  const want = replicas(d);
  return (
    num(s['updatedReplicas']) === want &&
    num(s['replicas']) === want &&
    num(s['availableReplicas']) === want &&
    num(s['observedGeneration']) >= (d.metadata.generation ?? 1)
  );
}

export function deploymentProgressing(d: KubeObject, s: Record<string, unknown>): boolean {
  const old = statusOf(d);
  const oldOld = num(old['replicas']) - num(old['updatedReplicas']);
  const newOld = num(s['replicas']) - num(s['updatedReplicas']);
  return (
    num(s['updatedReplicas']) > num(old['updatedReplicas']) ||
    newOld < oldOld ||
    num(s['readyReplicas']) > num(old['readyReplicas']) ||
    num(s['availableReplicas']) > num(old['availableReplicas'])
  );
}

/** ms until the Progressing condition's deadline passes (<= 0: timed out), or undefined when there is none */
export function msUntilTimeout(d: KubeObject, now: number): number | undefined {
  const c = conditionsOf(statusOf(d)).find((x) => x.type === 'Progressing');
  if (!c || !hasProgressDeadline(d)) return undefined;
  if (c.reason === 'ProgressDeadlineExceeded') return 0;
  const from = Date.parse(str(c.lastUpdateTime));
  return Number.isFinite(from) ? from + progressDeadline(d) * 1000 - now : undefined;
}

/** the omitempty fields of DeploymentStatus go when 0 */
export function tidyStatus(s: Record<string, unknown>): Record<string, unknown> {
  for (const f of [
    'replicas',
    'updatedReplicas',
    'readyReplicas',
    'availableReplicas',
    'unavailableReplicas',
  ])
    if (s[f] === 0) delete s[f];
  return s;
}
