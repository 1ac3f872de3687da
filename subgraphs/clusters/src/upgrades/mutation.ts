import { BAD_USER_INPUT, CLUSTER_NOT_FOUND, CLUSTER_UNREACHABLE, FORBIDDEN } from '@fleetgraph/lib/errors';
import { writeThenWait } from '@fleetgraph/lib/subgraph';

import type { UpgradeClusterInput } from '../__generated__/resolvers-types.ts';
import type { ClustersContext } from '../context.ts';
import { UPGRADE_IN_PROGRESS, VERSION_SKEW } from '../errors.ts';
import type { ClusterModel } from '../fleet/model.ts';
import {
  INSTALL_JOB_ANNOTATION,
  KS_CORE_ACTION_ANNOTATION,
  kubesphereVersionOf,
  requestUpgrade,
} from './kube.ts';
import { compareVersions, isFinished, parseVersion, type ClusterUpgradeModel } from './model.ts';

/** how long upgradeCluster waits for the host's controller to record its Helm job */
const JOB_WAIT_MS = 10_000;
/** the registry announces no annotation change of a Cluster object, so the wait also looks this often */
const RECHECK_MS = 50;

/**
 * upgradeCluster: authorize (platform scope, before the lookup, as updateCluster), validate in the documented
 * order, set the ks-core action annotations on the member's Cluster object as the user, then wait (bounded) for
 * the controller to record its Job (`kubesphere.io/install-core-jobname`) and return that upgrade.
 */
export async function upgradeCluster(
  input: UpgradeClusterInput,
  ctx: ClustersContext,
): Promise<{ upgrade: ClusterUpgradeModel; cluster: ClusterModel }> {
  const { name, version } = input;
  const decision = ctx.authz.decide({
    verb: 'update',
    apiGroup: 'cluster.kubesphere.io',
    resource: 'clusters',
    name,
    scope: 'global',
  });
  if (!decision.allowed) {
    // why goes to the log (with the request id), never to the client
    ctx.log.info('forbidden', { operation: 'upgradeCluster', reason: decision.reason });
    throw FORBIDDEN.err(`${ctx.user.name} may not upgrade cluster "${name}"`);
  }
  const registered = ctx.registry.get(name);
  const current = ctx.monitor.get(name);
  if (!current || !registered?.object) {
    throw CLUSTER_NOT_FOUND.err(`no cluster "${name}"`, { extensions: { name } });
  }
  if (registered.role !== 'MEMBER') {
    throw BAD_USER_INPUT.err(
      `"${name}" is the host cluster: only member clusters are upgraded this way (upgrade the host with helm)`,
      { field: 'name' },
    );
  }
  if (current.status.phase !== 'READY' && current.status.phase !== 'UPGRADING') {
    throw CLUSTER_UNREACHABLE.err(
      `cluster "${name}" is ${current.status.phase} (${current.status.reason}): it must be READY to be upgraded`,
      { extensions: { cluster: name, phase: current.status.phase, reason: current.status.reason } },
    );
  }
  const target = parseVersion(version);
  if (!target) {
    throw BAD_USER_INPUT.err(`"${version}" is not a KubeSphere version (v-prefixed semver, e.g. v4.2.1)`, {
      field: 'version',
    });
  }
  const memberVersion = kubesphereVersionOf(registered.object);
  const member = parseVersion(memberVersion);
  if (member && compareVersions(target, member) <= 0) {
    throw BAD_USER_INPUT.err(
      `cluster "${name}" already runs KubeSphere ${memberVersion}: ${version} is not newer`,
      { field: 'version', extensions: { currentVersion: memberVersion } },
    );
  }
  const hostVersion = kubesphereVersionOf(ctx.registry.host()?.object);
  const host = parseVersion(hostVersion);
  if (host && compareVersions(target, host) > 0) {
    throw VERSION_SKEW.err(
      `the host runs KubeSphere ${hostVersion}: a member may not be newer than the host (${version}); upgrade the host first`,
      { extensions: { hostVersion, version } },
    );
  }
  const running = ctx.upgrades.list(name).find((u) => !isFinished(u));
  if (running || registered.object.metadata?.annotations?.[KS_CORE_ACTION_ANNOTATION] !== undefined) {
    throw UPGRADE_IN_PROGRESS.err(
      running
        ? `an upgrade of "${name}" is running (job ${running.id}, ${running.phase})`
        : `an upgrade of "${name}" was requested and has not started yet`,
      { extensions: { cluster: name, ...(running ? { upgradeId: running.id } : {}) } },
    );
  }
  const before = registered.object.metadata?.annotations?.[INSTALL_JOB_ANNOTATION];
  return writeThenWait({
    write: async () => {
      const object = await requestUpgrade(ctx.registry, name, version, ctx.user);
      ctx.log.info('cluster upgrade requested', { cluster: name, version });
      return object;
    },
    // the Job the controller recorded on the Cluster object (a new one), once the upgrade source holds it
    until: (object) => {
      const job = ctx.registry.get(name)?.object?.metadata?.annotations?.[INSTALL_JOB_ANNOTATION];
      const upgrade = job !== undefined && job !== before ? ctx.upgrades.get(job) : undefined;
      return upgrade && { upgrade, cluster: ctx.monitor.get(name) ?? { ...current, object } };
    },
    subscribe: [(l) => ctx.upgrades.subscribe(l), (l) => ctx.registry.subscribe(l)],
    recheckMs: RECHECK_MS,
    timeoutMs: JOB_WAIT_MS,
    done: `the upgrade of "${name}" was requested`,
    notSeen: "the host's controller did not start its job",
    extensions: { cluster: name },
  });
}
