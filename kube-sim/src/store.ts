import type { StoredObject, WatchEventType } from './types.ts';

/** One change, as kept in the history window and fanned out to watchers. */
export interface ChangeEvent {
  rv: number;
  type: WatchEventType;
  /** storage key of the type: "pods", "deployments.apps" */
  gr: string;
  namespace: string;
  object: StoredObject;
  /** the state before a MODIFIED, for selector transitions */
  previous?: StoredObject;
}

/** A live watch: kube-sim's HTTP layer implements it over a chunked response. */
export interface WatchSink {
  gr: string;
  namespace?: string;
  matches(obj: StoredObject): boolean;
  send(type: WatchEventType, obj: StoredObject): void;
  /** end the stream: cleanly ('end') or by breaking the connection ('destroy') */
  close(how: 'end' | 'destroy'): void;
  /**
   * an in-process watcher (the simulated controllers): not counted by watcherCount(), not closed by
   * closeWatches(), and not subject to dropNextEvents (those faults are about clients)
   */
  internal?: boolean;
}

export interface ListSnapshot {
  id: string;
  rv: number;
  items: StoredObject[];
  createdAt: number;
}

export interface ObjectStoreOptions {
  /** events kept for watches that resume from an older resourceVersion; @default 50_000 */
  historySize?: number;
  /** list snapshots kept for continue tokens; @default 64 */
  maxSnapshots?: number;
  /** how long a continue token stays valid, ms; @default 300_000 (etcd's default compaction period) */
  snapshotTtlMs?: number;
  now?: () => number;
}

const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;

/**
 * The objects of one cluster, keyed by group-resource, namespace and name (like client-go's ObjectTracker),
 * with one increasing resourceVersion, a history window and watch fan-out.
 * Everything here is synchronous: a commit reaches every watcher before the next commit starts,
 * so no watcher can see a gap, a duplicate or a reordering.
 */
export class ObjectStore {
  private rvCounter: number;
  private readonly objects = new Map<string, Map<string, StoredObject>>();
  private readonly sorted = new Map<string, StoredObject[]>();
  private history: ChangeEvent[] = [];
  private historyHead = 0;
  /** events with rv <= this are gone from history */
  private compactedRv: number;
  private readonly watchers = new Map<string, Set<WatchSink>>();
  /** uid → where the object lives, for garbage collection */
  private readonly byUid = new Map<string, { gr: string; key: string }>();
  /** owner uid → dependents (gr + key) */
  private readonly byOwner = new Map<string, Map<string, { gr: string; key: string }>>();
  private readonly snapshots = new Map<string, ListSnapshot>();
  private snapshotSeq = 0;
  private dropBudget = 0;
  private readonly historySize: number;
  private readonly maxSnapshots: number;
  private readonly snapshotTtlMs: number;
  private readonly now: () => number;

  constructor(options: ObjectStoreOptions = {}) {
    this.historySize = options.historySize ?? 50_000;
    this.maxSnapshots = options.maxSnapshots ?? 64;
    this.snapshotTtlMs = options.snapshotTtlMs ?? 300_000;
    this.now = options.now ?? Date.now;
    // Start above 1 so that "0" (any version) and "1" never mean a real state.
    this.rvCounter = 100;
    this.compactedRv = this.rvCounter;
  }

  get resourceVersion(): number {
    return this.rvCounter;
  }

  /** the oldest resourceVersion a watch may resume from */
  get oldestResumableRv(): number {
    return this.compactedRv;
  }

  nextResourceVersion(): number {
    return this.rvCounter + 1;
  }

  get(gr: string, namespace: string, name: string): StoredObject | undefined {
    return this.objects.get(gr)?.get(keyOf(namespace, name));
  }

  /** all objects of a type, in etcd key order (namespace, then name); the array must not be mutated */
  list(gr: string, namespace?: string): readonly StoredObject[] {
    let all = this.sorted.get(gr);
    if (!all) {
      const bucket = this.objects.get(gr);
      all = bucket
        ? [...bucket.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o)
        : [];
      this.sorted.set(gr, all);
    }
    if (namespace === undefined) return all;
    // Keys sort by namespace first, so one namespace is a contiguous run: find it by binary search.
    const from = lowerBound(all, `${namespace}/`);
    const to = lowerBound(all, `${namespace}0`); // '0' is the character after '/'
    return all.slice(from, to);
  }

  count(gr: string): number {
    return this.objects.get(gr)?.size ?? 0;
  }

  groupResources(): string[] {
    return [...this.objects.keys()];
  }

  /**
   * Store a new state (ADDED, MODIFIED) or remove an object (DELETED) at the next resourceVersion.
   * The object passed in is owned by the store from here on.
   */
  commit(type: WatchEventType, gr: string, object: StoredObject): StoredObject {
    const rv = ++this.rvCounter;
    object.metadata.resourceVersion = String(rv);
    const namespace = object.metadata.namespace ?? '';
    const key = keyOf(namespace, object.metadata.name);
    let bucket = this.objects.get(gr);
    if (!bucket) {
      bucket = new Map();
      this.objects.set(gr, bucket);
    }
    const previous = bucket.get(key);
    this.index(gr, key, previous, type === 'DELETED' ? undefined : object);
    if (type === 'DELETED') {
      bucket.delete(key);
      this.sorted.delete(gr);
    } else {
      bucket.set(key, object);
      if (previous) {
        const arr = this.sorted.get(gr);
        if (arr) {
          const i = arr.indexOf(previous);
          if (i >= 0) arr[i] = object;
          else this.sorted.delete(gr);
        }
      } else {
        this.sorted.delete(gr);
      }
    }
    const event: ChangeEvent = { rv, type, gr, namespace, object };
    if (previous && type === 'MODIFIED') event.previous = previous;
    this.remember(event);
    this.dispatch(event);
    return object;
  }

  private index(
    gr: string,
    key: string,
    before: StoredObject | undefined,
    after: StoredObject | undefined,
  ): void {
    const ref = `${gr}|${key}`;
    if (before) {
      this.byUid.delete(before.metadata.uid);
      for (const o of before.metadata.ownerReferences ?? []) {
        const deps = this.byOwner.get(o.uid);
        deps?.delete(ref);
        if (deps?.size === 0) this.byOwner.delete(o.uid);
      }
    }
    if (after) {
      this.byUid.set(after.metadata.uid, { gr, key });
      for (const o of after.metadata.ownerReferences ?? []) {
        let deps = this.byOwner.get(o.uid);
        if (!deps) {
          deps = new Map();
          this.byOwner.set(o.uid, deps);
        }
        deps.set(ref, { gr, key });
      }
    }
  }

  /** the stored object with this uid, if any */
  getByUid(uid: string): StoredObject | undefined {
    const at = this.byUid.get(uid);
    return at ? this.objects.get(at.gr)?.get(at.key) : undefined;
  }

  /** objects whose ownerReferences name this uid, with their group-resource */
  dependentsOf(uid: string): { gr: string; object: StoredObject }[] {
    const out: { gr: string; object: StoredObject }[] = [];
    for (const { gr, key } of this.byOwner.get(uid)?.values() ?? []) {
      const object = this.objects.get(gr)?.get(key);
      if (object) out.push({ gr, object });
    }
    return out;
  }

  private remember(event: ChangeEvent): void {
    this.history.push(event);
    const live = this.history.length - this.historyHead;
    if (live > this.historySize) {
      const dropped = this.history[this.historyHead];
      this.historyHead++;
      if (dropped) this.compactedRv = dropped.rv;
      if (this.historyHead > 4096 && this.historyHead * 2 > this.history.length) {
        this.history = this.history.slice(this.historyHead);
        this.historyHead = 0;
      }
    }
  }

  private dispatch(event: ChangeEvent): void {
    const dropped = this.dropBudget > 0;
    if (dropped) this.dropBudget--;
    const sinks = this.watchers.get(event.gr);
    if (!sinks) return;
    for (const sink of sinks) if (!dropped || sink.internal) deliver(sink, event);
  }

  /**
   * Start a watch. With `fromRv` undefined, the current state is sent as ADDED first.
   * Otherwise every retained change after `fromRv` is replayed. Returns false when `fromRv` is older
   * than the history window (the caller answers 410 Expired).
   */
  watch(sink: WatchSink, fromRv: number | undefined): boolean {
    if (fromRv === undefined) {
      for (const obj of this.list(sink.gr, sink.namespace)) if (sink.matches(obj)) sink.send('ADDED', obj);
    } else {
      if (fromRv < this.compactedRv) return false;
      for (let i = this.historyHead; i < this.history.length; i++) {
        const event = this.history[i];
        if (event && event.rv > fromRv && event.gr === sink.gr) deliver(sink, event);
      }
    }
    let set = this.watchers.get(sink.gr);
    if (!set) {
      set = new Set();
      this.watchers.set(sink.gr, set);
    }
    set.add(sink);
    return true;
  }

  unwatch(sink: WatchSink): void {
    this.watchers.get(sink.gr)?.delete(sink);
  }

  watcherCount(): number {
    let n = 0;
    for (const set of this.watchers.values()) for (const sink of set) if (!sink.internal) n++;
    return n;
  }

  /** end every watch (cleanly, or by breaking connections) */
  closeWatches(how: 'end' | 'destroy'): number {
    let n = 0;
    for (const set of this.watchers.values()) {
      for (const sink of [...set]) {
        if (sink.internal) continue;
        set.delete(sink);
        sink.close(how);
        n++;
      }
    }
    return n;
  }

  /** forget all history and snapshots: every resume or continue from before now gets 410 Expired */
  compact(): void {
    this.history = [];
    this.historyHead = 0;
    this.compactedRv = this.rvCounter;
    this.snapshots.clear();
  }

  /** do not deliver the next n changes to watchers (they are still stored and kept in history) */
  dropNextEvents(n: number): void {
    this.dropBudget += n;
  }

  saveSnapshot(items: StoredObject[], rv: number): ListSnapshot {
    this.expireSnapshots();
    const snap: ListSnapshot = { id: (++this.snapshotSeq).toString(36), rv, items, createdAt: this.now() };
    this.snapshots.set(snap.id, snap);
    while (this.snapshots.size > this.maxSnapshots) {
      const oldest = this.snapshots.keys().next().value;
      if (oldest === undefined) break;
      this.snapshots.delete(oldest);
    }
    return snap;
  }

  getSnapshot(id: string): ListSnapshot | undefined {
    this.expireSnapshots();
    return this.snapshots.get(id);
  }

  private expireSnapshots(): void {
    const limit = this.now() - this.snapshotTtlMs;
    for (const [id, snap] of this.snapshots) if (snap.createdAt < limit) this.snapshots.delete(id);
  }
}

/** the first index whose key is >= key */
function lowerBound(sorted: readonly StoredObject[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const o = sorted[mid];
    const k = o ? keyOf(o.metadata.namespace ?? '', o.metadata.name) : '';
    if (k < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Send one change to one watcher, turning selector transitions into ADDED or DELETED as the apiserver's cacher does. */
function deliver(sink: WatchSink, event: ChangeEvent): void {
  if (sink.namespace !== undefined && sink.namespace !== event.namespace) return;
  const now = sink.matches(event.object);
  if (event.type === 'MODIFIED') {
    const before = event.previous ? sink.matches(event.previous) : now;
    if (now && before) sink.send('MODIFIED', event.object);
    else if (now) sink.send('ADDED', event.object);
    else if (before) sink.send('DELETED', event.object);
    return;
  }
  if (now) sink.send(event.type, event.object);
}
