import { type KubernetesObject, Watch } from '@kubernetes/client-node';

import { EventQueue } from '../async/index.ts';
import { abortableDelay, Backoff } from './backoff.ts';
import { IndexedCache, keyOf, objectKey } from './informerCache.ts';
import { InformerOverflowError } from './informerOverflowError.ts';
import type {
  EventsOptions,
  Informer,
  InformerEvent,
  InformerListener,
  InformerOptions,
  InformerStats,
} from './informerTypes.ts';
import { listAll } from './listPages.ts';

export type * from './informerTypes.ts';

type WatchOutcome = 'closed' | 'gone' | 'timeout';

interface WatchStatus {
  code?: number;
  message?: string;
}

function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

function statusCodeOf(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'statusCode' in err) {
    const code = (err as { statusCode: unknown }).statusCode;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

function isTimeout(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'TimeoutError';
}

class WatchError extends Error {
  constructor(
    readonly statusCode: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'WatchError';
  }
}

/** A list+watch cache of one collection, restarting on every error. See InformerOptions. */
export function createInformer<T extends KubernetesObject>(options: InformerOptions<T>): Informer<T> {
  return new InformerImpl<T>(options);
}

class InformerImpl<T extends KubernetesObject> implements Informer<T> {
  private readonly cache = new IndexedCache<T>();
  private readonly listeners = new Set<InformerListener<T>>();
  private readonly queues = new Set<EventQueue<InformerEvent<T>>>();
  private readonly backoff: Backoff;
  private readonly watcher: Watch;
  private readonly stopController = new AbortController();
  private readonly delay: (ms: number, signal: AbortSignal) => Promise<void>;
  private rv = '';
  private warnedNotServed = false;
  private watchEvents = 0;
  private isSynced = false;
  private started = false;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private currentWatch: AbortController | undefined;
  private readonly syncedPromise: Promise<void>;
  private resolveSynced!: () => void;
  private rejectSynced!: (e: Error) => void;
  private readonly counters: InformerStats = {
    lists: 0,
    watches: 0,
    restarts: 0,
    relists: 0,
    lastError: undefined,
  };

  constructor(private readonly options: InformerOptions<T>) {
    this.backoff = new Backoff(options.backoff);
    this.watcher = new Watch(options.kubeConfig);
    this.delay = options.delay ?? abortableDelay;
    this.syncedPromise = new Promise<void>((resolve, reject) => {
      this.resolveSynced = resolve;
      this.rejectSynced = reject;
    });
    // Nobody may be waiting: a stop before sync must not become an unhandled rejection.
    this.syncedPromise.catch(() => undefined);
    if (options.listener) this.subscribe(options.listener);
  }

  start(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error(`informer ${this.options.path} is stopped`));
    if (!this.started) {
      this.started = true;
      this.loop = this.run().catch((err: unknown) => {
        // run() handles its own errors; this is a last line of defence.
        this.counters.lastError = errorText(err);
        this.options.log?.warn('informer loop ended unexpectedly', {
          path: this.options.path,
          err: errorText(err),
        });
      });
    }
    return this.syncedPromise;
  }

  hasSynced(): boolean {
    return this.isSynced;
  }

  synced(): Promise<void> {
    return this.syncedPromise;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.cache.get(keyOf(name, namespace));
  }

  list(namespace?: string): T[] {
    if (namespace !== undefined) return this.cache.byIndex('namespace', namespace);
    return [...this.cache.values()];
  }

  byIndex(index: string, value: string): T[] {
    return this.cache.byIndex(index, value);
  }

  resourceVersion(): string {
    return this.rv;
  }

  subscribe(listener: InformerListener<T>): () => void {
    const wrapped: InformerListener<T> = (e) => listener(e);
    this.listeners.add(wrapped);
    return () => {
      this.listeners.delete(wrapped);
    };
  }

  events(options: EventsOptions<T> = {}): AsyncIterableIterator<InformerEvent<T>> {
    const filter = options.filter;
    let unsubscribe: () => void = () => undefined;
    const queue = new EventQueue<InformerEvent<T>>(
      options.bufferSize ?? 10_000,
      () => {
        unsubscribe();
        this.queues.delete(queue);
      },
      (n) => new InformerOverflowError(n),
    );
    if (this.stopped) {
      queue.end();
      return queue;
    }
    this.queues.add(queue);
    unsubscribe = this.subscribe((e) => {
      if (!filter || filter(e)) queue.push(e);
    });
    return queue;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stopController.abort();
    this.currentWatch?.abort();
    this.currentWatch = undefined;
    if (!this.isSynced)
      this.rejectSynced(new Error(`informer ${this.options.path} stopped before it synced`));
    for (const q of [...this.queues]) q.end();
    await this.loop;
    this.listeners.clear();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  stats(): InformerStats {
    return { ...this.counters };
  }

  // ---- the loop -------------------------------------------------------------------------------------------------

  private async run(): Promise<void> {
    const { log, path } = this.options;
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
          if (this.stopped) return;
        }
        const startedAt = Date.now();
        const eventsBefore = this.watchEvents;
        const outcome = await this.watchOnce();
        if (this.stopped) return;
        if (outcome === 'closed' && this.watchEvents === eventsBefore && Date.now() - startedAt < 1000) {
          // A server that ends watches at once must not make us spin: back off as after an error.
          await this.delay(this.backoff.next(), this.stopController.signal);
        }
        if (outcome === 'gone') {
          this.counters.relists++;
          log?.debug('watch expired (410), relisting', { gvr: path, resourceVersion: this.rv });
          needList = true;
        } else {
          log?.debug(`watch ${outcome}, re-watching`, { gvr: path, resourceVersion: this.rv });
        }
      } catch (err) {
        if (this.stopped) return;
        this.counters.lastError = errorText(err);
        if (statusCodeOf(err) === 410) {
          this.counters.relists++;
          log?.debug('410 Gone, relisting', { gvr: path, resourceVersion: this.rv });
          needList = true;
          continue;
        }
        try {
          this.options.onError?.(err);
        } catch (hookErr) {
          log?.warn('informer onError threw', { gvr: path, err: errorText(hookErr) });
        }
        const delayMs = this.backoff.next();
        this.counters.restarts++;
        // A resource the server does not serve (404: a CRD not installed there) is said once at warn; its
        // retries, at the capped backoff, go to debug so an optional API does not flood the log.
        const notServed = statusCodeOf(err) === 404;
        const level = notServed && this.warnedNotServed ? 'debug' : 'warn';
        if (notServed) this.warnedNotServed = true;
        log?.[level](notServed ? 'resource not served here; retrying' : 'informer restarting after error', {
          gvr: path,
          resourceVersion: this.rv,
          err: errorText(err),
          backoffMs: delayMs,
        });
        await this.delay(delayMs, this.stopController.signal);
      }
    }
  }

  private async relist(): Promise<void> {
    this.counters.lists++;
    this.options.log?.debug('listing', { gvr: this.options.path });
    const { items, resourceVersion } = await listAll<T>({
      kubeConfig: this.options.kubeConfig,
      path: this.options.path,
      labelSelector: this.options.labelSelector,
      fieldSelector: this.options.fieldSelector,
      pageSize: this.options.pageSize ?? 500,
      signal: this.stopController.signal,
      pageTimeoutMs: this.options.listPageTimeoutMs ?? 30_000,
    });
    if (this.stopped) return;
    const fresh = new Set<string>();
    for (const item of items) fresh.add(objectKey(item));
    // Deletions we missed while away: the last known state, as a tombstone.
    for (const key of [...this.cache.keys()]) {
      if (fresh.has(key)) continue;
      const gone = this.cache.delete(key);
      if (gone) this.emit({ type: 'DELETED', object: gone, previous: gone });
    }
    for (const item of items) this.apply(item);
    this.rv = resourceVersion;
    this.backoff.reset();
    if (!this.isSynced) {
      this.isSynced = true;
      this.options.log?.debug('synced', { gvr: this.options.path, resourceVersion });
      this.resolveSynced();
    }
  }

  /** store an ADDED/MODIFIED state, emitting unless the cache already holds that resourceVersion */
  private apply(obj: T): void {
    const previous = this.cache.get(objectKey(obj));
    if (previous && previous.metadata?.resourceVersion === obj.metadata?.resourceVersion) return;
    this.cache.set(obj);
    this.emit(previous ? { type: 'MODIFIED', object: obj, previous } : { type: 'ADDED', object: obj });
  }

  private emit(event: InformerEvent<T>): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.options.log?.warn('informer listener threw', { gvr: this.options.path, err: errorText(err) });
      }
    }
  }

  /** one watch from the current resourceVersion; resolves on a clean end, rejects on an error */
  private watchOnce(): Promise<WatchOutcome> {
    const { path, labelSelector, fieldSelector } = this.options;
    this.counters.watches++;
    this.options.log?.debug('watching', { gvr: path, resourceVersion: this.rv });
    return new Promise<WatchOutcome>((resolve, reject) => {
      let gone = false;
      let failure: WatchError | undefined;
      let settled = false;
      const onStop = (): void => finish(null);
      const finish = (err: unknown): void => {
        if (settled) return;
        settled = true;
        this.currentWatch?.abort();
        this.currentWatch = undefined;
        this.stopController.signal.removeEventListener('abort', onStop);
        if (this.stopped) resolve('closed');
        else if (gone) resolve('gone');
        else if (failure) reject(failure);
        else if (isTimeout(err)) resolve('timeout');
        else if (err) reject(err instanceof Error ? err : new Error(errorText(err)));
        else resolve('closed');
      };
      const onEvent = (phase: string, obj: unknown): void => {
        if (settled || this.stopped) return;
        if (phase === 'ERROR') {
          const status = (obj ?? {}) as WatchStatus;
          if (status.code === 410) gone = true;
          else
            failure = new WatchError(
              status.code,
              `watch ERROR ${status.code ?? '?'}: ${status.message ?? ''}`,
            );
          return;
        }
        const o = obj as T;
        const rv = o.metadata?.resourceVersion;
        if (phase === 'ADDED' || phase === 'MODIFIED') this.apply(o);
        else if (phase === 'DELETED') {
          const previous = this.cache.delete(objectKey(o));
          if (previous) this.emit({ type: 'DELETED', object: o, previous });
        } else if (phase !== 'BOOKMARK') return;
        if (rv) this.rv = rv;
        this.watchEvents++;
        this.backoff.reset();
      };
      const query: Record<string, string | number | boolean | undefined> = {
        resourceVersion: this.rv || undefined,
        allowWatchBookmarks: true,
        labelSelector,
        fieldSelector,
        timeoutSeconds: this.options.watchTimeoutSeconds ?? 300,
      };
      // stop() must not wait for a connect that hangs (client-node only hands out its AbortController later).
      this.stopController.signal.addEventListener('abort', onStop, { once: true });
      this.watcher.watch(path, query, onEvent, finish).then(
        (controller) => {
          if (settled || this.stopped) controller.abort();
          else this.currentWatch = controller;
        },
        (err: unknown) => finish(err ?? new Error('watch failed')),
      );
    });
  }
}
