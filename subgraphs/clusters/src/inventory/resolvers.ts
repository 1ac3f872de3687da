import { paginate } from '@fleetgraph/lib/subgraph';

import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { clusterSpecOf } from '../kube.ts';
import type { NodeModel, ProjectModel } from './model.ts';
import { canGetNode, canListNodes, canSeeProject, canSeeWorkspace, visibleProject } from './visibility.ts';

/** Resolvers of the inventory (nodes, projects, workspaces); merged into ../resolvers.ts. Visibility: ./visibility.ts */

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

const inventoryQuery: NonNullable<Resolvers['Query']> = {
  project: (_root, { cluster, name }, ctx) =>
    canSeeProject(ctx, cluster, name) ? (ctx.inventory.project(cluster, name) ?? null) : null,
  workspaces: (_root, _args, ctx) => ctx.inventory.workspaces().filter((w) => canSeeWorkspace(ctx, w.name)),
  workspace: (_root, { name }, ctx) =>
    canSeeWorkspace(ctx, name) ? (ctx.inventory.workspace(name) ?? null) : null,
};

const inventoryCluster: NonNullable<Resolvers['Cluster']> = {
  provider: (c, _args, ctx) => clusterSpecOf(c.object ?? ctx.registry.get(c.name)?.object).provider,
  group: (c, _args, ctx) => clusterSpecOf(c.object ?? ctx.registry.get(c.name)?.object).group,
  connectionType: (c, _args, ctx) =>
    clusterSpecOf(c.object ?? ctx.registry.get(c.name)?.object).connectionType,
  nodeCount: (c, _args, ctx) => (canListNodes(ctx, c.name) ? ctx.inventory.nodes(c.name).length : 0),
  nodes: (c, { first, after, filter }, ctx) => {
    let nodes = canListNodes(ctx, c.name) ? ctx.inventory.nodes(c.name) : [];
    if (filter?.ready != null) nodes = nodes.filter((n) => n.ready === filter.ready);
    if (filter?.role != null) nodes = nodes.filter((n) => n.roles.includes(filter.role ?? ''));
    if (filter?.nameContains) nodes = nodes.filter((n) => n.name.includes(filter.nameContains ?? ''));
    return paginate(nodes, { key: nodeKey, first, after });
  },
  projects: (c, { first, after, filter }, ctx) => {
    let projects = ctx.inventory.projects(c.name).filter(visibleProject(ctx));
    if (filter?.workspace != null) projects = projects.filter((p) => p.workspaceName === filter.workspace);
    if (filter?.phase != null) projects = projects.filter((p) => p.status.phase === filter.phase);
    if (filter?.nameContains) projects = projects.filter((p) => p.name.includes(filter.nameContains ?? ''));
    return paginate(projects, { key: projectKey, first, after });
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
