import type { KubeObject } from '../kube-sim/src/index.ts';

/**
 * Realistic pod objects for the benchmarks: what a Deployment's pods look like once scheduled and running
 * (owner reference to a ReplicaSet, the usual labels and annotations, an app container and a sidecar with
 * resources, probes, env and mounts, and a full status), about 3 KB of JSON each. Deterministic: the same
 * (namespace, index) always gives the same pod.
 */

/** pods per Deployment (and so per ReplicaSet) */
const REPLICAS = 10;
const T0 = '2026-11-20T08:00:00Z';

const hex = (n: number, width: number): string => (n >>> 0).toString(16).padStart(width, '0').slice(-width);

/** a stable uuid-shaped id from a string */
function fakeUid(seed: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < seed.length; i++) {
    h1 = Math.imul(h1 ^ seed.charCodeAt(i), 16777619);
    h2 = Math.imul(h2 + seed.charCodeAt(i), 2246822519);
  }
  return `${hex(h1, 8)}-${hex(h2, 4)}-4${hex(h1 >>> 4, 3)}-a${hex(h2 >>> 8, 3)}-${hex(h1 ^ h2, 8)}${hex(h2, 4)}`;
}

export function makeNamespace(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
    status: { phase: 'Active' },
  };
}

/**
 * The index-th pod of a namespace. `revision` goes into an annotation: applying the pod again with another
 * revision is a real change (one MODIFIED event).
 */
export function makePod(namespace: string, index: number, revision = 0): KubeObject {
  const app = `svc-${Math.floor(index / REPLICAS)}`;
  const hash = hex(Math.imul(Math.floor(index / REPLICAS) + 1, 2654435761), 10).replace(/^0/, '7');
  const rs = `${app}-${hash}`;
  const name = `${rs}-${index.toString(36).padStart(5, '0')}`;
  const node = `worker-${index % 50}`;
  const hostIP = `192.168.0.${(index % 50) + 10}`;
  const podIP = `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;
  const started = '2026-11-20T08:00:05Z';
  const image = `registry.example.com/shop/${app}:1.${index % 7}.3`;
  const imageID = `registry.example.com/shop/${app}@sha256:${fakeUid(app).replace(/-/g, '')}${hex(index, 8)}`;
  const container = (cname: string, img: string, id: string): Record<string, unknown> => ({
    name: cname,
    state: { running: { startedAt: started } },
    lastState: {},
    ready: true,
    restartCount: 0,
    image: img,
    imageID: id,
    containerID: `containerd://${fakeUid(`${name}/${cname}`).replace(/-/g, '')}${hex(index, 8)}`,
    started: true,
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      uid: fakeUid(`${namespace}/${name}`),
      labels: {
        app,
        'app.kubernetes.io/name': app,
        'app.kubernetes.io/part-of': 'shop',
        'app.kubernetes.io/version': `1.${index % 7}.3`,
        tier: index % 3 === 0 ? 'frontend' : 'backend',
        'pod-template-hash': hash,
      },
      annotations: {
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '9090',
        'kubectl.kubernetes.io/restartedAt': '2026-11-19T17:42:10Z',
        'bench.fleetgraph.io/revision': String(revision),
      },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: rs,
          uid: fakeUid(`${namespace}/${rs}`),
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      containers: [
        {
          name: 'app',
          image,
          imagePullPolicy: 'IfNotPresent',
          args: ['--port=8080', '--metrics-port=9090', `--service=${app}`],
          ports: [
            { name: 'http', containerPort: 8080, protocol: 'TCP' },
            { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
          ],
          env: [
            { name: 'SERVICE_NAME', value: app },
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
          ],
          resources: {
            requests: { cpu: '250m', memory: '256Mi' },
            limits: { cpu: '1', memory: '512Mi' },
          },
          readinessProbe: {
            httpGet: { path: '/readyz', port: 8080, scheme: 'HTTP' },
            periodSeconds: 10,
            timeoutSeconds: 1,
            successThreshold: 1,
            failureThreshold: 3,
          },
          livenessProbe: {
            httpGet: { path: '/livez', port: 8080, scheme: 'HTTP' },
            initialDelaySeconds: 15,
            periodSeconds: 20,
            timeoutSeconds: 1,
            successThreshold: 1,
            failureThreshold: 3,
          },
          volumeMounts: [
            {
              name: 'kube-api-access',
              readOnly: true,
              mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
            },
          ],
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
        {
          name: 'log-shipper',
          image: 'registry.example.com/infra/fluent-bit:3.1.4',
          imagePullPolicy: 'IfNotPresent',
          resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
          volumeMounts: [{ name: 'varlog', mountPath: '/var/log' }],
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      volumes: [
        { name: 'varlog', emptyDir: {} },
        {
          name: 'kube-api-access',
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            ],
          },
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      serviceAccount: 'default',
      nodeName: node,
      securityContext: {},
      schedulerName: 'default-scheduler',
      tolerations: [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
    status: {
      phase: 'Running',
      conditions: [
        'PodReadyToStartContainers',
        'Initialized',
        'Ready',
        'ContainersReady',
        'PodScheduled',
      ].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: T0 })),
      hostIP,
      hostIPs: [{ ip: hostIP }],
      podIP,
      podIPs: [{ ip: podIP }],
      startTime: T0,
      containerStatuses: [
        container('app', image, imageID),
        container(
          'log-shipper',
          'registry.example.com/infra/fluent-bit:3.1.4',
          'registry.example.com/infra/fluent-bit@sha256:4e1f0c2b9d8a7e6f5c4b3a2918f7e6d5c4b3a29',
        ),
      ],
      qosClass: 'Burstable',
    },
  };
}
