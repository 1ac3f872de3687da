import type { KubeObject } from '../types.ts';

/**
 * The CustomResourceDefinitions of KubeSphere's multi-cluster, tenant and IAM objects, as ks-core installs
 * them (config/ks-core/charts/ks-crds/crds and staging/src/kubesphere.io/api in kubesphere/kubesphere; see
 * ../shared/reference/kubesphere-domain.md §3 and §4.1). Only the storage version of each is served: the
 * deprecated v1alpha2 versions are left out, since kube-sim serves every version from one storage without
 * conversion. None of these kinds has a status subresource in KubeSphere, so none has one here.
 *
 * This module is the pattern for later domains: `<domain>Crds.ts` holds the CRDs, `<domain>.ts` the objects.
 */

type Schema = Record<string, unknown>;

const str: Schema = { type: 'string' };
const bool: Schema = { type: 'boolean' };
const int: Schema = { type: 'integer' };
const strings: Schema = { type: 'array', items: str, 'x-kubernetes-list-type': 'atomic' };
const stringMap: Schema = { type: 'object', additionalProperties: str };
const time: Schema = { type: 'string', format: 'date-time' };

const obj = (properties: Record<string, Schema>, extra: Schema = {}): Schema => ({
  type: 'object',
  properties,
  ...extra,
});

const labelSelector: Schema = obj(
  {
    matchExpressions: {
      type: 'array',
      'x-kubernetes-list-type': 'atomic',
      items: obj({ key: str, operator: str, values: strings }, { required: ['key', 'operator'] }),
    },
    matchLabels: stringMap,
  },
  { 'x-kubernetes-map-type': 'atomic' },
);

/** rbacv1.PolicyRule */
const policyRule: Schema = obj(
  {
    apiGroups: strings,
    nonResourceURLs: strings,
    resourceNames: strings,
    resources: strings,
    verbs: strings,
  },
  { required: ['verbs'] },
);

/** rbacv1.Subject */
const subject: Schema = obj(
  { apiGroup: str, kind: str, name: str, namespace: str },
  { required: ['kind', 'name'], 'x-kubernetes-map-type': 'atomic' },
);

/** rbacv1.RoleRef */
const roleRef: Schema = obj(
  { apiGroup: str, kind: str, name: str },
  { required: ['apiGroup', 'kind', 'name'], 'x-kubernetes-map-type': 'atomic' },
);

const aggregationRoleTemplates: Schema = obj({
  roleSelector: labelSelector,
  templateNames: { type: 'array', items: str, 'x-kubernetes-list-type': 'set' },
});

/** the top level every object schema has; metadata is validated by the server itself */
const root = (description: string, properties: Record<string, Schema>, required: string[] = []): Schema => ({
  description,
  type: 'object',
  properties: { apiVersion: str, kind: str, metadata: { type: 'object' }, ...properties },
  ...(required.length ? { required } : {}),
});

interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
}

interface CrdOptions {
  group: string;
  version: string;
  kind: string;
  plural: string;
  scope?: 'Cluster' | 'Namespaced';
  categories?: string[];
  shortNames?: string[];
  schema: Schema;
  printerColumns?: PrinterColumn[];
  /** @default false: none of KubeSphere's tenant, IAM or cluster kinds has a status subresource */
  statusSubresource?: boolean;
}

/** A CustomResourceDefinition with one served storage version. */
export function crd(o: CrdOptions): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${o.plural}.${o.group}`,
      annotations: { 'controller-gen.kubebuilder.io/version': 'v0.16.4' },
    },
    spec: {
      group: o.group,
      names: {
        kind: o.kind,
        listKind: `${o.kind}List`,
        plural: o.plural,
        singular: o.kind.toLowerCase(),
        ...(o.categories ? { categories: o.categories } : {}),
        ...(o.shortNames ? { shortNames: o.shortNames } : {}),
      },
      scope: o.scope ?? 'Cluster',
      versions: [
        {
          name: o.version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: o.schema },
          ...(o.printerColumns ? { additionalPrinterColumns: o.printerColumns } : {}),
          subresources: o.statusSubresource ? { status: {} } : {},
        },
      ],
    },
  };
}

const workspaceColumn: PrinterColumn = {
  name: 'Workspace',
  type: 'string',
  jsonPath: '.metadata.labels.kubesphere\\.io/workspace',
};

/** cluster.kubesphere.io/v1alpha1 Cluster (domain doc §4.1) */
export const clusterCrd = crd({
  group: 'cluster.kubesphere.io',
  version: 'v1alpha1',
  kind: 'Cluster',
  plural: 'clusters',
  printerColumns: [
    { name: 'Provider', type: 'string', jsonPath: '.spec.provider' },
    { name: 'Version', type: 'string', jsonPath: '.status.kubernetesVersion' },
  ],
  schema: root('Cluster is the schema for the clusters API', {
    spec: obj({
      provider: str,
      connection: obj({
        type: { type: 'string', enum: ['direct', 'proxy'] },
        kubeconfig: { type: 'string', format: 'byte' },
        kubesphereAPIEndpoint: str,
        kubernetesAPIEndpoint: str,
        externalKubernetesAPIEndpoint: str,
        token: str,
        kubernetesAPIServerPort: int,
        kubesphereAPIServerPort: int,
      }),
      config: { type: 'string', format: 'byte' },
      externalKubeAPIEnabled: bool,
      joinFederation: bool,
      enable: bool,
    }),
    status: obj({
      conditions: {
        type: 'array',
        items: obj(
          {
            type: str,
            status: str,
            lastUpdateTime: time,
            lastTransitionTime: time,
            reason: str,
            message: str,
          },
          { required: ['status', 'type'] },
        ),
      },
      kubernetesVersion: str,
      kubeSphereVersion: str,
      nodeCount: int,
      zones: { type: 'array', items: str },
      region: str,
      uid: str,
      configz: { type: 'object', additionalProperties: bool },
    }),
  }),
});

const workspaceSpec: Schema = obj(
  { manager: str },
  { description: 'WorkspaceSpec defines the desired state of Workspace' },
);

/** tenant.kubesphere.io/v1beta1 WorkspaceTemplate: the multi-cluster source of truth (domain doc §3) */
export const workspaceTemplateCrd = crd({
  group: 'tenant.kubesphere.io',
  version: 'v1beta1',
  kind: 'WorkspaceTemplate',
  plural: 'workspacetemplates',
  categories: ['tenant'],
  schema: root('WorkspaceTemplate is the Schema for the workspacetemplates API', {
    spec: obj(
      {
        template: obj({
          metadata: obj({ labels: stringMap, annotations: stringMap }),
          spec: workspaceSpec,
        }),
        placement: obj({
          clusters: {
            type: 'array',
            items: obj({ name: str }, { required: ['name'] }),
            'x-kubernetes-list-map-keys': ['name'],
            'x-kubernetes-list-type': 'map',
          },
          clusterSelector: labelSelector,
        }),
      },
      { required: ['placement', 'template'] },
    ),
  }),
});

/** tenant.kubesphere.io/v1beta1 Workspace: the per-cluster copy; its status is empty */
export const workspaceCrd = crd({
  group: 'tenant.kubesphere.io',
  version: 'v1beta1',
  kind: 'Workspace',
  plural: 'workspaces',
  categories: ['tenant'],
  schema: root('Workspace is the Schema for the workspaces API', {
    spec: workspaceSpec,
    status: { type: 'object' },
  }),
});

/** iam.kubesphere.io/v1beta1 User */
export const userCrd = crd({
  group: 'iam.kubesphere.io',
  version: 'v1beta1',
  kind: 'User',
  plural: 'users',
  categories: ['iam'],
  printerColumns: [
    { name: 'Email', type: 'string', jsonPath: '.spec.email' },
    { name: 'Status', type: 'string', jsonPath: '.status.state' },
  ],
  schema: root(
    'User is the Schema for the users API',
    {
      spec: obj(
        {
          email: str,
          lang: str,
          description: str,
          displayName: str,
          groups: { type: 'array', items: str },
          password: { type: 'string', minLength: 8, maxLength: 64 },
        },
        { required: ['email'] },
      ),
      status: obj({
        state: { type: 'string', enum: ['Active', 'Disabled', 'AuthLimitExceeded'] },
        reason: str,
        lastTransitionTime: time,
        lastLoginTime: time,
      }),
    },
    ['spec'],
  ),
});

/** iam.kubesphere.io/v1beta1 GlobalRole: platform roles (platform-admin, platform-regular, …) */
export const globalRoleCrd = crd({
  group: 'iam.kubesphere.io',
  version: 'v1beta1',
  kind: 'GlobalRole',
  plural: 'globalroles',
  categories: ['iam'],
  schema: root(
    'GlobalRole is the Schema for the globalroles API',
    { aggregationRoleTemplates, rules: { type: 'array', items: policyRule } },
    ['rules'],
  ),
});

/** iam.kubesphere.io/v1beta1 GlobalRoleBinding: roleRef can only reference a GlobalRole */
export const globalRoleBindingCrd = crd({
  group: 'iam.kubesphere.io',
  version: 'v1beta1',
  kind: 'GlobalRoleBinding',
  plural: 'globalrolebindings',
  categories: ['iam'],
  schema: root(
    'GlobalRoleBinding is the Schema for the globalrolebindings API',
    { subjects: { type: 'array', items: subject }, roleRef },
    ['roleRef'],
  ),
});

/** iam.kubesphere.io/v1beta1 WorkspaceRole: `<ws>-admin`, `-regular`, `-self-provisioner`, `-viewer` */
export const workspaceRoleCrd = crd({
  group: 'iam.kubesphere.io',
  version: 'v1beta1',
  kind: 'WorkspaceRole',
  plural: 'workspaceroles',
  categories: ['iam'],
  printerColumns: [
    workspaceColumn,
    { name: 'Alias', type: 'string', jsonPath: '.metadata.annotations.kubesphere\\.io/alias-name' },
  ],
  schema: root('WorkspaceRole is the Schema for the workspaceroles API', {
    aggregationRoleTemplates,
    rules: { type: 'array', items: policyRule },
  }),
});

/** iam.kubesphere.io/v1beta1 WorkspaceRoleBinding: roleRef can only reference a WorkspaceRole */
export const workspaceRoleBindingCrd = crd({
  group: 'iam.kubesphere.io',
  version: 'v1beta1',
  kind: 'WorkspaceRoleBinding',
  plural: 'workspacerolebindings',
  categories: ['iam'],
  printerColumns: [workspaceColumn],
  schema: root(
    'WorkspaceRoleBinding is the Schema for the workspacerolebindings API',
    { subjects: { type: 'array', items: subject }, roleRef },
    ['roleRef'],
  ),
});

const anyObject: Schema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

/**
 * gateway.kubesphere.io/v2alpha2 Gateway: an ingress-nginx controller installed by the gateway extension as a Helm
 * release (domain doc §4.3, kubesphere/kubesphere skills/kubesphere-gateway). All gateways live in
 * `kubesphere-controls-system`; the label `kubesphere.io/gateway-type` is cluster, workspace or project. Unlike the
 * ks-core kinds above it has a status subresource, as the extension's controller-gen CRD does.
 */
export const gatewayCrd = crd({
  group: 'gateway.kubesphere.io',
  version: 'v2alpha2',
  kind: 'Gateway',
  plural: 'gateways',
  scope: 'Namespaced',
  statusSubresource: true,
  printerColumns: [
    { name: 'Type', type: 'string', jsonPath: '.metadata.labels.kubesphere\\.io/gateway-type' },
    { name: 'App Version', type: 'string', jsonPath: '.spec.appVersion' },
    { name: 'State', type: 'string', jsonPath: '.status.state' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
  schema: root('Gateway is the Schema for the gateways API', {
    spec: obj({
      appVersion: { type: 'string', description: 'the ingress-nginx chart version' },
      values: { ...anyObject, description: 'Helm values of the ingress-nginx release' },
    }),
    status: obj({
      state: { type: 'string', enum: ['Creating', 'Updating', 'Running', 'Faulted', 'Stopped'] },
      conditions: {
        type: 'array',
        items: obj(
          {
            type: str,
            status: str,
            observedGeneration: int,
            lastTransitionTime: time,
            reason: str,
            message: str,
          },
          { required: ['status', 'type'] },
        ),
      },
      loadBalancer: anyObject,
      service: obj({
        type: str,
        ports: { type: 'array', items: anyObject },
        externalIPs: strings,
      }),
      helmRelease: obj({ name: str, namespace: str, revision: int }),
    }),
  }),
});

/** every KubeSphere CRD kube-sim knows, as ks-core installs them on the host and on every member */
export function kubesphereCrds(): KubeObject[] {
  return [
    clusterCrd,
    workspaceTemplateCrd,
    workspaceCrd,
    userCrd,
    globalRoleCrd,
    globalRoleBindingCrd,
    workspaceRoleCrd,
    workspaceRoleBindingCrd,
    gatewayCrd,
  ].map((c) => structuredClone(c));
}
