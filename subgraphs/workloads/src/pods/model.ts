/** The workloads subgraph's models. A Cluster is referenced by name; its fields are computed from the pod cache. */
export interface ClusterModel {
  name: string;
}
