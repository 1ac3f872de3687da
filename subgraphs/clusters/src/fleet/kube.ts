import type { UserInfo } from '@fleetgraph/lib/auth';
import { KUBE_UNAVAILABLE } from '@fleetgraph/lib/errors';
import {
  type ClusterRegistry,
  type KubernetesObject,
  type LabelModel,
  objectPath,
  patchObject,
  probeCluster,
  type ProbeResult,
  type RegisteredCluster,
  toLabels,
} from '@fleetgraph/lib/kube';

/**
 * The fleet's Kubernetes side: the probe of a cluster, the Cluster object's description and labels, and the
 * merge patch of a Cluster object on the host (updateCluster; the upgrades feature's request goes through it too).
 */

/** KubeSphere's Cluster objects, on the host */
const CLUSTERS = { group: 'cluster.kubesphere.io', version: 'v1alpha1', resource: 'clusters' };

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
  return patchObject<KubernetesObject>(host, objectPath({ ...CLUSTERS, name }), patch, {
    type: 'merge',
    cluster: registry.host()?.name ?? 'host',
    impersonate: { user: user.name, groups: user.groups },
  });
}

export const DESCRIPTION_ANNOTATION = 'kubesphere.io/description';

export function descriptionOf(object: KubernetesObject | undefined): string | null {
  return object?.metadata?.annotations?.[DESCRIPTION_ANNOTATION] ?? null;
}

export function labelsOf(object: KubernetesObject | undefined): LabelModel[] {
  return toLabels(object?.metadata?.labels);
}
