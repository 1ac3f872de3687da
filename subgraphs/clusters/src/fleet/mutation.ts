import { BAD_USER_INPUT, CLUSTER_NOT_FOUND, FORBIDDEN } from '@fleetgraph/lib/errors';

import type { UpdateClusterInput } from '../__generated__/resolvers-types.ts';
import type { ClustersContext } from '../context.ts';
import { DESCRIPTION_ANNOTATION, patchClusterObject } from './kube.ts';
import type { ClusterModel } from './model.ts';

/** A Kubernetes label key: an optional DNS-subdomain prefix and a name of at most 63 characters. */
const LABEL_KEY =
  /^(?:([a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*)\/)?([A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const MAX_DESCRIPTION = 256;

function checkInput(input: UpdateClusterInput): void {
  if (input.description != null && input.description.length > MAX_DESCRIPTION) {
    throw BAD_USER_INPUT.err(`the description is longer than ${MAX_DESCRIPTION} characters`, {
      field: 'description',
    });
  }
  for (const { key, value } of input.labels ?? []) {
    const m = LABEL_KEY.exec(key);
    if (!m || (m[1]?.length ?? 0) > 253) {
      throw BAD_USER_INPUT.err(`"${key}" is not a valid label key (an optional DNS prefix, then a name)`, {
        field: 'labels',
      });
    }
    const prefix = m[1] ?? '';
    if (prefix === 'kubesphere.io' || prefix.endsWith('.kubesphere.io')) {
      throw BAD_USER_INPUT.err(`labels under ${prefix} are KubeSphere's and cannot be set here ("${key}")`, {
        field: 'labels',
      });
    }
    if (!LABEL_VALUE.test(value)) {
      throw BAD_USER_INPUT.err(
        `"${value}" is not a valid label value (at most 63 letters, digits, "-", "_", ".")`,
        {
          field: 'labels',
        },
      );
    }
  }
}

/**
 * updateCluster: authorize (platform scope, before looking the cluster up, so an unknown and a forbidden cluster
 * cannot be told apart), validate, then merge-patch the Cluster object on the host as the user.
 */
export async function updateCluster(
  input: UpdateClusterInput,
  ctx: ClustersContext,
): Promise<{ cluster: ClusterModel }> {
  const decision = ctx.authz.decide({
    verb: 'update',
    apiGroup: 'cluster.kubesphere.io',
    resource: 'clusters',
    name: input.name,
    scope: 'global',
  });
  if (!decision.allowed) {
    // why goes to the log (with the request id), never to the client
    ctx.log.info('forbidden', { operation: 'updateCluster', reason: decision.reason });
    throw FORBIDDEN.err(`${ctx.user.name} may not update cluster "${input.name}"`);
  }
  checkInput(input);
  const current = ctx.monitor.get(input.name);
  if (!current || !ctx.registry.get(input.name)?.object) {
    throw CLUSTER_NOT_FOUND.err(`no cluster "${input.name}"`, { extensions: { name: input.name } });
  }
  const annotations: Record<string, string | null> = {};
  if (input.description != null)
    annotations[DESCRIPTION_ANNOTATION] = input.description === '' ? null : input.description;
  const labels: Record<string, string | null> = {};
  for (const { key, value } of input.labels ?? []) labels[key] = value === '' ? null : value;
  const object = await patchClusterObject(
    ctx.registry,
    input.name,
    { metadata: { annotations, labels } },
    ctx.user,
  );
  ctx.log.info('cluster updated', { cluster: input.name });
  return { cluster: { ...current, object } };
}
