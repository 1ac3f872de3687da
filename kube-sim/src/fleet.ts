import { readFile } from 'node:fs/promises';

import { parse as parseYaml } from 'yaml';

import { isObject } from './objects.ts';
import type { KubeObject } from './types.ts';

/** A fleet: several simulated clusters in one process, described by data. */

export interface NodeSpec {
  name: string;
  labels?: Record<string, string>;
  /** @default '8' */
  cpu?: string;
  /** @default '32Gi' */
  memory?: string;
  /** @default '110' */
  pods?: string;
  /** extended resources, e.g. { 'nvidia.com/gpu': '4' } */
  extended?: Record<string, string>;
  /** @default true */
  ready?: boolean;
  /** @default false */
  unschedulable?: boolean;
}

export interface UserSpec {
  name: string;
  token: string;
  groups?: string[];
  uid?: string;
}

/**
 * A user of the whole fleet: one bearer token valid on every cluster (KubeSphere's members share the host's
 * token secret), a `<cluster>.<user>.kubeconfig` per cluster and an entry in users.json.
 */
export interface FleetUserSpec {
  name: string;
  /** a fixed bearer token; @default a random one, made at start */
  token?: string;
  groups?: string[];
  /** @default the name */
  uid?: string;
  /** the user's KubeSphere GlobalRole, e.g. platform-admin (for users.json; objects come from the fleet) */
  globalRole?: string;
  /** workspace → WorkspaceRole, e.g. { retail: 'retail-admin' } */
  workspaceRoles?: Record<string, string>;
  /** namespace → KubeSphere project role (admin, operator, viewer), for projects the user was invited to */
  projectRoles?: Record<string, string>;
}

export interface ClusterSpec {
  name: string;
  /** the host holds the multi-cluster objects; @default 'member' (the first cluster defaults to 'host') */
  role?: 'host' | 'member';
  /** a fixed port; @default 0 (any free port) */
  port?: number;
  /** nodes, or how many to make with default names */
  nodes?: NodeSpec[] | number;
  /** seed objects, created in order (CRDs and namespaces first) */
  objects?: KubeObject[];
  /** extra bearer tokens for this cluster only */
  users?: UserSpec[];
  /**
   * this cluster is a KubeSphere host: once every listener runs, it gets the cluster.kubesphere.io CRD and a
   * Cluster object per fleet cluster (itself included) whose spec.connection carries that cluster's
   * kubeconfig (fleets/multiCluster.ts); @default false
   */
  multiCluster?: boolean;
  /**
   * the KubeSphere (ks-core) version this cluster runs, as a host's Cluster object reports it in
   * status.kubeSphereVersion; @default v4.2.1 (KUBESPHERE_VERSION)
   */
  kubesphereVersion?: string;
}

export interface FleetSpec {
  clusters: ClusterSpec[];
  /** users with a token on every cluster */
  users?: FleetUserSpec[];
}

export class FleetSpecError extends Error {}

/** Check a fleet spec read from a file; throws FleetSpecError naming the bad field. */
export function toFleetSpec(raw: unknown, source = 'fleet spec'): FleetSpec {
  const fail = (msg: string): never => {
    throw new FleetSpecError(`${source}: ${msg}`);
  };
  if (!isObject(raw) || !Array.isArray(raw['clusters']) || raw['clusters'].length === 0) {
    return fail('expected an object with a non-empty "clusters" list');
  }
  const names = new Set<string>();
  raw['clusters'].forEach((c: unknown, i: number) => {
    if (!isObject(c) || typeof c['name'] !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(c['name'])) {
      fail(`clusters[${i}].name must be a DNS-1123 label`);
      return;
    }
    if (names.has(c['name'])) fail(`clusters[${i}].name "${c['name']}" is used twice`);
    names.add(c['name']);
    if (c['role'] !== undefined && c['role'] !== 'host' && c['role'] !== 'member')
      fail(`clusters[${i}].role must be "host" or "member"`);
    if (c['nodes'] !== undefined && typeof c['nodes'] !== 'number' && !Array.isArray(c['nodes']))
      fail(`clusters[${i}].nodes must be a number or a list`);
    if (
      c['objects'] !== undefined &&
      (!Array.isArray(c['objects']) || !c['objects'].every((o) => isObject(o) && isObject(o['metadata'])))
    ) {
      fail(`clusters[${i}].objects must be a list of Kubernetes objects`);
    }
    if (c['multiCluster'] !== undefined && typeof c['multiCluster'] !== 'boolean')
      fail(`clusters[${i}].multiCluster must be true or false`);
    if (
      c['kubesphereVersion'] !== undefined &&
      (typeof c['kubesphereVersion'] !== 'string' || !/^v\d+\.\d+\.\d+/.test(c['kubesphereVersion']))
    )
      fail(`clusters[${i}].kubesphereVersion must be a version such as "v4.2.1"`);
    checkUsers(c['users'], `clusters[${i}].users`, true, fail);
  });
  checkUsers(raw['users'], 'users', false, fail);
  return raw as unknown as FleetSpec;
}

function checkUsers(users: unknown, at: string, tokenRequired: boolean, fail: (msg: string) => never): void {
  if (users === undefined) return;
  if (!Array.isArray(users)) fail(`${at} must be a list`);
  const names = new Set<string>();
  (users as unknown[]).forEach((u, i) => {
    if (!isObject(u) || typeof u['name'] !== 'string' || u['name'] === '')
      fail(`${at}[${i}].name must be a string`);
    const user = u as Record<string, unknown>;
    if (names.has(String(user['name']))) fail(`${at}[${i}].name "${String(user['name'])}" is used twice`);
    names.add(String(user['name']));
    const token = user['token'];
    if ((tokenRequired || token !== undefined) && (typeof token !== 'string' || !/^\S+$/.test(token)))
      fail(`${at}[${i}].token must be a string without spaces`);
    const groups = user['groups'];
    if (groups !== undefined && !(Array.isArray(groups) && groups.every((g) => typeof g === 'string')))
      fail(`${at}[${i}].groups must be a list of strings`);
  });
}

export async function loadFleetSpec(path: string): Promise<FleetSpec> {
  const text = await readFile(path, 'utf8');
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new FleetSpecError(
      `${path}: not valid YAML or JSON: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  return toFleetSpec(raw, path);
}

export function nodeSpecs(spec: ClusterSpec): NodeSpec[] {
  if (Array.isArray(spec.nodes)) return spec.nodes;
  const n = spec.nodes ?? 1;
  return Array.from({ length: n }, (_, i) => ({ name: `${spec.name}-node-${i + 1}` }));
}

/** What every cluster has from the start: system namespaces, nodes, the kubernetes Service. */
export function baseObjects(spec: ClusterSpec, now: Date): KubeObject[] {
  const ns = (name: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
    status: { phase: 'Active' },
  });
  const objects: KubeObject[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'].map(ns);
  nodeSpecs(spec).forEach((n, i) => objects.push(toNode(n, i, now)));
  objects.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: { component: 'apiserver', provider: 'kubernetes' },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.96.0.1',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
    },
  });
  return objects;
}

export function toNode(n: NodeSpec, index: number, now: Date): KubeObject {
  const t = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const capacity: Record<string, string> = {
    cpu: n.cpu ?? '8',
    memory: n.memory ?? '32Gi',
    pods: n.pods ?? '110',
    'ephemeral-storage': '100Gi',
    ...(n.extended ?? {}),
  };
  const ready = n.ready ?? true;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      labels: {
        'kubernetes.io/hostname': n.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        ...(n.labels ?? {}),
      },
    },
    spec: { podCIDR: `10.244.${index}.0/24`, ...(n.unschedulable ? { unschedulable: true } : {}) },
    status: {
      capacity,
      allocatable: { ...capacity },
      conditions: [
        {
          type: 'MemoryPressure',
          status: 'False',
          reason: 'KubeletHasSufficientMemory',
          message: 'kubelet has sufficient memory available',
          lastHeartbeatTime: t,
          lastTransitionTime: t,
        },
        {
          type: 'DiskPressure',
          status: 'False',
          reason: 'KubeletHasNoDiskPressure',
          message: 'kubelet has no disk pressure',
          lastHeartbeatTime: t,
          lastTransitionTime: t,
        },
        {
          type: 'PIDPressure',
          status: 'False',
          reason: 'KubeletHasSufficientPID',
          message: 'kubelet has sufficient PID available',
          lastHeartbeatTime: t,
          lastTransitionTime: t,
        },
        ready
          ? {
              type: 'Ready',
              status: 'True',
              reason: 'KubeletReady',
              message: 'kubelet is posting ready status',
              lastHeartbeatTime: t,
              lastTransitionTime: t,
            }
          : {
              type: 'Ready',
              status: 'Unknown',
              reason: 'NodeStatusUnknown',
              message: 'Kubelet stopped posting node status.',
              lastHeartbeatTime: t,
              lastTransitionTime: t,
            },
      ],
      addresses: [
        { type: 'InternalIP', address: `192.168.${Math.floor(index / 250)}.${(index % 250) + 2}` },
        { type: 'Hostname', address: n.name },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.30.0',
        kubeProxyVersion: 'v1.30.0',
        containerRuntimeVersion: 'containerd://1.7.13',
        osImage: 'Ubuntu 22.04.4 LTS',
        kernelVersion: '5.15.0-105-generic',
        operatingSystem: 'linux',
        architecture: 'amd64',
        machineID: `machine-${index}`,
        systemUUID: `system-${index}`,
        bootID: `boot-${index}`,
      },
    },
  };
}
