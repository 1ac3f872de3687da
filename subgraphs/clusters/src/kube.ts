import type { UserInfo } from '@fleetgraph/lib/auth';
import { KUBE_UNAVAILABLE } from '@fleetgraph/lib/errors';
import {
  type ClusterRegistry,
  type KubernetesObject,
  kubeRequest,
  probeCluster,
  type ProbeResult,
  type RegisteredCluster,
  toKubeError,
} from '@fleetgraph/lib/kube';

/** The clusters subgraph's only Kubernetes-aware file: the cluster registry and the probe. */

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

/** merge-patches a Cluster object on the host, as `user` (so the host's RBAC judges it too); returns the result */
export async function patchClusterObject(
  registry: ClusterRegistry,
  name: string,
  patch: Record<string, unknown>,
  user: UserInfo,
): Promise<KubernetesObject> {
  const host = registry.host()?.kubeConfig;
  if (!host) throw KUBE_UNAVAILABLE.err('the host cluster has no usable kubeconfig');
  try {
    return await kubeRequest<KubernetesObject>(
      host,
      `/apis/cluster.kubesphere.io/v1alpha1/clusters/${encodeURIComponent(name)}`,
      {
        method: 'PATCH',
        body: patch,
        contentType: 'application/merge-patch+json',
        timeoutMs: 10_000,
        impersonate: { user: user.name, groups: user.groups },
      },
    );
  } catch (e) {
    throw toKubeError(e, { cluster: registry.host()?.name ?? 'host' });
  }
}
