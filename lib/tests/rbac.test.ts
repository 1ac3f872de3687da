import {
  bindingAppliesTo,
  matchesLabelSelector,
  type PolicyRule,
  resolveRules,
  type ResourceAttributes,
  type RoleLike,
  ruleAllows,
  rulesAllow,
  subjectKey,
  subjectKeysOf,
} from '@fleetgraph/lib/auth';
import { describe, expect, it } from 'vitest';

/** RBAC rule, subject and aggregation matching (lib/src/auth/rbac.ts), pure. */

const req = (over: Partial<ResourceAttributes> = {}): ResourceAttributes => ({
  verb: 'get',
  apiGroup: '',
  resource: 'pods',
  scope: 'namespace',
  cluster: 'prod',
  namespace: 'shop',
  ...over,
});

const podsRule = (over: Partial<PolicyRule> = {}): PolicyRule => ({
  verbs: ['get', 'list'],
  apiGroups: [''],
  resources: ['pods'],
  ...over,
});

describe('ruleAllows', () => {
  it('matches verbs exactly, or any verb with *', () => {
    expect(ruleAllows(podsRule(), req({ verb: 'get' }))).toBe(true);
    expect(ruleAllows(podsRule(), req({ verb: 'delete' }))).toBe(false);
    expect(ruleAllows(podsRule({ verbs: ['*'] }), req({ verb: 'delete' }))).toBe(true);
    expect(ruleAllows(podsRule({ verbs: [] }), req())).toBe(false);
    expect(ruleAllows(podsRule({ verbs: ['impersonate'] }), req({ verb: 'impersonate' }))).toBe(true);
  });

  it("matches apiGroups exactly ('' is core), or any group with *", () => {
    expect(ruleAllows(podsRule(), req({ apiGroup: 'apps' }))).toBe(false);
    expect(ruleAllows(podsRule({ apiGroups: ['apps'] }), req())).toBe(false);
    expect(ruleAllows(podsRule({ apiGroups: ['*'] }), req({ apiGroup: 'metrics.k8s.io' }))).toBe(true);
    expect(ruleAllows({ verbs: ['get'], resources: ['pods'] }, req())).toBe(false);
  });

  it('matches resources and subresources', () => {
    const log = req({ subresource: 'log' });
    expect(ruleAllows(podsRule(), req({ resource: 'services' }))).toBe(false);
    // 'pods' does not cover pods/log; 'pods/log' does, and only it
    expect(ruleAllows(podsRule(), log)).toBe(false);
    expect(ruleAllows(podsRule({ resources: ['pods/log'] }), log)).toBe(true);
    expect(ruleAllows(podsRule({ resources: ['pods/log'] }), req())).toBe(false);
    expect(ruleAllows(podsRule({ resources: ['pods/log'] }), req({ subresource: 'exec' }))).toBe(false);
    // '*' covers every resource and subresource
    expect(ruleAllows(podsRule({ resources: ['*'] }), log)).toBe(true);
    expect(ruleAllows(podsRule({ resources: ['*'] }), req({ resource: 'secrets' }))).toBe(true);
    // '*/scale' covers any resource's scale subresource, not the resource itself
    const scaleRule = podsRule({ apiGroups: ['apps'], resources: ['*/scale'] });
    expect(
      ruleAllows(scaleRule, req({ apiGroup: 'apps', resource: 'deployments', subresource: 'scale' })),
    ).toBe(true);
    expect(
      ruleAllows(scaleRule, req({ apiGroup: 'apps', resource: 'statefulsets', subresource: 'scale' })),
    ).toBe(true);
    expect(ruleAllows(scaleRule, req({ apiGroup: 'apps', resource: 'deployments' }))).toBe(false);
    expect(
      ruleAllows(scaleRule, req({ apiGroup: 'apps', resource: 'deployments', subresource: 'status' })),
    ).toBe(false);
  });

  it('matches resourceNames: empty means any name, otherwise the request must name one', () => {
    const named = podsRule({ resourceNames: ['cart-1'] });
    expect(ruleAllows(named, req({ name: 'cart-1' }))).toBe(true);
    expect(ruleAllows(named, req({ name: 'cart-2' }))).toBe(false);
    expect(ruleAllows(named, req({ verb: 'list' }))).toBe(false);
    expect(ruleAllows(podsRule({ resourceNames: [] }), req({ name: 'anything' }))).toBe(true);
    expect(ruleAllows(podsRule(), req({ name: 'anything' }))).toBe(true);
  });

  it('never matches a resource request with a nonResourceURLs rule', () => {
    expect(ruleAllows({ verbs: ['*'], nonResourceURLs: ['*'] }, req())).toBe(false);
  });

  it('rulesAllow: any rule of the list', () => {
    expect(
      rulesAllow([podsRule({ verbs: ['list'] }), podsRule({ verbs: ['delete'] })], req({ verb: 'delete' })),
    ).toBe(true);
    expect(rulesAllow([], req())).toBe(false);
  });
});

describe('subjects', () => {
  const alice = { name: 'alice', groups: ['devs', 'system:authenticated'] };
  const binding = (subjects: Array<Record<string, string>>, namespace?: string) => ({
    metadata: { name: 'b', ...(namespace ? { namespace } : {}) },
    subjects,
  });

  it('a User subject matches by name', () => {
    expect(bindingAppliesTo(binding([{ kind: 'User', name: 'alice' }]), alice)).toBe(true);
    expect(bindingAppliesTo(binding([{ kind: 'User', name: 'bob' }]), alice)).toBe(false);
    // a user named like a group is not the group
    expect(bindingAppliesTo(binding([{ kind: 'User', name: 'devs' }]), alice)).toBe(false);
  });

  it('a Group subject matches any of the groups', () => {
    expect(bindingAppliesTo(binding([{ kind: 'Group', name: 'devs' }]), alice)).toBe(true);
    expect(bindingAppliesTo(binding([{ kind: 'Group', name: 'system:authenticated' }]), alice)).toBe(true);
    expect(bindingAppliesTo(binding([{ kind: 'Group', name: 'alice' }]), alice)).toBe(false);
    expect(bindingAppliesTo(binding([]), alice)).toBe(false);
  });

  it('a ServiceAccount subject matches system:serviceaccount:<ns>:<name>', () => {
    const sa = { name: 'system:serviceaccount:shop:builder', groups: ['system:serviceaccounts'] };
    expect(subjectKeysOf(sa)).toContain('ServiceAccount:shop:builder');
    expect(
      bindingAppliesTo(binding([{ kind: 'ServiceAccount', name: 'builder', namespace: 'shop' }]), sa),
    ).toBe(true);
    expect(
      bindingAppliesTo(binding([{ kind: 'ServiceAccount', name: 'builder', namespace: 'iot' }]), sa),
    ).toBe(false);
    // no namespace on the subject: the RoleBinding's own
    expect(bindingAppliesTo(binding([{ kind: 'ServiceAccount', name: 'builder' }], 'shop'), sa)).toBe(true);
    expect(bindingAppliesTo(binding([{ kind: 'ServiceAccount', name: 'builder' }]), sa)).toBe(false);
    // a malformed service account name is just a user name
    expect(subjectKeysOf({ name: 'system:serviceaccount:shop', groups: [] })).toEqual([
      'User:system:serviceaccount:shop',
    ]);
    expect(subjectKey({ kind: 'Robot', name: 'x' })).toBeUndefined();
  });
});

describe('matchesLabelSelector', () => {
  it('matchLabels and matchExpressions', () => {
    const labels = { env: 'prod', tier: 'web' };
    expect(matchesLabelSelector({ matchLabels: { env: 'prod' } }, labels)).toBe(true);
    expect(matchesLabelSelector({ matchLabels: { env: 'dev' } }, labels)).toBe(false);
    expect(
      matchesLabelSelector({ matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] }, labels),
    ).toBe(true);
    expect(
      matchesLabelSelector(
        { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] },
        labels,
      ),
    ).toBe(false);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }, labels)).toBe(
      false,
    );
    expect(
      matchesLabelSelector({ matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }, labels),
    ).toBe(true);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'env', operator: 'Bogus' }] }, labels)).toBe(
      false,
    );
    expect(matchesLabelSelector({}, labels)).toBe(true);
    expect(matchesLabelSelector(undefined, labels)).toBe(false);
  });
});

describe('resolveRules', () => {
  const agg = (name: string): RoleLike => ({
    metadata: { name },
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [`aggregate-to-${name}`]: 'true' } }] },
  });
  const source = (name: string, labels: Record<string, string>, rules: PolicyRule[]): RoleLike => ({
    metadata: { name, labels },
    rules,
  });
  const viewRule = podsRule();
  const editRule = podsRule({ verbs: ['delete'] });
  const view = agg('view');
  const edit: RoleLike = {
    ...agg('edit'),
    metadata: { name: 'edit', labels: { 'aggregate-to-view': 'false' } },
  };
  const all = [
    view,
    edit,
    source('view-rules', { 'aggregate-to-view': 'true', 'aggregate-to-edit': 'true' }, [viewRule]),
    source('edit-rules', { 'aggregate-to-edit': 'true' }, [editRule]),
    source('other', {}, [podsRule({ resources: ['secrets'] })]),
  ];

  it('takes filled rules as they are', () => {
    expect(resolveRules({ ...view, rules: [editRule] }, { clusterRoles: all })).toEqual([editRule]);
  });

  it('an unfilled aggregationRule is the union of the matching ClusterRoles, duplicates dropped', () => {
    expect(resolveRules(view, { clusterRoles: all })).toEqual([viewRule]);
    expect(resolveRules(edit, { clusterRoles: all })).toEqual([editRule, viewRule]);
    expect(resolveRules(view)).toEqual([]);
  });

  it('follows aggregated roles that aggregate, and cuts cycles', () => {
    const a: RoleLike = {
      metadata: { name: 'a', labels: { 'to-b': 'true' } },
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'to-a': 'true' } }] },
    };
    const b: RoleLike = {
      metadata: { name: 'b', labels: { 'to-a': 'true' } },
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'to-b': 'true' } }] },
    };
    const leaf = source('leaf', { 'to-b': 'true' }, [viewRule]);
    expect(resolveRules(a, { clusterRoles: [a, b, leaf] })).toEqual([viewRule]);
  });

  it('KubeSphere aggregationRoleTemplates: the named RoleTemplates, when templates are known', () => {
    const role: RoleLike = {
      metadata: { name: 'ws-custom' },
      aggregationRoleTemplates: { templateNames: ['pod-view', 'missing', 'pod-delete'] },
    };
    const templates = new Map([
      ['pod-view', { spec: { rules: [viewRule] } }],
      ['pod-delete', { spec: { rules: [editRule, viewRule] } }],
    ]);
    expect(resolveRules(role, { templates: (n) => templates.get(n) })).toEqual([viewRule, editRule]);
    expect(resolveRules(role)).toEqual([]);
  });
});
