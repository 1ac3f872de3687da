import type { StoredObject } from '../types.ts';
import type { ControllerContext } from './context.ts';
import { type ContainerRuntime, type PodRuntime, podStatus } from './podRuntime.ts';
import type { Scheduler } from './scheduler.ts';
import { chatterLine, IMAGE_PULL, parseScript, PULL_AFTER, READY_AFTER, startupLines } from './script.ts';
import {
  arr,
  containersOf,
  findCondition,
  obj,
  parseDuration,
  seeded,
  specOf,
  statusOf,
  str,
} from './util.ts';
import { runContainers, startPod, stepContainers, stopContainers } from './kubeletSteps.ts';

/**
 * The kubelets of a cluster, in one object. A pod bound to a node goes Pending (ContainerCreating, images pulled
 * or found on the node) → Running (podIP, containers started) → Ready after its ready delay, with the events a
 * kubelet records; containers with a script print it and exit, and restart or not as restartPolicy says
 * (CrashLoopBackOff with exponential back-off); running containers without one write a log line now and then.
 * A node whose kubelet is down (see NodeController) freezes its pods until it comes back. Pods on nodes that do not
 * exist are left alone. Deleting a pod removes its logs.
 */

export class Kubelet {
  readonly pods = new Map<string, PodRuntime>();
  private readonly byNode = new Map<string, Set<string>>();
  /** images each node has pulled */
  readonly images = new Map<string, Set<string>>();
  private readonly ipSeq = new Map<string, number>();
  /** pods whose status must be written even if nothing changed (the node came back) */
  private readonly force = new Set<string>();

  constructor(
    readonly ctx: ControllerContext,
    private readonly scheduler: Scheduler,
    private readonly isUp: (node: string) => boolean,
  ) {}

  start(): void {
    this.ctx.watch('pods', (type, pod) => {
      const uid = pod.metadata.uid;
      const rt = this.pods.get(uid);
      if (type === 'DELETED') {
        if (rt) this.teardown(rt, pod);
        return;
      }
      if (rt) {
        if (pod.metadata.deletionTimestamp && rt.stage !== 'done') this.enqueue(uid);
        return;
      }
      const node = str(specOf(pod)['nodeName']);
      const phase = statusOf(pod)['phase'];
      if (!node || !this.scheduler.node(node) || phase === 'Succeeded' || phase === 'Failed') return;
      this.track(pod, node);
      this.enqueue(uid);
    });
    const every = this.ctx.options.logIntervalMs;
    if (every > 0) this.ctx.every(Math.max(500, every / 2), () => this.chatter());
  }

  /** pods the kubelet of this node runs */
  podsOn(node: string): PodRuntime[] {
    const out: PodRuntime[] = [];
    for (const uid of this.byNode.get(node) ?? []) {
      const rt = this.pods.get(uid);
      if (rt) out.push(rt);
    }
    return out;
  }

  /** the node's kubelet is back: post every pod's status again and carry on */
  resume(node: string): void {
    for (const rt of this.podsOn(node)) {
      this.force.add(rt.uid);
      this.enqueue(rt.uid);
    }
  }

  private enqueue(uid: string, afterMs = 0): void {
    const work = (): void => this.sync(uid);
    if (afterMs > 0) this.ctx.queue.addAfter(`kubelet/${uid}`, afterMs, work);
    else this.ctx.queue.add(`kubelet/${uid}`, work);
  }

  private track(pod: StoredObject, node: string): PodRuntime {
    const spec = specOf(pod);
    const annotations = pod.metadata.annotations ?? {};
    const o = this.ctx.options;
    const status = statusOf(pod);
    const running = status['phase'] === 'Running';
    const ready = findCondition(status, 'Ready')?.status === 'True';
    const statuses = arr(status['containerStatuses']).map(obj);
    let script: ReturnType<typeof parseScript>;
    try {
      script = parseScript(pod);
    } catch (e) {
      this.ctx.events.record(pod, 'Warning', 'FailedScript', e instanceof Error ? e.message : String(e), {
        component: 'kubelet',
        host: node,
      });
    }
    const now = this.ctx.now();
    const rt: PodRuntime = {
      uid: pod.metadata.uid,
      namespace: pod.metadata.namespace ?? '',
      name: pod.metadata.name,
      node,
      stage: running ? 'running' : 'new',
      stageAt: now + o.startDelayMs,
      phase: running ? 'Running' : 'Pending',
      restartPolicy: str(spec['restartPolicy'], 'Always'),
      readyAfterMs: parseDuration(annotations[READY_AFTER]) ?? o.readyAfterMs,
      pullMs: parseDuration(annotations[PULL_AFTER]) ?? o.pullMs,
      pullFails: annotations[IMAGE_PULL] === 'fail',
      containers: containersOf(spec).map((c): ContainerRuntime => {
        const name = str(c['name']);
        const st = statuses.find((s) => s['name'] === name);
        const startedAt =
          Date.parse(str(obj(obj(st?.['state'])['running'])['startedAt'])) ||
          Date.parse(pod.metadata.creationTimestamp);
        const cr: ContainerRuntime = {
          name,
          image: str(c['image']),
          state: running ? 'running' : 'waiting',
          ready: running && ready,
          restartCount: typeof st?.['restartCount'] === 'number' ? st['restartCount'] : 0,
          backoffMs: 10_000,
          step: 0,
          everStarted: running,
        };
        if (running) cr.startedAt = startedAt;
        if (script) cr.script = script;
        return cr;
      }),
      initContainers: arr(spec['initContainers']).map((c) => str(obj(c)['name'])),
      rng: seeded(`${o.seed}/logs/${pod.metadata.namespace ?? ''}/${pod.metadata.name}`),
      adopted: running,
      pulling: new Set(),
    };
    if (running) {
      rt.startTime = Date.parse(str(status['startTime'])) || Date.parse(pod.metadata.creationTimestamp);
      const hostIP = str(status['hostIP']);
      if (hostIP) rt.hostIP = hostIP;
      const podIP = str(status['podIP']);
      if (podIP) rt.podIP = podIP;
      for (const c of rt.containers) {
        if (!c.ready) c.readyAt = now + rt.readyAfterMs;
        if (c.script) c.stepAt = now + (c.script[0]?.after ?? 0);
        else
          for (const line of startupLines(c.image, c.name, c.startedAt))
            this.ctx.logs?.append(rt.namespace, rt.name, c.name, line, c.startedAt);
      }
    }
    this.pods.set(rt.uid, rt);
    let set = this.byNode.get(node);
    if (!set) this.byNode.set(node, (set = new Set()));
    set.add(rt.uid);
    return rt;
  }

  private untrack(rt: PodRuntime): void {
    this.pods.delete(rt.uid);
    this.force.delete(rt.uid);
    const set = this.byNode.get(rt.node);
    if (set?.delete(rt.uid) && set.size === 0) this.byNode.delete(rt.node);
  }

  private teardown(rt: PodRuntime, pod: StoredObject): void {
    this.untrack(rt);
    for (const c of rt.containers) {
      if (c.state === 'running') {
        this.ctx.events.record(
          pod,
          'Normal',
          'Killing',
          `Stopping container ${c.name}`,
          { component: 'kubelet', host: rt.node },
          `spec.containers{${c.name}}`,
        );
      }
    }
    this.ctx.logs?.remove(rt.namespace, rt.name);
  }

  /** the next pod IP from the node's podCIDR */
  nextPodIP(node: string): string {
    const cidr = str(specOf(this.scheduler.node(node) ?? { metadata: {} })['podCIDR'], '10.244.0.0/24');
    const base = cidr.split('/')[0]?.split('.').slice(0, 3).join('.') ?? '10.244.0';
    const n = (this.ipSeq.get(node) ?? 0) + 1;
    this.ipSeq.set(node, n);
    return `${base}.${2 + ((n - 1) % 252)}`;
  }

  hostIP(node: string): string {
    const addresses = arr(statusOf(this.scheduler.node(node) ?? { metadata: {} })['addresses']).map(obj);
    return str(addresses.find((a) => a['type'] === 'InternalIP')?.['address'], '192.168.0.2');
  }

  private sync(uid: string): void {
    const rt = this.pods.get(uid);
    if (!rt) return;
    const pod = this.ctx.store.get('pods', rt.namespace, rt.name);
    if (!pod || pod.metadata.uid !== uid) return void this.untrack(rt);
    if (!this.isUp(rt.node)) return;
    const now = this.ctx.now();
    let dirty = this.force.delete(uid) || !rt.adopted;
    if (pod.metadata.deletionTimestamp) {
      if (rt.stage !== 'done') dirty = stopContainers(this, rt, pod, now) || dirty;
    } else {
      if (rt.stage === 'new' && now >= rt.stageAt) dirty = startPod(this, rt, pod, now) || dirty;
      if (rt.stage === 'pulling' && now >= rt.stageAt) dirty = runContainers(this, rt, pod, now) || dirty;
      if (rt.stage === 'running') dirty = stepContainers(this, rt, pod, now) || dirty;
    }
    if (dirty) {
      rt.adopted = false;
      this.ctx.patchStatus(this.ctx.type('', 'v1', 'pods'), pod, (s) => {
        const next = podStatus(this.ctx.options.seed, rt, pod, now);
        for (const k of Object.keys(s)) delete s[k];
        Object.assign(s, next);
      });
    }
    const due = nextDue(rt);
    if (due !== undefined) this.enqueue(uid, Math.max(1, due - now));
  }

  private chatter(): void {
    const logs = this.ctx.logs;
    if (!logs) return;
    const now = this.ctx.now();
    // Half the containers write a line per tick, but a whole cluster at most CHATTER_PER_TICK lines: thousands of
    // pods do not grow the log store by megabytes a minute.
    const p = Math.min(0.5, CHATTER_PER_TICK / Math.max(1, this.pods.size));
    for (const rt of this.pods.values()) {
      if (rt.stage !== 'running' || !this.isUp(rt.node)) continue;
      for (const c of rt.containers) {
        if (c.state !== 'running' || c.script || rt.rng() >= p) continue;
        logs.append(rt.namespace, rt.name, c.name, chatterLine(rt.rng, c.image, now), now);
      }
    }
  }
}

const CHATTER_PER_TICK = 100;

function nextDue(rt: PodRuntime): number | undefined {
  let due = rt.stage === 'new' || rt.stage === 'pulling' ? rt.stageAt : Infinity;
  if (rt.stage === 'running') {
    for (const c of rt.containers)
      due = Math.min(due, c.readyAt ?? Infinity, c.stepAt ?? Infinity, c.retryAt ?? Infinity);
  }
  return Number.isFinite(due) ? due : undefined;
}
