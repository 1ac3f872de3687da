import { request } from 'node:https';

import type { SimCluster } from '../cluster.ts';
import type { KubeObject } from '../types.ts';
import { KUBESPHERE_VERSION } from './kubesphere.ts';
import { clusterCrd } from './kubesphereCrds.ts';

/**
 * The multi-cluster hook (`ClusterSpec.multiCluster`): once every listener runs, the host gets a
 * cluster.kubesphere.io/v1alpha1 Cluster per fleet cluster, itself included, as KubeSphere's cluster
 * controller keeps them (../shared/reference/kubesphere-domain.md §4): `spec.connection` is `direct` with the
 * cluster's kubeconfig (its cluster-admin token), and the status is what the controller's probe finds: the
 * kube-system namespace's uid, `/version`, the node count and zones. The status is written once at start; as
 * in KubeSphere (900s resync), it is not kept current afterwards. KubeSphere's
 * `finalizer.cluster.kubesphere.io` is left out: no controller here would ever remove it, so a deleted
 * Cluster would never go.
 */

export interface ClusterStatusProbe {
  kubernetesVersion: string;
  nodeCount: number;
  zones: string[];
  region?: string;
  uid: string;
}

/** what KubeSphere's cluster controller learns from a member: GET kube-system, GET /version, LIST nodes */
export async function probeCluster(c: SimCluster, caPem: string): Promise<ClusterStatusProbe> {
  const version = await getJson(c, '/version', caPem);
  const gitVersion =
    typeof version === 'object' && version !== null && 'gitVersion' in version
      ? String(version.gitVersion)
      : '';
  const nodes = c.store.list('nodes');
  const label = (key: string): string[] =>
    [...new Set(nodes.map((n) => n.metadata.labels?.[key]).filter((z): z is string => !!z))].sort();
  const probe: ClusterStatusProbe = {
    kubernetesVersion: gitVersion,
    nodeCount: nodes.length,
    zones: label('topology.kubernetes.io/zone'),
    uid: c.store.get('namespaces', '', 'kube-system')?.metadata.uid ?? '',
  };
  const [region] = label('topology.kubernetes.io/region');
  if (region) probe.region = region;
  return probe;
}

export function clusterObject(
  c: SimCluster,
  probe: ClusterStatusProbe,
  o: { host: boolean; now: Date; kubesphereVersion?: string },
): KubeObject {
  const t = o.now.toISOString().replace(/\.\d+Z$/, 'Z');
  const condition = (type: string, reason: string, message: string): Record<string, string> => ({
    type,
    status: 'True',
    lastUpdateTime: t,
    lastTransitionTime: t,
    reason,
    message,
  });
  return {
    apiVersion: 'cluster.kubesphere.io/v1alpha1',
    kind: 'Cluster',
    metadata: {
      name: c.name,
      ...(o.host ? { labels: { 'cluster-role.kubesphere.io/host': '' } } : {}),
      annotations: {
        'kubesphere.io/creator': 'admin',
        'kubesphere.io/description': o.host ? 'The host cluster' : `Member cluster ${c.name}`,
      },
    },
    spec: {
      provider: 'kube-sim',
      connection: {
        type: 'direct',
        kubeconfig: Buffer.from(c.kubeconfig()).toString('base64'),
        kubernetesAPIEndpoint: c.url,
      },
      externalKubeAPIEnabled: false,
    },
    status: {
      conditions: [
        condition('Initialized', 'Initialized', 'Cluster has been initialized'),
        condition('KSCoreReady', 'KSCoreReady', 'KS Core is available now'),
        condition('Ready', 'Ready', 'Cluster is available now'),
      ],
      kubernetesVersion: probe.kubernetesVersion,
      kubeSphereVersion: o.kubesphereVersion ?? KUBESPHERE_VERSION,
      nodeCount: probe.nodeCount,
      zones: probe.zones,
      ...(probe.region ? { region: probe.region } : {}),
      uid: probe.uid,
    },
  };
}

/** apply the Cluster CRD (when absent) and one Cluster object per fleet cluster to the host */
export async function connectClusters(
  host: SimCluster,
  clusters: ReadonlyMap<string, SimCluster>,
  caPem: string,
  now: Date,
  /** cluster name → its KubeSphere version (ClusterSpec.kubesphereVersion); @default KUBESPHERE_VERSION */
  versions: ReadonlyMap<string, string> = new Map(),
): Promise<void> {
  const objects: KubeObject[] = [];
  if (!host.registry.forKind('cluster.kubesphere.io/v1alpha1', 'Cluster')) objects.push(clusterCrd);
  for (const c of clusters.values()) {
    const kubesphereVersion = versions.get(c.name);
    objects.push(
      clusterObject(c, await probeCluster(c, caPem), {
        host: c === host,
        now,
        ...(kubesphereVersion ? { kubesphereVersion } : {}),
      }),
    );
  }
  host.apply(objects);
}

function getJson(c: SimCluster, path: string, caPem: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, c.url),
      {
        headers: { Authorization: `Bearer ${c.adminToken}`, Accept: 'application/json' },
        ca: caPem,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (b: Buffer) => chunks.push(b));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
