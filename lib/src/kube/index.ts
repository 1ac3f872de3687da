export { createInformer } from './informer.ts';
export type {
  EventsOptions,
  Informer,
  InformerEvent,
  InformerEventType,
  InformerListener,
  InformerLogger,
  InformerOptions,
  InformerStats,
} from './informerTypes.ts';
export type { BackoffOptions } from './backoff.ts';
export { InformerOverflowError } from './informerOverflowError.ts';
export { KubeHttpError } from './listPages.ts';
export { followLogs, type FollowLogsOptions } from './followLogs.ts';
export {
  toKubeError,
  isNotFound,
  isConflict,
  isForbidden,
  isGone,
  type ToKubeErrorOptions,
} from './toKubeError.ts';
export {
  loadKubeConfig,
  serverOf,
  isInClusterSource,
  isFileSource,
  isInlineSource,
  type KubeSourceConfig,
  type InClusterKubeSource,
  type FileKubeSource,
  type InlineKubeSource,
} from './kubeConfig.ts';
export { kubeRequest, patchObject, type KubeRequestOptions, type PatchType } from './request.ts';
export { probeCluster, type ProbeOutcome, type ProbeResult, type ProbeOptions } from './probe.ts';
export {
  createClusterRegistry,
  HOST_CLUSTER_LABEL,
  type ClusterRegistry,
  type ClusterRegistryEvent,
  type ClusterRegistryOptions,
  type RegisteredCluster,
} from './clusterRegistry.ts';
export {
  createFleetInformer,
  type FleetEvent,
  type FleetClusterState,
  type FleetInformer,
  type FleetInformerOptions,
  type FleetEventsOptions,
} from './fleetInformer.ts';
export type { KubernetesObject } from '@kubernetes/client-node';
export {
  clusterKubeConfig,
  followPodLog,
  tailPodLog,
  type PodLogLine,
  type PodLogOptions,
} from './podLog.ts';
export { parseQuantity } from './quantity.ts';
export {
  collectionPath,
  gvrString,
  objectPath,
  type CollectionPathOptions,
  type GroupVersionResource,
  type ObjectPathOptions,
} from './gvr.ts';
export {
  toConditions,
  toLabels,
  toResourceList,
  toTaints,
  type ConditionModel,
  type KubeCondition,
  type KubeTaint,
  type LabelModel,
  type ResourceListModel,
  type ResourceQuantityModel,
  type TaintModel,
} from './values.ts';
