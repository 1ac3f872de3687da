/** The inventory's models (nodes, projects, workspaces): what kube.ts's mappers build and resolvers return. */

export interface LabelModel {
  key: string;
  value: string;
}

/** the schema's Condition (shared with Cluster.conditions): status as Kubernetes writes it, `True` `False` `Unknown` */
export interface ConditionModel {
  type: string;
  status: string;
  reason: string | null;
  message: string | null;
  lastTransitionTime: string | null;
}

export interface ResourceListModel {
  cpu: string | null;
  memory: string | null;
  pods: number | null;
  cpuCores: number | null;
  memoryBytes: number | null;
}

export interface NodeModel {
  cluster: string;
  name: string;
  uid: string;
  labels: LabelModel[];
  createdAt: string;
  roles: string[];
  ready: boolean;
  conditions: ConditionModel[];
  kubeletVersion: string | null;
  capacity: ResourceListModel;
  allocatable: ResourceListModel;
  taints: Array<{ key: string; value: string | null; effect: string }>;
  unschedulable: boolean;
  addresses: Array<{ type: string; address: string }>;
}

export type ProjectPhaseValue = 'ACTIVE' | 'TERMINATING';

export interface ProjectModel {
  cluster: string;
  name: string;
  uid: string;
  labels: LabelModel[];
  createdAt: string;
  /** the `kubesphere.io/workspace` label, if any */
  workspaceName: string | null;
  status: { phase: ProjectPhaseValue };
}

export interface WorkspaceModel {
  name: string;
  manager: string | null;
  description: string | null;
}

export type ConnectionTypeValue = 'DIRECT' | 'PROXY';

/** what the inventory reads from a Cluster object */
export interface ClusterSpecModel {
  provider: string | null;
  group: string | null;
  connectionType: ConnectionTypeValue | null;
}

export function sortedLabels(labels: Record<string, string> | undefined): LabelModel[] {
  return Object.entries(labels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => ({ key, value }));
}
