import type { ClusterSpec, FleetSpec, NodeSpec } from '../fleet.ts';
import type { KubeObject } from '../types.ts';
import { deploymentWithPods, namespace } from './workloads.ts';

/**
 * The demo fleet: a host cluster and two members, each with a few realistic workloads.
 * Later domain issues add their own resources here from their own fixture modules.
 */

function nodes(
  cluster: string,
  count: number,
  extra: (i: number) => Partial<NodeSpec> = () => ({}),
): NodeSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `${cluster}-node-${i + 1}`,
    labels: { 'node-role.kubernetes.io/worker': '', 'topology.kubernetes.io/zone': `zone-${(i % 2) + 1}` },
    ...extra(i),
  }));
}

function cluster(
  name: string,
  role: 'host' | 'member',
  nodeSpecs: NodeSpec[],
  objects: (nodeNames: string[]) => KubeObject[],
): ClusterSpec {
  return { name, role, nodes: nodeSpecs, objects: objects(nodeSpecs.map((n) => n.name)) };
}

export function demoFleet(): FleetSpec {
  return {
    clusters: [
      cluster('host', 'host', nodes('host', 3), (n) => [
        namespace('kubesphere-system'),
        namespace('kubesphere-controls-system'),
        ...deploymentWithPods(
          {
            namespace: 'kubesphere-system',
            name: 'ks-apiserver',
            image: 'kubesphere/ks-apiserver:v4.2.1',
            replicas: 1,
            nodes: n,
          },
          'host',
        ),
        ...deploymentWithPods(
          {
            namespace: 'kubesphere-system',
            name: 'ks-console',
            image: 'kubesphere/ks-console:v4.2.1',
            replicas: 1,
            nodes: n,
          },
          'host',
        ),
        ...deploymentWithPods(
          {
            namespace: 'kubesphere-system',
            name: 'ks-controller-manager',
            image: 'kubesphere/ks-controller-manager:v4.2.1',
            replicas: 1,
            nodes: n,
          },
          'host',
        ),
      ]),
      cluster(
        'prod',
        'member',
        nodes('prod', 4, (i) =>
          i === 3 ? { extended: { 'nvidia.com/gpu': '4' }, cpu: '32', memory: '128Gi' } : {},
        ),
        (n) => [
          namespace('shop', { 'kubesphere.io/workspace': 'retail' }),
          namespace('payments', { 'kubesphere.io/workspace': 'retail' }),
          ...deploymentWithPods(
            { namespace: 'shop', name: 'storefront', image: 'nginx:1.27', replicas: 3, nodes: n },
            'prod',
          ),
          ...deploymentWithPods(
            { namespace: 'shop', name: 'cart', image: 'ghcr.io/demo/cart:2.4.1', replicas: 2, nodes: n },
            'prod',
          ),
          ...deploymentWithPods(
            {
              namespace: 'payments',
              name: 'payments-api',
              image: 'ghcr.io/demo/payments:1.9.0',
              replicas: 2,
              nodes: n,
              cpu: '500m',
              memory: '512Mi',
            },
            'prod',
          ),
        ],
      ),
      cluster(
        'edge',
        'member',
        nodes('edge', 2, () => ({ cpu: '4', memory: '8Gi' })),
        (n) => [
          namespace('iot', { 'kubesphere.io/workspace': 'factory' }),
          ...deploymentWithPods(
            { namespace: 'iot', name: 'mqtt-broker', image: 'eclipse-mosquitto:2.0', replicas: 1, nodes: n },
            'edge',
          ),
          ...deploymentWithPods(
            {
              namespace: 'iot',
              name: 'telemetry-ingest',
              image: 'ghcr.io/demo/ingest:0.7.3',
              replicas: 2,
              nodes: n,
            },
            'edge',
          ),
        ],
      ),
    ],
  };
}
