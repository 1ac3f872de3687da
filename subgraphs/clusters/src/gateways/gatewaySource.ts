import type { FleetAccess } from '@fleetgraph/lib/auth';
import {
  collectionPath,
  type FleetInformer,
  type GroupVersionResource,
  gvrString,
  type KubernetesObject,
} from '@fleetgraph/lib/kube';
import type { Logger } from '@fleetgraph/lib/telemetry';

import {
  COMPONENT_LABEL,
  type DeploymentObject,
  DEPLOYMENTS,
  GATEWAY_NAMESPACE,
  type GatewayObject,
  GATEWAYS,
  INSTANCE_LABEL,
  type PodObject,
  PODS,
  REPLICA_SETS,
  type ReplicaSetObject,
  toGateway,
} from './kube.ts';
import type { GatewayModel } from './model.ts';

/** The gateways of every cluster, from informer caches over `kubesphere-controls-system`. */
export interface GatewaySource {
  start(): Promise<void>;
  /** every informer has synced or failed once on every cluster (clusters without the Gateway CRD fail) */
  settled(): boolean;
  /** a cluster's gateways, by name */
  list(cluster: string): GatewayModel[];
  get(cluster: string, name: string): GatewayModel | undefined;
  deployment(cluster: string, name: string): DeploymentObject | undefined;
  replicaSets(cluster: string): ReplicaSetObject[];
  /** called synchronously with (cluster, gateway name) after a change of the Gateway, its Deployment, RS or pods */
  subscribe(listener: (cluster: string, name: string) => void): () => void;
  stop(): Promise<void>;
}

export function createGatewaySource(fleet: FleetAccess, log: Logger): GatewaySource {
  const ns = GATEWAY_NAMESPACE;
  const informer = <T extends KubernetesObject>(gvr: GroupVersionResource): FleetInformer<T> =>
    fleet.informer<T>({
      path: collectionPath({ ...gvr, namespace: ns }),
      log: log.child({ gvr: gvrString(gvr) }),
    });
  const gateways = informer<GatewayObject>(GATEWAYS);
  const deployments = informer<DeploymentObject>(DEPLOYMENTS);
  const replicaSets = informer<ReplicaSetObject>(REPLICA_SETS);
  const pods = informer<PodObject>(PODS);
  const listeners = new Set<(cluster: string, name: string) => void>();
  const notify = (cluster: string, name: string | undefined): void => {
    if (!name) return;
    for (const l of listeners) {
      try {
        l(cluster, name);
      } catch (e) {
        log.warn('gateway listener failed', { error: e });
      }
    }
  };
  const unsubscribers = [
    gateways.subscribe((e) => notify(e.cluster, e.object.metadata?.name)),
    deployments.subscribe((e) => notify(e.cluster, e.object.metadata?.name)),
    replicaSets.subscribe((e) =>
      notify(e.cluster, e.object.metadata?.ownerReferences?.find((o) => o.kind === 'Deployment')?.name),
    ),
    pods.subscribe((e) => notify(e.cluster, e.object.metadata?.labels?.[INSTANCE_LABEL])),
  ];
  const model = (cluster: string, gw: GatewayObject): GatewayModel => {
    const name = gw.metadata?.name ?? '';
    const d = deployments.get(cluster, name, ns);
    const own = pods
      .list(cluster, ns)
      .filter(
        (p) =>
          p.metadata?.labels?.[INSTANCE_LABEL] === name &&
          p.metadata?.labels?.[COMPONENT_LABEL] === 'controller',
      );
    return toGateway(cluster, gw, d, own, replicaSets.list(cluster, ns));
  };
  const all = [gateways, deployments, replicaSets, pods];
  return {
    async start() {
      await Promise.all(all.map((i) => i.start()));
    },
    settled: () => all.every((i) => i.settled()),
    list: (cluster) =>
      gateways
        .list(cluster, ns)
        .map((g) => model(cluster, g))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    get(cluster, name) {
      const g = gateways.get(cluster, name, ns);
      return g ? model(cluster, g) : undefined;
    },
    deployment: (cluster, name) => deployments.get(cluster, name, ns),
    replicaSets: (cluster) => replicaSets.list(cluster, ns),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      listeners.clear();
      unsubscribers.forEach((u) => u());
      await Promise.all(all.map((i) => i.stop()));
    },
  };
}
