import { createHash } from 'node:crypto';

import type { KubeObject } from '../types.ts';

/**
 * Fixture builders: a Deployment with its ReplicaSet and running Pods, owner references and status as a
 * controller sets them.
 */

export interface DeploymentFixture {
  namespace: string;
  name: string;
  image: string;
  replicas: number;
  nodes: readonly string[];
  labels?: Record<string, string>;
  cpu?: string;
  memory?: string;
  /** the first pod goes to nodes[nodeOffset % nodes.length], the next to the node after it; @default 0 */
  nodeOffset?: number;
  /** the selector's labels (also on the pods and the Deployment); @default { app: name } */
  selectorLabels?: Record<string, string>;
  /** @default the Deployment's name */
  containerName?: string;
  /** @default [{ containerPort: 8080, protocol: 'TCP' }] */
  ports?: Record<string, unknown>[];
  args?: string[];
  /** @default RollingUpdate with maxSurge 25% and maxUnavailable 25% */
  strategy?: Record<string, unknown>;
  progressDeadlineSeconds?: number;
  /** annotations on the Deployment */
  annotations?: Record<string, string>;
}

/** a stable uid (UUID-shaped) from the parts that name an object, so fixtures can refer to each other */
export const uidFor = (...parts: string[]): string => {
  const h = createHash('sha1').update(parts.join('/')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

export function deploymentWithPods(f: DeploymentFixture, cluster: string): KubeObject[] {
  const selector = f.selectorLabels ?? { app: f.name };
  const app = { ...selector, ...(f.labels ?? {}) };
  const hash = createHash('sha1')
    .update(`${f.name}:${f.image}`)
    .digest('hex')
    .slice(0, 10)
    .replace(/[aeiou01]/g, 'x');
  const deployUid = uidFor(cluster, f.namespace, 'deploy', f.name);
  const rsName = `${f.name}-${hash}`;
  const rsUid = uidFor(cluster, f.namespace, 'rs', rsName);
  const container = {
    name: f.containerName ?? f.name,
    image: f.image,
    ...(f.args ? { args: f.args } : {}),
    ports: f.ports ?? [{ containerPort: 8080, protocol: 'TCP' }],
    resources: { requests: { cpu: f.cpu ?? '100m', memory: f.memory ?? '128Mi' } },
  };
  const template = { metadata: { labels: app }, spec: { containers: [container] } };
  const readyStatus = { replicas: f.replicas, readyReplicas: f.replicas, availableReplicas: f.replicas };
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: f.name,
      namespace: f.namespace,
      uid: deployUid,
      labels: app,
      ...(f.annotations ? { annotations: f.annotations } : {}),
    },
    spec: {
      replicas: f.replicas,
      selector: { matchLabels: selector },
      template,
      strategy: f.strategy ?? {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
      },
      ...(f.progressDeadlineSeconds !== undefined
        ? { progressDeadlineSeconds: f.progressDeadlineSeconds }
        : {}),
    },
    status: {
      observedGeneration: 1,
      ...readyStatus,
      updatedReplicas: f.replicas,
      conditions: [
        {
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
        },
        {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: `ReplicaSet "${rsName}" has successfully progressed.`,
        },
      ],
    },
  };
  const owner = (kind: string, name: string, uid: string, apiVersion = 'apps/v1'): unknown[] => [
    { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true },
  ];
  const replicaSet: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: rsName,
      namespace: f.namespace,
      uid: rsUid,
      labels: { ...app, 'pod-template-hash': hash },
      ownerReferences: owner('Deployment', f.name, deployUid) as never,
    },
    spec: {
      replicas: f.replicas,
      selector: { matchLabels: { ...selector, 'pod-template-hash': hash } },
      template: { ...template, metadata: { labels: { ...app, 'pod-template-hash': hash } } },
    },
    status: { ...readyStatus, fullyLabeledReplicas: f.replicas, observedGeneration: 1 },
  };
  const used = new Set<string>();
  const pods: KubeObject[] = Array.from({ length: f.replicas }, (_, i) => {
    const name = podName(rsName, i, used);
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: f.namespace,
        labels: { ...app, 'pod-template-hash': hash },
        ownerReferences: owner('ReplicaSet', rsName, rsUid) as never,
      },
      spec: {
        ...template.spec,
        nodeName: f.nodes[(i + (f.nodeOffset ?? 0)) % f.nodes.length] ?? '',
        restartPolicy: 'Always',
        schedulerName: 'default-scheduler',
        serviceAccountName: 'default',
      },
      status: {
        phase: 'Running',
        podIP: `10.244.${i % 250}.${(i * 7) % 250}`,
        qosClass: 'Burstable',
        conditions: [
          { type: 'Initialized', status: 'True' },
          { type: 'Ready', status: 'True' },
          { type: 'ContainersReady', status: 'True' },
          { type: 'PodScheduled', status: 'True' },
        ],
        containerStatuses: [
          {
            name: container.name,
            image: f.image,
            ready: true,
            started: true,
            restartCount: 0,
            state: { running: {} },
          },
        ],
      },
    };
  });
  return [deployment, replicaSet, ...pods];
}

/** `<replicaset>-<5 chars>`, as the ReplicaSet controller names pods; never twice the same in one ReplicaSet */
function podName(rsName: string, i: number, used: Set<string>): string {
  for (let attempt = 0; ; attempt++) {
    const suffix = createHash('sha1')
      .update(attempt === 0 ? `${rsName}-${i}` : `${rsName}-${i}-${attempt}`)
      .digest('hex')
      .slice(0, 5)
      .replace(/[aeiou01]/g, 'z');
    const name = `${rsName}-${suffix}`;
    if (!used.has(name)) {
      used.add(name);
      return name;
    }
  }
}

export function namespace(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } },
    status: { phase: 'Active' },
  };
}
