import {
  type ClusterRegistry,
  createClusterRegistry,
  createFleetInformer,
  type FleetInformer,
  type KubeSourceConfig,
  loadKubeConfig,
} from '@fleetgraph/lib/kube';
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
  /** counts from the cache; undefined when the cluster's pods were never listed */
  counts(cluster: string): PodCounts | undefined;
  /** why a cluster's pods are unavailable */
  lastError(cluster: string): string | undefined;
  stop(): Promise<void>;
}

export function createRegistry(kube: KubeSourceConfig, log: Logger): ClusterRegistry {
  return createClusterRegistry({ host: loadKubeConfig(kube), log: log.child({ component: 'registry' }) });
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
    counts(cluster) {
      if (!pods.clusterState(cluster)?.synced) return undefined;
      const all = pods.list(cluster);
      return { total: all.length, running: all.filter((p) => p.status?.phase === 'Running').length };
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
