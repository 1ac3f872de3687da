import { connectionFrom, ordering, paginate } from '@fleetgraph/lib/subgraph';

import type {
  NodeFilter,
  NodeOrderField,
  ProjectFilter,
  ProjectOrderField,
  Resolvers,
} from '../__generated__/resolvers-types.ts';
import type { ClustersContext } from '../context.ts';
import { type ClusterModel, fleetOrder } from '../fleet/model.ts';
import { clusterSpecOf } from './kube.ts';
import type { NodeModel, ProjectModel } from './model.ts';
import { canGetNode, canListNodes, canSeeProject, canSeeWorkspace, visibleProject } from './visibility.ts';

/** Resolvers of the inventory (nodes, projects, workspaces); merged into ../resolvers.ts. Visibility: ./visibility.ts */

/** the sort keys of Node and Project orderBy (NodeOrderField, ProjectOrderField) */
const BY_NAME_OR_AGE = {
  NAME: (x: { name: string; createdAt: string }) => x.name,
  CREATED_AT: (x: { name: string; createdAt: string }) => x.createdAt,
};
const nodeKey = (n: NodeModel): string => n.name;
const projectKey = (p: ProjectModel): string => p.name;
/** sorts as "by cluster, then by name" (NUL sorts before every character of a name) */
const fleetProjectKey = (p: ProjectModel): string => `${p.cluster}\u0000${p.name}`;
const byKey =
  <T>(key: (t: T) => string) =>
  (a: T, b: T): number => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };

function filterNodes(nodes: NodeModel[], filter: NodeFilter | null | undefined): NodeModel[] {
  let out = nodes;
  if (filter?.ready != null) out = out.filter((n) => n.ready === filter.ready);
  if (filter?.role != null) out = out.filter((n) => n.roles.includes(filter.role ?? ''));
  if (filter?.nameContains) out = out.filter((n) => n.name.includes(filter.nameContains ?? ''));
  return out;
}

function filterProjects(projects: ProjectModel[], filter: ProjectFilter | null | undefined): ProjectModel[] {
  let out = projects;
  if (filter?.workspace != null) out = out.filter((p) => p.workspaceName === filter.workspace);
  if (filter?.phase != null) out = out.filter((p) => p.status.phase === filter.phase);
  if (filter?.nameContains) out = out.filter((p) => p.name.includes(filter.nameContains ?? ''));
  return out;
}

/** the clusters the caller may see (of `names`, when given), host first, then by name */
function fleetClusters(ctx: ClustersContext, names: readonly string[] | null | undefined): ClusterModel[] {
  const wanted = names ? new Set(names) : undefined;
  return ctx.monitor.list().filter((c) => (!wanted || wanted.has(c.name)) && ctx.authz.canSeeCluster(c.name));
}

/** a fleet-wide connection key: the cluster's place in the fleet, then the object's own key */
function inFleet<T extends { cluster: string }>(
  ctx: ClustersContext,
  own: (t: T) => string,
): (t: T) => string {
  return (t) => {
    const c = ctx.monitor.get(t.cluster);
    return `${c ? fleetOrder(c) : `1${t.cluster}`}\u0000${own(t)}`;
  };
}

const inventoryQuery: NonNullable<Resolvers['Query']> = {
  project: (_root, { cluster, name }, ctx) =>
    canSeeProject(ctx, cluster, name) ? (ctx.inventory.project(cluster, name) ?? null) : null,
  workspaces: (_root, { first, after, filter }, ctx) => {
    let workspaces = ctx.inventory.workspaces().filter((w) => canSeeWorkspace(ctx, w.name));
    if (filter?.nameContains)
      workspaces = workspaces.filter((w) => w.name.includes(filter.nameContains ?? ''));
    if (filter?.cluster != null)
      workspaces = workspaces.filter((w) => ctx.inventory.placement(w.name).includes(filter.cluster ?? ''));
    return paginate(workspaces, { key: (w) => w.name, first, after });
  },
  nodes: (_root, { first, after, filter, orderBy }, ctx) => {
    const nodes = fleetClusters(ctx, filter?.clusters).flatMap((c) =>
      canListNodes(ctx, c.name) ? filterNodes(ctx.inventory.nodes(c.name), filter) : [],
    );
    const order = ordering<NodeModel, NodeOrderField>(
      orderBy,
      BY_NAME_OR_AGE,
      inFleet<NodeModel>(ctx, (n) => n.name),
    );
    return connectionFrom(nodes, { ...order, first, after });
  },
  projects: (_root, { first, after, filter, orderBy }, ctx) => {
    const projects = fleetClusters(ctx, filter?.clusters).flatMap((c) =>
      filterProjects(ctx.inventory.projects(c.name).filter(visibleProject(ctx)), filter),
    );
    const order = ordering<ProjectModel, ProjectOrderField>(
      orderBy,
      BY_NAME_OR_AGE,
      inFleet<ProjectModel>(ctx, (p) => p.name),
    );
    return connectionFrom(projects, { ...order, first, after });
  },
  workspace: (_root, { name }, ctx) =>
    canSeeWorkspace(ctx, name) ? (ctx.inventory.workspace(name) ?? null) : null,
};

const inventoryCluster: NonNullable<Resolvers['Cluster']> = {
  provider: (c, _args, ctx) => clusterSpecOf(c.object ?? ctx.registry.get(c.name)?.object).provider,
  group: (c, _args, ctx) => clusterSpecOf(c.object ?? ctx.registry.get(c.name)?.object).group,
  connectionType: (c, _args, ctx) =>
    clusterSpecOf(c.object ?? ctx.registry.get(c.name)?.object).connectionType,
  nodeCount: (c, _args, ctx) => (canListNodes(ctx, c.name) ? ctx.inventory.nodes(c.name).length : 0),
  nodes: (c, { first, after, filter, orderBy }, ctx) => {
    const nodes = canListNodes(ctx, c.name) ? filterNodes(ctx.inventory.nodes(c.name), filter) : [];
    return connectionFrom(nodes, { ...ordering(orderBy, BY_NAME_OR_AGE, nodeKey), first, after });
  },
  projects: (c, { first, after, filter, orderBy }, ctx) => {
    const projects = filterProjects(ctx.inventory.projects(c.name).filter(visibleProject(ctx)), filter);
    return connectionFrom(projects, { ...ordering(orderBy, BY_NAME_OR_AGE, projectKey), first, after });
  },
  workspaces: (c, _args, ctx) =>
    ctx.inventory
      .workspaces()
      .filter((w) => ctx.inventory.placement(w.name).includes(c.name) && canSeeWorkspace(ctx, w.name)),
};

const inventoryTypes: Pick<Resolvers, 'Node' | 'Project' | 'Workspace'> = {
  Node: {
    __resolveReference: (ref, ctx) =>
      canGetNode(ctx, ref.cluster, ref.name) ? (ctx.inventory.node(ref.cluster, ref.name) ?? null) : null,
  },
  Project: {
    __resolveReference: (ref, ctx) =>
      canSeeProject(ctx, ref.cluster, ref.name)
        ? (ctx.inventory.project(ref.cluster, ref.name) ?? null)
        : null,
    workspace: (p, _args, ctx) =>
      p.workspaceName && canSeeWorkspace(ctx, p.workspaceName)
        ? (ctx.inventory.workspace(p.workspaceName) ?? null)
        : null,
  },
  Workspace: {
    __resolveReference: (ref, ctx) =>
      canSeeWorkspace(ctx, ref.name) ? (ctx.inventory.workspace(ref.name) ?? null) : null,
    clusters: (w, _args, ctx) => {
      const placed = new Set(ctx.inventory.placement(w.name));
      return ctx.monitor.list().filter((c) => placed.has(c.name) && ctx.authz.canSeeCluster(c.name));
    },
    projects: (w, { first, after }, ctx) => {
      const projects = ctx.inventory
        .placement(w.name)
        .filter((cluster) => ctx.registry.get(cluster) !== undefined)
        .flatMap((cluster) => ctx.inventory.projects(cluster))
        .filter((p) => p.workspaceName === w.name)
        .filter(visibleProject(ctx))
        .sort(byKey(fleetProjectKey));
      return paginate(projects, { key: fleetProjectKey, first, after });
    },
  },
};

export { inventoryCluster, inventoryQuery, inventoryTypes };
