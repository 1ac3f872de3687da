import type { UserInfo } from '@fleetgraph/lib/auth';
import {
  type ClusterRegistry,
  clusterKubeConfig,
  type GroupVersionResource,
  type KubernetesObject,
  objectPath,
  patchObject,
} from '@fleetgraph/lib/kube';

import type {
  GatewayModel,
  GatewayPodModel,
  GatewayReplicasModel,
  GatewayScopeValue,
  GatewayStateValue,
  GatewayUpgradePlanModel,
  RolloutPhaseValue,
} from './model.ts';

/**
 * The gateways' Kubernetes shapes (imports only @fleetgraph/lib/kube): KubeSphere gateway extension Gateways
 * (gateway.kubesphere.io/v2alpha2, domain doc §4.3), their ingress-nginx Deployments, ReplicaSets (the rollout
 * history) and pods, all in `kubesphere-controls-system` on every cluster; the mappers to the gateway models, and
 * the writes. Which of them are watched, and the caches' reads: ./gatewaySource.ts.
 */

export const GATEWAY_NAMESPACE = 'kubesphere-controls-system';
/** a gateway's resources, all in GATEWAY_NAMESPACE */
export const GATEWAYS: GroupVersionResource = {
  group: 'gateway.kubesphere.io',
  version: 'v2alpha2',
  resource: 'gateways',
};
export const DEPLOYMENTS: GroupVersionResource = { group: 'apps', version: 'v1', resource: 'deployments' };
export const REPLICA_SETS: GroupVersionResource = { group: 'apps', version: 'v1', resource: 'replicasets' };
export const PODS: GroupVersionResource = { group: '', version: 'v1', resource: 'pods' };
export const CONTROLLER_CONTAINER = 'controller';
const GATEWAY_TYPE_LABEL = 'kubesphere.io/gateway-type';
const WORKSPACE_LABEL = 'kubesphere.io/workspace';
const NAMESPACE_KEY = 'kubesphere.io/namespace';
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';
export const COMPONENT_LABEL = 'app.kubernetes.io/component';
const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** kubectl's record of why the template changed */
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
/** fleetgraph's record of its last change: `upgrade` or `rollback` */
export const ACTION_ANNOTATION = 'gateway.fleetgraph.io/action';
/** the controller version before fleetgraph's last change */
export const FROM_VERSION_ANNOTATION = 'gateway.fleetgraph.io/from-version';

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

interface Container {
  name?: string;
  image?: string;
}

interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { containers?: Container[] };
}

export interface GatewayObject extends KubernetesObject {
  spec?: { appVersion?: string };
  status?: { state?: string };
}

export interface DeploymentObject extends KubernetesObject {
  spec?: {
    replicas?: number;
    template?: PodTemplate;
    strategy?: {
      type?: string;
      rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string };
    };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: Condition[];
  };
}

export interface ReplicaSetObject extends KubernetesObject {
  spec?: { template?: PodTemplate };
}

interface ContainerStatus {
  name?: string;
  image?: string;
  restartCount?: number;
  state?: { waiting?: { reason?: string; message?: string } };
}

export interface PodObject extends KubernetesObject {
  spec?: { nodeName?: string; containers?: Container[] };
  status?: {
    phase?: string;
    startTime?: string;
    conditions?: Condition[];
    containerStatuses?: ContainerStatus[];
  };
}

/** the tag of an image reference (`repo/name:v1.9.6` → `v1.9.6`); null without one */
export function tagOf(image: string | null | undefined): string | null {
  if (!image) return null;
  const last = image.slice(image.lastIndexOf('/') + 1).split('@')[0] ?? '';
  const colon = last.indexOf(':');
  return colon < 0 ? null : last.slice(colon + 1);
}

/** the controller container of a pod template (named `controller`, else the first) and its index */
export function controllerOf(template: PodTemplate | undefined): { index: number; image: string | null } {
  const containers = template?.spec?.containers ?? [];
  const i = containers.findIndex((c) => c.name === CONTROLLER_CONTAINER);
  const index = i < 0 ? 0 : i;
  return { index, image: containers[index]?.image ?? null };
}

const revisionOf = (o: KubernetesObject): number => {
  const n = Number(o.metadata?.annotations?.[REVISION_ANNOTATION]);
  return Number.isFinite(n) ? n : 0;
};

function scopeOf(gw: GatewayObject): {
  scope: GatewayScopeValue;
  owner: string | null;
  workspace: string | null;
} {
  const labels = gw.metadata?.labels ?? {};
  const workspace = labels[WORKSPACE_LABEL] ?? null;
  switch (labels[GATEWAY_TYPE_LABEL]) {
    case 'workspace':
      return { scope: 'WORKSPACE', owner: workspace, workspace };
    case 'project':
      return {
        scope: 'PROJECT',
        owner: labels[NAMESPACE_KEY] ?? gw.metadata?.annotations?.[NAMESPACE_KEY] ?? null,
        workspace,
      };
    default:
      return { scope: 'CLUSTER', owner: null, workspace: null };
  }
}

const STATES: Record<string, GatewayStateValue> = {
  Creating: 'CREATING',
  Updating: 'UPDATING',
  Running: 'RUNNING',
  Faulted: 'FAULTED',
  Stopped: 'STOPPED',
};

export function toPod(cluster: string, p: PodObject): GatewayPodModel {
  const statuses = p.status?.containerStatuses ?? [];
  const controller =
    statuses.find((c) => c.name === CONTROLLER_CONTAINER) ?? statuses[0] ?? ({} as ContainerStatus);
  const spec = controllerOf({ spec: { containers: p.spec?.containers ?? [] } });
  return {
    cluster,
    namespace: p.metadata?.namespace ?? GATEWAY_NAMESPACE,
    name: p.metadata?.name ?? '',
    phase: p.status?.phase ?? 'Pending',
    ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    restarts: statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0),
    node: p.spec?.nodeName ?? null,
    image: spec.image ?? controller.image ?? null,
    startedAt: p.status?.startTime ?? null,
    waitingReason: controller.state?.waiting?.reason ?? null,
  };
}

/** the ReplicaSets a Deployment owns, newest revision first */
export function historyOf(d: DeploymentObject, all: ReplicaSetObject[]): ReplicaSetObject[] {
  const uid = d.metadata?.uid;
  return all
    .filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.kind === 'Deployment' && o.uid === uid))
    .sort((a, b) => revisionOf(b) - revisionOf(a));
}

/** the newest ReplicaSet older than the current revision whose controller image differs from the current one */
export function previousVersion(d: DeploymentObject, all: ReplicaSetObject[]): ReplicaSetObject | undefined {
  const current = revisionOf(d);
  const image = controllerOf(d.spec?.template).image;
  return historyOf(d, all).find(
    (rs) => revisionOf(rs) < current && controllerOf(rs.spec?.template).image !== image,
  );
}

function rolloutOf(
  d: DeploymentObject,
  replicas: GatewayReplicasModel,
  pods: GatewayPodModel[],
  rss: ReplicaSetObject[],
): GatewayUpgradePlanModel {
  const status = d.status ?? {};
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  const observed = (status.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
  const total = status.replicas ?? 0;
  const action = d.metadata?.annotations?.[ACTION_ANNOTATION];
  let phase: RolloutPhaseValue;
  if (observed && progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded')
    phase = 'STALLED';
  else if (
    observed &&
    replicas.updated >= replicas.desired &&
    total === replicas.desired &&
    replicas.available >= replicas.desired
  )
    phase = action === 'rollback' ? 'ROLLED_BACK' : 'COMPLETE';
  else phase = 'PROGRESSING';
  const podProblems = [
    ...new Set(pods.filter((p) => !p.ready && p.waitingReason).map((p) => p.waitingReason as string)),
  ].sort();
  const image = controllerOf(d.spec?.template).image;
  const fromVersion =
    d.metadata?.annotations?.[FROM_VERSION_ANNOTATION] ??
    tagOf(controllerOf(previousVersion(d, rss)?.spec?.template).image);
  let message = observed
    ? (progressing?.message ?? null)
    : 'the Deployment controller has not seen the change yet';
  if (phase === 'STALLED' && podProblems.length > 0) {
    const stuck = pods
      .filter((p) => !p.ready && p.waitingReason)
      .map((p) => `pod ${p.name}: ${p.waitingReason}`)
      .join('; ');
    message = [message, stuck].filter(Boolean).join('; ');
  }
  return {
    revision: revisionOf(d) || null,
    fromVersion,
    toVersion: tagOf(image),
    phase,
    reason: observed ? (progressing?.reason ?? null) : null,
    message,
    podProblems,
  };
}

export function toGateway(
  cluster: string,
  gw: GatewayObject,
  d: DeploymentObject | undefined,
  podObjects: PodObject[],
  rss: ReplicaSetObject[],
): GatewayModel {
  const { scope, owner, workspace } = scopeOf(gw);
  const pods = podObjects.map((p) => toPod(cluster, p)).sort((a, b) => (a.name < b.name ? -1 : 1));
  const replicas: GatewayReplicasModel = {
    desired: d?.spec?.replicas ?? 1,
    updated: d?.status?.updatedReplicas ?? 0,
    ready: d?.status?.readyReplicas ?? 0,
    available: d?.status?.availableReplicas ?? 0,
  };
  const plan = d ? rolloutOf(d, replicas, pods, rss) : null;
  let state: GatewayStateValue = STATES[gw.status?.state ?? ''] ?? 'CREATING';
  if (plan?.phase === 'PROGRESSING') state = 'UPDATING';
  else if (plan?.phase === 'STALLED') state = 'FAULTED';
  else if (d && replicas.desired === 0) state = 'STOPPED';
  const image = d ? controllerOf(d.spec?.template).image : null;
  return {
    cluster,
    namespace: gw.metadata?.namespace ?? GATEWAY_NAMESPACE,
    name: gw.metadata?.name ?? '',
    scope,
    owner,
    workspace,
    appVersion: gw.spec?.appVersion ?? null,
    version: tagOf(image),
    image,
    replicas,
    state,
    pods,
    upgradePlan: plan,
    generation: d?.metadata?.generation ?? 0,
  };
}

/** a JSON patch (RFC 6902) on a gateway's Deployment, as `user` */
export async function patchDeployment(
  registry: ClusterRegistry,
  cluster: string,
  name: string,
  ops: unknown[],
  user: UserInfo,
): Promise<DeploymentObject> {
  return patchObject<DeploymentObject>(
    clusterKubeConfig(registry, cluster),
    objectPath({ ...DEPLOYMENTS, namespace: GATEWAY_NAMESPACE, name }),
    ops,
    { type: 'json', cluster, impersonate: { user: user.name, groups: user.groups } },
  );
}

/** a merge patch on a Gateway object, as `user` */
export async function patchGateway(
  registry: ClusterRegistry,
  cluster: string,
  name: string,
  patch: Record<string, unknown>,
  user: UserInfo,
): Promise<void> {
  await patchObject(
    clusterKubeConfig(registry, cluster),
    objectPath({ ...GATEWAYS, namespace: GATEWAY_NAMESPACE, name }),
    patch,
    { type: 'merge', cluster, impersonate: { user: user.name, groups: user.groups } },
  );
}
