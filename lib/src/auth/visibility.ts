import type { RegisteredCluster } from '../kube/index.ts';
import { type LabelSelector, matchesLabelSelector } from './rbac.ts';
import type { Decision, ResourceAttributes, UserInfo } from './types.ts';

/**
 * Which clusters a user may see, and where workspaces are placed (KubeSphere's tenant model, kubesphere-domain.md
 * §3). Pure functions over what the authorizer's caches hold.
 */

/** a Cluster object with this label set to `public` is visible to every authenticated user */
export const CLUSTER_VISIBILITY_LABEL = 'cluster.kubesphere.io/visibility';
/** the namespace (project) label naming its workspace */
export const WORKSPACE_LABEL = 'kubesphere.io/workspace';

/**
 * Groups every user (or every service account) is in. A binding that reaches the user only through one of these
 * (Kubernetes' bootstrap `system:basic-user`, `system:discovery`, ... ClusterRoleBindings exist on every cluster)
 * does not make a cluster visible: otherwise every cluster would be visible to everyone.
 */
export const BROAD_GROUPS: ReadonlySet<string> = new Set([
  'system:authenticated',
  'system:unauthenticated',
  'system:serviceaccounts',
]);

/** the subject keys (see subjectKeysOf) that count for "bound on the cluster" */
export function personalSubjectKeys(keys: readonly string[]): string[] {
  return keys.filter((k) => {
    if (!k.startsWith('Group:')) return true;
    const group = k.slice('Group:'.length);
    return !BROAD_GROUPS.has(group) && !group.startsWith('system:serviceaccounts:');
  });
}

export interface WorkspaceTemplateLike {
  metadata?: { name?: string };
  spec?: { placement?: { clusters?: Array<{ name?: string }>; clusterSelector?: LabelSelector } };
}

/**
 * The clusters a WorkspaceTemplate places its workspace on: `spec.placement.clusters[].name`, plus every registered
 * cluster whose Cluster object labels match `spec.placement.clusterSelector` (a cluster without a Cluster object,
 * as in single-cluster mode, has no labels). Sorted, without duplicates.
 */
export function placedClusters(
  template: WorkspaceTemplateLike | undefined,
  clusters: readonly RegisteredCluster[],
): string[] {
  const placement = template?.spec?.placement;
  if (!placement) return [];
  const out = new Set<string>();
  for (const c of placement.clusters ?? []) if (c.name) out.add(c.name);
  const selector = placement.clusterSelector;
  if (selector && (selector.matchLabels || selector.matchExpressions)) {
    for (const c of clusters)
      if (matchesLabelSelector(selector, c.object?.metadata?.labels as Record<string, string> | undefined))
        out.add(c.name);
  }
  return [...out].sort();
}

export function isPublicCluster(cluster: RegisteredCluster | undefined): boolean {
  return cluster?.object?.metadata?.labels?.[CLUSTER_VISIBILITY_LABEL] === 'public';
}

/** what canSeeCluster reads; the authorizer provides it */
export interface VisibilityView {
  cluster(name: string): RegisteredCluster | undefined;
  authorize(user: UserInfo, attrs: ResourceAttributes): Decision;
  workspacesOf(user: UserInfo): string[];
  workspaceClusters(workspace: string): string[];
  /** any ClusterRoleBinding or RoleBinding on the cluster names one of these subject keys */
  boundOn(cluster: string, subjectKeys: readonly string[]): boolean;
}

/** the request canSeeCluster asks first: may the user list every cluster of the platform */
export const LIST_CLUSTERS: ResourceAttributes = {
  verb: 'list',
  apiGroup: 'cluster.kubesphere.io',
  resource: 'clusters',
  scope: 'global',
};

/**
 * A user may see a registered cluster when: a global role lets them list clusters.cluster.kubesphere.io; or the
 * Cluster object is labelled cluster.kubesphere.io/visibility=public; or they are a member of a workspace placed
 * on it; or a ClusterRoleBinding or RoleBinding on that cluster names them, or a group of theirs other than
 * BROAD_GROUPS. An unregistered cluster is never visible.
 */
export function canSeeCluster(
  view: VisibilityView,
  user: UserInfo,
  cluster: string,
  subjectKeys: readonly string[],
): boolean {
  const registered = view.cluster(cluster);
  if (!registered) return false;
  if (view.authorize(user, LIST_CLUSTERS).allowed) return true;
  if (isPublicCluster(registered)) return true;
  if (view.workspacesOf(user).some((ws) => view.workspaceClusters(ws).includes(cluster))) return true;
  return view.boundOn(cluster, personalSubjectKeys(subjectKeys));
}
