import type { ClustersContext } from '../context.ts';
import type { ProjectModel } from './model.ts';

/**
 * Who sees what of the inventory (docs/security.md), in KubeSphere's terms, each decision made once per request:
 * - nodes of a cluster: `list nodes` at cluster scope on it (one node by name: `get nodes` with that name);
 * - a project: `get namespaces` with its name, at namespace scope in it (its workspace's roles, then its
 *   RoleBindings, then the cluster's ClusterRoleBindings);
 * - a workspace: `list workspacetemplates` at platform scope (a platform administrator), or membership (a
 *   WorkspaceRoleBinding of the workspace naming the user or one of its groups). KubeSphere's platform-regular
 *   GlobalRole may list `workspaces`, yet KubeSphere shows a regular user only their own workspaces.
 */

export function canListNodes(ctx: ClustersContext, cluster: string): boolean {
  return ctx.authz.can({ verb: 'list', apiGroup: '', resource: 'nodes', scope: 'cluster', cluster });
}

export function canGetNode(ctx: ClustersContext, cluster: string, name: string): boolean {
  return ctx.authz.can({ verb: 'get', apiGroup: '', resource: 'nodes', name, scope: 'cluster', cluster });
}

export function canSeeProject(ctx: ClustersContext, cluster: string, name: string): boolean {
  return ctx.authz.can({
    verb: 'get',
    apiGroup: '',
    resource: 'namespaces',
    name,
    scope: 'namespace',
    cluster,
    namespace: name,
  });
}

export function canSeeWorkspace(ctx: ClustersContext, name: string): boolean {
  if (
    ctx.authz.can({
      verb: 'list',
      apiGroup: 'tenant.kubesphere.io',
      resource: 'workspacetemplates',
      scope: 'global',
    })
  )
    return true;
  return ctx.authorizer.workspacesOf(ctx.user).includes(name);
}

/** a filter for lists of projects */
export const visibleProject =
  (ctx: ClustersContext) =>
  (p: ProjectModel): boolean =>
    canSeeProject(ctx, p.cluster, p.name);
