import type { KubeObject } from '../types.ts';
import { deploymentWithPods } from './workloads.ts';

/**
 * KubeSphere gateways (the gateway extension, ../shared/reference/kubesphere-domain.md §4.3): a
 * gateway.kubesphere.io/v2alpha2 Gateway in `kubesphere-controls-system` per scope, each an ingress-nginx Helm
 * release whose Deployment and Service carry the Gateway's name:
 *
 * - cluster:   `kubesphere-router-cluster`, label `kubesphere.io/gateway-type: cluster`
 * - workspace: `kubesphere-router-workspace-<ws>`, type `workspace`, label `kubesphere.io/workspace: <ws>`
 * - project:   `kubesphere-router-<ns>`, type `project`, label and annotation `kubesphere.io/namespace: <ns>`
 *
 * Pods are labelled `app.kubernetes.io/name: ingress-nginx`, `app.kubernetes.io/instance: <gateway>`,
 * `app.kubernetes.io/component: controller`; their container `controller` runs
 * `kubesphere/nginx-ingress-controller:<controller version>` and logs like ingress-nginx (controllers/script.ts).
 */

export const GATEWAY_NAMESPACE = 'kubesphere-controls-system';

/** ingress-nginx chart version → the controller image tag it ships */
export const INGRESS_NGINX_VERSIONS: Record<string, string> = {
  '4.7.1': 'v1.8.1',
  '4.9.1': 'v1.9.6',
  '4.10.0': 'v1.10.0',
};

export type GatewayScope =
  | { type: 'cluster' }
  | { type: 'workspace'; workspace: string }
  | { type: 'project'; namespace: string; workspace?: string };

export interface GatewayFixture {
  scope: GatewayScope;
  /** the ingress-nginx chart version (spec.appVersion), a key of INGRESS_NGINX_VERSIONS */
  appVersion: string;
  /** @default 2 */
  replicas?: number;
  nodes: readonly string[];
  nodeOffset?: number;
  /** the Service's node ports [http, https] */
  nodePorts: [number, number];
  /** the Service's clusterIP */
  clusterIP: string;
}

export function gatewayName(scope: GatewayScope): string {
  if (scope.type === 'cluster') return 'kubesphere-router-cluster';
  if (scope.type === 'workspace') return `kubesphere-router-workspace-${scope.workspace}`;
  return `kubesphere-router-${scope.namespace}`;
}

/** the Gateway, its Deployment (with ReplicaSet and running Pods) and its Service */
export function gatewayObjects(f: GatewayFixture, cluster: string, now: Date): KubeObject[] {
  const name = gatewayName(f.scope);
  const tag = INGRESS_NGINX_VERSIONS[f.appVersion];
  if (!tag) throw new Error(`kube-sim: no ingress-nginx controller version known for chart ${f.appVersion}`);
  const replicas = f.replicas ?? 2;
  const t = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const labels: Record<string, string> = { 'kubesphere.io/gateway-type': f.scope.type };
  const annotations: Record<string, string> = { 'kubesphere.io/creator': 'admin' };
  const scopeValues: Record<string, unknown> = { enabled: false, namespace: '', namespaceSelector: '' };
  const watchArgs: string[] = [];
  if (f.scope.type === 'workspace') {
    labels['kubesphere.io/workspace'] = f.scope.workspace;
    scopeValues['enabled'] = true;
    scopeValues['namespaceSelector'] = `kubesphere.io/workspace=${f.scope.workspace}`;
    watchArgs.push(`--watch-namespace-selector=kubesphere.io/workspace=${f.scope.workspace}`);
  } else if (f.scope.type === 'project') {
    labels['kubesphere.io/namespace'] = f.scope.namespace;
    annotations['kubesphere.io/namespace'] = f.scope.namespace;
    if (f.scope.workspace) labels['kubesphere.io/workspace'] = f.scope.workspace;
    scopeValues['enabled'] = true;
    scopeValues['namespace'] = f.scope.namespace;
    watchArgs.push(`--watch-namespace=${f.scope.namespace}`);
  }
  const controllerClass = `kubesphere.io/ingress-nginx-${name}`;
  const gateway: KubeObject = {
    apiVersion: 'gateway.kubesphere.io/v2alpha2',
    kind: 'Gateway',
    metadata: { name, namespace: GATEWAY_NAMESPACE, labels, annotations },
    spec: {
      appVersion: f.appVersion,
      values: {
        controller: {
          replicaCount: replicas,
          image: { registry: 'docker.io', image: 'kubesphere/nginx-ingress-controller', tag },
          ingressClassResource: { name, enabled: true, default: false, controllerValue: controllerClass },
          scope: scopeValues,
          service: { type: 'NodePort' },
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          config: { 'worker-processes': '4', 'enable-opentracing': 'false' },
          resources: { requests: { cpu: '100m', memory: '90Mi' } },
        },
      },
    },
    status: {
      state: 'Running',
      conditions: [
        {
          type: 'GatewayReady',
          status: 'True',
          observedGeneration: 1,
          lastTransitionTime: t,
          reason: 'Deployed',
          message: 'Gateway is running',
        },
      ],
      loadBalancer: {},
      service: {
        type: 'NodePort',
        ports: [
          { name: 'http', port: 80, protocol: 'TCP', targetPort: 'http', nodePort: f.nodePorts[0] },
          { name: 'https', port: 443, protocol: 'TCP', targetPort: 'https', nodePort: f.nodePorts[1] },
        ],
      },
      helmRelease: { name, namespace: GATEWAY_NAMESPACE, revision: 1 },
    },
  };
  const selectorLabels = {
    'app.kubernetes.io/name': 'ingress-nginx',
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/component': 'controller',
  };
  const chartLabels = {
    'app.kubernetes.io/part-of': 'ingress-nginx',
    'app.kubernetes.io/version': tag.replace(/^v/, ''),
    'app.kubernetes.io/managed-by': 'Helm',
    'helm.sh/chart': `ingress-nginx-${f.appVersion}`,
  };
  const workload = deploymentWithPods(
    {
      namespace: GATEWAY_NAMESPACE,
      name,
      image: `kubesphere/nginx-ingress-controller:${tag}`,
      replicas,
      nodes: f.nodes,
      ...(f.nodeOffset !== undefined ? { nodeOffset: f.nodeOffset } : {}),
      selectorLabels,
      labels: chartLabels,
      containerName: 'controller',
      cpu: '100m',
      memory: '90Mi',
      args: [
        '/nginx-ingress-controller',
        `--election-id=${name}-leader`,
        `--controller-class=${controllerClass}`,
        `--ingress-class=${name}`,
        `--configmap=$(POD_NAMESPACE)/${name}-controller`,
        ...watchArgs,
        '--enable-metrics=true',
      ],
      ports: [
        { name: 'http', containerPort: 80, protocol: 'TCP' },
        { name: 'https', containerPort: 443, protocol: 'TCP' },
        { name: 'metrics', containerPort: 10254, protocol: 'TCP' },
      ],
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      progressDeadlineSeconds: 60,
      annotations: { 'meta.helm.sh/release-name': name, 'meta.helm.sh/release-namespace': GATEWAY_NAMESPACE },
    },
    cluster,
  );
  const service: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: GATEWAY_NAMESPACE,
      labels: { ...selectorLabels, ...chartLabels },
      annotations: { 'meta.helm.sh/release-name': name, 'meta.helm.sh/release-namespace': GATEWAY_NAMESPACE },
    },
    spec: {
      type: 'NodePort',
      clusterIP: f.clusterIP,
      clusterIPs: [f.clusterIP],
      externalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      selector: selectorLabels,
      ports: [
        { name: 'http', port: 80, protocol: 'TCP', targetPort: 'http', nodePort: f.nodePorts[0] },
        { name: 'https', port: 443, protocol: 'TCP', targetPort: 'https', nodePort: f.nodePorts[1] },
      ],
    },
    status: { loadBalancer: {} },
  };
  return [gateway, ...workload, service];
}
