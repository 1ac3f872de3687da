import {
  type ClusterRegistry,
  createClusterRegistry,
  type KubeSourceConfig,
  loadKubeConfig,
  probeCluster,
  type ProbeResult,
  type RegisteredCluster,
} from '@fleetgraph/lib/kube';
import type { Logger } from '@fleetgraph/lib/telemetry';

/** The clusters subgraph's only Kubernetes-aware file: the cluster registry and the probe. */

export function createRegistry(kube: KubeSourceConfig, log: Logger): ClusterRegistry {
  return createClusterRegistry({ host: loadKubeConfig(kube), log: log.child({ component: 'registry' }) });
}

/** one probe of one cluster; a cluster without a usable kubeconfig reports why */
export async function probe(
  cluster: RegisteredCluster,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ProbeResult> {
  if (!cluster.kubeConfig) {
    return {
      outcome: 'UNREACHABLE',
      reason: 'InvalidKubeconfig',
      message: cluster.configError ?? 'the cluster has no usable kubeconfig',
      latencyMs: 0,
      at: new Date(),
    };
  }
  return probeCluster(cluster.kubeConfig, { timeoutMs, signal });
}
