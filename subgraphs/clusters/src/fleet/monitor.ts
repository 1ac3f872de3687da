import type { ClusterRegistry, ProbeResult, RegisteredCluster } from '@fleetgraph/lib/kube';
import type { ObjectChange } from '@fleetgraph/lib/subgraph';
import type { Logger } from '@fleetgraph/lib/telemetry';

import { type ClusterModel, type ClusterStatusModel, statusChanged } from './model.ts';

/**
 * Active probing of every cluster of the registry, on a fixed period, and the status it finds. A change (see
 * statusChanged) is published to listeners as soon as the probe that found it finishes, so a transition is seen
 * within one probe period plus the probe timeout.
 */

/** a cluster appeared (its first probe finished), changed, or left the fleet (with its last state) */
export type ClusterListener = (change: ObjectChange<ClusterModel>) => void;

export interface ClusterMonitorOptions {
  registry: ClusterRegistry;
  /** probes one cluster; never throws */
  probe: (cluster: RegisteredCluster, signal: AbortSignal) => Promise<ProbeResult>;
  /** @default 10_000 */
  periodMs?: number;
  log: Logger;
  /** adjusts a probed status, e.g. READY to UPGRADING while an upgrade job runs @default none */
  adjust?: (name: string, status: ClusterStatusModel) => ClusterStatusModel;
}

export interface ClusterMonitor extends AsyncDisposable {
  /** probes every cluster once, then keeps probing on the period */
  start(): Promise<void>;
  /** true once the first round of probes (every cluster at start) has finished; later clusters appear once probed */
  probedAll(): boolean;
  list(): ClusterModel[];
  get(name: string): ClusterModel | undefined;
  /** called synchronously on every change, for clusters added later and for clusters removed; returns an unsubscribe function */
  subscribe(listener: ClusterListener): () => void;
  /** applies `adjust` again to the cluster's last probed status (and publishes a change) */
  refresh(name: string): void;
  stop(): Promise<void>;
}

function toStatus(p: ProbeResult): ClusterStatusModel {
  return {
    phase: p.outcome,
    ready: p.outcome === 'READY',
    reason: p.reason,
    message: p.message,
    // when the probe finished, as the schema says: a probe that timed out ends timeoutMs after it started
    lastProbeTime: new Date(p.at.getTime() + p.latencyMs).toISOString(),
    probeLatencyMs: Math.round(p.latencyMs * 10) / 10,
  };
}

export function createClusterMonitor(options: ClusterMonitorOptions): ClusterMonitor {
  const periodMs = options.periodMs ?? 10_000;
  const states = new Map<string, ClusterModel>();
  const listeners = new Set<ClusterListener>();
  const inFlight = new Map<string, Promise<void>>();
  /** the last probe's status, before `adjust` */
  const probed = new Map<string, ClusterStatusModel>();
  const adjust = (name: string, status: ClusterStatusModel): ClusterStatusModel =>
    options.adjust ? options.adjust(name, status) : status;
  const stopper = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let initialRoundDone = false;
  let unsubscribeRegistry: (() => void) | undefined;

  const publish = (change: ObjectChange<ClusterModel>): void => {
    for (const l of listeners) {
      try {
        l(change);
      } catch (e) {
        options.log.warn('cluster listener failed', { error: e });
      }
    }
  };

  const set = (next: ClusterModel): void => {
    const prev = states.get(next.name);
    states.set(next.name, next);
    if (!prev || statusChanged(prev, next)) publish({ type: prev ? 'UPDATED' : 'ADDED', object: next });
  };

  const probeOne = (cluster: RegisteredCluster): Promise<void> => {
    const running = inFlight.get(cluster.name);
    if (running) return running;
    const p = (async () => {
      const result = await options.probe(cluster, stopper.signal);
      if (stopper.signal.aborted) return;
      const current = options.registry.get(cluster.name);
      if (!current) return; // removed while probing
      const prev = states.get(cluster.name);
      if ((probed.get(cluster.name) ?? prev?.status)?.phase !== result.outcome)
        options.log.info('cluster status', {
          cluster: cluster.name,
          phase: result.outcome,
          reason: result.reason,
        });
      const status = toStatus(result);
      probed.set(cluster.name, status);
      set({
        name: cluster.name,
        role: current.role,
        kubernetesVersion: result.gitVersion ?? prev?.kubernetesVersion ?? null,
        status: adjust(cluster.name, status),
      });
    })().finally(() => inFlight.delete(cluster.name));
    inFlight.set(cluster.name, p);
    return p;
  };

  const probeAll = (): Promise<void> =>
    Promise.all(options.registry.list().map((c) => probeOne(c))).then(() => undefined);

  const monitor: ClusterMonitor = {
    async start() {
      unsubscribeRegistry = options.registry.subscribe((e) => {
        if (e.type === 'REMOVED') {
          const last = states.get(e.cluster.name);
          states.delete(e.cluster.name);
          probed.delete(e.cluster.name);
          if (last) publish({ type: 'REMOVED', object: last });
          return;
        }
        // a new cluster appears (in lists and to subscribers) once its first probe has finished, so every cluster
        // shown has a lastProbeTime and a probeLatencyMs
        const prev = states.get(e.cluster.name);
        if (prev && prev.role !== e.cluster.role) set({ ...prev, role: e.cluster.role });
        void probeOne(e.cluster);
      });
      await probeAll();
      initialRoundDone = true;
      // Rounds start on a fixed schedule, whatever the last round took: a fault is probed at most one period after
      // it happens (plus the probe itself). A cluster whose probe is still running is not probed twice.
      timer = setInterval(() => {
        if (!stopper.signal.aborted) void probeAll();
      }, periodMs);
      timer.unref();
    },
    probedAll() {
      return initialRoundDone;
    },
    list() {
      return options.registry
        .list()
        .map((c) => states.get(c.name))
        .filter((m): m is ClusterModel => m !== undefined);
    },
    get(name) {
      return options.registry.get(name) ? states.get(name) : undefined;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    refresh(name) {
      const prev = states.get(name);
      const status = probed.get(name);
      if (prev && status && options.registry.get(name)) set({ ...prev, status: adjust(name, status) });
    },
    async stop() {
      stopper.abort();
      if (timer) clearInterval(timer);
      unsubscribeRegistry?.();
      listeners.clear();
      await Promise.allSettled(inFlight.values());
    },
    [Symbol.asyncDispose]() {
      return monitor.stop();
    },
  };
  return monitor;
}
