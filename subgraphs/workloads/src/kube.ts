import { type ClusterRegistry, createFleetInformer, type FleetInformer } from '@fleetgraph/lib/kube';
import type { Logger } from '@fleetgraph/lib/telemetry';

/** The workloads subgraph's only Kubernetes-aware file: which resources it watches, and reads of their caches. */

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

export interface PodSource extends AsyncDisposable {
  start(): Promise<void>;
  settled(): boolean;
  /** whether the cluster is in the fleet */
  has(cluster: string): boolean;
  /** counts from the cache, of the pods in namespaces `visible` admits; undefined when never listed */
  counts(cluster: string, visible: (namespace: string) => boolean): PodCounts | undefined;
  /** why a cluster's pods are unavailable */
  lastError(cluster: string): string | undefined;
  stop(): Promise<void>;
}

export function createPodSource(registry: ClusterRegistry, log: Logger): PodSource {
  const pods: FleetInformer<Pod> = createFleetInformer<Pod>({
    registry,
    path: '/api/v1/pods',
    log: log.child({ gvr: 'v1/pods' }),
  });
  const source: PodSource = {
    async start() {
      await registry.start();
      await pods.start();
    },
    settled: () => registry.hasSynced() && pods.settled(),
    has: (cluster) => registry.get(cluster) !== undefined,
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
    async stop() {
      await pods.stop();
      await registry.stop();
    },
    [Symbol.asyncDispose]() {
      return source.stop();
    },
  };
  return source;
}
