import type { KubeApi } from '../api.ts';
import { isObject } from '../objects.ts';
import { labelSelectorFromObject, type LabelSelector, type MetaLabelSelector } from '../selectors.ts';
import type { StoredObject } from '../types.ts';
import { CLUSTER_ROLES } from './rbac.ts';
import { type PolicyRule, rulesOf, sameRule } from './rules.ts';

/**
 * ClusterRole aggregation, as kube-controller-manager's clusterrole-aggregation controller does it: a ClusterRole
 * with `aggregationRule.clusterRoleSelectors` gets its rules overwritten by the union of the rules of every other
 * ClusterRole its selectors match (sorted by name, duplicates dropped). The result is written back through the
 * REST layer, so watchers see MODIFIED.
 */

const MANAGER = 'clusterrole-aggregation-controller';

function selectorsOf(role: StoredObject): LabelSelector[] | undefined {
  const rule = role['aggregationRule'];
  if (!isObject(rule)) return undefined;
  const list: unknown[] = Array.isArray(rule['clusterRoleSelectors']) ? rule['clusterRoleSelectors'] : [];
  const out: LabelSelector[] = [];
  for (const s of list) {
    if (!isObject(s)) continue;
    try {
      out.push(labelSelectorFromObject(s as MetaLabelSelector));
    } catch {
      // an invalid selector selects nothing (the controller logs and skips it)
    }
  }
  return out;
}

function aggregatedRules(role: StoredObject, selectors: LabelSelector[], all: readonly StoredObject[]) {
  const sources = all
    .filter((r) => r !== role && selectors.some((s) => s.matches(r.metadata.labels)))
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  const rules: PolicyRule[] = [];
  for (const source of sources)
    for (const rule of rulesOf(source)) if (!rules.some((r) => sameRule(r, rule))) rules.push(rule);
  return rules;
}

function sameRules(a: readonly PolicyRule[], b: readonly PolicyRule[]): boolean {
  return a.length === b.length && a.every((r, i) => sameRule(r, b[i] ?? { verbs: [] }));
}

/**
 * Recompute every aggregated ClusterRole until nothing changes (an aggregated role can feed another one, as `view`
 * feeds `edit` and `edit` feeds `admin`). Returns true when something was written.
 */
export function aggregateClusterRoles(api: KubeApi): boolean {
  const type = api.registry.get('rbac.authorization.k8s.io', 'v1', 'clusterroles');
  if (!type) return false;
  let wrote = false;
  // Bounded, in case selectors form a cycle whose union keeps changing (it cannot grow for ever, but be safe).
  for (let round = 0; round < 10; round++) {
    let changed = false;
    for (const role of api.store.list(CLUSTER_ROLES).slice()) {
      const selectors = selectorsOf(role);
      if (!selectors) continue;
      const current = api.store.get(CLUSTER_ROLES, '', role.metadata.name);
      if (!current) continue;
      const rules = aggregatedRules(current, selectors, api.store.list(CLUSTER_ROLES));
      if (sameRules(rules, rulesOf(current))) continue;
      const next = { ...structuredClone(current), rules: structuredClone(rules) };
      api.replace({ type, namespace: '', name: current.metadata.name }, current, next, {
        trusted: true,
        fieldManager: MANAGER,
      });
      changed = true;
      wrote = true;
    }
    if (!changed) break;
  }
  return wrote;
}
