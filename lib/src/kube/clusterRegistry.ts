import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';

import { abortableDelay, Backoff, type BackoffOptions } from './backoff.ts';
import { createInformer } from './informer.ts';
import type { Informer, InformerEvent, InformerLogger } from './informerTypes.ts';
import { loadKubeConfig, serverOf } from './kubeConfig.ts';
import { KubeHttpError } from './listPages.ts';
import { kubeRequest } from './request.ts';

/**
 * The fleet's clusters, from the host's cluster.kubesphere.io/v1alpha1 Cluster objects (one HOST cluster when
 * the host does not serve that API: single-cluster mode).
 */

const GROUP_VERSION_PATH = '/apis/cluster.kubesphere.io/v1alpha1';
const CLUSTERS_PATH = `${GROUP_VERSION_PATH}/clusters`;
export const HOST_CLUSTER_LABEL = 'cluster-role.kubesphere.io/host';

export interface RegisteredCluster {
  name: string;
  /** HOST when the Cluster has the label cluster-role.kubesphere.io/host, or in single-cluster mode */
  role: 'HOST' | 'MEMBER';
  /** HOST: the host's own KubeConfig. MEMBER: decoded from base64 spec.connection.kubeconfig */
  kubeConfig: KubeConfig | undefined;
  /** why kubeConfig is undefined (missing/undecodable kubeconfig, unsupported connection type) */
  configError: string | undefined;
  server: string | undefined;
  /** the Cluster object (undefined in single-cluster mode, and for a host that has no Cluster object) */
  object: KubernetesObject | undefined;
}

export type ClusterRegistryEvent = { type: 'ADDED' | 'MODIFIED' | 'REMOVED'; cluster: RegisteredCluster };

export interface ClusterRegistry extends AsyncDisposable {
  /** resolves once the host's Cluster list synced (or single-cluster mode was decided); idempotent */
  start(): Promise<void>;
  hasSynced(): boolean;
  /** host first, then by name */
  list(): RegisteredCluster[];
  get(name: string): RegisteredCluster | undefined;
  host(): RegisteredCluster | undefined;
  /**
   * called synchronously on every change; must not do work. MODIFIED only when the kubeconfig, server, role or
   * labels changed (not on status writes). Returns an unsubscribe function.
   */
  subscribe(listener: (e: ClusterRegistryEvent) => void): () => void;
  stop(): Promise<void>;
}

export interface ClusterRegistryOptions {
  /** the host cluster's credentials: it holds the Cluster objects, and is the HOST cluster's kubeConfig */
  host: KubeConfig;
  /**
   * the host's name when no Cluster object carries the host label, and in single-cluster mode
   * @default the kubeconfig's current cluster name, or 'host'
   */
  hostName?: string;
  /**
   * where discovery retries and the Cluster informer report
   * @default undefined (silent)
   */
  log?: InformerLogger;
  /**
   * retry delays for discovery and the Cluster informer
   * @default { initialMs: 500, maxMs: 30_000, jitter: 0.2 }
   */
  backoff?: BackoffOptions;
}

interface ClusterSpecConnection {
  type?: unknown;
  kubeconfig?: unknown;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** what a consumer cares about: a change here is a MODIFIED */
function fingerprint(c: RegisteredCluster): string {
  const connection = (c.object as { spec?: { connection?: ClusterSpecConnection } } | undefined)?.spec
    ?.connection;
  return JSON.stringify([
    c.role,
    c.server,
    c.configError,
    c.role === 'HOST' ? '' : connection?.kubeconfig,
    c.object?.metadata?.labels ?? {},
  ]);
}

/** Watch the host's Cluster objects. See ClusterRegistry. */
export function createClusterRegistry(options: ClusterRegistryOptions): ClusterRegistry {
  const hostName = options.hostName ?? options.host.getCurrentCluster()?.name ?? 'host';
  const clusters = new Map<string, RegisteredCluster>();
  const listeners = new Set<(e: ClusterRegistryEvent) => void>();
  const stopController = new AbortController();
  let informer: Informer<KubernetesObject> | undefined;
  let startPromise: Promise<void> | undefined;
  let synced = false;
  let stopped = false;

  const emit = (e: ClusterRegistryEvent): void => {
    for (const l of listeners) {
      try {
        l(e);
      } catch (err) {
        options.log?.warn('cluster registry listener threw', { err: errorText(err) });
      }
    }
  };

  const hostCluster = (name: string, object: KubernetesObject | undefined): RegisteredCluster => {
    let server: string | undefined;
    let configError: string | undefined;
    try {
      server = serverOf(options.host);
    } catch (err) {
      configError = errorText(err);
    }
    return { name, role: 'HOST', kubeConfig: options.host, configError, server, object };
  };

  const toRegistered = (obj: KubernetesObject): RegisteredCluster => {
    const name = obj.metadata?.name ?? '';
    if (obj.metadata?.labels?.[HOST_CLUSTER_LABEL] !== undefined) return hostCluster(name, obj);
    const member = (configError: string): RegisteredCluster => ({
      name,
      role: 'MEMBER',
      kubeConfig: undefined,
      configError,
      server: undefined,
      object: obj,
    });
    const connection = (obj as { spec?: { connection?: ClusterSpecConnection } }).spec?.connection;
    const type = connection?.type ?? 'direct';
    if (type !== 'direct')
      return member(`connection type "${String(type)}" is not supported (only "direct")`);
    const encoded = connection?.kubeconfig;
    if (typeof encoded !== 'string' || encoded === '') return member('spec.connection.kubeconfig is missing');
    try {
      const text = Buffer.from(encoded, 'base64').toString('utf8');
      const kubeConfig = loadKubeConfig({ kind: 'inline', kubeconfig: text });
      return {
        name,
        role: 'MEMBER',
        kubeConfig,
        configError: undefined,
        server: serverOf(kubeConfig),
        object: obj,
      };
    } catch (err) {
      return member(`spec.connection.kubeconfig: ${errorText(err)}`);
    }
  };

  /** a host under hostName when no Cluster carries the host label; dropped when one does */
  const reconcileHost = (): void => {
    if (!synced || stopped) return;
    const labelled = [...clusters.values()].some((c) => c.role === 'HOST' && c.object !== undefined);
    const synthetic = clusters.get(hostName);
    if (!labelled && !synthetic) {
      const c = hostCluster(hostName, undefined);
      clusters.set(hostName, c);
      emit({ type: 'ADDED', cluster: c });
    } else if (labelled && synthetic && synthetic.object === undefined) {
      clusters.delete(hostName);
      emit({ type: 'REMOVED', cluster: synthetic });
    }
  };

  const onClusterEvent = (e: InformerEvent<KubernetesObject>): void => {
    if (stopped) return;
    const name = e.object.metadata?.name ?? '';
    const previous = clusters.get(name);
    if (e.type === 'DELETED') {
      if (previous) {
        clusters.delete(name);
        emit({ type: 'REMOVED', cluster: previous });
      }
    } else {
      const next = toRegistered(e.object);
      clusters.set(name, next);
      if (!previous) emit({ type: 'ADDED', cluster: next });
      else if (fingerprint(previous) !== fingerprint(next)) emit({ type: 'MODIFIED', cluster: next });
    }
    reconcileHost();
  };

  /** true when the host serves cluster.kubesphere.io/v1alpha1; retries every other failure until stopped */
  const discover = async (): Promise<boolean> => {
    const backoff = new Backoff(options.backoff);
    for (;;) {
      try {
        await kubeRequest(options.host, GROUP_VERSION_PATH, { signal: stopController.signal });
        return true;
      } catch (err) {
        if (err instanceof KubeHttpError && err.statusCode === 404) return false;
        if (stopped) throw new Error('cluster registry stopped before it synced', { cause: err });
        const delayMs = backoff.next();
        options.log?.warn('cluster API discovery failed, retrying', {
          err: errorText(err),
          backoffMs: delayMs,
        });
        await abortableDelay(delayMs, stopController.signal);
      }
    }
  };

  const run = async (): Promise<void> => {
    const multiCluster = await discover();
    if (stopped) throw new Error('cluster registry stopped before it synced');
    if (!multiCluster) {
      options.log?.debug('no cluster.kubesphere.io API on the host: single-cluster mode', { hostName });
      synced = true;
      const c = hostCluster(hostName, undefined);
      clusters.set(hostName, c);
      emit({ type: 'ADDED', cluster: c });
      return;
    }
    informer = createInformer<KubernetesObject>({
      kubeConfig: options.host,
      path: CLUSTERS_PATH,
      listener: onClusterEvent,
      ...(options.log ? { log: options.log } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
    await informer.start();
    synced = true;
    reconcileHost();
  };

  const list = (): RegisteredCluster[] =>
    [...clusters.values()].sort((a, b) =>
      a.role !== b.role ? (a.role === 'HOST' ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    stopController.abort();
    await informer?.stop();
    await startPromise?.catch(() => undefined);
    listeners.clear();
  };

  return {
    start() {
      if (stopped) return Promise.reject(new Error('cluster registry is stopped'));
      startPromise ??= run();
      return startPromise;
    },
    hasSynced: () => synced,
    list,
    get: (name) => clusters.get(name),
    host: () => list().find((c) => c.role === 'HOST'),
    subscribe(listener) {
      const wrapped = (e: ClusterRegistryEvent): void => listener(e);
      listeners.add(wrapped);
      return () => {
        listeners.delete(wrapped);
      };
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
