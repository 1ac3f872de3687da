import { ApiException, AuthorizationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

import { createKubeSim, type KubeObject, type KubeSim } from '../src/index.ts';
import { configMap, openWatch, pod, raw, type RawResponse, waitFor } from './support.ts';

/**
 * Authorization as kube-apiserver does it: RBAC from the cluster's own Roles and bindings, the bootstrap policy,
 * ClusterRole aggregation, impersonation and the authorization.k8s.io access reviews. kubectl: kubectlAuth.test.ts.
 */

const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const AUTHZ = '/apis/authorization.k8s.io/v1';
const RBAC_V1 = 'rbac.authorization.k8s.io/v1';

let sim: KubeSim;

const user = (name: string, groups: string[] = []) => ({ name, token: `${name}-token`, groups });
const tok = (name: string) => ({ token: `${name}-token` });

const deployment = (namespace: string, name: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
  },
});

type Rule = Record<string, string[]>;
type Subject = { kind: string; name: string; namespace?: string };
const U = (name: string): Subject => ({ kind: 'User', name });
const G = (name: string): Subject => ({ kind: 'Group', name });

const role = (namespace: string, name: string, rules: Rule[]) => ({
  apiVersion: RBAC_V1,
  kind: 'Role',
  metadata: { name, namespace },
  rules,
});
const clusterRole = (name: string, rules: Rule[], labels: Record<string, string> = {}) => ({
  apiVersion: RBAC_V1,
  kind: 'ClusterRole',
  metadata: { name, labels },
  rules,
});
const binding = (namespace: string, name: string, ref: [string, string], subjects: Subject[]) => ({
  apiVersion: RBAC_V1,
  kind: namespace ? 'RoleBinding' : 'ClusterRoleBinding',
  metadata: namespace ? { name, namespace } : { name },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: ref[0], name: ref[1] },
  subjects: subjects.map((s) => ({
    ...s,
    ...(s.kind === 'ServiceAccount' ? {} : { apiGroup: 'rbac.authorization.k8s.io' }),
  })),
});

/** create through the REST API as the cluster admin */
async function create(obj: { kind: string; metadata: { name: string; namespace?: string } }): Promise<void> {
  const plural = `${obj.kind.toLowerCase()}s`;
  const path = obj.metadata.namespace
    ? `${RBAC}/namespaces/${obj.metadata.namespace}/${plural}`
    : `${RBAC}/${plural}`;
  const r = await raw(sim, 'POST', path, { body: obj });
  expect(r.status, r.text).toBe(201);
}

function expectForbidden(r: RawResponse, message: string, details: Record<string, string> = {}): void {
  expect(r.status, r.text).toBe(403);
  expect(r.json).toEqual({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: 'Forbidden',
    details,
    code: 403,
  });
}

beforeAll(async () => {
  sim = await createKubeSim({
    fleet: {
      clusters: [
        {
          name: 'c',
          users: [
            user('alice', ['devs']),
            user('bob'),
            user('carol', ['viewers']),
            user('erin'),
            user('frank'),
          ],
        },
      ],
    },
    seed: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } },
      pod('default', 'p1'),
      pod('team', 't1'),
      pod('other', 'o1'),
      deployment('default', 'web'),
      deployment('team', 'api'),
      deployment('other', 'db'),
      configMap('team', 'allowed'),
      configMap('team', 'hidden'),
    ],
  });
  await create(
    role('team', 'pod-reader', [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }]),
  );
  await create(binding('team', 'alice-pods', ['Role', 'pod-reader'], [U('alice')]));
  await create(binding('team', 'viewers', ['ClusterRole', 'view'], [G('viewers')]));
  await create(
    role('team', 'one-cm', [
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: ['allowed'],
        verbs: ['get', 'list', 'watch', 'update', 'create'],
      },
    ]),
  );
  await create(binding('team', 'alice-one-cm', ['Role', 'one-cm'], [U('alice')]));
  await create(
    role('other', 'subresources', [
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods/*'], verbs: ['get'] },
      { apiGroups: ['apps'], resources: ['*/scale'], verbs: ['get', 'patch'] },
    ]),
  );
  await create(binding('other', 'frank-sub', ['Role', 'subresources'], [U('frank')]));
  await create(
    clusterRole('read-everything', [{ apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list'] }]),
  );
  await create(binding('', 'erin-reads', ['ClusterRole', 'read-everything'], [U('erin')]));
  await create(clusterRole('all-configmaps', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['*'] }]));
  await create(binding('', 'erin-configmaps', ['ClusterRole', 'all-configmaps'], [U('erin')]));
  await create(clusterRole('metrics', [{ nonResourceURLs: ['/metrics', '/debug/*'], verbs: ['get'] }]));
  await create(binding('', 'devs-metrics', ['ClusterRole', 'metrics'], [G('devs')]));
  await create(binding('team', 'robot', ['Role', 'pod-reader'], [{ kind: 'ServiceAccount', name: 'robot' }]));
  await create(binding('default', 'ghost', ['ClusterRole', 'ghost'], [U('alice')]));
});
afterAll(async () => {
  await sim.close();
});

describe('the bootstrap policy', () => {
  it('seeds the default ClusterRoles and bindings, labelled rbac-defaults, with admin ⊇ edit ⊇ view aggregated', () => {
    const store = sim.cluster().store;
    const gr = 'clusterroles.rbac.authorization.k8s.io';
    for (const name of ['cluster-admin', 'admin', 'edit', 'view', 'system:discovery', 'system:basic-user'])
      expect(store.get(gr, '', name)?.metadata.labels).toMatchObject({
        'kubernetes.io/bootstrapping': 'rbac-defaults',
      });
    const crb = store.get('clusterrolebindings.rbac.authorization.k8s.io', '', 'system:public-info-viewer');
    expect(crb?.['subjects']).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' },
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:unauthenticated' },
    ]);
    const rules = (name: string) => JSON.stringify(store.get(gr, '', name)?.['rules']);
    expect(rules('view')).toContain('"pods/log"');
    expect(rules('edit')).toContain('"pods/log"');
    expect(rules('edit')).toContain('"deletecollection"');
    expect(rules('admin')).toContain('"rolebindings"');
    expect(rules('view')).not.toContain('"secrets"');
  });

  it('lets every authenticated user discover the API and review itself, and anyone read health and version', async () => {
    for (const path of ['/version', '/api', '/api/v1', '/apis', '/apis/apps/v1'])
      expect((await raw(sim, 'GET', path, tok('bob'))).status, path).toBe(200);
    expect((await raw(sim, 'GET', '/healthz', { token: null })).text).toBe('ok');
    expect((await raw(sim, 'GET', '/api', { token: null })).status).toBe(401);
    const list = (await raw(sim, 'GET', AUTHZ)).json as { resources: { name: string; verbs: string[] }[] };
    expect(list.resources.map((r) => [r.name, r.verbs])).toEqual([
      ['selfsubjectaccessreviews', ['create']],
      ['subjectaccessreviews', ['create']],
      ['localsubjectaccessreviews', ['create']],
      ['selfsubjectrulesreviews', ['create']],
    ]);
  });
});

describe('403 Forbidden, worded as the apiserver words it', () => {
  const who = 'User "bob" cannot';
  it('in a namespace, at the cluster scope, for a name, a subresource and a path', async () => {
    expectForbidden(
      await raw(sim, 'GET', '/api/v1/namespaces/default/pods', tok('bob')),
      `pods is forbidden: ${who} list resource "pods" in API group "" in the namespace "default"`,
      { kind: 'pods' },
    );
    expectForbidden(
      await raw(sim, 'GET', '/api/v1/namespaces/default/pods/p1', tok('bob')),
      `pods "p1" is forbidden: ${who} get resource "pods" in API group "" in the namespace "default"`,
      { name: 'p1', kind: 'pods' },
    );
    expectForbidden(
      await raw(sim, 'GET', '/api/v1/nodes', tok('bob')),
      `nodes is forbidden: ${who} list resource "nodes" in API group "" at the cluster scope`,
      { kind: 'nodes' },
    );
    expectForbidden(
      await raw(sim, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale', {
        ...tok('bob'),
        body: { spec: { replicas: 3 } },
        contentType: 'application/merge-patch+json',
      }),
      `deployments.apps "web" is forbidden: ${who} patch resource "deployments/scale" in API group "apps" in the namespace "default"`,
      { name: 'web', group: 'apps', kind: 'deployments' },
    );
    expectForbidden(await raw(sim, 'GET', '/metrics', tok('bob')), `forbidden: ${who} get path "/metrics"`);
    expectForbidden(
      await raw(sim, 'GET', '/api/v1/namespaces/team', tok('bob')),
      `namespaces "team" is forbidden: ${who} get resource "namespaces" in API group "" in the namespace "team"`,
      { name: 'team', kind: 'namespaces' },
    );
    expectForbidden(
      await raw(sim, 'POST', '/__sim/compact', { ...tok('alice'), body: {} }),
      'forbidden: User "alice" cannot post path "/__sim/compact"',
    );
  });

  it('names a role that a binding refers to and that does not exist', async () => {
    expectForbidden(
      await raw(sim, 'GET', '/api/v1/namespaces/default/secrets', tok('alice')),
      'secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" in the namespace "default": RBAC: clusterrole.rbac.authorization.k8s.io "ghost" not found',
      { kind: 'secrets' },
    );
  });

  it('reaches client-node typed calls as ApiException 403 with the Status body', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(sim.cluster().kubeconfig('bob-token', 'bob'));
    const err: unknown = await kc
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: 'default' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    const e = err as ApiException<unknown>;
    expect(e.code).toBe(403);
    const body: unknown = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
    expect(body).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      code: 403,
      message:
        'pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "default"',
    });
  });
});

describe('RBAC evaluation', () => {
  it('a Role bound in a namespace grants there only', async () => {
    expect((await raw(sim, 'GET', '/api/v1/namespaces/team/pods', tok('alice'))).status).toBe(200);
    expect((await raw(sim, 'GET', '/api/v1/namespaces/team/pods/t1', tok('alice'))).status).toBe(200);
    expect((await raw(sim, 'GET', '/api/v1/namespaces/other/pods', tok('alice'))).status).toBe(403);
    expect((await raw(sim, 'GET', '/api/v1/pods', tok('alice'))).status).toBe(403);
    expect((await raw(sim, 'DELETE', '/api/v1/namespaces/team/pods/t1', tok('alice'))).status).toBe(403);
  });

  it('a RoleBinding to a ClusterRole applies only in its namespace (groups as subjects)', async () => {
    expect((await raw(sim, 'GET', '/apis/apps/v1/namespaces/team/deployments', tok('carol'))).status).toBe(
      200,
    );
    expect((await raw(sim, 'GET', '/api/v1/namespaces/team/pods/t1/log', tok('carol'))).status).not.toBe(403);
    expect((await raw(sim, 'GET', '/apis/apps/v1/namespaces/default/deployments', tok('carol'))).status).toBe(
      403,
    );
    expectForbidden(
      await raw(sim, 'GET', '/apis/apps/v1/deployments', tok('carol')),
      'deployments.apps is forbidden: User "carol" cannot list resource "deployments" in API group "apps" at the cluster scope',
      { group: 'apps', kind: 'deployments' },
    );
    expect((await raw(sim, 'GET', '/api/v1/namespaces/team/secrets', tok('carol'))).status).toBe(403);
    const write = await raw(sim, 'POST', '/api/v1/namespaces/team/configmaps', {
      ...tok('carol'),
      body: configMap('team', 'new'),
    });
    expect(write.status).toBe(403);
  });

  it('wildcards: apiGroups, resources and verbs', async () => {
    for (const path of ['/apis/apps/v1/deployments', '/api/v1/nodes', '/api/v1/namespaces/other/pods/o1/log'])
      expect((await raw(sim, 'GET', path, tok('erin'))).status, path).not.toBe(403);
    expect(
      (await raw(sim, 'DELETE', '/apis/apps/v1/namespaces/other/deployments/db', tok('erin'))).status,
    ).toBe(403);
    const cm = await raw(sim, 'POST', '/api/v1/namespaces/other/configmaps', {
      ...tok('erin'),
      body: configMap('other', 'by-erin'),
    });
    expect(cm.status).toBe(201);
    expect(
      (await raw(sim, 'DELETE', '/api/v1/namespaces/other/configmaps/by-erin', tok('erin'))).status,
    ).toBe(200);
  });

  it('resourceNames: never for create, for list and watch only with fieldSelector metadata.name', async () => {
    const cms = '/api/v1/namespaces/team/configmaps';
    expect((await raw(sim, 'GET', `${cms}/allowed`, tok('alice'))).status).toBe(200);
    expectForbidden(
      await raw(sim, 'GET', `${cms}/hidden`, tok('alice')),
      'configmaps "hidden" is forbidden: User "alice" cannot get resource "configmaps" in API group "" in the namespace "team"',
      { name: 'hidden', kind: 'configmaps' },
    );
    expect((await raw(sim, 'GET', cms, tok('alice'))).status).toBe(403);
    const pinned = await raw(sim, 'GET', `${cms}?fieldSelector=metadata.name%3Dallowed`, tok('alice'));
    expect(pinned.status).toBe(200);
    expect((pinned.json as { items: unknown[] }).items).toHaveLength(1);
    expectForbidden(
      await raw(sim, 'GET', `${cms}?fieldSelector=metadata.name%3Dhidden`, tok('alice')),
      'configmaps "hidden" is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "team"',
      { name: 'hidden', kind: 'configmaps' },
    );
    const watch = await raw(
      sim,
      'GET',
      `${cms}?watch=true&fieldSelector=metadata.name%3Dallowed&timeoutSeconds=1`,
      tok('alice'),
    );
    expect(watch.status).toBe(200);
    const created = await raw(sim, 'POST', cms, { ...tok('alice'), body: configMap('team', 'allowed') });
    expectForbidden(
      created,
      'configmaps is forbidden: User "alice" cannot create resource "configmaps" in API group "" in the namespace "team"',
      { kind: 'configmaps' },
    );
  });

  it('subresources: pods/log, */scale; pods/* is not a wildcard', async () => {
    const f = tok('frank');
    expect((await raw(sim, 'GET', '/api/v1/namespaces/other/pods/o1/log', f)).status).not.toBe(403);
    expect((await raw(sim, 'GET', '/api/v1/namespaces/other/pods/o1', f)).status).toBe(403);
    expect((await raw(sim, 'GET', '/api/v1/namespaces/other/pods/o1/status', f)).status).toBe(403);
    expect((await raw(sim, 'GET', '/apis/apps/v1/namespaces/other/deployments/db/scale', f)).status).toBe(
      200,
    );
    const scaled = await raw(sim, 'PATCH', '/apis/apps/v1/namespaces/other/deployments/db/scale', {
      ...f,
      body: { spec: { replicas: 2 } },
      contentType: 'application/merge-patch+json',
    });
    expect(scaled.status).toBe(200);
    expect((await raw(sim, 'GET', '/apis/apps/v1/namespaces/other/deployments/db', f)).status).toBe(403);
    expect((await raw(sim, 'GET', '/apis/apps/v1/namespaces/team/deployments/api/scale', f)).status).toBe(
      403,
    );
  });

  it('nonResourceURLs: exact paths and a trailing * prefix, from ClusterRoleBindings', async () => {
    const a = tok('alice');
    // allowed through to the server, which may or may not serve the path
    expect((await raw(sim, 'GET', '/metrics', a)).status).not.toBe(403);
    expect((await raw(sim, 'GET', '/debug/pprof/heap', a)).status).not.toBe(403);
    expect((await raw(sim, 'GET', '/debug', a)).status).toBe(403);
    expect((await raw(sim, 'POST', '/metrics', a)).status).toBe(403);
    expect((await raw(sim, 'GET', '/logs', a)).status).toBe(403);
  });

  it('ServiceAccount subjects default to the binding namespace', async () => {
    const asRobot = { headers: { 'Impersonate-User': 'system:serviceaccount:team:robot' } };
    expect((await raw(sim, 'GET', '/api/v1/namespaces/team/pods', asRobot)).status).toBe(200);
    expect((await raw(sim, 'GET', '/api/v1/namespaces/other/pods', asRobot)).status).toBe(403);
    const asOther = { headers: { 'Impersonate-User': 'system:serviceaccount:other:robot' } };
    expect((await raw(sim, 'GET', '/api/v1/namespaces/team/pods', asOther)).status).toBe(403);
  });

  it('follows binding changes at once', async () => {
    expect((await raw(sim, 'GET', '/api/v1/namespaces/other/services', tok('bob'))).status).toBe(403);
    await create(binding('other', 'bob-view', ['ClusterRole', 'view'], [U('bob')]));
    expect((await raw(sim, 'GET', '/api/v1/namespaces/other/services', tok('bob'))).status).toBe(200);
    expect((await raw(sim, 'DELETE', `${RBAC}/namespaces/other/rolebindings/bob-view`)).status).toBe(200);
    expect((await raw(sim, 'GET', '/api/v1/namespaces/other/services', tok('bob'))).status).toBe(403);
  });
});

describe('ClusterRole aggregation', () => {
  it('a ClusterRole labelled aggregate-to-view grants to view users, and view is MODIFIED for watchers', async () => {
    const leases = '/apis/coordination.k8s.io/v1/namespaces/team/leases';
    expect((await raw(sim, 'GET', leases, tok('carol'))).status).toBe(403);
    const rv = String(sim.cluster().store.resourceVersion);
    const w = await openWatch(
      sim,
      `${RBAC}/clusterroles?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dview`,
    );
    try {
      await create(
        clusterRole(
          'lease-viewer',
          [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list'] }],
          {
            'rbac.authorization.k8s.io/aggregate-to-view': 'true',
          },
        ),
      );
      const [event] = await w.next(1);
      expect(event?.type).toBe('MODIFIED');
      expect(JSON.stringify(event?.object['rules'])).toContain('"leases"');
      expect((await raw(sim, 'GET', leases, tok('carol'))).status).toBe(200);
      // view feeds edit, and edit feeds admin
      const admin = sim.cluster().store.get('clusterroles.rbac.authorization.k8s.io', '', 'admin');
      expect(JSON.stringify(admin?.['rules'])).toContain('"get","list"]');
      expect((await raw(sim, 'DELETE', `${RBAC}/clusterroles/lease-viewer`)).status).toBe(200);
      await w.next(2);
      expect((await raw(sim, 'GET', leases, tok('carol'))).status).toBe(403);
    } finally {
      w.close();
    }
  });

  it('aggregates a user-made aggregated ClusterRole too, on programmatic writes as well', async () => {
    sim.apply([
      {
        ...clusterRole('team-reader', []),
        aggregationRule: { clusterRoleSelectors: [{ matchLabels: { team: 'a' } }] },
      },
      clusterRole('part-1', [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }], { team: 'a' }),
      clusterRole('part-2', [{ apiGroups: [''], resources: ['services'], verbs: ['list'] }], { team: 'a' }),
    ]);
    const rules = await waitFor(() => {
      const r = sim.cluster().store.get('clusterroles.rbac.authorization.k8s.io', '', 'team-reader')?.[
        'rules'
      ];
      return Array.isArray(r) && r.length === 2 ? r : undefined;
    }, 'team-reader aggregated');
    expect(rules).toEqual([
      { verbs: ['list'], apiGroups: [''], resources: ['pods'] },
      { verbs: ['list'], apiGroups: [''], resources: ['services'] },
    ]);
  });
});

describe('impersonation', () => {
  it('the admin acts as a user: that user is authorized, with system:authenticated, and logged', async () => {
    const before = sim.cluster().requestLog.at(-1)?.seq ?? 0;
    const headers = { 'Impersonate-User': 'alice' };
    expect((await raw(sim, 'GET', '/api/v1/namespaces/team/pods', { headers })).status).toBe(200);
    expectForbidden(
      await raw(sim, 'GET', '/api/v1/namespaces/other/pods', { headers }),
      'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "other"',
      { kind: 'pods' },
    );
    const ssar = await raw(sim, 'POST', `${AUTHZ}/selfsubjectaccessreviews`, {
      headers,
      body: {
        kind: 'SelfSubjectAccessReview',
        apiVersion: 'authorization.k8s.io/v1',
        spec: { nonResourceAttributes: { path: '/api', verb: 'get' } },
      },
    });
    expect((ssar.json as { status: unknown }).status).toEqual({
      allowed: true,
      reason:
        'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"',
    });
    const logged = sim.cluster().requestLog.filter((e) => e.seq > before);
    expect(logged.map((e) => [e.user, e.impersonateUser])).toEqual([
      ['alice', 'alice'],
      ['alice', 'alice'],
      ['alice', 'alice'],
    ]);
  });

  it('needs verb impersonate on users, groups, userextras and uids, by name', async () => {
    const bob = (headers: Record<string, string>) =>
      raw(sim, 'GET', '/api/v1/namespaces/team/pods', { ...tok('bob'), headers });
    expectForbidden(
      await bob({ 'Impersonate-User': 'alice' }),
      'users "alice" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope',
      { name: 'alice', kind: 'users' },
    );
    await create(
      clusterRole('impersonator', [
        { apiGroups: [''], resources: ['users'], verbs: ['impersonate'], resourceNames: ['alice'] },
        { apiGroups: [''], resources: ['groups'], verbs: ['impersonate'], resourceNames: ['viewers'] },
        {
          apiGroups: ['authentication.k8s.io'],
          resources: ['userextras/scopes', 'uids'],
          verbs: ['impersonate'],
        },
      ]),
    );
    await create(binding('', 'bob-impersonates', ['ClusterRole', 'impersonator'], [U('bob')]));
    expect((await bob({ 'Impersonate-User': 'alice' })).status).toBe(200);
    expect(
      (await bob({ 'Impersonate-User': 'alice', 'Impersonate-Uid': 'u-1', 'Impersonate-Extra-Scopes': 'x' }))
        .status,
    ).toBe(200);
    expect((await bob({ 'Impersonate-User': 'carol' })).status).toBe(403);
    expectForbidden(
      await bob({ 'Impersonate-User': 'alice', 'Impersonate-Group': 'devs' }),
      'groups "devs" is forbidden: User "bob" cannot impersonate resource "groups" in API group "" at the cluster scope',
      { name: 'devs', kind: 'groups' },
    );
    expectForbidden(
      await bob({ 'Impersonate-User': 'alice', 'Impersonate-Extra-Other': 'v' }),
      'userextras.authentication.k8s.io "v" is forbidden: User "bob" cannot impersonate resource "userextras/other" in API group "authentication.k8s.io" at the cluster scope',
      { name: 'v', group: 'authentication.k8s.io', kind: 'userextras' },
    );
    expectForbidden(
      await bob({ 'Impersonate-User': 'system:serviceaccount:team:robot' }),
      'serviceaccounts "robot" is forbidden: User "bob" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "team"',
      { name: 'robot', kind: 'serviceaccounts' },
    );
    const noUser = await bob({ 'Impersonate-Group': 'viewers' });
    expect(noUser.status).toBe(400);
    expect((noUser.json as { reason: string }).reason).toBe('BadRequest');
  });

  it('impersonated groups replace the user’s own (and get system:authenticated)', async () => {
    const headers = { 'Impersonate-User': 'nobody', 'Impersonate-Group': 'viewers' };
    expect((await raw(sim, 'GET', '/apis/apps/v1/namespaces/team/deployments', { headers })).status).toBe(
      200,
    );
    expect((await raw(sim, 'GET', '/version', { headers })).status).toBe(200);
    const asAlice = { headers: { 'Impersonate-User': 'alice' } };
    // alice's token carries group devs, but an impersonated alice has only what the headers say
    expect((await raw(sim, 'GET', '/metrics', asAlice)).status).toBe(403);
  });

  it('client-node with `as:` (user.impersonateUser) in the kubeconfig', async () => {
    const config = parseYaml(sim.cluster().kubeconfig()) as { users: { user: Record<string, string> }[] };
    for (const u of config.users) u.user['as'] = 'alice';
    const kc = new KubeConfig();
    kc.loadFromString(stringifyYaml(config));
    expect(kc.getCurrentUser()?.impersonateUser).toBe('alice');
    const core = kc.makeApiClient(CoreV1Api);
    const list = await core.listNamespacedPod({ namespace: 'team' });
    expect(list.items.map((p) => p.metadata?.name)).toContain('t1');
    const err: unknown = await core.listNamespacedPod({ namespace: 'default' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<unknown>).code).toBe(403);
    expect(sim.cluster().requestLog.at(-1)).toMatchObject({
      user: 'alice',
      impersonateUser: 'alice',
      status: 403,
    });
  });
});

describe('access reviews (authorization.k8s.io/v1)', () => {
  const ssar = (resourceAttributes: Record<string, string>) => ({
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes },
  });

  it('SelfSubjectAccessReview: 201, the spec echoed, allowed with the RBAC reason', async () => {
    const yes = await raw(sim, 'POST', `${AUTHZ}/selfsubjectaccessreviews`, {
      ...tok('alice'),
      body: ssar({ namespace: 'team', verb: 'list', resource: 'pods', group: '' }),
    });
    expect(yes.status).toBe(201);
    expect(yes.json).toEqual({
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: { resourceAttributes: { namespace: 'team', verb: 'list', resource: 'pods' } },
      status: {
        allowed: true,
        reason: 'RBAC: allowed by RoleBinding "alice-pods/team" of Role "pod-reader" to User "alice"',
      },
    });
    const no = await raw(sim, 'POST', `${AUTHZ}/selfsubjectaccessreviews`, {
      ...tok('carol'),
      body: ssar({ namespace: 'default', verb: 'list', resource: 'pods' }),
    });
    expect((no.json as { status: unknown }).status).toEqual({ allowed: false });
    const bad = await raw(sim, 'POST', `${AUTHZ}/selfsubjectaccessreviews`, {
      ...tok('carol'),
      body: { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', spec: {} },
    });
    expect(bad.status).toBe(422);
    expect(sim.cluster().store.count('selfsubjectaccessreviews.authorization.k8s.io')).toBe(0);
    expect((await raw(sim, 'GET', `${AUTHZ}/selfsubjectaccessreviews`)).status).toBe(405);
  });

  it('client-node AuthorizationV1Api.createSelfSubjectAccessReview', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(sim.cluster().kubeconfig('carol-token', 'carol'));
    const authz = kc.makeApiClient(AuthorizationV1Api);
    const review = (namespace: string) =>
      authz.createSelfSubjectAccessReview({
        body: {
          spec: { resourceAttributes: { namespace, verb: 'watch', group: 'apps', resource: 'deployments' } },
        },
      });
    const yes = await review('team');
    expect(yes.status).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "viewers/team" of ClusterRole "view" to Group "viewers"',
    });
    expect((await review('default')).status?.allowed).toBe(false);
  });

  it('SubjectAccessReview: the caller needs create subjectaccessreviews; the subject is taken as given', async () => {
    const body = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: 'someone',
        groups: ['viewers'],
        resourceAttributes: { namespace: 'team', verb: 'get', resource: 'pods' },
      },
    };
    expectForbidden(
      await raw(sim, 'POST', `${AUTHZ}/subjectaccessreviews`, { ...tok('carol'), body }),
      'subjectaccessreviews.authorization.k8s.io is forbidden: User "carol" cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope',
      { group: 'authorization.k8s.io', kind: 'subjectaccessreviews' },
    );
    const r = await raw(sim, 'POST', `${AUTHZ}/subjectaccessreviews`, { body });
    expect(r.status).toBe(201);
    expect((r.json as { status: unknown }).status).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "viewers/team" of ClusterRole "view" to Group "viewers"',
    });
    const api = { ...body, spec: { user: 'someone', nonResourceAttributes: { path: '/api', verb: 'get' } } };
    // no system:authenticated is added to a SubjectAccessReview's subject
    expect(
      ((await raw(sim, 'POST', `${AUTHZ}/subjectaccessreviews`, { body: api })).json as { status: unknown })
        .status,
    ).toEqual({
      allowed: false,
    });
    const noSubject = { ...body, spec: { resourceAttributes: { verb: 'get', resource: 'pods' } } };
    expect((await raw(sim, 'POST', `${AUTHZ}/subjectaccessreviews`, { body: noSubject })).status).toBe(422);
  });

  it('LocalSubjectAccessReview: namespaced, its resourceAttributes.namespace must be the path namespace', async () => {
    const body = (namespace: string) => ({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'LocalSubjectAccessReview',
      spec: { user: 'alice', resourceAttributes: { namespace, verb: 'get', resource: 'pods' } },
    });
    const path = `${AUTHZ}/namespaces/team/localsubjectaccessreviews`;
    const ok = await raw(sim, 'POST', path, { body: body('team') });
    expect(ok.status).toBe(201);
    expect(ok.json).toMatchObject({ metadata: { namespace: 'team' }, status: { allowed: true } });
    const wrong = await raw(sim, 'POST', path, { body: body('other') });
    expect(wrong.status).toBe(400);
    expect((wrong.json as { message: string }).message).toBe(
      'spec.resourceAttributes.namespace must match namespace: team',
    );
    // edit/admin hold create localsubjectaccessreviews; view does not
    expect((await raw(sim, 'POST', path, { ...tok('carol'), body: body('team') })).status).toBe(403);
  });

  it('SelfSubjectRulesReview: the rules in a namespace, cluster-wide ones included', async () => {
    const r = await raw(sim, 'POST', `${AUTHZ}/selfsubjectrulesreviews`, {
      ...tok('alice'),
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectRulesReview',
        spec: { namespace: 'team' },
      },
    });
    expect(r.status).toBe(201);
    const status = (
      r.json as { status: { resourceRules: Rule[]; nonResourceRules: Rule[]; incomplete: boolean } }
    ).status;
    expect(status.incomplete).toBe(false);
    expect(status.resourceRules).toContainEqual({
      verbs: ['get', 'list', 'watch'],
      apiGroups: [''],
      resources: ['pods'],
    });
    expect(status.resourceRules).toContainEqual({
      verbs: ['create'],
      apiGroups: ['authorization.k8s.io'],
      resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
    });
    expect(status.resourceRules).toContainEqual(expect.objectContaining({ resourceNames: ['allowed'] }));
    expect(status.nonResourceRules).toContainEqual({
      verbs: ['get'],
      nonResourceURLs: ['/metrics', '/debug/*'],
    });
    const missing = await raw(sim, 'POST', `${AUTHZ}/selfsubjectrulesreviews`, {
      ...tok('alice'),
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: {} },
    });
    expect(missing.status).toBe(400);
  });
});
