import type { Authorizer } from './authorizer.ts';
import type { Decision, ResourceAttributes, UserInfo } from './types.ts';

/** Per-request memo over an Authorizer: one request asks the same question once. */
export interface RequestAuthz {
  /** decide(attrs).allowed */
  can(attrs: ResourceAttributes): boolean;
  decide(attrs: ResourceAttributes): Decision;
  canSeeCluster(cluster: string): boolean;
  readonly user: UserInfo;
}

function keyOf(a: ResourceAttributes): string {
  return JSON.stringify([
    a.verb,
    a.apiGroup,
    a.resource,
    a.subresource ?? '',
    a.name ?? '',
    a.scope,
    a.cluster ?? '',
    a.workspace ?? '',
    a.namespace ?? '',
  ]);
}

/** Make one per request (GraphQL context); answers are cached for the life of the object, so do not keep it longer. */
export function createRequestAuthz(authorizer: Authorizer, user: UserInfo): RequestAuthz {
  const decisions = new Map<string, Decision>();
  const clusters = new Map<string, boolean>();
  const decide = (attrs: ResourceAttributes): Decision => {
    const key = keyOf(attrs);
    let d = decisions.get(key);
    if (!d) {
      d = authorizer.authorize(user, attrs);
      decisions.set(key, d);
    }
    return d;
  };
  return {
    user,
    decide,
    can: (attrs) => decide(attrs).allowed,
    canSeeCluster(cluster) {
      let v = clusters.get(cluster);
      if (v === undefined) {
        v = authorizer.canSeeCluster(user, cluster);
        clusters.set(cluster, v);
      }
      return v;
    },
  };
}
