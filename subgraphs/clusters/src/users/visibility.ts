import type { RequestAuthz } from '@fleetgraph/lib/auth';

/**
 * Who sees a user, as ks-apiserver decides: the user themself, and whoever may `get users` (iam.kubesphere.io) at
 * platform scope (platform administrators, and platform-regular users, who pick members from the user list).
 */
export function canSeeUser(authz: RequestAuthz, name: string): boolean {
  return (
    authz.user.name === name ||
    authz.can({ verb: 'get', apiGroup: 'iam.kubesphere.io', resource: 'users', name, scope: 'global' })
  );
}

/** whether the caller may list users at platform scope (Query.users shows only the caller otherwise) */
export function canListUsers(authz: RequestAuthz): boolean {
  return authz.can({ verb: 'list', apiGroup: 'iam.kubesphere.io', resource: 'users', scope: 'global' });
}
