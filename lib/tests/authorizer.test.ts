import { createKubeSim, type KubeSim } from '@fleetgraph/kube-sim';
import {
  type Authorizer,
  createAuthorizer,
  createRequestAuthz,
  type ResourceAttributes,
  type UserInfo,
} from '@fleetgraph/lib/auth';
import { type ClusterRegistry, createClusterRegistry, loadKubeConfig } from '@fleetgraph/lib/kube';
import { waitFor } from '@fleetgraph/lib/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { raw } from '../../kube-sim/tests/support.ts';

/**
 * createAuthorizer against kube-sim's demo fleet (host, prod, edge; workspaces retail on prod and factory on edge;
 * users admin, alice, victor, frank from kube-sim/src/fleets/demo.ts), in process.
 */

const backoff = { initialMs: 20, maxMs: 1_000 };
const leftovers: AsyncDisposable[] = [];

afterAll(async () => {
  for (const d of leftovers.splice(0).reverse()) await d[Symbol.asyncDispose]();
});

async function startAuthorizer(sim: KubeSim): Promise<{ registry: ClusterRegistry; authz: Authorizer }> {
  const host = loadKubeConfig({ kind: 'inline', kubeconfig: sim.cluster('host').kubeconfig() });
  const registry = createClusterRegistry({ host, backoff });
  const authz = createAuthorizer({ registry, host, backoff });
  leftovers.push(registry, authz);
  expect(authz.hasSynced()).toBe(false);
  await authz.start();
  expect(authz.hasSynced()).toBe(true);
  return { registry, authz };
}

/** a demo user as the gateway would pass it: the fixture's groups (system:authenticated included) */
function userOf(sim: KubeSim, name: string): UserInfo {
  const u = sim.users.find((x) => x.name === name);
  if (!u) throw new Error(`no demo user ${name}`);
  return { name: u.name, groups: [...u.groups] };
}

type SimObject = Parameters<KubeSim['apply']>[0][number];

const mallory: UserInfo = { name: 'mallory', groups: ['system:authenticated'] };

const inNs = (
  verb: string,
  resource: string,
  cluster: string,
  namespace: string,
  more: Partial<ResourceAttributes> = {},
): ResourceAttributes => ({ verb, apiGroup: '', resource, scope: 'namespace', cluster, namespace, ...more });
const global = (verb: string, apiGroup: string, resource: string): ResourceAttributes => ({
  verb,
  apiGroup,
  resource,
  scope: 'global',
});
const inWs = (verb: string, apiGroup: string, resource: string, workspace: string): ResourceAttributes => ({
  verb,
  apiGroup,
  resource,
  scope: 'workspace',
  workspace,
});
const onCluster = (
  verb: string,
  apiGroup: string,
  resource: string,
  cluster: string,
): ResourceAttributes => ({
  verb,
  apiGroup,
  resource,
  scope: 'cluster',
  cluster,
});

describe('createAuthorizer on the demo fleet', () => {
  let sim: KubeSim;
  let authz: Authorizer;

  beforeAll(async () => {
    sim = await createKubeSim({ fleet: 'demo', controllers: false });
    leftovers.push(sim);
    ({ authz } = await startAuthorizer(sim));
  });

  // [user, request, expected decision, a part of the reason]
  const matrix: Array<[string, string, ResourceAttributes, boolean, string]> = [
    // platform-admin: GlobalRole platform-admin allows everything, everywhere
    ['admin', 'delete pods in prod/shop', inNs('delete', 'pods', 'prod', 'shop'), true, 'GlobalRoleBinding'],
    ['admin', 'list pods in edge/iot', inNs('list', 'pods', 'edge', 'iot'), true, 'platform-admin'],
    ['admin', 'list clusters (global)', global('list', 'cluster.kubesphere.io', 'clusters'), true, ''],
    ['admin', 'delete nodes on edge', onCluster('delete', '', 'nodes', 'edge'), true, ''],
    // alice: platform-regular, retail-admin (WorkspaceRole retail-admin: everything in the workspace)
    ['alice', 'delete pods in prod/shop', inNs('delete', 'pods', 'prod', 'shop'), true, 'alice-retail-admin'],
    ['alice', 'get secrets in prod/payments', inNs('get', 'secrets', 'prod', 'payments'), true, ''],
    ['alice', 'list pods in edge/iot', inNs('list', 'pods', 'edge', 'iot'), false, 'factory'],
    ['alice', 'list users (global)', global('list', 'iam.kubesphere.io', 'users'), true, 'platform-regular'],
    ['alice', 'delete users (global)', global('delete', 'iam.kubesphere.io', 'users'), false, ''],
    ['alice', 'list clusters (global)', global('list', 'cluster.kubesphere.io', 'clusters'), false, ''],
    ['alice', 'list namespaces in retail', inWs('list', '', 'namespaces', 'retail'), true, 'WorkspaceRole'],
    ['alice', 'list namespaces in factory', inWs('list', '', 'namespaces', 'factory'), false, ''],
    // cluster scope skips workspace and namespace bindings: alice has only RoleBindings on prod
    ['alice', 'list nodes on prod', onCluster('list', '', 'nodes', 'prod'), false, 'ClusterRoleBindings'],
    // victor: retail-viewer (get/list/watch everything in the workspace)
    ['victor', 'list pods in prod/shop', inNs('list', 'pods', 'prod', 'shop'), true, 'retail-viewer'],
    [
      'victor',
      'get pods/log in prod/shop',
      inNs('get', 'pods', 'prod', 'shop', { subresource: 'log', name: 'x' }),
      true,
      '',
    ],
    ['victor', 'delete pods in prod/shop', inNs('delete', 'pods', 'prod', 'shop'), false, 'RoleBindings'],
    // frank: factory-regular (workspaces get only) and project iot operator (RoleBinding to ClusterRole edit)
    ['frank', 'get pods in edge/iot', inNs('get', 'pods', 'edge', 'iot'), true, 'RoleBinding "iot/frank-'],
    ['frank', 'delete pods in edge/iot', inNs('delete', 'pods', 'edge', 'iot'), true, 'ClusterRole "edit"'],
    [
      'frank',
      'create rolebindings in edge/iot',
      inNs('create', 'rolebindings', 'edge', 'iot', { apiGroup: 'rbac.authorization.k8s.io' }),
      false,
      '',
    ],
    ['frank', 'get pods in prod/shop', inNs('get', 'pods', 'prod', 'shop'), false, ''],
    [
      'frank',
      'get workspaces in factory',
      inWs('get', 'tenant.kubesphere.io', 'workspaces', 'factory'),
      true,
      '',
    ],
    // workspace scope stops after workspace roles: frank's project binding in iot is not consulted
    ['frank', 'get pods in factory (workspace)', inWs('get', '', 'pods', 'factory'), false, ''],
    // mallory: no binding of her own
    [
      'mallory',
      'get pods in prod/shop',
      inNs('get', 'pods', 'prod', 'shop'),
      false,
      'mallory may not get pods',
    ],
    ['mallory', 'list users (global)', global('list', 'iam.kubesphere.io', 'users'), false, ''],
    [
      'mallory',
      'get workspaces in retail',
      inWs('get', 'tenant.kubesphere.io', 'workspaces', 'retail'),
      false,
      '',
    ],
    // ... but Kubernetes' bootstrap ClusterRoleBinding system:basic-user binds system:authenticated on every cluster
    [
      'mallory',
      'create selfsubjectaccessreviews on prod',
      onCluster('create', 'authorization.k8s.io', 'selfsubjectaccessreviews', 'prod'),
      true,
      'ClusterRoleBinding "system:basic-user"',
    ],
    // global scope stops after global roles, so the same request at global scope is denied
    [
      'mallory',
      'create selfsubjectaccessreviews (global)',
      global('create', 'authorization.k8s.io', 'selfsubjectaccessreviews'),
      false,
      'checked GlobalRoleBindings)',
    ],
    // a namespace request without a cluster cannot reach namespace or cluster bindings
    [
      'alice',
      'get pods in shop, no cluster',
      { ...inNs('get', 'pods', 'prod', 'shop'), cluster: '' },
      false,
      '',
    ],
  ];

  it.each(matrix)('%s: %s', (name, _what, attrs, allowed, reason) => {
    const user = name === 'mallory' ? mallory : userOf(sim, name);
    const d = authz.authorize(user, attrs);
    expect(d.allowed, d.reason).toBe(allowed);
    expect(d.reason).toContain(reason);
  });

  it('canSeeCluster per user, derived from the fixtures', () => {
    const visible = (u: UserInfo) => ['host', 'prod', 'edge'].filter((c) => authz.canSeeCluster(u, c));
    expect(visible(userOf(sim, 'admin'))).toEqual(['host', 'prod', 'edge']);
    expect(visible(userOf(sim, 'alice'))).toEqual(['prod']);
    expect(visible(userOf(sim, 'victor'))).toEqual(['prod']);
    expect(visible(userOf(sim, 'frank'))).toEqual(['edge']);
    // bound on every cluster only through system:authenticated (bootstrap bindings), which does not count
    expect(visible(mallory)).toEqual([]);
    expect(authz.canSeeCluster(userOf(sim, 'admin'), 'nowhere')).toBe(false);
  });

  it('workspacesOf, workspaceClusters and workspaceOf', () => {
    expect(authz.workspacesOf(userOf(sim, 'admin'))).toEqual([]);
    expect(authz.workspacesOf(userOf(sim, 'alice'))).toEqual(['retail']);
    expect(authz.workspacesOf(userOf(sim, 'victor'))).toEqual(['retail']);
    expect(authz.workspacesOf(userOf(sim, 'frank'))).toEqual(['factory']);
    expect(authz.workspacesOf(mallory)).toEqual([]);
    expect(authz.workspaceClusters('retail')).toEqual(['prod']);
    expect(authz.workspaceClusters('factory')).toEqual(['edge']);
    expect(authz.workspaceClusters('nope')).toEqual([]);
    expect(authz.workspaceOf('prod', 'shop')).toBe('retail');
    expect(authz.workspaceOf('prod', 'payments')).toBe('retail');
    expect(authz.workspaceOf('edge', 'iot')).toBe('factory');
    expect(authz.workspaceOf('host', 'kubesphere-system')).toBeUndefined();
    expect(authz.workspaceOf('prod', 'iot')).toBeUndefined();
  });

  it('a group binding applies to its members', () => {
    // alice's name in another group changes nothing; a group with a binding does
    const asGroup: UserInfo = { name: 'someone', groups: ['system:masters', 'system:authenticated'] };
    expect(authz.authorize(asGroup, onCluster('delete', '', 'nodes', 'edge')).reason).toContain(
      'ClusterRoleBinding "cluster-admin"',
    );
    expect(authz.canSeeCluster(asGroup, 'edge')).toBe(true);
  });

  it('createRequestAuthz answers each question once per request', () => {
    let calls = 0;
    const counting: Authorizer = {
      ...authz,
      authorize: (u, a) => {
        calls++;
        return authz.authorize(u, a);
      },
    };
    const req = createRequestAuthz(counting, userOf(sim, 'victor'));
    expect(req.user.name).toBe('victor');
    expect(req.can(inNs('list', 'pods', 'prod', 'shop'))).toBe(true);
    expect(req.decide(inNs('list', 'pods', 'prod', 'shop')).reason).toContain('retail-viewer');
    expect(calls).toBe(1);
    expect(req.can(inNs('delete', 'pods', 'prod', 'shop'))).toBe(false);
    expect(req.can(inNs('delete', 'pods', 'prod', 'shop'))).toBe(false);
    expect(calls).toBe(2);
    expect(req.canSeeCluster('prod')).toBe(true);
    expect(req.canSeeCluster('edge')).toBe(false);
    // a new request asks again
    createRequestAuthz(counting, userOf(sim, 'victor')).can(inNs('list', 'pods', 'prod', 'shop'));
    expect(calls).toBe(3);
  });
});

describe('createAuthorizer following changes', () => {
  it('a RoleBinding added at run time allows, fires subscribe, and revokes when deleted', async () => {
    await using sim = await createKubeSim({ fleet: 'demo', controllers: false });
    const { authz } = await startAuthorizer(sim);
    let fired = 0;
    const unsubscribe = authz.subscribe(() => fired++);
    const listPods = inNs('list', 'pods', 'prod', 'shop');
    expect(authz.authorize(mallory, listPods).allowed).toBe(false);
    expect(authz.canSeeCluster(mallory, 'prod')).toBe(false);

    sim.apply(
      [
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'mallory-view', namespace: 'shop' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'mallory' }],
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        },
      ],
      'prod',
    );
    await waitFor(() => authz.authorize(mallory, listPods).allowed, 'the new RoleBinding to apply');
    expect(fired).toBeGreaterThan(0);
    expect(authz.authorize(mallory, listPods).reason).toContain('RoleBinding "shop/mallory-view"');
    expect(authz.authorize(mallory, inNs('delete', 'pods', 'prod', 'shop')).allowed).toBe(false);
    expect(authz.authorize(mallory, inNs('list', 'pods', 'prod', 'payments')).allowed).toBe(false);
    expect(authz.canSeeCluster(mallory, 'prod')).toBe(true);

    const firedBefore = fired;
    const res = await raw(
      sim,
      'DELETE',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/shop/rolebindings/mallory-view',
      { cluster: 'prod' },
    );
    expect(res.status).toBe(200);
    await waitFor(() => !authz.authorize(mallory, listPods).allowed, 'the RoleBinding deletion to revoke');
    expect(fired).toBeGreaterThan(firedBefore);
    expect(authz.canSeeCluster(mallory, 'prod')).toBe(false);

    unsubscribe();
    const firedAtUnsubscribe = fired;
    sim.apply(
      [
        {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: 'late', labels: { 'kubesphere.io/workspace': 'retail' } },
        },
      ],
      'prod',
    );
    await waitFor(() => authz.workspaceOf('prod', 'late') === 'retail', 'the namespace to arrive');
    expect(fired).toBe(firedAtUnsubscribe);
  });

  it('a namespace moved into a workspace, a public Cluster and a clusterSelector placement', async () => {
    await using sim = await createKubeSim({ fleet: 'demo', controllers: false });
    const { registry, authz } = await startAuthorizer(sim);
    const victor = userOf(sim, 'victor');
    // a new namespace labelled retail on prod: retail-viewer reaches it through its WorkspaceRoleBinding
    sim.apply(
      [
        {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: 'checkout', labels: { 'kubesphere.io/workspace': 'retail' } },
        },
      ],
      'prod',
    );
    await waitFor(() => authz.workspaceOf('prod', 'checkout') === 'retail', 'the namespace label');
    expect(authz.authorize(victor, inNs('list', 'pods', 'prod', 'checkout')).reason).toContain(
      'retail-viewer',
    );

    // label the edge Cluster public, and place a workspace by clusterSelector
    const edge = registry.get('edge')?.object;
    if (!edge?.metadata) throw new Error('no edge Cluster object');
    const labelled = JSON.parse(JSON.stringify(edge)) as SimObject;
    delete labelled.metadata.resourceVersion;
    labelled.metadata.labels = {
      ...labelled.metadata.labels,
      'cluster.kubesphere.io/visibility': 'public',
      env: 'lab',
    };
    sim.apply(
      [
        labelled,
        {
          apiVersion: 'tenant.kubesphere.io/v1beta1',
          kind: 'WorkspaceTemplate',
          metadata: { name: 'lab' },
          spec: {
            template: { spec: { manager: 'admin' } },
            placement: { clusterSelector: { matchLabels: { env: 'lab' } } },
          },
        },
      ],
      'host',
    );
    await waitFor(() => authz.canSeeCluster(mallory, 'edge'), 'the public label');
    expect(authz.canSeeCluster(mallory, 'prod')).toBe(false);
    await waitFor(() => authz.workspaceClusters('lab').join() === 'edge', 'the clusterSelector placement');
  });

  it('starts on clusters without KubeSphere CRDs (404 paths count as empty) and uses their RBAC', async () => {
    await using sim = await createKubeSim({
      controllers: false,
      fleet: { clusters: [{ name: 'host', multiCluster: true }, { name: 'prod' }] },
    });
    const { authz } = await startAuthorizer(sim);
    const master: UserInfo = { name: 'root', groups: ['system:masters', 'system:authenticated'] };
    expect(authz.authorize(master, inNs('delete', 'pods', 'prod', 'default')).allowed).toBe(true);
    expect(authz.authorize(master, global('list', 'cluster.kubesphere.io', 'clusters')).allowed).toBe(false);
    expect(authz.workspacesOf(master)).toEqual([]);
    expect(authz.workspaceClusters('retail')).toEqual([]);
  });

  it('denies everything before start() and after stop()', async () => {
    await using sim = await createKubeSim({ fleet: 'demo', controllers: false });
    const host = loadKubeConfig({ kind: 'inline', kubeconfig: sim.cluster('host').kubeconfig() });
    await using registry = createClusterRegistry({ host, backoff });
    const authz = createAuthorizer({ registry, host, backoff });
    const d = authz.authorize(userOf(sim, 'admin'), global('list', 'cluster.kubesphere.io', 'clusters'));
    expect(d).toEqual({ allowed: false, reason: expect.stringContaining('not synced') });
    expect(authz.canSeeCluster(userOf(sim, 'admin'), 'host')).toBe(false);
    await authz.start();
    expect(authz.canSeeCluster(userOf(sim, 'admin'), 'host')).toBe(true);
    await authz.stop();
    expect(authz.hasSynced()).toBe(false);
    expect(
      authz.authorize(userOf(sim, 'admin'), global('list', 'cluster.kubesphere.io', 'clusters')).allowed,
    ).toBe(false);
    await expect(authz.start()).rejects.toThrow(/stopped/);
  });
});
