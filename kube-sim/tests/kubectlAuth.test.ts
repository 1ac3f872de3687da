import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { KubeObject } from '../src/index.ts';
import { KubectlHarness, kubectlAvailable, only, requestsTo } from './kubectlHarness.ts';

/** The real kubectl as a non-admin user: RBAC, `auth can-i` (yes/no, --list), and impersonation with --as. */

const hasKubectl = await kubectlAvailable();

const RBAC_V1 = 'rbac.authorization.k8s.io/v1';

const SEED: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'team' },
    spec: { containers: [{ name: 'c', image: 'nginx' }] },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'db-1', namespace: 'default' },
    spec: { containers: [{ name: 'c', image: 'nginx' }] },
  },
  {
    apiVersion: RBAC_V1,
    kind: 'Role',
    metadata: { name: 'pod-reader', namespace: 'team' },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
  },
  {
    apiVersion: RBAC_V1,
    kind: 'RoleBinding',
    metadata: { name: 'alice-pods', namespace: 'team' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
  },
  {
    apiVersion: RBAC_V1,
    kind: 'RoleBinding',
    metadata: { name: 'viewers', namespace: 'team' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'viewers' }],
  },
];

describe.skipIf(!hasKubectl)('kubectl as a normal user against kube-sim RBAC', () => {
  let h: KubectlHarness;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    h = await KubectlHarness.start({
      fleet: {
        clusters: [
          {
            name: 'c',
            users: [
              { name: 'alice', token: 'alice-token', groups: ['devs'] },
              { name: 'bob', token: 'bob-token' },
            ],
          },
        ],
      },
      seed: SEED,
    });
    alice = await h.manifest('alice.kubeconfig', h.cluster.kubeconfig('alice-token', 'alice'));
    bob = await h.manifest('bob.kubeconfig', h.cluster.kubeconfig('bob-token', 'bob'));
  });
  afterAll(async () => {
    await h.close();
  });

  it('get pods works where the user is bound (discovery through system:discovery) and is Forbidden elsewhere', async () => {
    const mark = h.mark();
    const ok = await h.ok(['get', 'pods', '-n', 'team', '-o', 'name'], { kubeconfig: alice });
    expect(ok.trim()).toBe('pod/web-1');
    const entries = h.requestsSince(mark);
    expect(entries.every((e) => e.user === 'alice')).toBe(true);
    expect(requestsTo(entries, 'GET', '/api').every((e) => e.status === 200)).toBe(true);
    const denied = await h.run(['get', 'pods', '-n', 'default'], { kubeconfig: alice });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain(
      'Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"',
    );
  });

  it('auth can-i answers yes (exit 0) and no (exit 1) from a SelfSubjectAccessReview', async () => {
    const mark = h.mark();
    const yes = await h.run(['auth', 'can-i', 'list', 'pods', '-n', 'team'], { kubeconfig: alice });
    expect([yes.code, yes.stdout.trim()]).toEqual([0, 'yes']);
    const review = only(
      h.requestsSince(mark),
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    );
    expect(review).toMatchObject({ status: 201, user: 'alice' });
    const no = await h.run(['auth', 'can-i', 'delete', 'pods', '-n', 'team'], { kubeconfig: alice });
    expect([no.code, no.stdout.trim()]).toEqual([1, 'no']);
    const other = await h.run(['auth', 'can-i', 'get', 'pods', '-n', 'default'], { kubeconfig: alice });
    expect([other.code, other.stdout.trim()]).toEqual([1, 'no']);
    const path = await h.run(['auth', 'can-i', 'get', '/api'], { kubeconfig: alice });
    expect([path.code, path.stdout.trim()]).toEqual([0, 'yes']);
  });

  it('auth can-i --as and --as-group (the admin impersonates)', async () => {
    const mark = h.mark();
    const yes = await h.run(['auth', 'can-i', 'list', 'pods', '-n', 'team', '--as', 'alice']);
    expect([yes.code, yes.stdout.trim()]).toEqual([0, 'yes']);
    const review = only(
      h.requestsSince(mark),
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    );
    expect(review).toMatchObject({ user: 'alice', impersonateUser: 'alice' });
    const no = await h.run(['auth', 'can-i', 'list', 'pods', '-n', 'default', '--as', 'alice']);
    expect([no.code, no.stdout.trim()]).toEqual([1, 'no']);
    const group = await h.run([
      'auth',
      'can-i',
      'list',
      'deployments',
      '-n',
      'team',
      '--as',
      'someone',
      '--as-group',
      'viewers',
    ]);
    expect([group.code, group.stdout.trim()]).toEqual([0, 'yes']);
    expect(
      (await h.run(['auth', 'can-i', 'list', 'deployments', '-n', 'team', '--as', 'someone'])).code,
    ).toBe(1);
  });

  it('auth can-i --list prints the rules of a SelfSubjectRulesReview', async () => {
    const out = await h.ok(['auth', 'can-i', '--list', '-n', 'team'], { kubeconfig: alice });
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs/);
    expect(lines.find((l) => /^pods\s/.test(l))).toMatch(/\[get list watch\]/);
    expect(lines.find((l) => l.startsWith('selfsubjectaccessreviews.authorization.k8s.io'))).toMatch(
      /\[create\]/,
    );
    expect(lines.find((l) => l.includes('[/api/*]'))).toMatch(/\[get\]/);
    const other = await h.ok(['auth', 'can-i', '--list', '-n', 'default'], { kubeconfig: alice });
    expect(other.split('\n').some((l) => /^pods\s/.test(l))).toBe(false);
  });

  it('--as is logged as the effective user; a user without impersonate gets Forbidden', async () => {
    const mark = h.mark();
    const denied = await h.run(['get', 'pods', '-n', 'default', '--as', 'alice']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('pods is forbidden: User "alice" cannot list resource "pods"');
    const get = only(h.requestsSince(mark), 'GET', '/api/v1/namespaces/default/pods');
    expect(get).toMatchObject({ user: 'alice', impersonateUser: 'alice', status: 403 });
    // Discovery is refused too, so `get` fails before its request; --raw shows the apiserver's message.
    const mark2 = h.mark();
    const bobAsAlice = await h.run(['get', '--raw', '/api/v1/namespaces/team/pods', '--as', 'alice'], {
      kubeconfig: bob,
    });
    expect(bobAsAlice.code).toBe(1);
    expect(bobAsAlice.stderr).toContain(
      'Error from server (Forbidden): users "alice" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
    expect(only(h.requestsSince(mark2), 'GET', '/api/v1/namespaces/team/pods')).toMatchObject({
      user: 'bob',
      impersonateUser: 'alice',
      status: 403,
    });
  });
});
