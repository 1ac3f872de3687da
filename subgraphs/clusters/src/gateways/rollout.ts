import { EventQueue } from '@fleetgraph/lib/async';
import { BAD_USER_INPUT, FORBIDDEN, SUBSCRIPTION_OVERFLOW } from '@fleetgraph/lib/errors';

import type { ClustersContext } from '../context.ts';
import { GATEWAY_NOT_FOUND } from '../errors.ts';
import { followPodLog, GATEWAY_NAMESPACE } from './kube.ts';
import { type GatewayModel, type GatewayRolloutEventModel, isSettled } from './model.ts';
import { canSeeGateway } from './visibility.ts';

/** gatewayRollout and podLogs: the gateway subscriptions. */

const BUFFER = 1000;
const overflow = (n: number) =>
  SUBSCRIPTION_OVERFLOW.err(`the subscriber fell more than ${n} events behind; subscribe again`);

/** what a rollout event shows; an event goes out only when this changes */
const fingerprint = (g: GatewayModel): string =>
  JSON.stringify([
    g.replicas,
    g.state,
    g.version,
    g.upgradePlan?.phase,
    g.upgradePlan?.reason,
    g.upgradePlan?.podProblems,
  ]);

/**
 * The gateway's current state, then each change of replicas, state or rollout phase, and finally the settled
 * rollout (COMPLETE, ROLLED_BACK or STALLED) with `done: true`; then the iterator ends. Visibility is judged when
 * the subscription starts.
 */
export function gatewayRollout(
  ctx: ClustersContext,
  args: { cluster: string; namespace: string; name: string },
): AsyncIterableIterator<GatewayRolloutEventModel> {
  const { cluster, namespace, name } = args;
  const first = namespace === GATEWAY_NAMESPACE ? ctx.gateways.get(cluster, name) : undefined;
  if (!first || !canSeeGateway(ctx, first)) {
    throw GATEWAY_NOT_FOUND.err(`no gateway "${namespace}/${name}" on cluster "${cluster}"`, {
      extensions: { cluster, namespace, name },
    });
  }
  let unsubscribe: () => void = () => undefined;
  const queue = new EventQueue<GatewayRolloutEventModel>(BUFFER, () => unsubscribe(), overflow);
  let last = '';
  let finished = false;
  const offer = (g: GatewayModel): void => {
    if (finished) return;
    const print = fingerprint(g);
    const done = g.upgradePlan === null || isSettled(g.upgradePlan.phase);
    if (print === last && !done) return;
    last = print;
    queue.push({ gateway: g, done });
    if (done) {
      finished = true;
      unsubscribe();
      queue.end();
    }
  };
  unsubscribe = ctx.gateways.subscribe((c, n) => {
    if (c !== cluster || n !== name) return;
    const g = ctx.gateways.get(cluster, name);
    if (g) offer(g);
  });
  offer(first);
  return queue;
}

const MAX_TAIL = 10_000;

/**
 * podLogs: authorize `get pods/log` in the namespace, then the container's last `tailLines` lines and each new
 * one, numbered from 1; ends when the container ends.
 */
export function podLogs(
  ctx: ClustersContext,
  args: {
    cluster: string;
    namespace: string;
    pod: string;
    container?: string | null;
    tailLines?: number | null;
  },
): AsyncGenerator<LogLineModel, void, undefined> {
  const { cluster, namespace, pod } = args;
  const tailLines = args.tailLines ?? 100;
  if (tailLines < 0 || tailLines > MAX_TAIL)
    throw BAD_USER_INPUT.err(`tailLines must be between 0 and ${MAX_TAIL}`, { field: 'tailLines' });
  const decision = ctx.authz.decide({
    verb: 'get',
    apiGroup: '',
    resource: 'pods',
    subresource: 'log',
    name: pod,
    scope: 'namespace',
    cluster,
    namespace,
  });
  if (!decision.allowed || !ctx.authz.canSeeCluster(cluster)) {
    throw FORBIDDEN.err(
      `${ctx.user.name} may not read the logs of pods in ${namespace} on cluster "${cluster}"`,
      {
        extensions: { reason: decision.reason },
      },
    );
  }
  return follow(ctx, { ...args, tailLines });
}

interface LogLineModel {
  seq: number;
  time: string | null;
  text: string;
}

async function* follow(
  ctx: ClustersContext,
  args: { cluster: string; namespace: string; pod: string; container?: string | null; tailLines: number },
): AsyncGenerator<LogLineModel, void, undefined> {
  const { cluster, namespace, pod, tailLines } = args;
  const stop = new AbortController();
  let seq = 0;
  try {
    for await (const line of followPodLog(ctx.registry, cluster, {
      namespace,
      pod,
      tailLines,
      signal: stop.signal,
      ...(args.container ? { container: args.container } : {}),
    })) {
      yield { seq: ++seq, time: line.time, text: line.text };
    }
  } finally {
    stop.abort();
  }
}
