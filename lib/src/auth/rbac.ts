import type { ResourceAttributes, UserInfo } from './types.ts';

/**
 * Kubernetes RBAC rule and subject matching (k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac, rbac/v1 helpers),
 * as KubeSphere's RBAC authorizer reuses it for GlobalRoles and WorkspaceRoles. Pure functions over plain objects.
 */

export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface RbacSubject {
  kind?: string;
  apiGroup?: string;
  name?: string;
  namespace?: string;
}

export interface RoleRef {
  apiGroup?: string;
  kind?: string;
  name?: string;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** the parts of a role object rule resolution reads (Role, ClusterRole, GlobalRole, WorkspaceRole) */
export interface RoleLike {
  metadata?: { name?: string; labels?: Record<string, string> };
  rules?: PolicyRule[];
  /** Kubernetes ClusterRole aggregation */
  aggregationRule?: { clusterRoleSelectors?: LabelSelector[] };
  /** KubeSphere: rules are the union of these RoleTemplates' spec.rules */
  aggregationRoleTemplates?: { templateNames?: string[]; roleSelector?: LabelSelector };
}

/** the parts of a binding object matching reads (RoleBinding, ClusterRoleBinding, GlobalRoleBinding, ...) */
export interface BindingLike {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  subjects?: RbacSubject[];
  roleRef?: RoleRef;
}

const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

const has = (list: readonly string[] | undefined, value: string): boolean =>
  !!list && (list.includes('*') || list.includes(value));

/** rbac/v1 VerbMatches */
export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return has(rule.verbs, verb);
}

/** rbac/v1 APIGroupMatches ('' is the core group) */
export function apiGroupMatches(rule: PolicyRule, apiGroup: string): boolean {
  return has(rule.apiGroups, apiGroup);
}

/**
 * rbac/v1 ResourceMatches: '*' matches every resource and subresource; 'pods' matches only pods, not pods/log;
 * 'pods/log' matches that subresource; '*\/scale' matches the scale subresource of any resource.
 */
export function resourceMatches(rule: PolicyRule, resource: string, subresource?: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  for (const r of rule.resources ?? []) {
    if (r === '*' || r === combined) return true;
    if (subresource && r.startsWith('*/') && r.slice(2) === subresource) return true;
  }
  return false;
}

/** rbac/v1 ResourceNameMatches: no resourceNames means any name; otherwise the request must name one of them */
export function resourceNameMatches(rule: PolicyRule, name?: string): boolean {
  if (!rule.resourceNames?.length) return true;
  return !!name && rule.resourceNames.includes(name);
}

/** one rule allows the (resource) request; nonResourceURLs rules never match a resource request */
export function ruleAllows(rule: PolicyRule, attrs: ResourceAttributes): boolean {
  return (
    verbMatches(rule, attrs.verb) &&
    apiGroupMatches(rule, attrs.apiGroup) &&
    resourceMatches(rule, attrs.resource, attrs.subresource) &&
    resourceNameMatches(rule, attrs.name)
  );
}

export function rulesAllow(rules: readonly PolicyRule[], attrs: ResourceAttributes): boolean {
  return rules.some((r) => ruleAllows(r, attrs));
}

/**
 * The index keys a user answers to: `User:<name>`, `Group:<group>` for each group, and
 * `ServiceAccount:<ns>:<name>` when the name is `system:serviceaccount:<ns>:<name>`.
 */
export function subjectKeysOf(user: UserInfo): string[] {
  const keys = [`User:${user.name}`, ...user.groups.map((g) => `Group:${g}`)];
  if (user.name.startsWith(SERVICE_ACCOUNT_PREFIX)) {
    const [ns, name, ...rest] = user.name.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
    if (ns && name && !rest.length) keys.push(`ServiceAccount:${ns}:${name}`);
  }
  return keys;
}

/**
 * The index key of a binding subject (undefined for an unknown kind). A ServiceAccount without a namespace takes
 * the binding's (`defaultNamespace`), as the RBAC authorizer does for RoleBindings.
 */
export function subjectKey(subject: RbacSubject, defaultNamespace?: string): string | undefined {
  if (!subject.name) return undefined;
  switch (subject.kind) {
    case 'User':
      return `User:${subject.name}`;
    case 'Group':
      return `Group:${subject.name}`;
    case 'ServiceAccount': {
      const ns = subject.namespace || defaultNamespace;
      return ns ? `ServiceAccount:${ns}:${subject.name}` : undefined;
    }
    default:
      return undefined;
  }
}

/** rbac appliesTo: does any subject of the binding name the user, one of its groups, or its service account */
export function bindingAppliesTo(binding: BindingLike, user: UserInfo): boolean {
  const keys = new Set(subjectKeysOf(user));
  const ns = binding.metadata?.namespace;
  return (binding.subjects ?? []).some((s) => {
    const k = subjectKey(s, ns);
    return k !== undefined && keys.has(k);
  });
}

/** metav1.LabelSelector semantics (matchLabels AND matchExpressions: In, NotIn, Exists, DoesNotExist) */
export function matchesLabelSelector(
  selector: LabelSelector | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const present = Object.hasOwn(l, e.key);
    const value = l[e.key];
    switch (e.operator) {
      case 'In':
        if (!present || !(e.values ?? []).includes(value ?? '')) return false;
        break;
      case 'NotIn':
        if (present && (e.values ?? []).includes(value ?? '')) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      default:
        return false; // an invalid selector selects nothing
    }
  }
  return true;
}

function sameRule(a: PolicyRule, b: PolicyRule): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function pushUnique(into: PolicyRule[], rules: readonly PolicyRule[] | undefined): void {
  for (const r of rules ?? []) if (!into.some((x) => sameRule(x, r))) into.push(r);
}

export interface ResolveRulesOptions<R extends RoleLike> {
  /**
   * every ClusterRole of the role's cluster, for aggregationRule selectors
   * @default [] (aggregation selects nothing)
   */
  clusterRoles?: readonly R[];
  /**
   * KubeSphere RoleTemplates by name (their `spec.rules`), for aggregationRoleTemplates.templateNames
   * @default undefined (templateNames are ignored)
   */
  templates?: (name: string) => { spec?: { rules?: PolicyRule[] } } | undefined;
}

/**
 * The effective rules of a role. A role whose `rules` are already filled is taken as is (the aggregation
 * controllers write the union back). Otherwise: a ClusterRole `aggregationRule` gives the union of the rules of every
 * other ClusterRole its selectors match (recursively, cycles cut); KubeSphere `aggregationRoleTemplates.templateNames`
 * gives the union of the named RoleTemplates' rules, when a template lookup is given. `roleSelector` is not evaluated.
 */
export function resolveRules<R extends RoleLike>(
  role: R,
  options: ResolveRulesOptions<R> = {},
  visiting: Set<R> = new Set(),
): PolicyRule[] {
  if (role.rules?.length) return role.rules;
  visiting.add(role);
  const out: PolicyRule[] = [];
  const selectors = role.aggregationRule?.clusterRoleSelectors;
  if (selectors?.length) {
    const sources = (options.clusterRoles ?? [])
      .filter((r) => !visiting.has(r) && selectors.some((s) => matchesLabelSelector(s, r.metadata?.labels)))
      .sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
    for (const s of sources) pushUnique(out, resolveRules(s, options, visiting));
  }
  const templateNames = role.aggregationRoleTemplates?.templateNames;
  if (templateNames?.length && options.templates) {
    for (const name of templateNames) pushUnique(out, options.templates(name)?.spec?.rules);
  }
  visiting.delete(role);
  return out;
}
