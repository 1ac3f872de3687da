import type { FleetAccess } from '@fleetgraph/lib/auth';
import { collectionPath, type FleetInformer } from '@fleetgraph/lib/kube';
import type { DomainSource } from '@fleetgraph/lib/subgraph';
import type { Logger } from '@fleetgraph/lib/telemetry';

import type { PodModel, PodPhaseValue } from './model.ts';

/** The pods feature's only Kubernetes-aware file: which resources it watches, and reads of their caches. */

interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    creationTimestamp?: Date;
  };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: Array<{
      type?: string;
      status?: string;
      reason?: string;
      message?: string;
      lastTransitionTime?: string;
    }>;
    containerStatuses?: Array<{ restartCount?: number }>;
  };
}

const PHASES: Record<string, PodPhaseValue> = {
  Pending: 'PENDING',
  Running: 'RUNNING',
  Succeeded: 'SUCCEEDED',
  Failed: 'FAILED',
};

export function toPod(cluster: string, p: Pod): PodModel {
  const conditions = (p.status?.conditions ?? []).map((c) => ({
    type: c.type ?? '',
    status: c.status ?? 'Unknown',
    reason: c.reason ?? null,
    message: c.message ?? null,
    lastTransitionTime: c.lastTransitionTime ?? null,
  }));
  return {
    cluster,
    namespace: p.metadata?.namespace ?? '',
    name: p.metadata?.name ?? '',
    uid: p.metadata?.uid ?? '',
    labels: Object.entries(p.metadata?.labels ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => ({ key, value })),
    createdAt: new Date(p.metadata?.creationTimestamp ?? 0).toISOString(),
    phase: PHASES[p.status?.phase ?? ''] ?? 'UNKNOWN',
    ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    nodeName: p.spec?.nodeName ?? null,
    podIP: p.status?.podIP ?? null,
    restartCount: (p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0),
    conditions,
  };
}

export interface PodCounts {
  total: number;
  running: number;
}

export interface PodSource extends DomainSource {
  /** whether the cluster is in the fleet */
  has(cluster: string): boolean;
  /** counts from the cache, of the pods in namespaces `visible` admits; undefined when never listed */
  counts(cluster: string, visible: (namespace: string) => boolean): PodCounts | undefined;
  /** one pod from the cache */
  get(cluster: string, namespace: string, name: string): PodModel | undefined;
  /** whether the pod is in the cache; undefined while the cluster's pods have never been listed */
  exists(cluster: string, namespace: string, name: string): boolean | undefined;
  /** why a cluster's pods are unavailable */
  lastError(cluster: string): string | undefined;
}

export function createPodSource(fleet: FleetAccess, log: Logger): PodSource {
  const pods: FleetInformer<Pod> = fleet.informer<Pod>({
    path: collectionPath({ group: '', version: 'v1', resource: 'pods' }),
    log: log.child({ gvr: 'v1/pods' }),
  });
  return {
    name: 'podsSettled',
    start: () => pods.start(),
    synced: () => pods.settled(),
    stop: () => pods.stop(),
    has: (cluster) => fleet.registry.get(cluster) !== undefined,
    counts(cluster, visible) {
      if (!pods.clusterState(cluster)?.synced) return undefined;
      let total = 0;
      let running = 0;
      for (const p of pods.list(cluster)) {
        if (!visible(p.metadata?.namespace ?? '')) continue;
        total++;
        if (p.status?.phase === 'Running') running++;
      }
      return { total, running };
    },
    get(cluster, namespace, name) {
      const p = pods.get(cluster, name, namespace);
      return p ? toPod(cluster, p) : undefined;
    },
    exists: (cluster, namespace, name) =>
      pods.clusterState(cluster)?.synced ? pods.get(cluster, name, namespace) !== undefined : undefined,
    lastError: (cluster) => pods.clusterState(cluster)?.lastError,
  };
}
