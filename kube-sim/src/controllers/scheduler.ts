import type { KubeObject, StoredObject } from '../types.ts';
import type { ControllerContext } from './context.ts';
import { arr, containersOf, findCondition, obj, podActive, specOf, str, ts } from './util.ts';

/**
 * kube-scheduler, in small: a pod goes to the next Ready, schedulable node (round-robin, by name) whose taints it
 * tolerates and whose labels match its nodeSelector. Workload controllers place their pods as they create them
 * (`createPod`); pods created without a nodeName (kubectl run, a bare manifest) are bound when they arrive, and
 * wait Unschedulable (PodScheduled False, a FailedScheduling event) until a node fits.
 */

const SOURCE = { component: 'default-scheduler' };

export class Scheduler {
  private readonly nodes = new Map<string, StoredObject>();
  private sorted: StoredObject[] | undefined;
  private next = 0;
  private readonly waiting = new Set<string>();

  constructor(private readonly ctx: ControllerContext) {}

  start(): void {
    this.ctx.watch('nodes', (type, node) => {
      if (type === 'DELETED') this.nodes.delete(node.metadata.name);
      else this.nodes.set(node.metadata.name, node);
      this.sorted = undefined;
      if (type !== 'DELETED' && this.waiting.size > 0 && schedulable(node)) {
        for (const key of this.waiting) this.enqueue(key);
      }
    });
    this.ctx.watch('pods', (type, pod) => {
      const key = `${pod.metadata.namespace ?? ''}/${pod.metadata.name}`;
      if (type === 'DELETED') {
        this.waiting.delete(key);
        return;
      }
      if (!str(specOf(pod)['nodeName']) && podActive(pod) && ownScheduler(pod)) this.enqueue(key);
    });
  }

  node(name: string): StoredObject | undefined {
    return this.nodes.get(name);
  }

  /** the node for this pod, or undefined when none fits */
  pick(pod: KubeObject): string | undefined {
    const nodes = (this.sorted ??= [...this.nodes.values()].sort((a, b) =>
      a.metadata.name < b.metadata.name ? -1 : 1,
    ));
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[(this.next + i) % nodes.length];
      if (node && fits(node, pod)) {
        this.next = (this.next + i + 1) % nodes.length;
        return node.metadata.name;
      }
    }
    return undefined;
  }

  /** create a pod a controller made, placed on a node (or left unscheduled when none fits) */
  createPod(pod: KubeObject): StoredObject {
    const spec = specOf(pod);
    const now = ts(this.ctx.now());
    const node = str(spec['nodeName']) || this.pick(pod);
    const status: Record<string, unknown> = { phase: 'Pending', qosClass: qosClass(spec) };
    if (node) {
      spec['nodeName'] = node;
      status['conditions'] = [
        { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now },
      ];
    }
    const created = this.ctx.create(this.ctx.type('', 'v1', 'pods'), { ...pod, spec, status });
    if (node) this.scheduled(created, node);
    return created;
  }

  private scheduled(pod: StoredObject, node: string): void {
    const ns = pod.metadata.namespace ?? '';
    this.ctx.events.record(
      pod,
      'Normal',
      'Scheduled',
      `Successfully assigned ${ns}/${pod.metadata.name} to ${node}`,
      SOURCE,
    );
  }

  private enqueue(key: string): void {
    this.ctx.queue.add(`scheduler/${key}`, () => this.bind(key));
  }

  private bind(key: string): void {
    const [ns = '', name = ''] = key.split('/');
    const pod = this.ctx.store.get('pods', ns, name);
    if (!pod || str(specOf(pod)['nodeName']) || !podActive(pod) || !ownScheduler(pod)) {
      this.waiting.delete(key);
      return;
    }
    const type = this.ctx.type('', 'v1', 'pods');
    const node = this.pick(pod);
    const now = ts(this.ctx.now());
    if (!node) {
      const total = this.nodes.size;
      const message = `0/${total} nodes are available: ${total === 0 ? 'no nodes available to schedule pods' : `${total} node(s) were not ready, unschedulable, tainted or did not match the pod's node selector`}. preemption: 0/${total} nodes are available: ${total} Preemption is not helpful for scheduling.`;
      const had = this.waiting.has(key);
      this.waiting.add(key);
      this.ctx.patchStatus(type, pod, (s) => {
        s['phase'] = 'Pending';
        s['conditions'] = [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message,
            lastProbeTime: null,
            lastTransitionTime: now,
          },
        ];
      });
      if (!had) this.ctx.events.record(pod, 'Warning', 'FailedScheduling', message, SOURCE);
      return;
    }
    this.waiting.delete(key);
    const next = structuredClone(pod);
    obj(next['spec'])['nodeName'] = node;
    const bound = this.ctx.update(type, pod, next);
    this.ctx.patchStatus(type, bound, (s) => {
      s['phase'] = 'Pending';
      s['qosClass'] = qosClass(specOf(bound));
      const others = arr(s['conditions']).filter((c) => obj(c)['type'] !== 'PodScheduled');
      s['conditions'] = [
        { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now },
        ...others,
      ];
    });
    this.scheduled(bound, node);
  }
}

const ownScheduler = (pod: KubeObject): boolean =>
  (str(specOf(pod)['schedulerName']) || 'default-scheduler') === 'default-scheduler';

/** Ready, not cordoned, and not tainted NoSchedule/NoExecute by the node lifecycle controller */
export function schedulable(node: KubeObject): boolean {
  if (specOf(node)['unschedulable'] === true) return false;
  return findCondition(obj(node['status']), 'Ready')?.status === 'True';
}

function tolerates(pod: KubeObject, taint: Record<string, unknown>): boolean {
  return arr(specOf(pod)['tolerations']).some((raw) => {
    const t = obj(raw);
    if (t['effect'] && t['effect'] !== taint['effect']) return false;
    if (t['operator'] === 'Exists') return !t['key'] || t['key'] === taint['key'];
    return t['key'] === taint['key'] && str(t['value']) === str(taint['value']);
  });
}

export function fits(node: KubeObject, pod: KubeObject): boolean {
  if (!schedulable(node)) return false;
  for (const raw of arr(specOf(node)['taints'])) {
    const taint = obj(raw);
    if ((taint['effect'] === 'NoSchedule' || taint['effect'] === 'NoExecute') && !tolerates(pod, taint))
      return false;
  }
  const labels = node.metadata.labels ?? {};
  const selector = obj(specOf(pod)['nodeSelector']);
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Guaranteed when every container's limits equal its requests for cpu and memory, BestEffort with none at all */
export function qosClass(spec: Record<string, unknown>): string {
  const containers = containersOf(spec);
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const res = obj(c['resources']);
    const requests = obj(res['requests']);
    const limits = obj(res['limits']);
    if (Object.keys(requests).length || Object.keys(limits).length) any = true;
    for (const r of ['cpu', 'memory']) {
      const limit = limits[r];
      const request = requests[r] ?? limit;
      if (limit === undefined || request !== limit) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
