import type { KubeApi } from '../api.ts';
import type { SimClock } from '../clock.ts';
import { ControllerContext, type ControllerOptions, type LogSink, resolveOptions } from './context.ts';
import { DeploymentController } from './deployment.ts';
import { JobController } from './job.ts';
import { Kubelet } from './kubelet.ts';
import { KsCoreController } from './ksCore.ts';
import { MetricsController } from './metrics.ts';
import { NodeController, type NodeControls } from './nodes.ts';
import { ReplicaSetController } from './replicaset.ts';
import { Scheduler } from './scheduler.ts';
import { StatefulSetController } from './statefulset.ts';

/**
 * kube-controller-manager, kube-scheduler, the kubelets and metrics-server of one simulated cluster, and on a
 * KubeSphere host the cluster controller's ks-core installer (ksCore.ts). They learn of
 * changes through in-process store watches (never by polling the store) and do their work on the cluster's clock,
 * through one work queue, with the same REST semantics as any client. They keep running while the cluster is
 * offline: the world behind a partition keeps moving.
 */

export interface ControllerManagerOptions {
  api: KubeApi;
  clock: SimClock;
  cluster: string;
  options?: ControllerOptions;
  /** where container output goes (the cluster's PodLogStore), looked up when needed */
  logs?: () => LogSink | undefined;
}

export class ControllerManager {
  readonly ctx: ControllerContext;
  readonly scheduler: Scheduler;
  readonly kubelet: Kubelet;
  readonly nodes: NodeController;
  private readonly deployments: DeploymentController;
  private readonly replicaSets: ReplicaSetController;
  private readonly statefulSets: StatefulSetController;
  private readonly jobs: JobController;
  private readonly ksCore: KsCoreController;
  private readonly metrics: MetricsController;

  constructor(o: ControllerManagerOptions) {
    this.ctx = new ControllerContext(
      o.api,
      o.clock,
      resolveOptions(o.options ?? {}, o.cluster),
      o.logs ?? (() => undefined),
    );
    this.scheduler = new Scheduler(this.ctx);
    this.nodes = new NodeController(this.ctx, this.scheduler);
    this.kubelet = new Kubelet(this.ctx, this.scheduler, (node) => this.nodes.isUp(node));
    this.replicaSets = new ReplicaSetController(this.ctx, this.scheduler);
    this.deployments = new DeploymentController(this.ctx);
    this.statefulSets = new StatefulSetController(this.ctx, this.scheduler);
    this.jobs = new JobController(this.ctx, this.scheduler);
    this.ksCore = new KsCoreController(this.ctx);
    this.metrics = new MetricsController(this.ctx, this.kubelet, this.nodes, this.scheduler);
  }

  get running(): boolean {
    return this.ctx.running;
  }

  /** start watching and working; the current objects are taken up as they are */
  start(): void {
    if (this.ctx.running) return;
    this.ctx.running = true;
    // Order matters: watchers registered first hear of a change first, so the queue runs a ReplicaSet's sync
    // (pods created or deleted) before the Deployment sync that the same change woke.
    this.scheduler.start();
    this.nodes.start(this.kubelet);
    this.kubelet.start();
    this.replicaSets.start();
    this.deployments.start();
    this.statefulSets.start();
    this.jobs.start();
    this.ksCore.start();
    this.metrics.start();
    this.ctx.every(60_000, () => this.ctx.events.expire());
  }

  stop(): void {
    this.ctx.stop();
  }

  /** kubelet controls: `setReady(node, false)` stops a node's kubelet (NotReady after the grace period) */
  get nodeControls(): NodeControls {
    return this.nodes;
  }

  /** work items waiting in the queue */
  get pendingWork(): number {
    return this.ctx.queue.length;
  }
}
