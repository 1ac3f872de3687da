import { isObject } from '../objects.ts';
import type { StoredObject } from '../types.ts';
import type { Attributes } from './attributes.ts';

/** RBAC policy rules: reading them from stored objects, and matching (k8s.io/kubernetes rbac/v1 evaluation_helpers). */

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : undefined;

function toRule(v: unknown): PolicyRule | undefined {
  if (!isObject(v)) return undefined;
  const rule: PolicyRule = { verbs: strings(v['verbs']) ?? [] };
  for (const k of ['apiGroups', 'resources', 'resourceNames', 'nonResourceURLs'] as const) {
    const list = strings(v[k]);
    if (list && list.length) rule[k] = list;
  }
  return rule;
}

const parsed = new WeakMap<StoredObject, readonly PolicyRule[]>();

/** the rules of a Role or ClusterRole, parsed once per stored state (stored objects are never mutated) */
export function rulesOf(role: StoredObject): readonly PolicyRule[] {
  let rules = parsed.get(role);
  if (!rules) {
    const raw: unknown[] = Array.isArray(role['rules']) ? role['rules'] : [];
    rules = raw.map(toRule).filter((r): r is PolicyRule => r !== undefined);
    parsed.set(role, rules);
  }
  return rules;
}

const has = (list: readonly string[] | undefined, v: string): boolean =>
  list !== undefined && list.includes(v);

function verbMatches(rule: PolicyRule, verb: string): boolean {
  return has(rule.verbs, '*') || has(rule.verbs, verb);
}

function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  for (const r of rule.resources ?? []) {
    if (r === '*' || r === combined) return true;
    // '*/scale' matches the scale subresource of anything; 'pods/*' is not a wildcard.
    if (subresource !== '' && r === `*/${subresource}`) return true;
  }
  return false;
}

function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.replace(/\*+$/, ''))) return true;
  }
  return false;
}

/** rbac.RuleAllows */
export function ruleAllows(a: Attributes, rule: PolicyRule): boolean {
  if (!verbMatches(rule, a.verb)) return false;
  if (!a.resourceRequest) return nonResourceURLMatches(rule, a.path);
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return (
    (has(rule.apiGroups, '*') || has(rule.apiGroups, a.group)) &&
    resourceMatches(rule, combined, a.subresource) &&
    // A create names nothing, so resourceNames never allow it; list and watch only with a pinned name.
    (rule.resourceNames === undefined || rule.resourceNames.includes(a.name))
  );
}

/** apimachinery's semantic equality of two rules (empty and missing lists are equal) */
export function sameRule(a: PolicyRule, b: PolicyRule): boolean {
  const eq = (x: readonly string[] | undefined, y: readonly string[] | undefined): boolean => {
    const xs = x ?? [];
    const ys = y ?? [];
    return xs.length === ys.length && xs.every((v, i) => v === ys[i]);
  };
  return (
    eq(a.verbs, b.verbs) &&
    eq(a.apiGroups, b.apiGroups) &&
    eq(a.resources, b.resources) &&
    eq(a.resourceNames, b.resourceNames) &&
    eq(a.nonResourceURLs, b.nonResourceURLs)
  );
}
