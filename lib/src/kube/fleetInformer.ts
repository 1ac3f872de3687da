import type { KubernetesObject } from '@kubernetes/client-node';

import { EventQueue } from '../async/index.ts';
import type { BackoffOptions } from './backoff.ts';
import type { ClusterRegistry, ClusterRegistryEvent, RegisteredCluster } from './clusterRegistry.ts';
import { createInformer } from './informer.ts';
import { objectKey } from './informerCache.ts';
import { InformerOverflowError } from './informerOverflowError.ts';
import type { Informer, InformerEvent, InformerLogger } from './informerTypes.ts';

/** One informer per (cluster, resource) for every cluster in a ClusterRegistry, following clusters as they come and go. */

export type FleetEvent<T extends KubernetesObject> = InformerEvent<T> & { cluster: string };

export interface FleetClusterState {
  /** the cluster's informer holds a full list */
  synced: boolean;
  /** the last error of the cluster's informer, or why the cluster has no kubeconfig */
  lastError: string | undefined;
}

export interface FleetInformer<T extends KubernetesObject> extends AsyncDisposable {
  /** starts per-cluster informers now and for clusters added later; resolves when settled() first holds */
  start(): Promise<void>;
  /** every current cluster's informer has synced, or failed at least once, or the cluster has no kubeConfig */
  settled(): boolean;
  clusterState(cluster: string): FleetClusterState | undefined;
  /** the clusters followed, sorted by name */
  clusters(): string[];
  get(cluster: string, name: string, namespace?: string): T | undefined;
  list(cluster: string, namespace?: string): T[];
  byIndex(cluster: string, index: string, value: string): T[];
  /** called synchronously for every change on every cluster; must not do work. Returns an unsubscribe function. */
  subscribe(listener: (e: FleetEvent<T>) => void): () => void;
  /** a filtered, bounded stream of every cluster's changes; consumers share the watches. Ends on stop(). */
  events(options?: FleetEventsOptions<T>): AsyncIterableIterator<FleetEvent<T>>;
  /** stops every cluster's informer (not the registry) and ends every events() stream */
  stop(): Promise<void>;
}

export interface FleetEventsOptions<T extends KubernetesObject> {
  /**
   * only events for which this returns true are queued
   * @default undefined (every event)
   */
  filter?: (e: FleetEvent<T>) => boolean;
  /**
   * events queued for a slow consumer before its iterator fails with `InformerOverflowError`
   * @default 10_000
   */
  bufferSize?: number;
}

export interface FleetInformerOptions {
  /** the clusters to follow (started by start() if it was not) */
  registry: ClusterRegistry;
  /** collection path on every cluster, e.g. `/api/v1/pods` */
  path: string;
  /**
   * applied to every cluster's LIST and WATCH
   * @default undefined (everything)
   */
  labelSelector?: string;
  /**
   * applied to every cluster's LIST and WATCH
   * @default undefined (everything)
   */
  fieldSelector?: string;
  /**
   * every cluster's informer logs here, with a `cluster` attribute
   * @default undefined (silent)
   */
  log?: InformerLogger;
  /**
   * restart delays of every cluster's informer
   * @default { initialMs: 500, maxMs: 30_000, jitter: 0.2 }
   */
  backoff?: BackoffOptions;
  /**
   * see InformerOptions.watchTimeoutSeconds
   * @default 300
   */
  watchTimeoutSeconds?: number;
  /**
   * see InformerOptions.listPageTimeoutMs: bounds how long a hung member can keep `settled()` false
   * @default 30_000
   */
  listPageTimeoutMs?: number;
}

interface Member<T extends KubernetesObject> {
  cluster: RegisteredCluster;
  informer: Informer<T> | undefined;
  failed: boolean;
  /** the replaced informer's objects, until this one's first list reconciled them */
  previous: Map<string, T> | undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Follow one collection on every cluster of a registry. See FleetInformer. */
export function createFleetInformer<T extends KubernetesObject>(
  options: FleetInformerOptions,
): FleetInformer<T> {
  const members = new Map<string, Member<T>>();
  const listeners = new Set<(e: FleetEvent<T>) => void>();
  const queues = new Set<EventQueue<FleetEvent<T>>>();
  const stopping = new Set<Promise<void>>();
  let waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  let startPromise: Promise<void> | undefined;
  let registryStarted = false;
  let stopped = false;
  let unsubscribeRegistry: () => void = () => undefined;

  const emit = (e: FleetEvent<T>): void => {
    for (const l of listeners) {
      try {
        l(e);
      } catch (err) {
        options.log?.warn('fleet informer listener threw', { cluster: e.cluster, err: errorText(err) });
      }
    }
  };

  const settled = (): boolean =>
    [...members.values()].every((m) => !m.informer || m.failed || m.informer.hasSynced());

  const checkSettled = (): void => {
    if (!registryStarted || stopped || !waiters.length || !settled()) return;
    const ready = waiters;
    waiters = [];
    for (const w of ready) w.resolve();
  };

  const retire = (informer: Informer<T> | undefined): void => {
    if (!informer) return;
    const p = informer.stop().finally(() => stopping.delete(p));
    stopping.add(p);
  };

  /** the new informer's first list: ADDED for an object the replaced informer held becomes MODIFIED (or nothing) */
  const onMemberEvent = (member: Member<T>, e: InformerEvent<T>): void => {
    const name = member.cluster.name;
    if (stopped || members.get(name) !== member) return;
    const prev = member.previous?.get(objectKey(e.object));
    if (prev && e.type === 'ADDED' && !member.informer?.hasSynced()) {
      member.previous?.delete(objectKey(e.object));
      if (prev.metadata?.resourceVersion === e.object.metadata?.resourceVersion) return;
      emit({ type: 'MODIFIED', object: e.object, previous: prev, cluster: name });
      return;
    }
    emit({ ...e, cluster: name });
  };

  const onMemberSynced = (member: Member<T>): void => {
    const name = member.cluster.name;
    if (stopped || members.get(name) !== member) return;
    const leftovers = member.previous;
    member.previous = undefined;
    for (const gone of leftovers?.values() ?? [])
      emit({ type: 'DELETED', object: gone, previous: gone, cluster: name });
    checkSettled();
  };

  const addMember = (cluster: RegisteredCluster, previous?: Map<string, T>): void => {
    const member: Member<T> = { cluster, informer: undefined, failed: false, previous };
    members.set(cluster.name, member);
    if (!cluster.kubeConfig) {
      for (const gone of previous?.values() ?? [])
        emit({ type: 'DELETED', object: gone, previous: gone, cluster: cluster.name });
      member.previous = undefined;
      return;
    }
    const log = options.log;
    const attrs = (a?: Record<string, unknown>) => ({ cluster: cluster.name, ...a });
    member.informer = createInformer<T>({
      kubeConfig: cluster.kubeConfig,
      path: options.path,
      ...(options.labelSelector !== undefined ? { labelSelector: options.labelSelector } : {}),
      ...(options.fieldSelector !== undefined ? { fieldSelector: options.fieldSelector } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.listPageTimeoutMs !== undefined ? { listPageTimeoutMs: options.listPageTimeoutMs } : {}),
      ...(options.watchTimeoutSeconds !== undefined
        ? { watchTimeoutSeconds: options.watchTimeoutSeconds }
        : {}),
      ...(log
        ? { log: { debug: (m, a) => log.debug(m, attrs(a)), warn: (m, a) => log.warn(m, attrs(a)) } }
        : {}),
      listener: (e) => onMemberEvent(member, e),
      onError: () => {
        if (member.failed) return;
        member.failed = true;
        checkSettled();
      },
    });
    member.informer.start().then(
      () => onMemberSynced(member),
      () => undefined, // stopped before it synced
    );
  };

  /** forget a cluster; its objects, unless handed to a replacement, get DELETED */
  const removeMember = (name: string, emitDeleted: boolean): Map<string, T> => {
    const member = members.get(name);
    const held = new Map<string, T>(member?.previous ?? []);
    if (!member) return held;
    members.delete(name);
    for (const o of member.informer?.list() ?? []) held.set(objectKey(o), o);
    retire(member.informer);
    if (emitDeleted)
      for (const gone of held.values())
        emit({ type: 'DELETED', object: gone, previous: gone, cluster: name });
    return held;
  };

  const onRegistryEvent = (e: ClusterRegistryEvent): void => {
    if (stopped) return;
    const name = e.cluster.name;
    if (e.type === 'REMOVED') removeMember(name, true);
    else if (e.type === 'ADDED' && !members.has(name)) addMember(e.cluster);
    else addMember(e.cluster, removeMember(name, false));
    checkSettled();
  };

  const run = async (): Promise<void> => {
    unsubscribeRegistry = options.registry.subscribe(onRegistryEvent);
    await options.registry.start();
    if (stopped) throw new Error(`fleet informer ${options.path} stopped before it settled`);
    registryStarted = true;
    for (const c of options.registry.list()) if (!members.has(c.name)) addMember(c);
    const done = new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
    checkSettled();
    await done;
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    unsubscribeRegistry();
    for (const m of members.values()) retire(m.informer);
    members.clear();
    for (const w of waiters.splice(0))
      w.reject(new Error(`fleet informer ${options.path} stopped before it settled`));
    for (const q of [...queues]) q.end();
    await Promise.all([...stopping]);
    await startPromise?.catch(() => undefined);
    listeners.clear();
  };

  const memberOf = (cluster: string): Informer<T> | undefined => members.get(cluster)?.informer;

  return {
    start() {
      if (stopped) return Promise.reject(new Error(`fleet informer ${options.path} is stopped`));
      startPromise ??= run();
      return startPromise;
    },
    settled: () => registryStarted && settled(),
    clusterState(cluster) {
      const m = members.get(cluster);
      if (!m) return undefined;
      if (!m.informer) return { synced: false, lastError: m.cluster.configError };
      return { synced: m.informer.hasSynced(), lastError: m.informer.stats().lastError };
    },
    clusters: () => [...members.keys()].sort(),
    get: (cluster, name, namespace) => memberOf(cluster)?.get(name, namespace),
    list: (cluster, namespace) => memberOf(cluster)?.list(namespace) ?? [],
    byIndex: (cluster, index, value) => memberOf(cluster)?.byIndex(index, value) ?? [],
    subscribe(listener) {
      const wrapped = (e: FleetEvent<T>): void => listener(e);
      listeners.add(wrapped);
      return () => {
        listeners.delete(wrapped);
      };
    },
    events(eventsOptions = {}) {
      const filter = eventsOptions.filter;
      let unsubscribe: () => void = () => undefined;
      const queue = new EventQueue<FleetEvent<T>>(
        eventsOptions.bufferSize ?? 10_000,
        () => {
          unsubscribe();
          queues.delete(queue);
        },
        (n) => new InformerOverflowError(n),
      );
      if (stopped) {
        queue.end();
        return queue;
      }
      queues.add(queue);
      const wrapped = (e: FleetEvent<T>): void => {
        if (!filter || filter(e)) queue.push(e);
      };
      listeners.add(wrapped);
      unsubscribe = () => listeners.delete(wrapped);
      return queue;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
