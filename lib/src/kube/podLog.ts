import { CLUSTER_NOT_FOUND } from '../errors/index.ts';
import type { ClusterRegistry } from './clusterRegistry.ts';
import { followLogs } from './followLogs.ts';
import { kubeRequest } from './request.ts';
import { toKubeError } from './toKubeError.ts';

/** Container logs of any pod of the fleet, read live from its cluster (logs are never cached). */

export interface PodLogLine {
  /** the kubelet's RFC 3339 timestamp */
  time: string | null;
  text: string;
}

/** the kubeconfig of a cluster of the fleet; CLUSTER_NOT_FOUND when there is none */
export function clusterKubeConfig(registry: ClusterRegistry, cluster: string) {
  const kc = registry.get(cluster)?.kubeConfig;
  if (!kc) throw CLUSTER_NOT_FOUND.err(`no cluster "${cluster}"`, { extensions: { name: cluster } });
  return kc;
}

function splitTimestamp(raw: string): PodLogLine {
  const space = raw.indexOf(' ');
  return space < 0 ? { time: raw, text: '' } : { time: raw.slice(0, space), text: raw.slice(space + 1) };
}

export interface PodLogOptions {
  cluster: string;
  namespace: string;
  pod: string;
  /** may be left out for a pod with one container */
  container?: string | undefined;
}

/** the last `tail` lines of a container's log, with their timestamps */
export async function tailPodLog(
  registry: ClusterRegistry,
  options: PodLogOptions & { tail: number },
): Promise<PodLogLine[]> {
  const { cluster, namespace, pod } = options;
  const q = new URLSearchParams({ timestamps: 'true', tailLines: String(options.tail) });
  if (options.container) q.set('container', options.container);
  try {
    const text = await kubeRequest<unknown>(
      clusterKubeConfig(registry, cluster),
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log?${q.toString()}`,
      { timeoutMs: 10_000 },
    );
    return String(text ?? '')
      .split('\n')
      .filter((l) => l !== '')
      .map(splitTimestamp);
  } catch (e) {
    throw toKubeError(e, { cluster });
  }
}

/** a container's log followed: the last `tailLines` lines, then new ones, until the container ends or `signal` */
export async function* followPodLog(
  registry: ClusterRegistry,
  options: PodLogOptions & { tailLines: number; signal: AbortSignal },
): AsyncGenerator<PodLogLine, void, undefined> {
  const { cluster } = options;
  for await (const raw of followLogs({
    kubeConfig: clusterKubeConfig(registry, cluster),
    namespace: options.namespace,
    pod: options.pod,
    tailLines: options.tailLines,
    timestamps: true,
    signal: options.signal,
    cluster,
    ...(options.container !== undefined ? { container: options.container } : {}),
  })) {
    yield splitTimestamp(raw);
  }
}
