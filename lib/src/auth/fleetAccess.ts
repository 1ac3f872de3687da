import {
  type ClusterRegistry,
  createClusterRegistry,
  createFleetInformer,
  type FleetInformer,
  type FleetInformerOptions,
  type KubeSourceConfig,
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
  /** undoes one start(); the last one stops the registry and the authorizer */
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
  };
}

/** the registry, authorizer and informer pool from the host cluster's kubeconfig (nothing started yet) */
export function createFleetAccess(kube: KubeSourceConfig, log: Logger): FleetAccess {
  const host = loadKubeConfig(kube);
  const registry = createClusterRegistry({ host, log: log.child({ component: 'registry' }) });
  const authorizer = createAuthorizer({ registry, host, log: log.child({ component: 'authorizer' }) });
  return fleetAccessOf({ registry, authorizer, log });
}
