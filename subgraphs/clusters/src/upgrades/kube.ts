import type { UserInfo } from '@fleetgraph/lib/auth';
import { KUBE_UNAVAILABLE } from '@fleetgraph/lib/errors';
import {
  type ClusterRegistry,
  collectionPath,
  type ConditionModel,
  createInformer,
  followLogs,
  type Informer,
  type KubeCondition,
  type KubernetesObject,
  toConditions,
} from '@fleetgraph/lib/kube';
import type { Logger } from '@fleetgraph/lib/telemetry';

import { patchClusterObject } from '../fleet/kube.ts';
import { newestFirst, type ClusterUpgradeModel, type UpgradePhaseValue } from './model.ts';

/**
 * Member-cluster upgrades' Kubernetes side: ks-core Helm Jobs and their pods in the host's kubesphere-system, what
 * an upgrade reads from a Cluster object (version, conditions, the install-job annotation), the upgrade request
 * (annotations on the member's Cluster object) and the Helm container's log.
 */

export const KS_CORE_NAMESPACE = 'kubesphere-system';
export const KS_CORE_ACTION_ANNOTATION = 'kubesphere.io/ks-core-action';
/** proposed: the version the action installs */
export const KS_CORE_VERSION_ANNOTATION = 'kubesphere.io/ks-core-version';
export const KS_CORE_FROM_VERSION_ANNOTATION = 'kubesphere.io/ks-core-from-version';
export const INSTALL_JOB_ANNOTATION = 'kubesphere.io/install-core-jobname';
const UPGRADE_CLUSTER_LABEL = 'kubesphere.io/cluster';
/** watched on the host, in kubesphere-system: the ks-core Jobs and their pods */
const JOBS = { group: 'batch', version: 'v1', resource: 'jobs' };
const PODS = { group: '', version: 'v1', resource: 'pods' };
const HELM_CONTAINER = 'helm';

interface ClusterObject extends KubernetesObject {
  status?: { kubeSphereVersion?: string; conditions?: KubeCondition[] };
}

interface JobObject extends KubernetesObject {
  status?: {
    startTime?: string;
    completionTime?: string;
    active?: number;
    conditions?: KubeCondition[];
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
  return toConditions((object as ClusterObject | undefined)?.status?.conditions);
}

/** whether the controller has finished with this Cluster's ks-core job `jobName` (KSCoreReady is set again) */
export function upgradeSettled(object: KubernetesObject | undefined, jobName: string): boolean {
  if (object?.metadata?.annotations?.[INSTALL_JOB_ANNOTATION] !== jobName) return true;
  return clusterConditionsOf(object).some((c) => c.type === 'KSCoreReady');
}

const isTrue = (job: JobObject, type: string): KubeCondition | undefined =>
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
        path: collectionPath({ ...JOBS, namespace: KS_CORE_NAMESPACE }),
        labelSelector: 'kubesphere.io/managed=true',
        listener: (e) => notify(e.object.metadata?.name),
        ...common,
      });
      pods = createInformer<PodObject>({
        kubeConfig: host,
        path: collectionPath({ ...PODS, namespace: KS_CORE_NAMESPACE }),
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
