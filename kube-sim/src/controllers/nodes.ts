import type { StoredObject } from '../types.ts';
import type { ControllerContext } from './context.ts';
import type { Kubelet } from './kubelet.ts';
import type { Scheduler } from './scheduler.ts';
import { arr, type Condition, conditionsOf, findCondition, obj, specOf, statusOf, str, ts } from './util.ts';

/**
 * Node heartbeats and the node lifecycle controller. Every kubelet that is up renews its Lease in kube-node-lease
 * (every leaseRenewMs, as real kubelets do) and posts its node status with fresh lastHeartbeatTime (every
 * nodeStatusMs). A kubelet can be stopped: `setReady(name, false)` or the annotation `sim.fleetgraph.io/ready:
 * "false"` on the Node. Once neither heartbeat is newer than the grace period, the lifecycle controller sets the
 * node's conditions to Unknown (NodeStatusUnknown), taints it node.kubernetes.io/unreachable (NoSchedule and
 * NoExecute), marks its pods not Ready, and after the eviction timeout deletes the pods that do not tolerate the
 * taint, so their controllers place them elsewhere. Cordoned nodes get the node.kubernetes.io/unschedulable taint.
 * Capacity and allocatable never change.
 */

export const READY_ANNOTATION = 'sim.fleetgraph.io/ready';
const UNREACHABLE = 'node.kubernetes.io/unreachable';
const UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
const NODE_CONTROLLER = { component: 'node-controller' };
const PRESSURE: readonly (readonly [string, string, string])[] = [
  ['MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
  ['DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
  ['PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
];

export interface NodeControls {
  /** start (true) or stop (false) the kubelet of a node: a stopped one posts no heartbeats and runs nothing */
  setReady(name: string, ready: boolean): void;
  /** whether the node's kubelet is up */
  isUp(name: string): boolean;
}

const micro = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export class NodeController implements NodeControls {
  private readonly down = new Set<string>();
  private readonly names = new Set<string>();
  private readonly annotated = new Map<string, string | undefined>();
  private kubelet: Kubelet | undefined;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly scheduler: Scheduler,
  ) {}

  start(kubelet: Kubelet): void {
    this.kubelet = kubelet;
    const o = this.ctx.options;
    this.ctx.watch('nodes', (type, node) => {
      const name = node.metadata.name;
      if (type === 'DELETED') {
        this.names.delete(name);
        this.annotated.delete(name);
        return;
      }
      const annotation = node.metadata.annotations?.[READY_ANNOTATION];
      if (!this.names.has(name)) {
        this.names.add(name);
        // A node that is not Ready when first seen has a stopped kubelet: it stays NotReady.
        if (findCondition(statusOf(node), 'Ready')?.status !== 'True' || annotation === 'false')
          this.down.add(name);
        else this.ctx.queue.add(`lease/${name}`, () => this.renew(name));
      } else if (this.annotated.get(name) !== annotation) {
        this.ctx.queue.add(`node-ready/${name}`, () => this.setReady(name, annotation !== 'false'));
      }
      this.annotated.set(name, annotation);
      this.ctx.queue.add(`node-taints/${name}`, () => this.syncTaints(name));
    });
    this.ctx.every(o.leaseRenewMs, () => {
      for (const name of this.names) if (!this.down.has(name)) this.renew(name);
    });
    this.ctx.every(o.nodeStatusMs, () => {
      for (const name of this.names) if (!this.down.has(name)) this.postStatus(name);
    });
    this.ctx.every(o.nodeMonitorMs, () => {
      for (const name of this.names) this.monitor(name);
    });
  }

  isUp(name: string): boolean {
    return !this.down.has(name);
  }

  setReady(name: string, ready: boolean): void {
    if (ready === !this.down.has(name)) return;
    if (!ready) {
      this.down.add(name);
      return;
    }
    this.down.delete(name);
    if (!this.ctx.running) return;
    this.renew(name);
    this.postStatus(name);
    this.monitor(name);
    this.kubelet?.resume(name);
  }

  private renew(name: string): void {
    const node = this.scheduler.node(name);
    if (!node) return;
    const type = this.ctx.type('coordination.k8s.io', 'v1', 'leases');
    const now = this.ctx.now();
    const lease = this.ctx.store.get('leases.coordination.k8s.io', 'kube-node-lease', name);
    const spec = { holderIdentity: name, leaseDurationSeconds: 40, renewTime: micro(now) };
    if (!lease) {
      if (!this.ctx.store.get('namespaces', '', 'kube-node-lease')) return;
      this.ctx.create(type, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name,
          namespace: 'kube-node-lease',
          ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid }],
        },
        spec,
      });
      return;
    }
    this.ctx.update(type, lease, { ...structuredClone(lease), spec: { ...obj(lease['spec']), ...spec } });
  }

  /** the kubelet's node status: every condition heartbeats, Ready is True */
  private postStatus(name: string): void {
    const node = this.ctx.store.get('nodes', '', name);
    if (!node) return;
    const now = ts(this.ctx.now());
    this.ctx.patchStatus(this.ctx.type('', 'v1', 'nodes'), node, (s) => {
      const old = conditionsOf(s);
      const cond = (
        type: string,
        status: Condition['status'],
        reason: string,
        message: string,
      ): Condition => {
        const before = old.find((c) => c.type === type);
        return {
          type,
          status,
          lastHeartbeatTime: now,
          lastTransitionTime:
            before?.status === status && before.lastTransitionTime ? before.lastTransitionTime : now,
          reason,
          message,
        };
      };
      const known = new Set([...PRESSURE.map((p) => p[0]), 'Ready']);
      s['conditions'] = [
        ...old.filter((c) => !known.has(c.type)),
        ...PRESSURE.map(([type, reason, message]) => cond(type, 'False', reason, message)),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ];
    });
  }

  /** the lifecycle controller's look at one node */
  private monitor(name: string): void {
    const node = this.ctx.store.get('nodes', '', name);
    if (!node) return;
    const now = this.ctx.now();
    const ready = findCondition(statusOf(node), 'Ready');
    const lease = this.ctx.store.get('leases.coordination.k8s.io', 'kube-node-lease', name);
    const probe = Math.max(
      Date.parse(str(obj(lease?.['spec'])['renewTime'])) || 0,
      Date.parse(str(ready?.lastHeartbeatTime)) || 0,
    );
    if (ready && ready.status !== 'Unknown' && now - probe > this.ctx.options.nodeGraceMs)
      this.unreachable(node, now);
    // seeded Unknown: taint it as the lifecycle controller would have
    else if (ready?.status === 'Unknown' && !hasTaint(node, UNREACHABLE)) this.taintUnreachable(node, now);
    else if (ready?.status === 'True' && hasTaint(node, UNREACHABLE)) this.reachable(node);
  }

  private unreachable(node: StoredObject, now: number): void {
    const name = node.metadata.name;
    const t = ts(now);
    const nodeType = this.ctx.type('', 'v1', 'nodes');
    const updated = this.ctx.patchStatus(nodeType, node, (s) => {
      s['conditions'] = conditionsOf(s).map((c) =>
        PRESSURE.some((p) => p[0] === c.type) || c.type === 'Ready'
          ? {
              ...c,
              status: 'Unknown',
              reason: 'NodeStatusUnknown',
              message: 'Kubelet stopped posting node status.',
              lastTransitionTime: t,
            }
          : c,
      );
    });
    this.taintUnreachable(updated, now);
    this.ctx.events.record(
      updated,
      'Normal',
      'NodeNotReady',
      `Node ${name} status is now: NodeNotReady`,
      NODE_CONTROLLER,
    );
    const podType = this.ctx.type('', 'v1', 'pods');
    for (const rt of this.kubelet?.podsOn(name) ?? []) {
      const pod = this.ctx.store.get('pods', rt.namespace, rt.name);
      if (!pod || findCondition(statusOf(pod), 'Ready')?.status !== 'True') continue;
      this.ctx.patchStatus(podType, pod, (s) => {
        s['conditions'] = conditionsOf(s).map((c) =>
          c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: t } : c,
        );
      });
      this.ctx.events.record(pod, 'Warning', 'NodeNotReady', 'Node is not ready', NODE_CONTROLLER);
    }
  }

  /** the unreachable taints, and the eviction of pods that do not tolerate them */
  private taintUnreachable(node: StoredObject, now: number): void {
    const t = ts(now);
    const name = node.metadata.name;
    this.setTaints(node, (taints) => [
      ...taints.filter((x) => x['key'] !== UNREACHABLE),
      { key: UNREACHABLE, effect: 'NoSchedule', timeAdded: t },
      { key: UNREACHABLE, effect: 'NoExecute', timeAdded: t },
    ]);
    this.ctx.queue.addAfter(`evict/${name}`, this.ctx.options.evictionMs, () => this.evict(name));
  }

  private reachable(node: StoredObject): void {
    this.setTaints(node, (taints) => taints.filter((x) => x['key'] !== UNREACHABLE));
    this.ctx.events.record(
      node,
      'Normal',
      'NodeReady',
      `Node ${node.metadata.name} status is now: NodeReady`,
      NODE_CONTROLLER,
    );
  }

  /** taint-based eviction: pods that do not tolerate unreachable:NoExecute are deleted */
  private evict(name: string): void {
    const node = this.ctx.store.get('nodes', '', name);
    if (!node || !hasTaint(node, UNREACHABLE)) return;
    const podType = this.ctx.type('', 'v1', 'pods');
    for (const rt of this.kubelet?.podsOn(name) ?? []) {
      const pod = this.ctx.store.get('pods', rt.namespace, rt.name);
      if (!pod || tolerates(pod)) continue;
      this.ctx.events.record(
        pod,
        'Normal',
        'TaintManagerEviction',
        `Marking for deletion Pod ${rt.namespace}/${rt.name}`,
        {
          component: 'taint-eviction-controller',
        },
      );
      this.ctx.remove(podType, pod);
    }
  }

  private syncTaints(name: string): void {
    const node = this.ctx.store.get('nodes', '', name);
    if (!node) return;
    const cordoned = specOf(node)['unschedulable'] === true;
    if (cordoned === hasTaint(node, UNSCHEDULABLE)) return;
    this.setTaints(node, (taints) =>
      cordoned
        ? [...taints, { key: UNSCHEDULABLE, effect: 'NoSchedule', timeAdded: ts(this.ctx.now()) }]
        : taints.filter((x) => x['key'] !== UNSCHEDULABLE),
    );
  }

  private setTaints(
    node: StoredObject,
    change: (taints: Record<string, unknown>[]) => Record<string, unknown>[],
  ): void {
    const current = this.ctx.store.get('nodes', '', node.metadata.name) ?? node;
    const next = structuredClone(current);
    const spec = obj((next['spec'] ??= {}));
    const taints = change(arr(spec['taints']).map(obj));
    if (taints.length) spec['taints'] = taints;
    else delete spec['taints'];
    this.ctx.update(this.ctx.type('', 'v1', 'nodes'), current, next);
  }
}

const hasTaint = (node: StoredObject, key: string): boolean =>
  arr(specOf(node)['taints']).some((t) => obj(t)['key'] === key);

/** a toleration of unreachable:NoExecute without tolerationSeconds keeps the pod forever */
function tolerates(pod: StoredObject): boolean {
  return arr(specOf(pod)['tolerations']).some((raw) => {
    const t = obj(raw);
    const key = t['operator'] === 'Exists' && !t['key'] ? UNREACHABLE : t['key'];
    return (
      key === UNREACHABLE &&
      (!t['effect'] || t['effect'] === 'NoExecute') &&
      t['tolerationSeconds'] === undefined
    );
  });
}
