import type { Authorizer, RequestAuthz } from '../auth/index.ts';
import { BAD_USER_INPUT, FORBIDDEN, NOT_FOUND } from '../errors/index.ts';
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
    /**
     * the fleet's authorizer: the stream is authorized again whenever roles or bindings change, and a user who has
     * lost access stops receiving lines at once; the stream then ends with FORBIDDEN (resolve with podLogLine)
     * @default undefined (authorized once, at the start)
     */
    authorizer?: Authorizer;
  },
  args: PodLogsArgs,
): AsyncGenerator<PodLogEvent, void, undefined> {
  const { cluster, namespace, pod } = args;
  const tailLines = args.tailLines ?? 100;
  if (!Number.isInteger(tailLines) || tailLines < 0 || tailLines > MAX_LOG_TAIL)
    throw BAD_USER_INPUT.err(`tailLines must be between 0 and ${MAX_LOG_TAIL}`, { field: 'tailLines' });
  const attrs = {
    verb: 'get',
    apiGroup: '',
    resource: 'pods',
    subresource: 'log',
    name: pod,
    scope: 'namespace' as const,
    cluster,
    namespace,
  };
  const refusal = `${ctx.authz.user.name} may not read the logs of pods in ${namespace} on cluster "${cluster}"`;
  ctx.authz.require(attrs, refusal);
  if (ctx.podExists?.(cluster, namespace, pod) === false)
    throw NOT_FOUND.err(`no pod "${pod}" in ${namespace} on cluster "${cluster}"`, {
      extensions: { cluster, namespace, pod },
    });
  const { authorizer } = ctx;
  const user = ctx.authz.user;
  const stillAllowed = authorizer
    ? () => authorizer.canSeeCluster(user, cluster) && authorizer.authorize(user, attrs).allowed
    : undefined;
  return follow(
    ctx.registry,
    { cluster, namespace, pod, container: args.container ?? undefined, tailLines },
    stillAllowed && authorizer
      ? { stillAllowed, subscribe: (l) => authorizer.subscribe(l), refusal }
      : undefined,
  );
}

/** what the stream yields: a line, or the end of the user's access (podLogLine turns it into FORBIDDEN) */
export type PodLogEvent = LogLineModel | { revoked: string };

/** the `resolve` of a podLogs field: the line, or FORBIDDEN once access was revoked */
export function podLogLine(event: PodLogEvent): LogLineModel {
  if ('revoked' in event) throw FORBIDDEN.err(event.revoked);
  return event;
}

async function* follow(
  registry: ClusterRegistry,
  args: { cluster: string; namespace: string; pod: string; container: string | undefined; tailLines: number },
  recheck:
    | { stillAllowed: () => boolean; subscribe: (listener: () => void) => () => void; refusal: string }
    | undefined,
): AsyncGenerator<PodLogEvent, void, undefined> {
  const stop = new AbortController();
  let revoked = false;
  const unsubscribe = recheck?.subscribe(() => {
    if (revoked || recheck.stillAllowed()) return;
    revoked = true;
    stop.abort();
  });
  let seq = 0;
  try {
    for await (const line of followPodLog(registry, { ...args, signal: stop.signal })) {
      if (revoked) break;
      yield { seq: ++seq, time: line.time, text: line.text };
    }
    if (revoked && recheck) yield { revoked: recheck.refusal };
  } finally {
    unsubscribe?.();
    stop.abort();
  }
}
