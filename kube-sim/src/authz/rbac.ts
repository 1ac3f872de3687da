import type { UserInfo } from '../auth.ts';
import { isObject } from '../objects.ts';
import type { ObjectStore, WatchSink } from '../store.ts';
import type { StoredObject } from '../types.ts';
import type { Attributes } from './attributes.ts';
import { type PolicyRule, ruleAllows, rulesOf } from './rules.ts';

/**
 * The RBAC authorizer (k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac), reading Roles, ClusterRoles and their
 * bindings from the cluster's own store. Bindings are indexed by subject, and the index is rebuilt only after a
 * binding was written (the index watches the store in-process, like the apiserver's informers); roles are read
 * by name, their parsed rules cached per stored state.
 */

export const RBAC_GROUP = 'rbac.authorization.k8s.io';
export const ROLES = `roles.${RBAC_GROUP}`;
export const CLUSTER_ROLES = `clusterroles.${RBAC_GROUP}`;
export const ROLE_BINDINGS = `rolebindings.${RBAC_GROUP}`;
export const CLUSTER_ROLE_BINDINGS = `clusterrolebindings.${RBAC_GROUP}`;
const RBAC_KINDS = [ROLES, CLUSTER_ROLES, ROLE_BINDINGS, CLUSTER_ROLE_BINDINGS] as const;

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

interface Binding {
  kind: 'ClusterRoleBinding' | 'RoleBinding';
  name: string;
  /** '' for a ClusterRoleBinding */
  namespace: string;
  roleKind: string;
  roleName: string;
  subjects: Subject[];
}

/** a binding that applies to a user, through its subject at `subject` */
interface Match {
  binding: Binding;
  subject: number;
}

export interface Decision {
  allowed: boolean;
  /** "RBAC: allowed by …" when allowed; the evaluation errors (missing roles) otherwise, or '' */
  reason: string;
}

export interface UserRules {
  rules: PolicyRule[];
  errors: string[];
}

const SA_PREFIX = 'system:serviceaccount:';

function toBinding(kind: Binding['kind'], obj: StoredObject): Binding {
  const ref = isObject(obj['roleRef']) ? obj['roleRef'] : {};
  const subjects: Subject[] = [];
  for (const s of Array.isArray(obj['subjects']) ? obj['subjects'] : []) {
    if (!isObject(s)) continue;
    const subject: Subject = { kind: String(s['kind'] ?? ''), name: String(s['name'] ?? '') };
    if (typeof s['namespace'] === 'string' && s['namespace'] !== '') subject.namespace = s['namespace'];
    subjects.push(subject);
  }
  return {
    kind,
    name: obj.metadata.name,
    namespace: obj.metadata.namespace ?? '',
    roleKind: String(ref['kind'] ?? ''),
    roleName: String(ref['name'] ?? ''),
    subjects,
  };
}

/** the user name a subject stands for ('u:' prefix) or the group ('g:'); undefined if it can match no one */
function subjectKey(s: Subject, bindingNamespace: string): string | undefined {
  switch (s.kind) {
    case 'User':
      return `u:${s.name}`;
    case 'Group':
      return `g:${s.name}`;
    case 'ServiceAccount': {
      // A RoleBinding's ServiceAccount subject defaults to the binding's namespace; a ClusterRoleBinding's cannot.
      const ns = s.namespace ?? bindingNamespace;
      return ns === '' ? undefined : `u:${SA_PREFIX}${ns}:${s.name}`;
    }
    default:
      return undefined;
  }
}

function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount')
    return `${s.kind} ${JSON.stringify(`${s.name}/${s.namespace ?? bindingNamespace}`)}`;
  return `${s.kind} ${JSON.stringify(s.name)}`;
}

/** "ClusterRoleBinding "x" of ClusterRole "y" to User "alice"" (rbac's binding describers) */
function describe(m: Match): string {
  const b = m.binding;
  const name = b.kind === 'RoleBinding' ? `${b.name}/${b.namespace}` : b.name;
  const subject = b.subjects[m.subject];
  const to = subject ? describeSubject(subject, b.namespace) : '';
  return `${b.kind} ${JSON.stringify(name)} of ${b.roleKind} ${JSON.stringify(b.roleName)} to ${to}`;
}

type SubjectIndex = Map<string, Match[]>;

function addTo(index: SubjectIndex, binding: Binding): void {
  const seen = new Set<string>();
  binding.subjects.forEach((s, i) => {
    const key = subjectKey(s, binding.namespace);
    // appliesTo picks the first subject that matches, so only the first subject per key is indexed.
    if (key === undefined || seen.has(key)) return;
    seen.add(key);
    const list = index.get(key);
    if (list) list.push({ binding, subject: i });
    else index.set(key, [{ binding, subject: i }]);
  });
}

export class PolicyIndex {
  /** ClusterRoleBindings were written since the cluster index was built */
  private clusterDirty = true;
  /** namespaces whose RoleBindings were written since their index was built */
  private readonly dirtyNamespaces = new Set<string>();
  private rolesDirty = true;
  private cluster: SubjectIndex = new Map();
  private readonly byNamespace = new Map<string, SubjectIndex>();

  /** `onRoleChange` runs (synchronously, inside the store's commit) when a ClusterRole is written */
  constructor(
    private readonly store: ObjectStore,
    onRoleChange: () => void,
  ) {
    // In-process watchers: not counted, not closed and not dropped by the client-facing watch faults.
    for (const gr of RBAC_KINDS) {
      const sink: WatchSink = {
        gr,
        internal: true,
        matches: () => true,
        send: (_type, obj) => {
          if (gr === CLUSTER_ROLE_BINDINGS) this.clusterDirty = true;
          if (gr === ROLE_BINDINGS) this.dirtyNamespaces.add(obj.metadata.namespace ?? '');
          if (gr === CLUSTER_ROLES) {
            this.rolesDirty = true;
            onRoleChange();
          }
        },
        close: () => undefined,
      };
      store.watch(sink, store.resourceVersion);
    }
    for (const rb of store.list(ROLE_BINDINGS)) this.dirtyNamespaces.add(rb.metadata.namespace ?? '');
  }

  /** true (once) when a ClusterRole was written since the last call */
  takeRoleChange(): boolean {
    const dirty = this.rolesDirty;
    this.rolesDirty = false;
    return dirty;
  }

  /** re-index what was written since the last lookup: the ClusterRoleBindings, or one namespace's RoleBindings */
  private refresh(): void {
    if (this.clusterDirty) {
      this.clusterDirty = false;
      this.cluster = new Map();
      for (const obj of this.store.list(CLUSTER_ROLE_BINDINGS))
        addTo(this.cluster, toBinding('ClusterRoleBinding', obj));
    }
    for (const ns of this.dirtyNamespaces) {
      const index: SubjectIndex = new Map();
      for (const obj of this.store.list(ROLE_BINDINGS, ns)) addTo(index, toBinding('RoleBinding', obj));
      if (index.size) this.byNamespace.set(ns, index);
      else this.byNamespace.delete(ns);
    }
    this.dirtyNamespaces.clear();
  }

  /** the bindings that apply to a user, ClusterRoleBindings first, each sorted by name */
  bindingsFor(user: UserInfo, namespace: string): Match[] {
    this.refresh();
    const keys = [`u:${user.username}`, ...user.groups.map((g) => `g:${g}`)];
    const collect = (index: SubjectIndex | undefined): Match[] => {
      if (!index) return [];
      const found = new Map<Binding, Match>();
      for (const key of keys) {
        for (const m of index.get(key) ?? []) {
          const prior = found.get(m.binding);
          if (!prior || m.subject < prior.subject) found.set(m.binding, m);
        }
      }
      return [...found.values()].sort((a, b) => (a.binding.name < b.binding.name ? -1 : 1));
    };
    return [...collect(this.cluster), ...(namespace ? collect(this.byNamespace.get(namespace)) : [])];
  }

  /** the rules a binding grants, or the error the apiserver reports for a role that is not there */
  rulesFor(m: Match): readonly PolicyRule[] | string {
    const { roleKind, roleName, namespace } = m.binding;
    if (roleKind === 'ClusterRole') {
      const role = this.store.get(CLUSTER_ROLES, '', roleName);
      return role ? rulesOf(role) : `clusterrole.${RBAC_GROUP} ${JSON.stringify(roleName)} not found`;
    }
    if (roleKind === 'Role') {
      const role = namespace ? this.store.get(ROLES, namespace, roleName) : undefined;
      return role ? rulesOf(role) : `role.${RBAC_GROUP} ${JSON.stringify(roleName)} not found`;
    }
    return `unsupported role reference kind: ${JSON.stringify(roleKind)}`;
  }
}

/** utilerrors.NewAggregate(errs).Error() */
export function aggregateErrors(errors: readonly string[]): string {
  if (errors.length === 0) return '';
  return errors.length === 1 ? (errors[0] ?? '') : `[${errors.join(', ')}]`;
}

/** RBACAuthorizer.Authorize: the first rule that allows wins; errors only matter when none does */
export function authorizeRbac(index: PolicyIndex, a: Attributes): Decision {
  const namespace = a.resourceRequest ? a.namespace : '';
  const errors: string[] = [];
  for (const m of index.bindingsFor(a.user, namespace)) {
    const rules = index.rulesFor(m);
    if (typeof rules === 'string') {
      errors.push(rules);
      continue;
    }
    if (rules.some((r) => ruleAllows(a, r)))
      return { allowed: true, reason: `RBAC: allowed by ${describe(m)}` };
  }
  return { allowed: false, reason: errors.length ? `RBAC: ${aggregateErrors(errors)}` : '' };
}

/** RBACAuthorizer.RulesFor: every rule granted to a user in a namespace (cluster-wide ones included) */
export function userRules(index: PolicyIndex, user: UserInfo, namespace: string): UserRules {
  const out: UserRules = { rules: [], errors: [] };
  for (const m of index.bindingsFor(user, namespace)) {
    const rules = index.rulesFor(m);
    if (typeof rules === 'string') out.errors.push(rules);
    else out.rules.push(...rules);
  }
  return out;
}
