import type { StoredObject } from '../types.ts';
import { byCreation, DESIRED, isRolling, MAX, maxSurge, replicas, specSum } from './deploymentUtil.ts';
import { num, statusOf } from './util.ts';

/**
 * DeploymentController.scale: when spec.replicas changes in the middle of a rollout, the difference is shared
 * among the active ReplicaSets in proportion to their size (the largest first, leftovers to the largest), so that
 * a scale-up during a rollout does not all go to the new ReplicaSet.
 */

export interface ReplicaSetScaler {
  scaleRS(rs: StoredObject, to: number, d: StoredObject, op?: 'up' | 'down'): StoredObject;
}

const active = (rss: StoredObject[]): StoredObject[] => rss.filter((rs) => replicas(rs) > 0);

/** FindActiveOrLatest: the only active ReplicaSet, or the newest when none is active; undefined for several */
function activeOrLatest(newRS: StoredObject | undefined, old: StoredObject[]): StoredObject | undefined {
  if (!newRS && old.length === 0) return undefined;
  const newestFirst = [...old].sort((a, b) => byCreation(b, a));
  const all = active(newRS ? [...newestFirst, newRS] : newestFirst);
  if (all.length === 0) return newRS ?? newestFirst[0];
  return all.length === 1 ? all[0] : undefined;
}

function saturated(d: StoredObject, rs: StoredObject | undefined): boolean {
  if (!rs) return false;
  return (
    rs.metadata.annotations?.[DESIRED] === String(replicas(d)) &&
    replicas(rs) === replicas(d) &&
    num(statusOf(rs)['availableReplicas']) === replicas(d)
  );
}

/** getReplicaSetFraction: this ReplicaSet's share of a change of the Deployment's size */
function fraction(rs: StoredObject, d: StoredObject): number {
  if (replicas(d) === 0) return -replicas(rs);
  const max = replicas(d) + maxSurge(d);
  let before = Number(rs.metadata.annotations?.[MAX] ?? '');
  if (!Number.isInteger(before) || before === 0) before = num(statusOf(d)['replicas']);
  if (before === 0) return 0;
  return roundHalfAway((replicas(rs) * max) / before) - replicas(rs);
}

const roundHalfAway = (x: number): number => Math.sign(x) * Math.round(Math.abs(x));

/** scale the ReplicaSets of a Deployment to its new size; returns every ReplicaSet as now stored */
export function proportionalScale(
  c: ReplicaSetScaler,
  d: StoredObject,
  newRS: StoredObject | undefined,
  old: StoredObject[],
): StoredObject[] {
  const all = newRS ? [...old, newRS] : [...old];
  const replace = (from: StoredObject, to: StoredObject): StoredObject[] =>
    all.map((rs) => (rs === from ? to : rs));
  const only = activeOrLatest(newRS, old);
  if (only) {
    if (replicas(only) === replicas(d)) return all;
    return replace(only, c.scaleRS(only, replicas(d), d));
  }
  if (saturated(d, newRS)) {
    let out = all;
    for (const rs of active(old)) out = out.map((x) => (x === rs ? c.scaleRS(rs, 0, d) : x));
    return out;
  }
  if (!isRolling(d)) return all;
  const actives = active(all);
  const allowed = replicas(d) > 0 ? replicas(d) + maxSurge(d) : 0;
  const toAdd = allowed - specSum(actives);
  const up = toAdd > 0;
  // ReplicaSetsBySizeNewer when scaling up, BySizeOlder when scaling down
  actives.sort((a, b) => replicas(b) - replicas(a) || (up ? byCreation(b, a) : byCreation(a, b)));
  const sizes = new Map<StoredObject, number>();
  let added = 0;
  for (const rs of actives) {
    let proportion = 0;
    if (toAdd !== 0 && replicas(rs) !== 0 && toAdd !== added) {
      const share = fraction(rs, d);
      const allowedNow = toAdd - added;
      proportion = up ? Math.min(share, allowedNow) : Math.max(share, allowedNow);
    }
    sizes.set(rs, replicas(rs) + proportion);
    added += proportion;
  }
  let out = all;
  actives.forEach((rs, i) => {
    let size = sizes.get(rs) ?? replicas(rs);
    if (i === 0 && toAdd !== 0) size = Math.max(0, size + toAdd - added);
    const op = toAdd > 0 ? 'up' : toAdd < 0 ? 'down' : undefined;
    out = out.map((x) => (x === rs ? c.scaleRS(rs, size, d, op) : x));
  });
  return out;
}
