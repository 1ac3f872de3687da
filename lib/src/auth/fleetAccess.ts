import {
  type ClusterRegistry,
  createClusterRegistry,
  createFleetInformer,
  createInformer,
  type FleetInformer,
  type FleetInformerOptions,
  type KubeSourceConfig,
  type Informer,
  type InformerListener,
  type KubernetesObject,
  loadKubeConfig,
} from '../kube/index.ts';
import type { Logger } from '../telemetry/index.ts';
import { type Authorizer, createAuthorizer } from './authorizer.ts';

/**
 * What every subgraph starts from: the member-cluster registry, the fleet's roles and bindings, and a pool of
 * fleet informers. Subgraphs that run in one process (the embedded default, `npm start`) share one FleetAccess, so
 * they share one copy of the host's RBAC, one set of cluster watches and one informer per watched collection.
 * start() and stop() count: the first start() starts the registry and the authorizer, and only the stop() that
 * matches the last start() stops them.
 */
export interface FleetAccess {
  registry: ClusterRegistry;
  authorizer: Authorizer;
  /** starts the registry, then the authorizer (once, however many subgraphs call it); each call needs a stop() */
  start(): Promise<void>;
  /** the registry and the authorizer have synced */
  hasSynced(): boolean;
  /**
   * one informer per (path, selectors) across the fleet, shared by every caller; its start() and stop() count
   * the same way, so the watch ends only when its last user stops it
   */
  informer<T extends KubernetesObject>(options: SharedInformerOptions): FleetInformer<T>;
  /**
   * one informer of a collection on the host cluster only (KubeSphere's tenancy and IAM objects), shared and
   * counted the same way; it settles when it has synced, or failed once (a CRD the host does not serve), or when
   * there is no host kubeconfig (single-cluster mode)
   */
  hostInformer<T extends KubernetesObject>(options: HostInformerOptions): HostInformer<T>;
  /** undoes one start(); the last one stops the registry and the authorizer */
  stop(): Promise<void>;
}

/** a host informer's options: the collection, its selector and where it logs */
export interface HostInformerOptions {
  /** the collection path on the host, e.g. from collectionPath() */
  path: string;
  /** @default everything */
  labelSelector?: string;
  /** @default the fleet's log, with a gvr attribute */
  log?: Logger;
}

/** a collection of the host cluster, from its informer's cache */
export interface HostInformer<T extends KubernetesObject> {
  start(): Promise<void>;
  /** synced, or failed once, or there is no host */
  settled(): boolean;
  get(name: string, namespace?: string): T | undefined;
  /** every object (of `namespace`); empty before the first list */
  list(namespace?: string): T[];
  /** called synchronously on every change; must not do work */
  subscribe(listener: InformerListener<T>): () => void;
  stop(): Promise<void>;
}

/** a fleet informer's options, less the registry (the FleetAccess's) */
export type SharedInformerOptions = Omit<FleetInformerOptions, 'registry'>;

/** a refcounted start/stop over `start` and `stop` */
function refCounted(
  start: () => Promise<void>,
  stop: () => Promise<void>,
): { start(): Promise<void>; stop(): Promise<void> } {
  let users = 0;
  let starting: Promise<void> | undefined;
  return {
    start() {
      users++;
      starting ??= start();
      return starting;
    },
    async stop() {
      if (users === 0) return;
      users--;
      if (users > 0) return;
      await starting?.catch(() => undefined);
      starting = undefined;
      await stop();
    },
  };
}

/** wraps an existing registry and authorizer (tests build them with fast backoff) */
export function fleetAccessOf(parts: {
  registry: ClusterRegistry;
  authorizer: Authorizer;
  log?: Logger;
}): FleetAccess {
  const { registry, authorizer } = parts;
  const informers = new Map<string, FleetInformer<KubernetesObject>>();
  const hostInformers = new Map<string, HostInformer<KubernetesObject>>();
  const life = refCounted(
    async () => {
      await registry.start();
      await authorizer.start();
    },
    async () => {
      await authorizer.stop();
      await registry.stop();
    },
  );
  return {
    registry,
    authorizer,
    start: life.start,
    stop: life.stop,
    hasSynced: () => registry.hasSynced() && authorizer.hasSynced(),
    informer<T extends KubernetesObject>(options: SharedInformerOptions): FleetInformer<T> {
      const key = JSON.stringify([options.path, options.labelSelector ?? '', options.fieldSelector ?? '']);
      let shared = informers.get(key);
      if (!shared) {
        const inner = createFleetInformer<KubernetesObject>({
          ...options,
          registry,
          ...(options.log === undefined && parts.log ? { log: parts.log.child({ gvr: options.path }) } : {}),
        });
        const counted = refCounted(
          () => inner.start(),
          async () => {
            informers.delete(key);
            await inner.stop();
          },
        );
        shared = {
          ...inner,
          start: counted.start,
          stop: counted.stop,
          [Symbol.asyncDispose]: counted.stop,
        };
        informers.set(key, shared);
      }
      return shared as unknown as FleetInformer<T>;
    },
    hostInformer<T extends KubernetesObject>(options: HostInformerOptions): HostInformer<T> {
      const key = JSON.stringify([options.path, options.labelSelector ?? '']);
      let shared = hostInformers.get(key);
      if (!shared) {
        shared = createHostInformer<KubernetesObject>(registry, {
          ...options,
          ...(options.log === undefined && parts.log ? { log: parts.log.child({ gvr: options.path }) } : {}),
        });
        const inner = shared;
        const counted = refCounted(
          () => inner.start(),
          async () => {
            hostInformers.delete(key);
            await inner.stop();
          },
        );
        shared = { ...inner, start: counted.start, stop: counted.stop };
        hostInformers.set(key, shared);
      }
      return shared as unknown as HostInformer<T>;
    },
  };
}

function createHostInformer<T extends KubernetesObject>(
  registry: ClusterRegistry,
  options: HostInformerOptions,
): HostInformer<T> {
  let informer: Informer<T> | undefined;
  let failed = false;
  let stopped = false;
  const listeners = new Set<InformerListener<T>>();
  return {
    async start() {
      const host = registry.host()?.kubeConfig;
      if (!host || stopped) {
        failed = true;
        return;
      }
      let failedOnce: () => void = () => undefined;
      const failing = new Promise<void>((r) => (failedOnce = r));
      informer = createInformer<T>({
        kubeConfig: host,
        path: options.path,
        ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
        ...(options.log ? { log: options.log } : {}),
        listener: (e) => {
          for (const l of listeners) l(e);
        },
        onError: () => {
          failed = true;
          failedOnce();
        },
      });
      await Promise.race([informer.start().catch(() => undefined), failing]);
    },
    settled: () => failed || (informer?.hasSynced() ?? false),
    get: (name, namespace) => informer?.get(name, namespace),
    list: (namespace) => informer?.list(namespace) ?? [],
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      stopped = true;
      listeners.clear();
      await informer?.stop();
    },
  };
}

/** the registry, authorizer and informer pool from the host cluster's kubeconfig (nothing started yet) */
export function createFleetAccess(kube: KubeSourceConfig, log: Logger): FleetAccess {
  const host = loadKubeConfig(kube);
  const registry = createClusterRegistry({ host, log: log.child({ component: 'registry' }) });
  const authorizer = createAuthorizer({ registry, host, log: log.child({ component: 'authorizer' }) });
  return fleetAccessOf({ registry, authorizer, log });
}
