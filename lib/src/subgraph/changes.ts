import { EventQueue } from '../async/index.ts';
import { SUBSCRIPTION_OVERFLOW } from '../errors/index.ts';

/**
 * The one shape of every `*Changed` subscription (ChangeType in schema/shared.graphql): the matching objects the
 * subscriber may see first (INITIAL), then ADDED, UPDATED and REMOVED as they happen. Visibility is judged per
 * subscriber at each event, and again whenever roles or bindings change: an object that becomes visible is sent
 * as ADDED, one that becomes invisible as REMOVED, exactly as if it had been created or deleted (so a subscriber
 * cannot tell the two apart). One bounded queue per subscriber: one that falls too far behind ends with
 * SUBSCRIPTION_OVERFLOW rather than holding memory.
 */

export type ChangeTypeValue = 'INITIAL' | 'ADDED' | 'UPDATED' | 'REMOVED';

/** what a source reports: an object was added or changed (its new state), or removed (its last state) */
export interface ObjectChange<T> {
  type: 'ADDED' | 'UPDATED' | 'REMOVED';
  object: T;
}

/** a subscriber's event: `object` is null for REMOVED; `key` identifies the object either way */
export interface ChangeEvent<T> {
  type: ChangeTypeValue;
  key: string;
  object: T | null;
}

/** a cache that can list its objects and report changes synchronously (an informer, a prober) */
export interface ChangeSource<T> {
  list(): readonly T[];
  subscribe(listener: (change: ObjectChange<T>) => void): () => void;
}

export interface ChangeStreamOptions<T> {
  /** the object's unique key in the source (e.g. its name, or `cluster/namespace/name`) */
  key: (object: T) => string;
  /** whether the subscriber asked for this object (its filter arguments) @default every object */
  wanted?: (object: T) => boolean;
  /** whether the subscriber may see this object now */
  visible: (object: T) => boolean;
  /** subscribes to changes of roles and bindings (visibility is judged again at each) @default none */
  accessChanged?: (listener: () => void) => () => void;
  /** events kept for a slow subscriber before its subscription ends with SUBSCRIPTION_OVERFLOW @default 1000 */
  bufferSize?: number;
}

export function changeStream<T>(
  source: ChangeSource<T>,
  options: ChangeStreamOptions<T>,
): AsyncIterableIterator<ChangeEvent<T>> {
  const wanted = options.wanted ?? (() => true);
  const shown = new Set<string>();
  const unsubscribers: Array<() => void> = [];
  const bufferSize = options.bufferSize ?? 1000;
  const queue = new EventQueue<ChangeEvent<T>>(
    bufferSize,
    () => unsubscribers.forEach((u) => u()),
    (n) => SUBSCRIPTION_OVERFLOW.err(`the subscriber fell more than ${n} events behind; subscribe again`),
  );
  const show = (type: ChangeTypeValue, object: T): void => {
    const key = options.key(object);
    shown.add(key);
    queue.push({ type, key, object });
  };
  const hide = (object: T): void => {
    const key = options.key(object);
    if (!shown.delete(key)) return;
    queue.push({ type: 'REMOVED', key, object: null });
  };
  for (const object of source.list()) {
    if (wanted(object) && options.visible(object)) show('INITIAL', object);
  }
  unsubscribers.push(
    source.subscribe((change) => {
      const { object } = change;
      if (!wanted(object)) return;
      if (change.type === 'REMOVED' || !options.visible(object)) hide(object);
      else show(shown.has(options.key(object)) ? 'UPDATED' : 'ADDED', object);
    }),
  );
  if (options.accessChanged) {
    unsubscribers.push(
      options.accessChanged(() => {
        for (const object of source.list()) {
          if (!wanted(object)) continue;
          const now = options.visible(object);
          if (now && !shown.has(options.key(object))) show('ADDED', object);
          else if (!now) hide(object);
        }
      }),
    );
  }
  return queue;
}

/**
 * The objects of a change stream, without the events that remove them (for a legacy `*Changed` field that sends
 * the entity itself). return() reaches the stream at once, even while a next() is pending.
 */
export function objectsOf<T>(events: AsyncIterableIterator<ChangeEvent<T>>): AsyncIterableIterator<T> {
  const iterator: AsyncIterableIterator<T> = {
    async next(): Promise<IteratorResult<T>> {
      for (;;) {
        const r = await events.next();
        if (r.done) return { done: true, value: undefined };
        if (r.value.object !== null) return { done: false, value: r.value.object };
      }
    },
    async return(): Promise<IteratorResult<T>> {
      await events.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
