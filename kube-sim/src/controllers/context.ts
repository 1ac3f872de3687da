import type { KubeApi } from '../api.ts';
import type { SimClock } from '../clock.ts';
import { clone, stableStringify } from '../objects.ts';
import { StatusError } from '../status.ts';
import type { ObjectStore, WatchSink } from '../store.ts';
import type { KubeObject, ResourceType, StoredObject, WatchEventType } from '../types.ts';
import { EventRecorder } from './events.ts';
import { WorkQueue } from './queue.ts';
import { fnv32a, seeded } from './util.ts';

/** What every simulated controller of a cluster shares: the clock, the work queue, the API, events and options. */

/** Where container output goes (PodLogStore implements it). */
export interface LogSink {
  append(namespace: string, pod: string, container: string, line: string, time?: number): void;
  restart(namespace: string, pod: string, container: string): void;
  terminate(namespace: string, pod: string, container: string): void;
  remove(namespace: string, pod: string): void;
}

export interface ControllerOptions {
  /** seeds names, uids, log lines and metrics: the same seed and the same inputs give the same world; @default the cluster name */
  seed?: string;
  /** how long a started container takes to become ready, unless `sim.fleetgraph.io/ready-after` says; @default 2000 */
  readyAfterMs?: number;
  /** from a pod landing on a node to its containers being created (sandbox, volumes); @default 300 */
  startDelayMs?: number;
  /** pulling an image, unless `sim.fleetgraph.io/pull-after` says; @default 700 */
  pullMs?: number;
  /** how often a running container writes a log line, on average; 0 for never; @default 10_000 */
  logIntervalMs?: number;
  /** how often NodeMetrics and PodMetrics are refreshed; @default 30_000 */
  metricsIntervalMs?: number;
  /** how often a kubelet renews its Lease in kube-node-lease; @default 10_000 */
  leaseRenewMs?: number;
  /** how often a kubelet posts its node status (condition heartbeats); @default 60_000 */
  nodeStatusMs?: number;
  /** after this long without a heartbeat a node's conditions become Unknown; @default 40_000 */
  nodeGraceMs?: number;
  /** how often the node lifecycle controller looks at heartbeats; @default 5_000 */
  nodeMonitorMs?: number;
  /** pods on an unreachable node are evicted after this (the default tolerationSeconds); @default 300_000 */
  evictionMs?: number;
  /** events are deleted this long after their last occurrence; @default 3_600_000 */
  eventTtlMs?: number;
}

export type ResolvedOptions = Required<ControllerOptions>;

export function resolveOptions(o: ControllerOptions, cluster: string): ResolvedOptions {
  return {
    seed: o.seed ?? cluster,
    readyAfterMs: o.readyAfterMs ?? 2_000,
    startDelayMs: o.startDelayMs ?? 300,
    pullMs: o.pullMs ?? 700,
    logIntervalMs: o.logIntervalMs ?? 10_000,
    metricsIntervalMs: o.metricsIntervalMs ?? 30_000,
    leaseRenewMs: o.leaseRenewMs ?? 10_000,
    nodeStatusMs: o.nodeStatusMs ?? 60_000,
    nodeGraceMs: o.nodeGraceMs ?? 40_000,
    nodeMonitorMs: o.nodeMonitorMs ?? 5_000,
    evictionMs: o.evictionMs ?? 300_000,
    eventTtlMs: o.eventTtlMs ?? 3_600_000,
  };
}

export type Handler = (type: WatchEventType, obj: StoredObject) => void;

export class ControllerContext {
  readonly queue: WorkQueue;
  readonly events: EventRecorder;
  readonly store: ObjectStore;
  private readonly sinks: WatchSink[] = [];
  private readonly timers: number[] = [];
  private uidSeq = 0;
  running = false;

  constructor(
    readonly api: KubeApi,
    readonly clock: SimClock,
    readonly options: ResolvedOptions,
    private readonly logSink: () => LogSink | undefined,
  ) {
    this.store = api.store;
    this.queue = new WorkQueue(clock, (key, err) => {
      if (!(err instanceof StatusError)) console.error(`kube-sim controllers: ${key}:`, err);
    });
    this.events = new EventRecorder(api, clock, options.eventTtlMs);
  }

  get logs(): LogSink | undefined {
    return this.logSink();
  }

  now(): number {
    return this.clock.now();
  }

  /**
   * Watch one group-resource from inside the process (the current state arrives first as ADDED). Handlers must
   * only record and enqueue: they run inside a store commit, where a write would reorder other watchers' events.
   */
  watch(gr: string, handler: Handler): void {
    const sink: WatchSink = {
      gr,
      internal: true,
      matches: () => true,
      send: handler,
      close: () => undefined,
    };
    this.sinks.push(sink);
    this.store.watch(sink, undefined);
  }

  every(ms: number, fn: () => void): void {
    this.timers.push(this.clock.setInterval(fn, ms));
  }

  stop(): void {
    this.running = false;
    for (const s of this.sinks.splice(0)) this.store.unwatch(s);
    for (const t of this.timers.splice(0)) this.clock.clearInterval(t);
    this.queue.stop();
  }

  type(group: string, version: string, resource: string): ResourceType {
    const t = this.api.registry.get(group, version, resource);
    if (!t) throw new Error(`kube-sim controllers: no type ${group}/${version}/${resource}`);
    return t;
  }

  /** a uid that depends only on the seed and the order of creation */
  uid(): string {
    const r = seeded(`${this.options.seed}/uid/${++this.uidSeq}`);
    const hex = (n: number): string => {
      let out = '';
      for (let i = 0; i < n; i++) out += Math.floor(r() * 16).toString(16);
      return out;
    };
    return `${hex(8)}-${hex(4)}-4${hex(3)}-${(8 + (fnv32a(hex(4)) % 4)).toString(16)}${hex(3)}-${hex(12)}`;
  }

  /** create as a controller does (status included, as a status write would follow) */
  create(type: ResourceType, body: KubeObject): StoredObject {
    const o = { ...body, metadata: { uid: this.uid(), ...body.metadata } };
    const namespace = type.namespaced ? (o.metadata.namespace ?? 'default') : '';
    return this.api.create({ type, namespace }, o, { trusted: true }).object;
  }

  /** write a new state of an object (the main resource, or only .status); a no-op returns the stored object */
  update(type: ResourceType, current: StoredObject, next: KubeObject, status = false): StoredObject {
    const body = {
      ...next,
      metadata: { ...next.metadata, resourceVersion: current.metadata.resourceVersion },
    };
    const t = { type, namespace: current.metadata.namespace ?? '', name: current.metadata.name };
    return this.api.replace(t, current, body, { trusted: true }, status ? 'status' : undefined).object;
  }

  /** change .status through the status subresource */
  patchStatus(
    type: ResourceType,
    current: StoredObject,
    mutate: (status: Record<string, unknown>) => void,
  ): StoredObject {
    const before = current['status'];
    const status = clone((before ?? {}) as Record<string, unknown>);
    mutate(status);
    // Most syncs change nothing: compare the status alone before the REST path clones and compares the object.
    if (stableStringify(status) === stableStringify(before ?? {})) return current;
    return this.update(type, current, { ...current, status }, true);
  }

  /** delete, ignoring an object that is already gone */
  remove(type: ResourceType, o: StoredObject): boolean {
    try {
      this.api.delete({ type, namespace: o.metadata.namespace ?? '', name: o.metadata.name });
      return true;
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) return false;
      throw err;
    }
  }
}
