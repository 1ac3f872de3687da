import type { StoredObject } from '../types.ts';
import type { ControllerContext } from './context.ts';
import type { Kubelet } from './kubelet.ts';
import type { NodeController } from './nodes.ts';
import type { Scheduler } from './scheduler.ts';
import { containersOf, obj, parseQuantity, seeded, specOf, statusOf, ts } from './util.ts';

/**
 * metrics-server, in small: NodeMetrics and PodMetrics (metrics.k8s.io/v1beta1) for every running pod and every
 * node whose kubelet is up, refreshed every metricsIntervalMs, so `kubectl top nodes` and `kubectl top pods` work.
 * Usage is plausible and deterministic: each container settles at a seeded share of its requests (100m CPU and
 * 128Mi when it has none) with a little seeded jitter per refresh; a node adds a seeded system overhead to its
 * pods. Values are written as metrics-server writes them: CPU in nanocores ("12345678n"), memory in Ki.
 * The objects are served read-only (get, list).
 */

const WINDOW = '30s';

interface Usage {
  cpu: number;
  memory: number;
}

const format = (u: Usage): { cpu: string; memory: string } => ({
  cpu: `${Math.max(0, Math.round(u.cpu * 1e9))}n`,
  memory: `${Math.max(0, Math.round(u.memory / 1024))}Ki`,
});

export class MetricsController {
  private readonly written = new Map<string, { gr: string; namespace: string; name: string }>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly kubelet: Kubelet,
    private readonly nodes: NodeController,
    private readonly scheduler: Scheduler,
  ) {}

  start(): void {
    this.ctx.queue.add('metrics', () => this.refresh());
    this.ctx.every(this.ctx.options.metricsIntervalMs, () =>
      this.ctx.queue.add('metrics', () => this.refresh()),
    );
  }

  private jitter(key: string, now: number, spread: number): number {
    const tick = Math.floor(now / this.ctx.options.metricsIntervalMs);
    return 1 + (seeded(`${this.ctx.options.seed}/jitter/${key}/${tick}`)() - 0.5) * 2 * spread;
  }

  private containerUsage(key: string, resources: Record<string, unknown>, now: number): Usage {
    const requests = obj(resources['requests']);
    const limits = obj(resources['limits']);
    const cpu = parseQuantity(requests['cpu'] ?? limits['cpu'] ?? '100m');
    const memory = parseQuantity(requests['memory'] ?? limits['memory'] ?? '128Mi');
    const r = seeded(`${this.ctx.options.seed}/usage/${key}`);
    return {
      cpu: cpu * (0.05 + 0.55 * r()) * this.jitter(`${key}/cpu`, now, 0.2),
      memory: memory * (0.3 + 0.5 * r()) * this.jitter(`${key}/memory`, now, 0.03),
    };
  }

  refresh(): void {
    const podType = this.ctx.api.registry.get('metrics.k8s.io', 'v1beta1', 'pods');
    const nodeType = this.ctx.api.registry.get('metrics.k8s.io', 'v1beta1', 'nodes');
    if (!podType || !nodeType) return;
    const now = this.ctx.now();
    const perNode = new Map<string, Usage>();
    const seen = new Set<string>();
    for (const rt of this.kubelet.pods.values()) {
      if (rt.stage !== 'running' || !this.nodes.isUp(rt.node)) continue;
      const pod = this.ctx.store.get('pods', rt.namespace, rt.name);
      if (!pod) continue;
      const specs = containersOf(specOf(pod));
      const containers: Record<string, unknown>[] = [];
      const total = perNode.get(rt.node) ?? { cpu: 0, memory: 0 };
      for (const c of rt.containers) {
        if (c.state !== 'running') continue;
        const resources = obj(specs.find((s) => s['name'] === c.name)?.['resources']);
        const u = this.containerUsage(`${rt.namespace}/${rt.name}/${c.name}`, resources, now);
        total.cpu += u.cpu;
        total.memory += u.memory;
        containers.push({ name: c.name, usage: format(u) });
      }
      perNode.set(rt.node, total);
      if (containers.length === 0) continue;
      const metadata: Record<string, unknown> = {
        name: rt.name,
        namespace: rt.namespace,
      };
      if (pod.metadata.labels) metadata['labels'] = pod.metadata.labels;
      this.put('pods.metrics.k8s.io', rt.namespace, rt.name, seen, {
        apiVersion: 'metrics.k8s.io/v1beta1',
        kind: 'PodMetrics',
        metadata,
        timestamp: ts(now),
        window: WINDOW,
        containers,
      });
    }
    for (const name of this.nodeNames()) {
      const node = this.scheduler.node(name);
      if (!node || !this.nodes.isUp(name)) continue;
      const capacity = obj(statusOf(node)['capacity']);
      const r = seeded(`${this.ctx.options.seed}/node/${name}`);
      const pods = perNode.get(name) ?? { cpu: 0, memory: 0 };
      const usage: Usage = {
        cpu:
          parseQuantity(capacity['cpu'] ?? '8') *
            (0.03 + 0.04 * r()) *
            this.jitter(`node/${name}`, now, 0.1) +
          pods.cpu,
        memory: parseQuantity(capacity['memory'] ?? '32Gi') * (0.08 + 0.07 * r()) + pods.memory,
      };
      const metadata: Record<string, unknown> = { name };
      if (node.metadata.labels) metadata['labels'] = node.metadata.labels;
      this.put('nodes.metrics.k8s.io', '', name, seen, {
        apiVersion: 'metrics.k8s.io/v1beta1',
        kind: 'NodeMetrics',
        metadata,
        timestamp: ts(now),
        window: WINDOW,
        usage: format(usage),
      });
    }
    for (const [key, at] of this.written) {
      if (seen.has(key)) continue;
      this.written.delete(key);
      const current = this.ctx.store.get(at.gr, at.namespace, at.name);
      if (current) this.ctx.remove(at.gr === 'pods.metrics.k8s.io' ? podType : nodeType, current);
    }
  }

  private nodeNames(): string[] {
    return this.ctx.store.list('nodes').map((n) => n.metadata.name);
  }

  /**
   * Write one metrics object straight to the store: they are kube-sim's own, never written by clients (the types
   * are read-only), so the REST path's decoding, admission and comparison would only cost time at every refresh.
   */
  private put(
    gr: string,
    namespace: string,
    name: string,
    seen: Set<string>,
    body: Record<string, unknown>,
  ): void {
    const key = `${gr}/${namespace}/${name}`;
    seen.add(key);
    this.written.set(key, { gr, namespace, name });
    const current = this.ctx.store.get(gr, namespace, name);
    const meta = obj(body['metadata']);
    const metadata: StoredObject['metadata'] = {
      ...meta,
      name,
      uid: current?.metadata.uid ?? this.ctx.uid(),
      resourceVersion: '',
      creationTimestamp: current?.metadata.creationTimestamp ?? ts(this.ctx.now()),
    };
    const object: StoredObject = {
      ...body,
      apiVersion: String(body['apiVersion']),
      kind: String(body['kind']),
      metadata,
    };
    this.ctx.store.commit(current ? 'MODIFIED' : 'ADDED', gr, object);
  }
}
