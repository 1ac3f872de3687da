import type { ClusterSpec, FleetSpec, NodeSpec } from '../fleet.ts';
import type { KubeObject } from '../types.ts';
import { GATEWAY_NAMESPACE, gatewayObjects } from './gateways.ts';
import { KUBESPHERE_VERSION, type Tenancy, withKubeSphere } from './kubesphere.ts';
import { deploymentWithPods, namespace } from './workloads.ts';

/**
 * The demo fleet: a KubeSphere host cluster and two members, each with a few realistic workloads, two
 * workspaces and four users (docs/kube-sim.md, "The demo fleet"). Later domain issues add their own resources
 * here from their own fixture modules, as kubesphere.ts adds the tenant, IAM and multi-cluster objects.
 */

/** the demo's workspaces and users; tokens are random at start (users.json and the console show them) */
export const DEMO_TENANCY: Tenancy = {
  workspaces: [
    { name: 'retail', clusters: ['prod'], manager: 'alice', description: 'Online shop and payments' },
    { name: 'factory', clusters: ['edge'], manager: 'admin', description: 'Plant-floor IoT' },
  ],
  users: [
    {
      name: 'admin',
      email: 'admin@kubesphere.io',
      displayName: 'Platform admin',
      globalRole: 'platform-admin',
    },
    {
      name: 'alice',
      email: 'alice@example.com',
      displayName: 'Alice (retail admin)',
      globalRole: 'platform-regular',
      workspaces: { retail: 'admin' },
    },
    {
      name: 'victor',
      email: 'victor@example.com',
      displayName: 'Victor (retail viewer)',
      globalRole: 'platform-regular',
      workspaces: { retail: 'viewer' },
    },
    {
      name: 'frank',
      email: 'frank@example.com',
      displayName: 'Frank (factory member, operator of iot)',
      globalRole: 'platform-regular',
      workspaces: { factory: 'regular' },
      projects: { iot: 'operator' },
    },
  ],
};

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
  kubesphereVersion = KUBESPHERE_VERSION,
): ClusterSpec {
  return { name, role, nodes: nodeSpecs, objects: objects(nodeSpecs.map((n) => n.name)), kubesphereVersion };
}

/** the version edge runs: older than the host's, so it can be upgraded (ks-core upgrade, controllers/ksCore.ts) */
export const EDGE_KUBESPHERE_VERSION = 'v4.1.3';

export function demoFleet(now = new Date()): FleetSpec {
  return withKubeSphere(demoWorkloads(now), DEMO_TENANCY, now);
}

function demoWorkloads(now: Date): FleetSpec {
  return {
    clusters: [
      cluster('host', 'host', nodes('host', 3), (n) => [
        namespace('kubesphere-system'),
        namespace('kubesphere-controls-system'),
        ...deploymentWithPods(
          {
            namespace: 'kubesphere-system',
            name: 'ks-apiserver',
            image: `kubesphere/ks-apiserver:${KUBESPHERE_VERSION}`,
            replicas: 1,
            nodes: n,
          },
          'host',
        ),
        ...deploymentWithPods(
          {
            namespace: 'kubesphere-system',
            name: 'ks-console',
            image: `kubesphere/ks-console:${KUBESPHERE_VERSION}`,
            replicas: 1,
            nodes: n,
          },
          'host',
        ),
        ...deploymentWithPods(
          {
            namespace: 'kubesphere-system',
            name: 'ks-controller-manager',
            image: `kubesphere/ks-controller-manager:${KUBESPHERE_VERSION}`,
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
          // the gateway extension's gateways at its three scopes (fleets/gateways.ts)
          namespace(GATEWAY_NAMESPACE),
          ...gatewayObjects(
            {
              scope: { type: 'cluster' },
              appVersion: '4.9.1',
              nodes: n,
              nodeOffset: 1,
              nodePorts: [31080, 31443],
              clusterIP: '10.96.120.10',
            },
            'prod',
            now,
          ),
          ...gatewayObjects(
            {
              scope: { type: 'workspace', workspace: 'retail' },
              appVersion: '4.9.1',
              nodes: n,
              nodeOffset: 2,
              nodePorts: [32080, 32443],
              clusterIP: '10.96.120.20',
            },
            'prod',
            now,
          ),
          ...gatewayObjects(
            {
              scope: { type: 'project', namespace: 'shop', workspace: 'retail' },
              appVersion: '4.7.1',
              nodes: n,
              nodeOffset: 3,
              nodePorts: [30080, 30443],
              clusterIP: '10.96.120.30',
            },
            'prod',
            now,
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
        EDGE_KUBESPHERE_VERSION,
      ),
    ],
  };
}
