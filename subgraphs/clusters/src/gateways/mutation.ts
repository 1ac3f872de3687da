import { BAD_USER_INPUT, FORBIDDEN } from '@fleetgraph/lib/errors';
import { writeThenWait } from '@fleetgraph/lib/subgraph';

import type { RollbackGatewayInput, UpgradeGatewayInput } from '../__generated__/resolvers-types.ts';
import type { ClustersContext } from '../context.ts';
import { GATEWAY_NO_PREVIOUS_VERSION, GATEWAY_NOT_FOUND, GATEWAY_ROLLOUT_IN_PROGRESS } from '../errors.ts';
import {
  ACTION_ANNOTATION,
  CHANGE_CAUSE_ANNOTATION,
  controllerOf,
  FROM_VERSION_ANNOTATION,
  GATEWAY_NAMESPACE,
  patchDeployment,
  patchGateway,
  previousVersion,
  tagOf,
} from './kube.ts';
import { compareTags, CONTROLLER_CHARTS, type GatewayModel, parseTag } from './model.ts';
import { canSeeGateway, manageDecision } from './visibility.ts';

/** how long a mutation waits for its change to reach the informer cache */
const CACHE_WAIT_MS = 10_000;

/** a JSON-pointer path segment (RFC 6901) */
const seg = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** authorize (before the lookup), then find the gateway and its Deployment; refuse while a rollout progresses */
function target(
  ctx: ClustersContext,
  input: { cluster: string; namespace: string; name: string },
): { gateway: GatewayModel } {
  const { cluster, namespace, name } = input;
  const decision = manageDecision(ctx, cluster, name);
  if (!decision.allowed) {
    // why goes to the log (with the request id), never to the client
    ctx.log.info('forbidden', { operation: 'manageGateway', reason: decision.reason });
    throw FORBIDDEN.err(
      `${ctx.user.name} may not update deployments in ${GATEWAY_NAMESPACE} on cluster "${cluster}"`,
    );
  }
  const gateway = namespace === GATEWAY_NAMESPACE ? ctx.gateways.get(cluster, name) : undefined;
  if (!gateway || !canSeeGateway(ctx, gateway) || !ctx.gateways.deployment(cluster, name)) {
    throw GATEWAY_NOT_FOUND.err(`no gateway "${namespace}/${name}" on cluster "${cluster}"`, {
      extensions: { cluster, namespace, name },
    });
  }
  if (gateway.upgradePlan?.phase === 'PROGRESSING') {
    throw GATEWAY_ROLLOUT_IN_PROGRESS.err(
      `gateway "${name}" is rolling out${gateway.upgradePlan.toVersion ? ` ${gateway.upgradePlan.toVersion}` : ''} (${gateway.replicas.updated}/${gateway.replicas.desired} updated)`,
      { extensions: { cluster, name } },
    );
  }
  return { gateway };
}

/**
 * The write (it resolves with the Deployment's new generation), then until the cache holds the Deployment at that
 * generation and the Gateway at `appVersion`, so a subscriber sees the rollout, not the state before it.
 */
function writeThenCached(
  ctx: ClustersContext,
  input: { cluster: string; name: string },
  appVersion: string | undefined,
  write: () => Promise<number>,
): Promise<GatewayModel> {
  const { cluster, name } = input;
  return writeThenWait({
    write,
    until: (generation) => {
      const g = ctx.gateways.get(cluster, name);
      return g && g.generation >= generation && (appVersion === undefined || g.appVersion === appVersion)
        ? g
        : undefined;
    },
    subscribe: (l) => ctx.gateways.subscribe(l),
    timeoutMs: CACHE_WAIT_MS,
    done: `gateway "${name}" was changed`,
    notSeen: 'the change did not reach fleetgraph',
    extensions: { cluster, name },
  });
}

export async function upgradeGateway(
  input: UpgradeGatewayInput,
  ctx: ClustersContext,
): Promise<{ gateway: GatewayModel }> {
  const { gateway } = target(ctx, input);
  const wanted = parseTag(input.version);
  const chart = CONTROLLER_CHARTS[input.version];
  if (!wanted || chart === undefined) {
    throw BAD_USER_INPUT.err(
      `"${input.version}" is not an ingress-nginx controller version fleetgraph knows (${Object.keys(CONTROLLER_CHARTS).join(', ')})`,
      { field: 'version' },
    );
  }
  const current = parseTag(gateway.version);
  if (current && compareTags(wanted, current) <= 0) {
    throw BAD_USER_INPUT.err(
      `gateway "${gateway.name}" already runs ${gateway.version}: ${input.version} is not newer (use rollbackGateway to go back)`,
      { field: 'version', extensions: { currentVersion: gateway.version } },
    );
  }
  const d = ctx.gateways.deployment(input.cluster, input.name);
  const { index, image } = controllerOf(d?.spec?.template);
  const repo = image
    ? image.slice(0, image.length - (tagOf(image)?.length ?? -1) - 1)
    : 'kubesphere/nginx-ingress-controller';
  return {
    gateway: await writeThenCached(ctx, input, chart, async () => {
      const updated = await patchDeployment(
        ctx.registry,
        input.cluster,
        input.name,
        [
          { op: 'test', path: `/spec/template/spec/containers/${index}/image`, value: image },
          {
            op: 'replace',
            path: `/spec/template/spec/containers/${index}/image`,
            value: `${repo}:${input.version}`,
          },
          {
            op: 'add',
            path: '/spec/strategy',
            value: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          },
          ...annotationOps(d?.metadata?.annotations, {
            [CHANGE_CAUSE_ANNOTATION]: `fleetgraph upgradeGateway: ${gateway.version ?? 'unknown'} to ${input.version} by ${ctx.user.name}`,
            [ACTION_ANNOTATION]: 'upgrade',
            [FROM_VERSION_ANNOTATION]: gateway.version ?? '',
          }),
        ],
        ctx.user,
      );
      await patchGateway(
        ctx.registry,
        input.cluster,
        input.name,
        { spec: { appVersion: chart, values: { controller: { image: { tag: input.version } } } } },
        ctx.user,
      );
      ctx.log.info('gateway upgrade requested', {
        cluster: input.cluster,
        gateway: input.name,
        version: input.version,
      });
      return updated.metadata?.generation ?? 0;
    }),
  };
}

function annotationOps(existing: Record<string, string> | undefined, set: Record<string, string>): unknown[] {
  if (!existing) return [{ op: 'add', path: '/metadata/annotations', value: set }];
  return Object.entries(set).map(([k, v]) => ({
    op: 'add',
    path: `/metadata/annotations/${seg(k)}`,
    value: v,
  }));
}

export async function rollbackGateway(
  input: RollbackGatewayInput,
  ctx: ClustersContext,
): Promise<{ gateway: GatewayModel }> {
  const { gateway } = target(ctx, input);
  const d = ctx.gateways.deployment(input.cluster, input.name);
  const previous = d ? previousVersion(d, ctx.gateways.replicaSets(input.cluster)) : undefined;
  const template = previous?.spec?.template;
  if (!d || !template) {
    throw GATEWAY_NO_PREVIOUS_VERSION.err(
      `gateway "${input.name}" has no earlier revision with another version`,
      {
        extensions: { cluster: input.cluster, name: input.name },
      },
    );
  }
  // kubectl rollout undo: the old template, without the ReplicaSet's pod-template-hash label
  const labels = { ...(template.metadata?.labels ?? {}) };
  delete labels['pod-template-hash'];
  const restored = { ...template, metadata: { ...template.metadata, labels } };
  const toVersion = tagOf(controllerOf(template).image);
  const chart = toVersion ? CONTROLLER_CHARTS[toVersion] : undefined;
  return {
    gateway: await writeThenCached(ctx, input, chart, async () => {
      const updated = await patchDeployment(
        ctx.registry,
        input.cluster,
        input.name,
        [
          { op: 'replace', path: '/spec/template', value: restored },
          ...annotationOps(d.metadata?.annotations, {
            [CHANGE_CAUSE_ANNOTATION]: `fleetgraph rollbackGateway: ${gateway.version ?? 'unknown'} back to ${toVersion ?? 'unknown'} by ${ctx.user.name}`,
            [ACTION_ANNOTATION]: 'rollback',
            [FROM_VERSION_ANNOTATION]: gateway.version ?? '',
          }),
        ],
        ctx.user,
      );
      if (chart && toVersion) {
        await patchGateway(
          ctx.registry,
          input.cluster,
          input.name,
          { spec: { appVersion: chart, values: { controller: { image: { tag: toVersion } } } } },
          ctx.user,
        );
      }
      ctx.log.info('gateway rollback requested', {
        cluster: input.cluster,
        gateway: input.name,
        version: toVersion,
      });
      return updated.metadata?.generation ?? 0;
    }),
  };
}
