import type { KubernetesObject } from '@fleetgraph/lib/kube';

/** The Cluster entity's models: what resolvers return (codegen maps Cluster and ClusterStatus onto these). */

export type ClusterRoleValue = 'HOST' | 'MEMBER';
export type ClusterPhaseValue =
  'UNKNOWN' | 'READY' | 'NOT_READY' | 'UNREACHABLE' | 'UNAUTHORIZED' | 'UPGRADING';

export interface ClusterStatusModel {
  phase: ClusterPhaseValue;
  ready: boolean;
  reason: string;
  message: string;
  lastProbeTime: string | null;
  probeLatencyMs: number | null;
}

export interface ClusterModel {
  name: string;
  /** the Cluster object as a write returned it; resolvers otherwise read the registry's copy */
  object?: KubernetesObject | undefined;
  role: ClusterRoleValue;
  kubernetesVersion: string | null;
  status: ClusterStatusModel;
}

export const UNPROBED: ClusterStatusModel = {
  phase: 'UNKNOWN',
  ready: false,
  reason: 'NotProbed',
  message: 'the cluster has not been probed yet',
  lastProbeTime: null,
  probeLatencyMs: null,
};

/** whether two states differ in what clusterStatusChanged reports (probe time and latency alone do not count) */
export function statusChanged(a: ClusterModel, b: ClusterModel): boolean {
  return (
    a.role !== b.role ||
    a.kubernetesVersion !== b.kubernetesVersion ||
    a.status.phase !== b.status.phase ||
    a.status.reason !== b.status.reason ||
    a.status.message !== b.status.message
  );
}

/** the fleet's order as a connection key: the host first, then the members by name */
export function fleetOrder(c: { name: string; role: ClusterRoleValue }): string {
  return `${c.role === 'HOST' ? '0' : '1'}${c.name}`;
}
