import type { ConditionModel, LabelModel, ResourceListModel, TaintModel } from '@fleetgraph/lib/kube';

/**
 * The inventory's models (nodes, projects, workspaces): what kube.ts's mappers build and resolvers return. Labels,
 * conditions, taints and resource lists are the shared schema's value types, built by @fleetgraph/lib/kube.
 */

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
  taints: TaintModel[];
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
  /** the name of its manager (spec.template.spec.manager), a User */
  managerName: string | null;
  description: string | null;
}

export type ConnectionTypeValue = 'DIRECT' | 'PROXY';

/** what the inventory reads from a Cluster object */
export interface ClusterSpecModel {
  provider: string | null;
  group: string | null;
  connectionType: ConnectionTypeValue | null;
}
