import type { ClusterSpec, FleetSpec, NodeSpec } from '../fleet.ts';
import type { KubeObject } from '../types.ts';
import { type Tenancy, type WorkspaceFixture, withKubeSphere } from './kubesphere.ts';
import { deploymentWithPods, namespace } from './workloads.ts';
import { mulberry32 } from '../random.ts';

/**
 * A fleet of any size for load tests and benchmarks: `clusters` clusters (the first the KubeSphere host, the
 * others `member-1`…), `nodesPerCluster` nodes each, and Deployments (with their ReplicaSets and running
 * Pods) that put exactly `podsPerNode` pods on every node. Deployment sizes, names and images come from a
 * seeded generator, so the same options always give the same fleet. Namespaces are `team-001`…, eight
 * Deployments each, grouped four to a workspace (`ws-01`…) placed on every cluster; one user, `admin`
 * (platform-admin).
 *
 * From the command line: `npm run sim -- --fleet scale:<clusters>,<nodes per cluster>,<pods per
 * node>[,<seed>]`.
 */

export interface ScaleFleetOptions {
  clusters: number;
  nodesPerCluster: number;
  podsPerNode: number;
  /** @default 1 */
  seed?: number;
}

const APPS = ['web', 'api', 'worker', 'cache', 'queue', 'auth', 'search', 'billing', 'ingest', 'report'];
const IMAGES = [
  'nginx:1.27',
  'ghcr.io/demo/api:3.2.0',
  'ghcr.io/demo/worker:1.14.2',
  'redis:7.2',
  'ghcr.io/demo/queue:0.9.1',
  'ghcr.io/demo/auth:2.0.4',
  'ghcr.io/demo/search:5.1.0',
  'ghcr.io/demo/billing:1.3.7',
  'ghcr.io/demo/ingest:0.7.3',
  'ghcr.io/demo/report:4.4.0',
];
const DEPLOYMENTS_PER_NAMESPACE = 8;
const NAMESPACES_PER_WORKSPACE = 4;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

export function scaleClusterName(i: number): string {
  return i === 0 ? 'host' : `member-${i}`;
}

function scaleNodes(cluster: string, o: ScaleFleetOptions): NodeSpec[] {
  return Array.from({ length: o.nodesPerCluster }, (_, j) => ({
    name: `${cluster}-node-${j + 1}`,
    labels: {
      'node-role.kubernetes.io/worker': '',
      'topology.kubernetes.io/region': 'region-1',
      'topology.kubernetes.io/zone': `zone-${(j % 3) + 1}`,
    },
    cpu: '16',
    memory: '64Gi',
    pods: String(Math.max(110, o.podsPerNode)),
  }));
}

/** one cluster's namespaces and workloads; returns the number of namespaces used */
function scaleWorkloads(
  cluster: string,
  nodeNames: string[],
  o: ScaleFleetOptions,
  rng: () => number,
): { objects: KubeObject[]; namespaces: number } {
  const objects: KubeObject[] = [];
  const total = nodeNames.length * o.podsPerNode;
  let placed = 0;
  let d = 0;
  let namespaces = 0;
  while (placed < total) {
    if (d % DEPLOYMENTS_PER_NAMESPACE === 0) {
      namespaces++;
      const ws = `ws-${pad(Math.ceil(namespaces / NAMESPACES_PER_WORKSPACE), 2)}`;
      objects.push(namespace(`team-${pad(namespaces, 3)}`, { 'kubesphere.io/workspace': ws }));
    }
    // mostly small Deployments, a few large ones, as in a real fleet
    const replicas = Math.min(total - placed, 1 + Math.floor(rng() ** 2 * 40));
    const app = Math.floor(rng() * APPS.length);
    objects.push(
      ...deploymentWithPods(
        {
          namespace: `team-${pad(namespaces, 3)}`,
          name: `${APPS[app] ?? 'app'}-${pad(d + 1, 4)}`,
          image: IMAGES[app] ?? 'nginx:1.27',
          replicas,
          nodes: nodeNames,
          nodeOffset: placed,
        },
        cluster,
      ),
    );
    placed += replicas;
    d++;
  }
  return { objects, namespaces };
}

export function scaleFleet(o: ScaleFleetOptions): FleetSpec {
  for (const [k, v] of Object.entries({
    clusters: o.clusters,
    nodesPerCluster: o.nodesPerCluster,
    podsPerNode: o.podsPerNode,
  })) {
    if (!Number.isInteger(v) || v < (k === 'podsPerNode' ? 0 : 1))
      throw new RangeError(
        `scaleFleet: ${k} must be a whole number of at least ${k === 'podsPerNode' ? 0 : 1}`,
      );
  }
  const seed = o.seed ?? 1;
  let maxNamespaces = 0;
  const clusters = Array.from({ length: o.clusters }, (_, i): ClusterSpec => {
    const name = scaleClusterName(i);
    const nodes = scaleNodes(name, o);
    const { objects, namespaces } = scaleWorkloads(
      name,
      nodes.map((n) => n.name),
      o,
      mulberry32(seed * 7919 + i),
    );
    maxNamespaces = Math.max(maxNamespaces, namespaces);
    return { name, role: i === 0 ? 'host' : 'member', nodes, objects };
  });
  const names = clusters.map((c) => c.name);
  const workspaces: WorkspaceFixture[] = Array.from(
    { length: Math.ceil(maxNamespaces / NAMESPACES_PER_WORKSPACE) },
    (_, w) => ({ name: `ws-${pad(w + 1, 2)}`, clusters: names, manager: 'admin' }),
  );
  const tenancy: Tenancy = {
    workspaces,
    users: [{ name: 'admin', email: 'admin@kubesphere.io', globalRole: 'platform-admin' }],
  };
  return withKubeSphere({ clusters }, tenancy);
}

/** `scale:<clusters>,<nodes per cluster>,<pods per node>[,<seed>]` → options; undefined for anything else */
export function parseScaleArg(arg: string): ScaleFleetOptions | undefined {
  const m = /^scale:(\d+),(\d+),(\d+)(?:,(\d+))?$/.exec(arg);
  if (!m) return undefined;
  const o: ScaleFleetOptions = {
    clusters: Number(m[1]),
    nodesPerCluster: Number(m[2]),
    podsPerNode: Number(m[3]),
  };
  if (m[4] !== undefined) o.seed = Number(m[4]);
  return o;
}
