import type { FleetAccess } from '@fleetgraph/lib/auth';
import { placedClusters, type UserInfo, type WorkspaceTemplateLike } from '@fleetgraph/lib/auth';
import { KUBE_UNAVAILABLE } from '@fleetgraph/lib/errors';
import {
  type ClusterRegistry,
  createInformer,
  type FleetInformer,
  followLogs,
  type Informer,
  type KubernetesObject,
  patchObject,
  probeCluster,
  type ProbeResult,
  type RegisteredCluster,
} from '@fleetgraph/lib/kube';
import type { Logger } from '@fleetgraph/lib/telemetry';

import type {
  ClusterSpecModel,
  ConditionModel,
  NodeModel,
  ProjectModel,
  ResourceListModel,
  WorkspaceModel,
} from './inventory/model.ts';
import { sortedLabels } from './inventory/model.ts';
import { newestFirst, type ClusterUpgradeModel, type UpgradePhaseValue } from './upgrades/model.ts';

/** The clusters subgraph's only Kubernetes-aware file: the cluster registry and the probe. */

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
  return patchObject<KubernetesObject>(
    host,
    `/apis/cluster.kubesphere.io/v1alpha1/clusters/${encodeURIComponent(name)}`,
    patch,
    {
      type: 'merge',
      cluster: registry.host()?.name ?? 'host',
      impersonate: { user: user.name, groups: user.groups },
    },
  );
}

// ---- Inventory (issue 6): nodes and namespaces of every cluster, WorkspaceTemplates on the host ----

interface NodeObject extends KubernetesObject {
  spec?: {
    unschedulable?: boolean;
    taints?: Array<{ key?: string; value?: string; effect?: string }>;
  };
  status?: {
    capacity?: Record<string, string>;
    allocatable?: Record<string, string>;
    conditions?: Array<{
      type?: string;
      status?: string;
      reason?: string;
      message?: string;
      lastTransitionTime?: string;
    }>;
    addresses?: Array<{ type?: string; address?: string }>;
    nodeInfo?: { kubeletVersion?: string };
  };
}

interface NamespaceObject extends KubernetesObject {
  status?: { phase?: string };
}

type WorkspaceTemplateObject = KubernetesObject &
  WorkspaceTemplateLike & {
    spec?: {
      template?: {
        metadata?: { annotations?: Record<string, string> };
        spec?: { manager?: string };
      };
    };
  };

const WORKSPACE_LABEL = 'kubesphere.io/workspace';
const NODE_ROLE_PREFIX = 'node-role.kubernetes.io/';
const CLUSTER_GROUP_LABEL = 'cluster.kubesphere.io/group';

/** binary (Ki…Ei) and decimal (n…E) suffixes of Kubernetes quantities */
const QUANTITY_SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]?)$/;

/** a Kubernetes quantity as a number (`"500m"` → 0.5, `"2Gi"` → 2147483648); null when absent or malformed */
export function quantityValue(q: string | undefined): number | null {
  if (q === undefined) return null;
  const m = QUANTITY.exec(q.trim());
  if (!m) return null;
  return Number(m[1]) * (QUANTITY_SUFFIX[m[2] ?? ''] ?? 1);
}

function toResourceList(list: Record<string, string> | undefined): ResourceListModel {
  const pods = quantityValue(list?.['pods']);
  return {
    cpu: list?.['cpu'] ?? null,
    memory: list?.['memory'] ?? null,
    pods: pods === null ? null : Math.floor(pods),
    cpuCores: quantityValue(list?.['cpu']),
    memoryBytes: quantityValue(list?.['memory']),
  };
}

function createdAt(o: KubernetesObject): string {
  const t = o.metadata?.creationTimestamp as unknown;
  if (t instanceof Date) return t.toISOString();
  return typeof t === 'string' ? t : new Date(0).toISOString();
}

export function toNode(cluster: string, o: NodeObject): NodeModel {
  const labels = o.metadata?.labels ?? {};
  const conditions = (o.status?.conditions ?? []).map((c) => ({
    type: c.type ?? '',
    status: c.status ?? 'Unknown',
    reason: c.reason ?? null,
    message: c.message ?? null,
    lastTransitionTime: c.lastTransitionTime ?? null,
  }));
  return {
    cluster,
    name: o.metadata?.name ?? '',
    uid: o.metadata?.uid ?? '',
    labels: sortedLabels(labels),
    createdAt: createdAt(o),
    roles: Object.keys(labels)
      .filter((k) => k.startsWith(NODE_ROLE_PREFIX) && k.length > NODE_ROLE_PREFIX.length)
      .map((k) => k.slice(NODE_ROLE_PREFIX.length))
      .sort(),
    ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    conditions,
    kubeletVersion: o.status?.nodeInfo?.kubeletVersion ?? null,
    capacity: toResourceList(o.status?.capacity),
    allocatable: toResourceList(o.status?.allocatable),
    taints: (o.spec?.taints ?? []).map((t) => ({
      key: t.key ?? '',
      value: t.value ?? null,
      effect: t.effect ?? '',
    })),
    unschedulable: o.spec?.unschedulable === true,
    addresses: (o.status?.addresses ?? []).map((a) => ({ type: a.type ?? '', address: a.address ?? '' })),
  };
}

export function toProject(cluster: string, o: NamespaceObject): ProjectModel {
  return {
    cluster,
    name: o.metadata?.name ?? '',
    uid: o.metadata?.uid ?? '',
    labels: sortedLabels(o.metadata?.labels),
    createdAt: createdAt(o),
    workspaceName: o.metadata?.labels?.[WORKSPACE_LABEL] ?? null,
    status: { phase: o.status?.phase === 'Terminating' ? 'TERMINATING' : 'ACTIVE' },
  };
}

export function toWorkspace(o: WorkspaceTemplateObject): WorkspaceModel {
  const description = 'kubesphere.io/description';
  return {
    name: o.metadata?.name ?? '',
    manager: o.spec?.template?.spec?.manager ?? null,
    description:
      o.metadata?.annotations?.[description] ??
      o.spec?.template?.metadata?.annotations?.[description] ??
      null,
  };
}

/** what the inventory reads from a Cluster object (undefined for a cluster without one) */
export function clusterSpecOf(object: KubernetesObject | undefined): ClusterSpecModel {
  const spec = (object as { spec?: { provider?: string; connection?: { type?: string } } } | undefined)?.spec;
  const type = spec?.connection?.type?.toLowerCase();
  return {
    provider: spec?.provider || null,
    group: object?.metadata?.labels?.[CLUSTER_GROUP_LABEL] ?? null,
    connectionType: type === 'direct' ? 'DIRECT' : type === 'proxy' ? 'PROXY' : null,
  };
}

/** the inventory's caches: nodes and namespaces on every cluster, WorkspaceTemplates on the host */
export interface Inventory extends AsyncDisposable {
  /** starts the informers (the registry must be started); resolves when each has synced or failed once */
  start(): Promise<void>;
  /** every informer has synced, or failed at least once (an unreachable member does not hold readiness) */
  settled(): boolean;
  /** the cluster's nodes, by name; empty when never listed */
  nodes(cluster: string): NodeModel[];
  node(cluster: string, name: string): NodeModel | undefined;
  /** the cluster's namespaces, by name; empty when never listed */
  projects(cluster: string): ProjectModel[];
  project(cluster: string, name: string): ProjectModel | undefined;
  /** every WorkspaceTemplate on the host, by name */
  workspaces(): WorkspaceModel[];
  workspace(name: string): WorkspaceModel | undefined;
  /** the clusters a workspace is placed on (by name and by selector), sorted */
  placement(name: string): string[];
  stop(): Promise<void>;
}

const byName = <T extends { name: string }>(a: T, b: T): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

export function createInventory(fleet: FleetAccess, log: Logger): Inventory {
  const { registry } = fleet;
  const nodes: FleetInformer<NodeObject> = fleet.informer<NodeObject>({
    path: '/api/v1/nodes',
    log: log.child({ gvr: 'v1/nodes' }),
  });
  const namespaces: FleetInformer<NamespaceObject> = fleet.informer<NamespaceObject>({
    path: '/api/v1/namespaces',
    log: log.child({ gvr: 'v1/namespaces' }),
  });
  let templates: Informer<WorkspaceTemplateObject> | undefined;
  let templatesFailed = false;
  let stopped = false;

  const startTemplates = async (): Promise<void> => {
    const host = registry.host()?.kubeConfig;
    if (!host) {
      // single-cluster mode without a usable host kubeconfig: no workspaces
      templatesFailed = true;
      return;
    }
    let failedOnce: () => void = () => undefined;
    const failed = new Promise<void>((r) => (failedOnce = r));
    templates = createInformer<WorkspaceTemplateObject>({
      kubeConfig: host,
      path: '/apis/tenant.kubesphere.io/v1beta1/workspacetemplates',
      log: log.child({ gvr: 'tenant.kubesphere.io/v1beta1/workspacetemplates' }),
      onError: () => {
        templatesFailed = true;
        failedOnce();
      },
    });
    await Promise.race([templates.start().catch(() => undefined), failed]);
  };

  const template = (name: string): WorkspaceTemplateObject | undefined => templates?.get(name);

  const inventory: Inventory = {
    async start() {
      if (stopped) return;
      await Promise.all([nodes.start(), namespaces.start(), startTemplates()]);
    },
    settled: () =>
      nodes.settled() && namespaces.settled() && (templatesFailed || (templates?.hasSynced() ?? false)),
    nodes: (cluster) =>
      nodes
        .list(cluster)
        .map((o) => toNode(cluster, o))
        .sort(byName),
    node(cluster, name) {
      const o = nodes.get(cluster, name);
      return o ? toNode(cluster, o) : undefined;
    },
    projects: (cluster) =>
      namespaces
        .list(cluster)
        .map((o) => toProject(cluster, o))
        .sort(byName),
    project(cluster, name) {
      const o = namespaces.get(cluster, name);
      return o ? toProject(cluster, o) : undefined;
    },
    workspaces: () => (templates?.list() ?? []).map(toWorkspace).sort(byName),
    workspace(name) {
      const o = template(name);
      return o ? toWorkspace(o) : undefined;
    },
    placement: (name) => placedClusters(template(name), registry.list()),
    async stop() {
      stopped = true;
      await Promise.all([nodes.stop(), namespaces.stop(), templates?.stop()]);
    },
    [Symbol.asyncDispose]() {
      return inventory.stop();
    },
  };
  return inventory;
}

// ---- member-cluster upgrades (issue 6): ks-core Helm Jobs and their pods in the host's kubesphere-system ----

export const KS_CORE_NAMESPACE = 'kubesphere-system';
export const KS_CORE_ACTION_ANNOTATION = 'kubesphere.io/ks-core-action';
/** proposed: the version the action installs */
export const KS_CORE_VERSION_ANNOTATION = 'kubesphere.io/ks-core-version';
export const KS_CORE_FROM_VERSION_ANNOTATION = 'kubesphere.io/ks-core-from-version';
export const INSTALL_JOB_ANNOTATION = 'kubesphere.io/install-core-jobname';
const UPGRADE_CLUSTER_LABEL = 'kubesphere.io/cluster';
const HELM_CONTAINER = 'helm';

interface ConditionObject {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

interface ClusterObject extends KubernetesObject {
  status?: { kubeSphereVersion?: string; conditions?: ConditionObject[] };
}

interface JobObject extends KubernetesObject {
  status?: {
    startTime?: string;
    completionTime?: string;
    active?: number;
    conditions?: ConditionObject[];
  };
}

interface PodObject extends KubernetesObject {
  status?: { phase?: string };
}

/** status.kubeSphereVersion of a Cluster object */
export function kubesphereVersionOf(object: KubernetesObject | undefined): string | null {
  return (object as ClusterObject | undefined)?.status?.kubeSphereVersion || null;
}

/** status.conditions of a Cluster object, as the Condition type has them */
export function clusterConditionsOf(object: KubernetesObject | undefined): ConditionModel[] {
  return ((object as ClusterObject | undefined)?.status?.conditions ?? []).map((c) => ({
    type: c.type ?? '',
    status: c.status ?? 'Unknown',
    reason: c.reason || null,
    message: c.message || null,
    lastTransitionTime: c.lastTransitionTime || null,
  }));
}

/** whether the controller has finished with this Cluster's ks-core job `jobName` (KSCoreReady is set again) */
export function upgradeSettled(object: KubernetesObject | undefined, jobName: string): boolean {
  if (object?.metadata?.annotations?.[INSTALL_JOB_ANNOTATION] !== jobName) return true;
  return clusterConditionsOf(object).some((c) => c.type === 'KSCoreReady');
}

const isTrue = (job: JobObject, type: string): ConditionObject | undefined =>
  job.status?.conditions?.find((c) => c.type === type && c.status === 'True');

function toUpgrade(job: JobObject, pods: PodObject[], registry: ClusterRegistry): ClusterUpgradeModel {
  const meta = job.metadata ?? {};
  const annotations = meta.annotations ?? {};
  const name = meta.name ?? '';
  const cluster =
    meta.labels?.[UPGRADE_CLUSTER_LABEL] ??
    meta.ownerReferences?.find((o) => o.kind === 'Cluster')?.name ??
    '';
  const pod = [...pods].sort((a, b) =>
    String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? '')),
  )[0];
  const complete = isTrue(job, 'Complete');
  const failed = isTrue(job, 'Failed');
  const podPhase = pod?.status?.phase;
  const phase: UpgradePhaseValue = complete
    ? 'SUCCEEDED'
    : failed
      ? 'FAILED'
      : podPhase === 'Running' || podPhase === 'Succeeded' || podPhase === 'Failed'
        ? 'RUNNING'
        : 'PENDING';
  const toVersion = annotations[KS_CORE_VERSION_ANNOTATION] ?? null;
  const clusterObject = registry.get(cluster)?.object;
  const ksCore =
    clusterObject?.metadata?.annotations?.[INSTALL_JOB_ANNOTATION] === name
      ? clusterConditionsOf(clusterObject).find((c) => c.type === 'KSCoreReady')
      : undefined;
  let message: string | null;
  if (phase === 'PENDING') message = 'waiting for the Helm pod to start';
  else if (phase === 'RUNNING')
    message = `helm upgrade --install ks-core${toVersion ? ` (${toVersion})` : ''}`;
  else if (ksCore?.message) message = ksCore.message;
  else if (failed)
    message = [failed.reason, failed.message].filter(Boolean).join(': ') || 'the Helm job failed';
  else message = 'the Helm job completed';
  const createdAt = String(meta.creationTimestamp ?? '');
  return {
    id: name,
    cluster,
    action: annotations[KS_CORE_ACTION_ANNOTATION] ?? 'install',
    fromVersion: annotations[KS_CORE_FROM_VERSION_ANNOTATION] ?? null,
    toVersion,
    phase,
    startedAt: job.status?.startTime ?? (createdAt || null),
    finishedAt: job.status?.completionTime ?? failed?.lastTransitionTime ?? null,
    message,
    jobName: name,
    podName: pod?.metadata?.name ?? null,
    createdAt,
  };
}

/** The host's ks-core Jobs (label kubesphere.io/managed=true) and their pods, as upgrades. */
export interface UpgradeSource {
  /** starts the informers on the host (after the registry started); resolves when they synced */
  start(): Promise<void>;
  hasSynced(): boolean;
  /** every known upgrade, or one cluster's; newest first */
  list(cluster?: string): ClusterUpgradeModel[];
  get(id: string): ClusterUpgradeModel | undefined;
  /** called synchronously with the Job's name after any change of a Job or its pod; must not do work */
  subscribe(listener: (id: string) => void): () => void;
  stop(): Promise<void>;
}

export function createUpgradeSource(
  registry: ClusterRegistry,
  options: { log?: Logger; backoff?: { initialMs: number; maxMs: number } } = {},
): UpgradeSource {
  let jobs: Informer<JobObject> | undefined;
  let pods: Informer<PodObject> | undefined;
  const listeners = new Set<(id: string) => void>();
  const notify = (id: string | undefined): void => {
    if (!id) return;
    for (const l of listeners) {
      try {
        l(id);
      } catch (e) {
        options.log?.warn('upgrade listener failed', { error: e });
      }
    }
  };
  const model = (job: JobObject): ClusterUpgradeModel =>
    toUpgrade(job, pods?.byIndex('label:job-name', job.metadata?.name ?? '') ?? [], registry);
  const common = {
    ...(options.log ? { log: options.log } : {}),
    ...(options.backoff ? { backoff: options.backoff } : {}),
  };
  return {
    async start() {
      const host = registry.host()?.kubeConfig;
      if (!host) return;
      jobs = createInformer<JobObject>({
        kubeConfig: host,
        path: `/apis/batch/v1/namespaces/${KS_CORE_NAMESPACE}/jobs`,
        labelSelector: 'kubesphere.io/managed=true',
        listener: (e) => notify(e.object.metadata?.name),
        ...common,
      });
      pods = createInformer<PodObject>({
        kubeConfig: host,
        path: `/api/v1/namespaces/${KS_CORE_NAMESPACE}/pods`,
        labelSelector: 'job-name',
        listener: (e) => notify(e.object.metadata?.labels?.['job-name']),
        ...common,
      });
      await Promise.all([jobs.start(), pods.start()]);
    },
    hasSynced: () => (jobs?.hasSynced() ?? true) && (pods?.hasSynced() ?? true),
    list(cluster) {
      const all =
        cluster === undefined
          ? (jobs?.list() ?? [])
          : (jobs?.byIndex(`label:${UPGRADE_CLUSTER_LABEL}`, cluster) ?? []);
      return all
        .map(model)
        .filter((u) => u.cluster !== '')
        .sort(newestFirst);
    },
    get(id) {
      const job = jobs?.get(id, KS_CORE_NAMESPACE);
      return job ? model(job) : undefined;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      listeners.clear();
      await Promise.all([jobs?.stop(), pods?.stop()]);
    },
  };
}

/** sets the ks-core upgrade annotations on a member's Cluster object, as `user` */
export function requestUpgrade(
  registry: ClusterRegistry,
  name: string,
  version: string,
  user: UserInfo,
): Promise<KubernetesObject> {
  return patchClusterObject(
    registry,
    name,
    {
      metadata: {
        annotations: { [KS_CORE_ACTION_ANNOTATION]: 'upgrade', [KS_CORE_VERSION_ANNOTATION]: version },
      },
    },
    user,
  );
}

export interface TimedLine {
  /** the kubelet's RFC 3339 timestamp, as sent */
  time: string;
  text: string;
}

/**
 * The `helm` container log of an upgrade pod on the host, followed, each line with its timestamp; `sinceTime`
 * (RFC 3339) asks for lines from then on (the API server rounds it down to the second).
 */
export async function* upgradeLog(
  registry: ClusterRegistry,
  pod: string,
  options: { sinceTime?: string; signal: AbortSignal },
): AsyncGenerator<TimedLine, void, undefined> {
  const host = registry.host();
  if (!host?.kubeConfig) throw KUBE_UNAVAILABLE.err('the host cluster has no usable kubeconfig');
  for await (const raw of followLogs({
    kubeConfig: host.kubeConfig,
    namespace: KS_CORE_NAMESPACE,
    pod,
    container: HELM_CONTAINER,
    timestamps: true,
    signal: options.signal,
    cluster: host.name,
    ...(options.sinceTime !== undefined ? { sinceTime: options.sinceTime } : {}),
  })) {
    const space = raw.indexOf(' ');
    yield space < 0 ? { time: raw, text: '' } : { time: raw.slice(0, space), text: raw.slice(space + 1) };
  }
}
