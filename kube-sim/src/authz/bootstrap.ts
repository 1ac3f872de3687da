import type { KubeObject } from '../types.ts';
import type { PolicyRule } from './rules.ts';

/**
 * The bootstrap RBAC policy every cluster starts with, as kube-apiserver's rbac/bootstrap-roles post-start hook
 * creates it (k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy), cut down to the kinds kube-sim
 * serves. admin, edit and view are aggregated: their rules come from the system:aggregate-to-* roles and from any
 * ClusterRole labelled rbac.authorization.k8s.io/aggregate-to-{admin,edit,view}: "true".
 */

const API_VERSION = 'rbac.authorization.k8s.io/v1';
const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const READ_WRITE = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const AGGREGATE = 'rbac.authorization.k8s.io/aggregate-to-';

const rule = (verbs: string[], apiGroups: string[], resources: string[]): PolicyRule => ({
  verbs,
  apiGroups,
  resources,
});

function metadata(name: string, labels: Record<string, string> = {}): KubeObject['metadata'] {
  return {
    name,
    labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults', ...labels },
    annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
  };
}

function clusterRole(
  name: string,
  rules: PolicyRule[],
  labels: Record<string, string> = {},
  aggregateFrom?: string,
): KubeObject {
  const role: KubeObject = {
    apiVersion: API_VERSION,
    kind: 'ClusterRole',
    metadata: metadata(name, labels),
    rules,
  };
  if (aggregateFrom) {
    role['aggregationRule'] = {
      clusterRoleSelectors: [{ matchLabels: { [AGGREGATE + aggregateFrom]: 'true' } }],
    };
  }
  return role;
}

function clusterRoleBinding(name: string, role: string, groups: string[]): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: 'ClusterRoleBinding',
    metadata: metadata(name),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: groups.map((g) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: g })),
  };
}

const VIEW_RULES: PolicyRule[] = [
  rule(
    READ,
    [''],
    ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods'],
  ),
  rule(READ, [''], ['serviceaccounts', 'services', 'services/status']),
  rule(READ, [''], ['events', 'namespaces/status', 'pods/log', 'pods/status']),
  rule(READ, [''], ['namespaces']),
  rule(
    READ,
    ['apps'],
    [
      'daemonsets',
      'daemonsets/status',
      'deployments',
      'deployments/scale',
      'deployments/status',
      'replicasets',
      'replicasets/scale',
      'replicasets/status',
      'statefulsets',
      'statefulsets/scale',
      'statefulsets/status',
    ],
  ),
  rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
  rule(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
];

const EDIT_RULES: PolicyRule[] = [
  rule(READ, [''], ['secrets']),
  rule(['impersonate'], [''], ['serviceaccounts']),
  rule(WRITE, [''], ['pods']),
  rule(
    WRITE,
    [''],
    ['configmaps', 'events', 'persistentvolumeclaims', 'secrets', 'serviceaccounts', 'services'],
  ),
  rule(
    WRITE,
    ['apps'],
    [
      'daemonsets',
      'deployments',
      'deployments/scale',
      'replicasets',
      'replicasets/scale',
      'statefulsets',
      'statefulsets/scale',
    ],
  ),
  rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
  rule(WRITE, ['batch'], ['cronjobs', 'jobs']),
  rule(READ_WRITE, ['coordination.k8s.io'], ['leases']),
];

const ADMIN_RULES: PolicyRule[] = [
  rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
  rule(READ_WRITE, ['rbac.authorization.k8s.io'], ['rolebindings', 'roles']),
];

const PUBLIC_INFO = ['/healthz', '/livez', '/readyz', '/version', '/version/'];

/** the bootstrap ClusterRoles and ClusterRoleBindings, labelled kubernetes.io/bootstrapping=rbac-defaults */
export function bootstrapPolicy(): KubeObject[] {
  return [
    clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), { verbs: ['*'], nonResourceURLs: ['*'] }]),
    clusterRole('admin', [], {}, 'admin'),
    clusterRole('edit', [], { [`${AGGREGATE}admin`]: 'true' }, 'edit'),
    clusterRole('view', [], { [`${AGGREGATE}edit`]: 'true' }, 'view'),
    clusterRole('system:aggregate-to-admin', ADMIN_RULES, { [`${AGGREGATE}admin`]: 'true' }),
    clusterRole('system:aggregate-to-edit', EDIT_RULES, { [`${AGGREGATE}edit`]: 'true' }),
    clusterRole('system:aggregate-to-view', VIEW_RULES, { [`${AGGREGATE}view`]: 'true' }),
    clusterRole('system:discovery', [
      {
        verbs: ['get'],
        nonResourceURLs: [
          '/api',
          '/api/*',
          '/apis',
          '/apis/*',
          ...PUBLIC_INFO,
          '/openapi',
          '/openapi/*',
        ].sort(),
      },
    ]),
    clusterRole('system:basic-user', [
      rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
    ]),
    clusterRole('system:public-info-viewer', [{ verbs: ['get'], nonResourceURLs: PUBLIC_INFO }]),
    clusterRoleBinding('cluster-admin', 'cluster-admin', ['system:masters']),
    clusterRoleBinding('system:discovery', 'system:discovery', ['system:authenticated']),
    clusterRoleBinding('system:basic-user', 'system:basic-user', ['system:authenticated']),
    clusterRoleBinding('system:public-info-viewer', 'system:public-info-viewer', [
      'system:authenticated',
      'system:unauthenticated',
    ]),
  ];
}
