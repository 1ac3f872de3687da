import type { FleetAccess } from '@fleetgraph/lib/auth';
import type { FleetInformer } from '@fleetgraph/lib/kube';
import type { DomainSource } from '@fleetgraph/lib/subgraph';
import type { Logger } from '@fleetgraph/lib/telemetry';

/** The pods feature's only Kubernetes-aware file: which resources it watches, and reads of their caches. */

interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  status?: { phase?: string };
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
  /** why a cluster's pods are unavailable */
  lastError(cluster: string): string | undefined;
}

export function createPodSource(fleet: FleetAccess, log: Logger): PodSource {
  const pods: FleetInformer<Pod> = fleet.informer<Pod>({
    path: '/api/v1/pods',
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
    lastError: (cluster) => pods.clusterState(cluster)?.lastError,
  };
}
