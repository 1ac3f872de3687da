import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';

import type { BackoffOptions } from './backoff.ts';

/** The public types of createInformer (informer.ts). */

/** The minimal logger an informer needs (the telemetry `Logger` fits). */
export interface InformerLogger {
  debug(message: string, attrs?: Record<string, unknown>): void;
  warn(message: string, attrs?: Record<string, unknown>): void;
}

export type InformerEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change to the cache. `previous` is the replaced object on MODIFIED (and the last known state on DELETED). */
export interface InformerEvent<T extends KubernetesObject> {
  type: InformerEventType;
  object: T;
  previous?: T;
}

/**
 * Called synchronously, inside the informer's watch loop, for every change. It must not do work: publish the event
 * (to a queue or pubsub) and return. Exceptions are caught and logged.
 */
export type InformerListener<T extends KubernetesObject> = (event: InformerEvent<T>) => void;

export interface InformerOptions<T extends KubernetesObject> {
  /** credentials, TLS and the API server URL (its current context) */
  kubeConfig: KubeConfig;
  /** collection path, e.g. `/api/v1/pods` or `/apis/apps/v1/namespaces/x/deployments` */
  path: string;
  /**
   * applied to the LIST and the WATCH
   * @default undefined (everything)
   */
  labelSelector?: string;
  /**
   * applied to the LIST and the WATCH
   * @default undefined (everything)
   */
  fieldSelector?: string;
  /**
   * restart delays after errors
   * @default { initialMs: 500, maxMs: 30_000, jitter: 0.2 }
   */
  backoff?: BackoffOptions;
  /**
   * where connect/relist/restart are reported (debug; a restart after an error at warn)
   * @default undefined (silent)
   */
  log?: InformerLogger;
  /**
   * sent as `timeoutSeconds`: the server ends each watch cleanly after this long and the informer re-watches from its
   * resourceVersion. Bookmarks (`allowWatchBookmarks=true`) keep idle watches inside client-node's 30 s idle timeout.
   * @default 300
   */
  watchTimeoutSeconds?: number;
  /**
   * LIST page size (`limit`)
   * @default 500
   */
  pageSize?: number;
  /**
   * how long one LIST page may take; a server that accepts the connection but never answers then counts as an
   * error (restart with backoff, `onError` called) instead of holding the informer unsynced forever
   * @default 30_000
   */
  listPageTimeoutMs?: number;
  /**
   * how the informer waits between restarts (inject a fake for tests); must resolve early when `signal` aborts
   * @default a setTimeout-based delay
   */
  delay?: (ms: number, signal: AbortSignal) => Promise<void>;
  /**
   * subscribed at creation, so it also sees the first list's ADDED events (same rules as `subscribe`)
   * @default undefined
   */
  listener?: InformerListener<T>;
  /**
   * called synchronously each time the loop hits an error (a failed LIST or watch) before it backs off and
   * restarts; not called for 410 Gone (a relist). Must not do work; exceptions are caught and logged.
   * @default undefined
   */
  onError?: (err: unknown) => void;
}

export interface EventsOptions<T extends KubernetesObject> {
  /**
   * only events for which this returns true are queued
   * @default undefined (every event)
   */
  filter?: (event: InformerEvent<T>) => boolean;
  /**
   * events queued for a slow consumer before its iterator fails with `InformerOverflowError`
   * @default 10_000
   */
  bufferSize?: number;
}

export interface InformerStats {
  /** LIST operations started (one per sync, however many pages) */
  lists: number;
  /** watch requests started */
  watches: number;
  /** restarts after an error (each one waited a backoff delay) */
  restarts: number;
  /** relists after 410 Gone */
  relists: number;
  /** the last error, as text */
  lastError: string | undefined;
}

export interface Informer<T extends KubernetesObject> extends AsyncDisposable {
  /** start list+watch (idempotent); resolves when the cache first holds a full list */
  start(): Promise<void>;
  hasSynced(): boolean;
  /** resolves when first synced; rejects if the informer is stopped before that */
  synced(): Promise<void>;
  /** from memory; never calls the API server. Returned objects are shared: do not mutate them. */
  get(name: string, namespace?: string): T | undefined;
  /** from memory; all objects, or one namespace's */
  list(namespace?: string): T[];
  /** from memory; index 'namespace', 'label:<key>' (value = label value) or 'owner' (value = owner uid) */
  byIndex(index: string, value: string): T[];
  /** the last resourceVersion seen (list, event or bookmark); '' before the first list */
  resourceVersion(): string;
  /** see InformerListener: called synchronously, must not do work. Returns an unsubscribe function. */
  subscribe(listener: InformerListener<T>): () => void;
  /** a filtered, bounded stream of changes; every consumer shares the one watch. Ends when the informer stops. */
  events(options?: EventsOptions<T>): AsyncIterableIterator<InformerEvent<T>>;
  /** stop for good: aborts the watch, ends every events() stream; the informer never restarts */
  stop(): Promise<void>;
  stats(): InformerStats;
}
