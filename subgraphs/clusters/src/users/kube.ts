import type { FleetAccess, HostInformer } from '@fleetgraph/lib/auth';
import { collectionPath, gvrString, type KubernetesObject } from '@fleetgraph/lib/kube';
import type { DomainSource } from '@fleetgraph/lib/subgraph';
import type { Logger } from '@fleetgraph/lib/telemetry';

import type { UserModel, UserStateValue } from './model.ts';

/** KubeSphere's Users (iam.kubesphere.io/v1beta1, cluster-scoped, on the host): the users feature's only Kubernetes-aware file. */

const USERS = { group: 'iam.kubesphere.io', version: 'v1beta1', resource: 'users' };
export const GLOBAL_ROLE_ANNOTATION = 'iam.kubesphere.io/globalrole';

interface UserObject extends KubernetesObject {
  spec?: { email?: string; displayName?: string };
  status?: { state?: string };
}

const STATES: Record<string, UserStateValue> = {
  Active: 'ACTIVE',
  Disabled: 'DISABLED',
  AuthLimitExceeded: 'AUTH_LIMIT_EXCEEDED',
};

export function toUser(o: UserObject): UserModel {
  return {
    name: o.metadata?.name ?? '',
    email: o.spec?.email ?? null,
    displayName: o.spec?.displayName ?? null,
    // a User that KubeSphere's controller has not activated yet has no state: it cannot log in yet
    state: STATES[o.status?.state ?? ''] ?? 'DISABLED',
    globalRole: o.metadata?.annotations?.[GLOBAL_ROLE_ANNOTATION] ?? null,
    createdAt: new Date(o.metadata?.creationTimestamp ?? 0).toISOString(),
  };
}

export interface UserSource extends DomainSource {
  get(name: string): UserModel | undefined;
  /** every user, by name */
  list(): UserModel[];
}

export function createUserSource(fleet: FleetAccess, log: Logger): UserSource {
  const users: HostInformer<UserObject> = fleet.hostInformer<UserObject>({
    path: collectionPath(USERS),
    log: log.child({ gvr: gvrString(USERS) }),
  });
  return {
    name: 'usersSettled',
    start: () => users.start(),
    synced: () => users.settled(),
    stop: () => users.stop(),
    get(name) {
      const o = users.get(name);
      return o ? toUser(o) : undefined;
    },
    list: () =>
      users
        .list()
        .map(toUser)
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}
