export { createKubeSim, type KubeSim, type KubeSimOptions } from './createKubeSim.ts';
export {
  SimCluster,
  type FailRule,
  type OfflineMode,
  type RequestLogEntry,
  type SimFaults,
} from './cluster.ts';
export {
  type ClusterSpec,
  type FleetSpec,
  type NodeSpec,
  type UserSpec,
  loadFleetSpec,
  toFleetSpec,
} from './fleet.ts';
export { demoFleet } from './fleets/demo.ts';
export type { KubeObject, StoredObject } from './types.ts';
