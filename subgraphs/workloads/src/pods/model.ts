/** The pods feature's models: what resolvers return (codegen maps the GraphQL types onto these). */

/** a Cluster, referenced by name; its fields are computed from the pod cache */
export interface ClusterModel {
  name: string;
}

export type PodPhaseValue = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'UNKNOWN';

export interface PodModel {
  cluster: string;
  namespace: string;
  name: string;
  uid: string;
  labels: Array<{ key: string; value: string }>;
  createdAt: string;
  phase: PodPhaseValue;
  ready: boolean;
  nodeName: string | null;
  podIP: string | null;
  restartCount: number;
  conditions: Array<{
    type: string;
    status: string;
    reason: string | null;
    message: string | null;
    lastTransitionTime: string | null;
  }>;
}
