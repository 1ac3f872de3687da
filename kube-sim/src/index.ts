export { createKubeSim, type KubeSim, type KubeSimOptions } from './createKubeSim.ts';
export { ManualClock, RealClock, type RealClockOptions, type SimClock } from './clock.ts';
export type { ControllerOptions } from './controllers/context.ts';
export type { NodeControls } from './controllers/nodes.ts';
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
  type FleetUserSpec,
  type NodeSpec,
  type UserSpec,
  loadFleetSpec,
  toFleetSpec,
} from './fleet.ts';
export { DEMO_TENANCY, demoFleet } from './fleets/demo.ts';
export { type Tenancy, type TenantUser, type WorkspaceFixture, withKubeSphere } from './fleets/kubesphere.ts';
export { kubesphereCrds } from './fleets/kubesphereCrds.ts';
export { type ScaleFleetOptions, scaleFleet } from './fleets/scale.ts';
export type { FleetUser } from './fleets/users.ts';
export type { KubeObject, StoredObject } from './types.ts';
