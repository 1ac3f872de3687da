import type { ResourceType } from './types.ts';

/** The built-in kinds kube-sim serves (wire spec section 1.2, plus batch and autoscaling used by the domains). */

const RW = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;
const META = ['apiVersion', 'kind', 'metadata'];

interface BuiltinSpec {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  all?: boolean;
  status?: boolean;
  scale?: boolean;
  log?: boolean;
  generation?: boolean;
  fields: string[];
  verbs?: readonly string[];
}

function builtin(s: BuiltinSpec): ResourceType {
  const t: ResourceType = {
    group: s.group,
    version: s.version,
    resource: s.resource,
    singular: s.kind.toLowerCase(),
    kind: s.kind,
    listKind: `${s.kind}List`,
    namespaced: s.namespaced,
    verbs: s.verbs ?? RW,
    shortNames: s.shortNames ?? [],
    categories: s.all ? ['all'] : [],
    status: s.status ?? false,
    generation: s.generation ?? false,
    strategic: true,
    topLevelFields: [...META, ...s.fields],
  };
  if (s.scale) {
    t.scale = {
      specReplicasPath: '.spec.replicas',
      statusReplicasPath: '.status.replicas',
      labelSelectorPath: '.spec.selector',
    };
  }
  if (s.log) t.log = true;
  return t;
}

const SPEC_STATUS = ['spec', 'status'];

export const BUILTIN_TYPES: readonly ResourceType[] = [
  builtin({
    group: '',
    version: 'v1',
    resource: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    status: true,
    fields: SPEC_STATUS,
  }),
  builtin({
    group: '',
    version: 'v1',
    resource: 'nodes',
    kind: 'Node',
    namespaced: false,
    shortNames: ['no'],
    status: true,
    fields: SPEC_STATUS,
  }),
  builtin({
    group: '',
    version: 'v1',
    resource: 'pods',
    kind: 'Pod',
    namespaced: true,
    shortNames: ['po'],
    all: true,
    status: true,
    log: true,
    fields: SPEC_STATUS,
  }),
  builtin({
    group: '',
    version: 'v1',
    resource: 'services',
    kind: 'Service',
    namespaced: true,
    shortNames: ['svc'],
    all: true,
    status: true,
    fields: SPEC_STATUS,
  }),
  builtin({
    group: '',
    version: 'v1',
    resource: 'endpoints',
    kind: 'Endpoints',
    namespaced: true,
    shortNames: ['ep'],
    fields: ['subsets'],
  }),
  builtin({
    group: '',
    version: 'v1',
    resource: 'configmaps',
    kind: 'ConfigMap',
    namespaced: true,
    shortNames: ['cm'],
    fields: ['data', 'binaryData', 'immutable'],
  }),
  builtin({
    group: '',
    version: 'v1',
    resource: 'secrets',
    kind: 'Secret',
    namespaced: true,
    fields: ['data', 'stringData', 'type', 'immutable'],
  }),
  builtin({
    group: '',
    version: 'v1',
    resource: 'serviceaccounts',
    kind: 'ServiceAccount',
    namespaced: true,
    shortNames: ['sa'],
    fields: ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'],
  }),
  builtin({
    group: '',
    version: 'v1',
    resource: 'events',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
    fields: [
      'involvedObject',
      'reason',
      'message',
      'source',
      'firstTimestamp',
      'lastTimestamp',
      'count',
      'type',
      'eventTime',
      'series',
      'action',
      'related',
      'reportingComponent',
      'reportingInstance',
    ],
  }),
  builtin({
    group: '',
    version: 'v1',
    resource: 'persistentvolumeclaims',
    kind: 'PersistentVolumeClaim',
    namespaced: true,
    shortNames: ['pvc'],
    status: true,
    generation: false,
    fields: SPEC_STATUS,
  }),
  builtin({
    group: '',
    version: 'v1',
    resource: 'persistentvolumes',
    kind: 'PersistentVolume',
    namespaced: false,
    shortNames: ['pv'],
    status: true,
    fields: SPEC_STATUS,
  }),
  builtin({
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    kind: 'Deployment',
    namespaced: true,
    shortNames: ['deploy'],
    all: true,
    status: true,
    scale: true,
    generation: true,
    fields: SPEC_STATUS,
  }),
  builtin({
    group: 'apps',
    version: 'v1',
    resource: 'statefulsets',
    kind: 'StatefulSet',
    namespaced: true,
    shortNames: ['sts'],
    all: true,
    status: true,
    scale: true,
    generation: true,
    fields: SPEC_STATUS,
  }),
  builtin({
    group: 'apps',
    version: 'v1',
    resource: 'daemonsets',
    kind: 'DaemonSet',
    namespaced: true,
    shortNames: ['ds'],
    all: true,
    status: true,
    generation: true,
    fields: SPEC_STATUS,
  }),
  builtin({
    group: 'apps',
    version: 'v1',
    resource: 'replicasets',
    kind: 'ReplicaSet',
    namespaced: true,
    shortNames: ['rs'],
    all: true,
    status: true,
    scale: true,
    generation: true,
    fields: SPEC_STATUS,
  }),
  builtin({
    group: 'batch',
    version: 'v1',
    resource: 'jobs',
    kind: 'Job',
    namespaced: true,
    all: true,
    status: true,
    generation: true,
    fields: SPEC_STATUS,
  }),
  builtin({
    group: 'batch',
    version: 'v1',
    resource: 'cronjobs',
    kind: 'CronJob',
    namespaced: true,
    shortNames: ['cj'],
    all: true,
    status: true,
    generation: true,
    fields: SPEC_STATUS,
  }),
  builtin({
    group: 'autoscaling',
    version: 'v2',
    resource: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
    namespaced: true,
    shortNames: ['hpa'],
    all: true,
    status: true,
    generation: true,
    fields: SPEC_STATUS,
  }),
  builtin({
    group: 'coordination.k8s.io',
    version: 'v1',
    resource: 'leases',
    kind: 'Lease',
    namespaced: true,
    fields: ['spec'],
  }),
  builtin({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'roles',
    kind: 'Role',
    namespaced: true,
    fields: ['rules'],
  }),
  builtin({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'rolebindings',
    kind: 'RoleBinding',
    namespaced: true,
    fields: ['subjects', 'roleRef'],
  }),
  builtin({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'clusterroles',
    kind: 'ClusterRole',
    namespaced: false,
    fields: ['rules', 'aggregationRule'],
  }),
  builtin({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'clusterrolebindings',
    kind: 'ClusterRoleBinding',
    namespaced: false,
    fields: ['subjects', 'roleRef'],
  }),
  // authorization.k8s.io access reviews: create only, answered by authz/reviews.ts and never stored
  ...(
    [
      ['selfsubjectaccessreviews', 'SelfSubjectAccessReview', false],
      ['subjectaccessreviews', 'SubjectAccessReview', false],
      ['localsubjectaccessreviews', 'LocalSubjectAccessReview', true],
      ['selfsubjectrulesreviews', 'SelfSubjectRulesReview', false],
    ] as const
  ).map(([resource, kind, namespaced]) =>
    builtin({
      group: 'authorization.k8s.io',
      version: 'v1',
      resource,
      kind,
      namespaced,
      fields: SPEC_STATUS,
      verbs: ['create'],
    }),
  ),
  // metrics-server's aggregated API, filled by the simulated metrics controller: read-only, as metrics-server serves it
  builtin({
    group: 'metrics.k8s.io',
    version: 'v1beta1',
    resource: 'nodes',
    kind: 'NodeMetrics',
    namespaced: false,
    fields: ['timestamp', 'window', 'usage'],
    verbs: ['get', 'list'],
  }),
  builtin({
    group: 'metrics.k8s.io',
    version: 'v1beta1',
    resource: 'pods',
    kind: 'PodMetrics',
    namespaced: true,
    fields: ['timestamp', 'window', 'containers'],
    verbs: ['get', 'list'],
  }),
  builtin({
    group: 'apiextensions.k8s.io',
    version: 'v1',
    resource: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    status: true,
    generation: true,
    fields: SPEC_STATUS,
  }),
];
