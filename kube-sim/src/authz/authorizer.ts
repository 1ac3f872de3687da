import type { IncomingMessage } from 'node:http';

import type { KubeApi } from '../api.ts';
import { isClusterAdmin, type UserInfo } from '../auth.ts';
import { type Attributes, forbiddenError, requestAttributes } from './attributes.ts';
import { aggregateClusterRoles } from './aggregation.ts';
import { bootstrapPolicy } from './bootstrap.ts';
import { impersonate } from './impersonation.ts';
import { authorizeRbac, type Decision, PolicyIndex, userRules, type UserRules } from './rbac.ts';

/**
 * Authorization of one cluster, as kube-apiserver runs it with --authorization-mode=RBAC: the system:masters
 * group is always allowed (the privileged-group authorizer), everyone else is allowed what RBAC grants.
 */
export class Authorizer {
  private readonly index: PolicyIndex;
  private aggregationQueued = false;

  /** seeds the bootstrap policy (authz/bootstrap.ts) into the cluster's store */
  constructor(private readonly api: KubeApi) {
    this.index = new PolicyIndex(api.store, () => this.queueAggregation());
    for (const obj of bootstrapPolicy()) {
      const type = api.registry.forKind(String(obj.apiVersion), String(obj.kind));
      if (!type) throw new Error(`kube-sim: no type for ${String(obj.kind)}`);
      api.create({ type, namespace: '', name: obj.metadata.name }, obj, { trusted: true });
    }
    this.sync();
  }

  /**
   * A ClusterRole was written: aggregate once the write that did it is over (in a microtask, so a commit never
   * nests inside another and watchers see every change in order), as the aggregation controller follows writes.
   */
  private queueAggregation(): void {
    if (this.aggregationQueued) return;
    this.aggregationQueued = true;
    queueMicrotask(() => this.sync());
  }

  /** re-aggregate ClusterRoles if one was written; also runs before every authorization */
  sync(): void {
    this.aggregationQueued = false;
    if (!this.index.takeRoleChange()) return;
    try {
      aggregateClusterRoles(this.api);
    } catch (err) {
      console.error('kube-sim: ClusterRole aggregation failed:', err);
    }
    // its own writes are already aggregated
    this.index.takeRoleChange();
  }

  authorize(a: Attributes): Decision {
    if (isClusterAdmin(a.user)) return { allowed: true, reason: '' };
    this.sync();
    return authorizeRbac(this.index, a);
  }

  /** the user the request acts as, after impersonation (400 or 403 when it may not) */
  effectiveUser(requester: UserInfo, req: IncomingMessage): UserInfo {
    return impersonate(requester, req.headersDistinct, (a) => this.authorize(a));
  }

  /** throws the apiserver's 403 unless `user` may make this request */
  check(user: UserInfo, method: string, url: URL): void {
    if (isClusterAdmin(user)) return;
    const a = requestAttributes(user, method, url);
    const d = this.authorize(a);
    if (!d.allowed) throw forbiddenError(a, d.reason);
  }

  /** every rule granted to `user` in `namespace` (SelfSubjectRulesReview) */
  rulesFor(user: UserInfo, namespace: string): UserRules {
    this.sync();
    return userRules(this.index, user, namespace);
  }
}
