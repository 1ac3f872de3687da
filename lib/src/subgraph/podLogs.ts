import type { RequestAuthz } from '../auth/index.ts';
import { BAD_USER_INPUT, NOT_FOUND } from '../errors/index.ts';
import { type ClusterRegistry, followPodLog } from '../kube/index.ts';

/**
 * The `podLogs` subscription's body (served by the workloads subgraph; schema/workloads.graphql): check the
 * arguments, require `get pods/log` in the namespace, then the container's last `tailLines` lines and each new one,
 * numbered from 1 without gaps; it ends when the container ends or the subscriber leaves.
 */

export const MAX_LOG_TAIL = 10_000;

export interface LogLineModel {
  seq: number;
  time: string | null;
  text: string;
}

export interface PodLogsArgs {
  cluster: string;
  namespace: string;
  pod: string;
  container?: string | null | undefined;
  tailLines?: number | null | undefined;
}

export function podLogStream(
  ctx: {
    authz: RequestAuthz;
    registry: ClusterRegistry;
    /**
     * whether the pod exists, from a pod cache: false answers NOT_FOUND (after the authorization check, so it tells
     * only those who may read the logs); undefined (no cache, or the cluster's pods never listed) asks the cluster
     * @default undefined
     */
    podExists?: (cluster: string, namespace: string, pod: string) => boolean | undefined;
  },
  args: PodLogsArgs,
): AsyncGenerator<LogLineModel, void, undefined> {
  const { cluster, namespace, pod } = args;
  const tailLines = args.tailLines ?? 100;
  if (!Number.isInteger(tailLines) || tailLines < 0 || tailLines > MAX_LOG_TAIL)
    throw BAD_USER_INPUT.err(`tailLines must be between 0 and ${MAX_LOG_TAIL}`, { field: 'tailLines' });
  ctx.authz.require(
    {
      verb: 'get',
      apiGroup: '',
      resource: 'pods',
      subresource: 'log',
      name: pod,
      scope: 'namespace',
      cluster,
      namespace,
    },
    `${ctx.authz.user.name} may not read the logs of pods in ${namespace} on cluster "${cluster}"`,
  );
  if (ctx.podExists?.(cluster, namespace, pod) === false)
    throw NOT_FOUND.err(`no pod "${pod}" in ${namespace} on cluster "${cluster}"`, {
      extensions: { cluster, namespace, pod },
    });
  return follow(ctx.registry, { cluster, namespace, pod, container: args.container ?? undefined, tailLines });
}

async function* follow(
  registry: ClusterRegistry,
  args: { cluster: string; namespace: string; pod: string; container: string | undefined; tailLines: number },
): AsyncGenerator<LogLineModel, void, undefined> {
  const stop = new AbortController();
  let seq = 0;
  try {
    for await (const line of followPodLog(registry, { ...args, signal: stop.signal })) {
      yield { seq: ++seq, time: line.time, text: line.text };
    }
  } finally {
    stop.abort();
  }
}
