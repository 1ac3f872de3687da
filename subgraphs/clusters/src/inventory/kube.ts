import type { FleetAccess } from '@fleetgraph/lib/auth';
import { placedClusters, type WorkspaceTemplateLike } from '@fleetgraph/lib/auth';
import {
  collectionPath,
  type FleetInformer,
  gvrString,
  type KubeCondition,
  type KubernetesObject,
  type KubeTaint,
  toConditions,
  toLabels,
  toResourceList,
  toTaints,
} from '@fleetgraph/lib/kube';
import type { Logger } from '@fleetgraph/lib/telemetry';

import type { ClusterSpecModel, NodeModel, ProjectModel, WorkspaceModel } from './model.ts';

/**
 * The inventory's Kubernetes side: nodes and namespaces of every cluster, WorkspaceTemplates on the host, what
 * the inventory reads from a Cluster object, and the mappers to the inventory's models.
 */

interface NodeObject extends KubernetesObject {
  spec?: {
    unschedulable?: boolean;
    taints?: KubeTaint[];
  };
  status?: {
    capacity?: Record<string, string>;
    allocatable?: Record<string, string>;
    conditions?: KubeCondition[];
    addresses?: Array<{ type?: string; address?: string }>;
    nodeInfo?: { kubeletVersion?: string };
  };
}

interface NamespaceObject extends KubernetesObject {
  status?: { phase?: string };
}

type WorkspaceTemplateObject = KubernetesObject &
  WorkspaceTemplateLike & {
    spec?: {
      template?: {
        metadata?: { annotations?: Record<string, string> };
        spec?: { manager?: string };
      };
    };
  };

/** watched: nodes and namespaces on every cluster, WorkspaceTemplates on the host */
const NODES = { group: '', version: 'v1', resource: 'nodes' };
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };
const WORKSPACE_TEMPLATES = {
  group: 'tenant.kubesphere.io',
  version: 'v1beta1',
  resource: 'workspacetemplates',
};

const WORKSPACE_LABEL = 'kubesphere.io/workspace';
const NODE_ROLE_PREFIX = 'node-role.kubernetes.io/';
const CLUSTER_GROUP_LABEL = 'cluster.kubesphere.io/group';

function createdAt(o: KubernetesObject): string {
  const t = o.metadata?.creationTimestamp as unknown;
  if (t instanceof Date) return t.toISOString();
  return typeof t === 'string' ? t : new Date(0).toISOString();
}

export function toNode(cluster: string, o: NodeObject): NodeModel {
  const labels = o.metadata?.labels ?? {};
  const conditions = toConditions(o.status?.conditions);
  return {
    cluster,
    name: o.metadata?.name ?? '',
    uid: o.metadata?.uid ?? '',
    labels: toLabels(labels),
    createdAt: createdAt(o),
    roles: Object.keys(labels)
      .filter((k) => k.startsWith(NODE_ROLE_PREFIX) && k.length > NODE_ROLE_PREFIX.length)
      .map((k) => k.slice(NODE_ROLE_PREFIX.length))
      .sort(),
    ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    conditions,
    kubeletVersion: o.status?.nodeInfo?.kubeletVersion ?? null,
    capacity: toResourceList(o.status?.capacity),
    allocatable: toResourceList(o.status?.allocatable),
    taints: toTaints(o.spec?.taints),
    unschedulable: o.spec?.unschedulable === true,
    addresses: (o.status?.addresses ?? []).map((a) => ({ type: a.type ?? '', address: a.address ?? '' })),
  };
}

export function toProject(cluster: string, o: NamespaceObject): ProjectModel {
  return {
    cluster,
    name: o.metadata?.name ?? '',
    uid: o.metadata?.uid ?? '',
    labels: toLabels(o.metadata?.labels),
    createdAt: createdAt(o),
    workspaceName: o.metadata?.labels?.[WORKSPACE_LABEL] ?? null,
    status: { phase: o.status?.phase === 'Terminating' ? 'TERMINATING' : 'ACTIVE' },
  };
}

export function toWorkspace(o: WorkspaceTemplateObject): WorkspaceModel {
  const description = 'kubesphere.io/description';
  return {
    name: o.metadata?.name ?? '',
    managerName: o.spec?.template?.spec?.manager ?? null,
    description:
      o.metadata?.annotations?.[description] ??
      o.spec?.template?.metadata?.annotations?.[description] ??
      null,
  };
}

/** what the inventory reads from a Cluster object (undefined for a cluster without one) */
export function clusterSpecOf(object: KubernetesObject | undefined): ClusterSpecModel {
  const spec = (object as { spec?: { provider?: string; connection?: { type?: string } } } | undefined)?.spec;
  const type = spec?.connection?.type?.toLowerCase();
  return {
    provider: spec?.provider || null,
    group: object?.metadata?.labels?.[CLUSTER_GROUP_LABEL] ?? null,
    connectionType: type === 'direct' ? 'DIRECT' : type === 'proxy' ? 'PROXY' : null,
  };
}

/** the inventory's caches: nodes and namespaces on every cluster, WorkspaceTemplates on the host */
export interface Inventory extends AsyncDisposable {
  /** starts the informers (the registry must be started); resolves when each has synced or failed once */
  start(): Promise<void>;
  /** every informer has synced, or failed at least once (an unreachable member does not hold readiness) */
  settled(): boolean;
  /** the cluster's nodes, by name; empty when never listed */
  nodes(cluster: string): NodeModel[];
  node(cluster: string, name: string): NodeModel | undefined;
  /** the cluster's namespaces, by name; empty when never listed */
  projects(cluster: string): ProjectModel[];
  project(cluster: string, name: string): ProjectModel | undefined;
  /** every WorkspaceTemplate on the host, by name */
  workspaces(): WorkspaceModel[];
  workspace(name: string): WorkspaceModel | undefined;
  /** the clusters a workspace is placed on (by name and by selector), sorted */
  placement(name: string): string[];
  stop(): Promise<void>;
}

const byName = <T extends { name: string }>(a: T, b: T): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

export function createInventory(fleet: FleetAccess, log: Logger): Inventory {
  const { registry } = fleet;
  const nodes: FleetInformer<NodeObject> = fleet.informer<NodeObject>({
    path: collectionPath(NODES),
    log: log.child({ gvr: gvrString(NODES) }),
  });
  const namespaces: FleetInformer<NamespaceObject> = fleet.informer<NamespaceObject>({
    path: collectionPath(NAMESPACES),
    log: log.child({ gvr: gvrString(NAMESPACES) }),
  });
  const templates = fleet.hostInformer<WorkspaceTemplateObject>({
    path: collectionPath(WORKSPACE_TEMPLATES),
    log: log.child({ gvr: gvrString(WORKSPACE_TEMPLATES) }),
  });
  let stopped = false;

  const template = (name: string): WorkspaceTemplateObject | undefined => templates.get(name);

  const inventory: Inventory = {
    async start() {
      if (stopped) return;
      await Promise.all([nodes.start(), namespaces.start(), templates.start()]);
    },
    settled: () => nodes.settled() && namespaces.settled() && templates.settled(),
    nodes: (cluster) =>
      nodes
        .list(cluster)
        .map((o) => toNode(cluster, o))
        .sort(byName),
    node(cluster, name) {
      const o = nodes.get(cluster, name);
      return o ? toNode(cluster, o) : undefined;
    },
    projects: (cluster) =>
      namespaces
        .list(cluster)
        .map((o) => toProject(cluster, o))
        .sort(byName),
    project(cluster, name) {
      const o = namespaces.get(cluster, name);
      return o ? toProject(cluster, o) : undefined;
    },
    workspaces: () => templates.list().map(toWorkspace).sort(byName),
    workspace(name) {
      const o = template(name);
      return o ? toWorkspace(o) : undefined;
    },
    placement: (name) => placedClusters(template(name), registry.list()),
    async stop() {
      stopped = true;
      await Promise.all([nodes.stop(), namespaces.stop(), templates.stop()]);
    },
    [Symbol.asyncDispose]() {
      return inventory.stop();
    },
  };
  return inventory;
}
