import { EventQueue } from '@fleetgraph/lib/async';
import { SUBSCRIPTION_OVERFLOW } from '@fleetgraph/lib/errors';

import type { ClustersContext } from '../context.ts';
import { GATEWAY_NOT_FOUND } from '../errors.ts';
import { GATEWAY_NAMESPACE } from './kube.ts';
import { type GatewayModel, type GatewayRolloutEventModel, isSettled } from './model.ts';
import { canSeeGateway } from './visibility.ts';

/** gatewayRollout: the gateway rollout subscription. */

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
