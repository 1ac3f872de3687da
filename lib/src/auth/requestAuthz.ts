import { FORBIDDEN } from '../errors/index.ts';
import type { Authorizer } from './authorizer.ts';
import type { Decision, ResourceAttributes, UserInfo } from './types.ts';

/** Per-request memo over an Authorizer: one request asks the same question once. */
export interface RequestAuthz {
  /** decide(attrs).allowed */
  can(attrs: ResourceAttributes): boolean;
  decide(attrs: ResourceAttributes): Decision;
  canSeeCluster(cluster: string): boolean;
  /**
   * throws FORBIDDEN unless the user may do `attrs` on a cluster they can see; the message says what was refused
   * (`message`, or the verb and resource), never why, so it tells nothing about objects the user cannot see
   */
  require(attrs: ResourceAttributes, message?: string): void;
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
  const canSeeCluster = (cluster: string): boolean => {
    let v = clusters.get(cluster);
    if (v === undefined) {
      v = authorizer.canSeeCluster(user, cluster);
      clusters.set(cluster, v);
    }
    return v;
  };
  return {
    user,
    decide,
    can: (attrs) => decide(attrs).allowed,
    canSeeCluster,
    require(attrs, message) {
      if (decide(attrs).allowed && (attrs.cluster === undefined || canSeeCluster(attrs.cluster))) return;
      const what = `${attrs.verb} ${attrs.resource}${attrs.subresource ? `/${attrs.subresource}` : ''}`;
      throw FORBIDDEN.err(message ?? `${user.name} may not ${what} here`);
    },
  };
}
