import type { ClusterSpec, FleetSpec, FleetUserSpec } from '../fleet.ts';
import type { KubeObject, OwnerReference } from '../types.ts';
import { kubesphereCrds } from './kubesphereCrds.ts';
import { uidFor } from './workloads.ts';

/**
 * KubeSphere's tenant model and IAM on a fleet (../shared/reference/kubesphere-domain.md §3):
 * WorkspaceTemplates on the host and a Workspace on each cluster they place, Users, GlobalRoles,
 * WorkspaceRoles and their bindings on the host, and on every cluster the Kubernetes RBAC that matches each
 * user's KubeSphere roles, so a user's own token can do on a cluster what KubeSphere would let them do there.
 *
 * How KubeSphere roles become Kubernetes RBAC here (KubeSphere's authorizer evaluates its own bindings;
 * kube-sim's RBAC only knows Kubernetes objects, so the same grants are written down as RoleBindings):
 * - GlobalRole `platform-admin` → ClusterRoleBinding `<user>-cluster-admin` to ClusterRole `cluster-admin` on
 *   every cluster (the binding KubeSphere itself makes for a cluster admin).
 * - WorkspaceRole `<ws>-admin` → RoleBinding `<user>-admin` to ClusterRole `admin` in every namespace of the
 *   workspace on every cluster; `<ws>-viewer` → `<user>-viewer` to `view`. These two roles reach every
 *   project of the workspace in KubeSphere.
 * - `<ws>-regular` and `<ws>-self-provisioner` reach no project by themselves: in KubeSphere a regular member
 *   sees only the projects they were invited to, with a project role. Project roles map as `admin` → `admin`,
 *   `operator` → `edit`, `viewer` → `view`, in a RoleBinding `<user>-<project role>`.
 */

export const KUBESPHERE_VERSION = 'v4.2.1';

export type WorkspaceRoleKind = 'admin' | 'regular' | 'self-provisioner' | 'viewer';
export type ProjectRole = 'admin' | 'operator' | 'viewer';

export interface WorkspaceFixture {
  name: string;
  /** the clusters the WorkspaceTemplate places the workspace on (a Workspace is made on each) */
  clusters: string[];
  /** spec.template.spec.manager */
  manager: string;
  description?: string;
}

export interface TenantUser {
  name: string;
  email: string;
  displayName?: string;
  /** platform-admin, platform-regular or platform-self-provisioner */
  globalRole: string;
  /** workspace → role; the WorkspaceRole bound is `<workspace>-<role>` */
  workspaces?: Record<string, WorkspaceRoleKind>;
  /** namespace → project role, for projects a workspace member was invited to */
  projects?: Record<string, ProjectRole>;
  /** a fixed bearer token; @default a random one at start */
  token?: string;
}

export interface Tenancy {
  workspaces: WorkspaceFixture[];
  users: TenantUser[];
}

const RBAC = 'rbac.authorization.k8s.io';
const IAM = 'iam.kubesphere.io/v1beta1';
const TENANT = 'tenant.kubesphere.io/v1beta1';
const WS_LABEL = 'kubesphere.io/workspace';
const PROJECT_CLUSTER_ROLE: Record<ProjectRole, string> = {
  admin: 'admin',
  operator: 'edit',
  viewer: 'view',
};
const all = { apiGroups: ['*'], resources: ['*'], verbs: ['*'] };
const readAll = { apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch'] };

const userSubject = (name: string): Record<string, string> => ({ apiGroup: RBAC, kind: 'User', name });
const templateUid = (ws: string): string => uidFor('host', 'workspacetemplate', ws);
const workspaceUid = (cluster: string, ws: string): string => uidFor(cluster, 'workspace', ws);

function templateOwner(ws: string): OwnerReference[] {
  return [
    {
      apiVersion: TENANT,
      kind: 'WorkspaceTemplate',
      name: ws,
      uid: templateUid(ws),
      controller: true,
      blockOwnerDeletion: true,
    },
  ];
}

/** the built-in GlobalRoles */
export function globalRoles(): KubeObject[] {
  const role = (name: string, alias: string, rules: unknown[]): KubeObject => ({
    apiVersion: IAM,
    kind: 'GlobalRole',
    metadata: {
      name,
      labels: { 'iam.kubesphere.io/role-template': 'false', 'kubesphere.io/managed': 'true' },
      annotations: { 'kubesphere.io/alias-name': alias, 'kubesphere.io/creator': 'system' },
    },
    rules,
  });
  return [
    role('platform-admin', 'Platform administrator', [all, { nonResourceURLs: ['*'], verbs: ['*'] }]),
    role('platform-regular', 'Platform regular user', [
      { apiGroups: ['iam.kubesphere.io'], resources: ['users'], verbs: ['get', 'list'] },
      { apiGroups: ['tenant.kubesphere.io'], resources: ['workspaces'], verbs: ['get', 'list', 'watch'] },
    ]),
    role('platform-self-provisioner', 'Platform self-provisioner', [
      { apiGroups: ['tenant.kubesphere.io'], resources: ['workspacetemplates'], verbs: ['create'] },
      { apiGroups: ['tenant.kubesphere.io'], resources: ['workspaces'], verbs: ['get', 'list', 'watch'] },
    ]),
  ];
}

/** the four built-in WorkspaceRoles of a workspace, owned by its WorkspaceTemplate */
export function workspaceRoles(ws: string): KubeObject[] {
  const rules: Record<WorkspaceRoleKind, unknown[]> = {
    admin: [all],
    regular: [{ apiGroups: ['tenant.kubesphere.io'], resources: ['workspaces'], verbs: ['get'] }],
    'self-provisioner': [
      { apiGroups: ['tenant.kubesphere.io'], resources: ['workspaces'], verbs: ['get'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['create'] },
    ],
    viewer: [readAll],
  };
  return (Object.keys(rules) as WorkspaceRoleKind[]).map((kind) => ({
    apiVersion: IAM,
    kind: 'WorkspaceRole',
    metadata: {
      name: `${ws}-${kind}`,
      labels: { [WS_LABEL]: ws, 'iam.kubesphere.io/role-template': 'false' },
      annotations: { 'kubesphere.io/creator': 'system' },
      ownerReferences: templateOwner(ws),
    },
    rules: rules[kind],
  }));
}

export function workspaceTemplate(w: WorkspaceFixture): KubeObject {
  const annotations: Record<string, string> = { 'kubesphere.io/creator': 'admin' };
  if (w.description) annotations['kubesphere.io/description'] = w.description;
  return {
    apiVersion: TENANT,
    kind: 'WorkspaceTemplate',
    metadata: { name: w.name, uid: templateUid(w.name), annotations },
    spec: {
      template: { metadata: { annotations }, spec: { manager: w.manager } },
      placement: { clusters: w.clusters.map((name) => ({ name })) },
    },
  };
}

/** the Workspace KubeSphere makes on each cluster a WorkspaceTemplate places */
export function workspace(w: WorkspaceFixture, cluster: string): KubeObject {
  const annotations: Record<string, string> = { 'kubesphere.io/creator': 'admin' };
  if (w.description) annotations['kubesphere.io/description'] = w.description;
  return {
    apiVersion: TENANT,
    kind: 'Workspace',
    metadata: { name: w.name, uid: workspaceUid(cluster, w.name), annotations },
    spec: { manager: w.manager },
  };
}

/** a User, its GlobalRoleBinding and its WorkspaceRoleBindings (all on the host) */
export function userObjects(u: TenantUser, now: Date): KubeObject[] {
  const t = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const user: KubeObject = {
    apiVersion: IAM,
    kind: 'User',
    metadata: {
      name: u.name,
      annotations: { 'iam.kubesphere.io/globalrole': u.globalRole, 'kubesphere.io/creator': 'admin' },
    },
    spec: { email: u.email, lang: 'en', ...(u.displayName ? { displayName: u.displayName } : {}) },
    status: { state: 'Active', lastTransitionTime: t },
  };
  const globalBinding: KubeObject = {
    apiVersion: IAM,
    kind: 'GlobalRoleBinding',
    metadata: {
      name: `${u.name}-${u.globalRole}`,
      labels: { 'iam.kubesphere.io/user-ref': u.name, 'iam.kubesphere.io/role-ref': u.globalRole },
    },
    subjects: [userSubject(u.name)],
    roleRef: { apiGroup: 'iam.kubesphere.io', kind: 'GlobalRole', name: u.globalRole },
  };
  const wsBindings = Object.entries(u.workspaces ?? {}).map(([ws, kind]): KubeObject => {
    const role = `${ws}-${kind}`;
    return {
      apiVersion: IAM,
      kind: 'WorkspaceRoleBinding',
      metadata: {
        name: `${u.name}-${role}`,
        labels: {
          'iam.kubesphere.io/user-ref': u.name,
          'iam.kubesphere.io/role-ref': role,
          [WS_LABEL]: ws,
        },
        ownerReferences: templateOwner(ws),
      },
      subjects: [userSubject(u.name)],
      roleRef: { apiGroup: 'iam.kubesphere.io', kind: 'WorkspaceRole', name: role },
    };
  });
  return [user, globalBinding, ...wsBindings];
}

function roleBinding(user: string, namespace: string, ksRole: string, clusterRole: string): KubeObject {
  return {
    apiVersion: `${RBAC}/v1`,
    kind: 'RoleBinding',
    metadata: {
      name: `${user}-${ksRole}`,
      namespace,
      labels: { 'iam.kubesphere.io/user-ref': user, 'iam.kubesphere.io/role-ref': ksRole },
    },
    subjects: [userSubject(user)],
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: clusterRole },
  };
}

/** the Kubernetes RBAC of one user on one cluster, given the workspace of each of its namespaces */
export function userRbac(u: TenantUser, namespaces: ReadonlyMap<string, string>): KubeObject[] {
  const out: KubeObject[] = [];
  if (u.globalRole === 'platform-admin') {
    out.push({
      apiVersion: `${RBAC}/v1`,
      kind: 'ClusterRoleBinding',
      metadata: {
        name: `${u.name}-cluster-admin`,
        labels: { 'iam.kubesphere.io/user-ref': u.name, 'iam.kubesphere.io/role-ref': 'cluster-admin' },
      },
      subjects: [userSubject(u.name)],
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'cluster-admin' },
    });
  }
  const granted = new Set<string>();
  for (const [ns, ws] of namespaces) {
    const kind = u.workspaces?.[ws];
    if (kind === 'admin' || kind === 'viewer') {
      out.push(roleBinding(u.name, ns, kind, kind === 'admin' ? 'admin' : 'view'));
      granted.add(ns);
    }
  }
  for (const [ns, role] of Object.entries(u.projects ?? {})) {
    if (namespaces.has(ns) && !granted.has(ns))
      out.push(roleBinding(u.name, ns, role, PROJECT_CLUSTER_ROLE[role]));
  }
  return out;
}

/** namespace → workspace, from the `kubesphere.io/workspace` labels of a cluster's seed namespaces */
function workspaceNamespaces(spec: ClusterSpec): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of spec.objects ?? []) {
    const ws = o.metadata.labels?.[WS_LABEL];
    if (o.kind === 'Namespace' && o.metadata.name && ws) out.set(o.metadata.name, ws);
  }
  return out;
}

/**
 * The fleet with KubeSphere on it: CRDs on every cluster; on the host (the cluster with role host, else the
 * first) the WorkspaceTemplates, Users, roles and bindings, and `multiCluster: true` (its Cluster objects are
 * made once the listeners run); a Workspace on each placed cluster, owning that cluster's namespaces of the
 * workspace; Kubernetes RBAC per user on every cluster; and `users` with a token for every cluster. Throws
 * when a namespace names a workspace that is not placed on its cluster.
 */
export function withKubeSphere(fleet: FleetSpec, tenancy: Tenancy, now = new Date()): FleetSpec {
  const byName = new Map(tenancy.workspaces.map((w) => [w.name, w]));
  const hostIndex = Math.max(
    0,
    fleet.clusters.findIndex((c) => c.role === 'host'),
  );
  const clusters = fleet.clusters.map((spec, i): ClusterSpec => {
    const namespaces = workspaceNamespaces(spec);
    for (const [ns, ws] of namespaces) {
      if (!byName.get(ws)?.clusters.includes(spec.name))
        throw new Error(`kube-sim: namespace ${ns} on ${spec.name} is in workspace ${ws}, not placed there`);
    }
    const placed = tenancy.workspaces.filter((w) => w.clusters.includes(spec.name));
    const objects = (spec.objects ?? []).map((o) => {
      const ws = o.kind === 'Namespace' ? namespaces.get(o.metadata.name ?? '') : undefined;
      if (!ws) return o;
      const owner: OwnerReference = {
        apiVersion: TENANT,
        kind: 'Workspace',
        name: ws,
        uid: workspaceUid(spec.name, ws),
        controller: true,
        blockOwnerDeletion: true,
      };
      const others = (o.metadata.ownerReferences ?? []).filter((r) => r.kind !== 'Workspace');
      return { ...o, metadata: { ...o.metadata, ownerReferences: [...others, owner] } };
    });
    const host =
      i === hostIndex
        ? [
            ...globalRoles(),
            ...tenancy.workspaces.flatMap((w) => [workspaceTemplate(w), ...workspaceRoles(w.name)]),
            ...tenancy.users.flatMap((u) => userObjects(u, now)),
          ]
        : [];
    return {
      ...spec,
      ...(i === hostIndex ? { multiCluster: true } : {}),
      objects: [
        ...kubesphereCrds(),
        ...host,
        ...placed.map((w) => workspace(w, spec.name)),
        ...objects,
        ...tenancy.users.flatMap((u) => userRbac(u, namespaces)),
      ],
    };
  });
  const users = tenancy.users.map((u): FleetUserSpec => {
    const workspaceRoles = Object.fromEntries(
      Object.entries(u.workspaces ?? {}).map(([ws, kind]) => [ws, `${ws}-${kind}`]),
    );
    return {
      name: u.name,
      ...(u.token ? { token: u.token } : {}),
      globalRole: u.globalRole,
      workspaceRoles,
      ...(u.projects ? { projectRoles: u.projects } : {}),
    };
  });
  return { ...fleet, clusters, users: [...(fleet.users ?? []), ...users] };
}
