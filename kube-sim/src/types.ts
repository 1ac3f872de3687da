/** The shapes kube-sim stores and serves. Objects are unstructured JSON, as on the wire. */

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** A stored object: always has a name, uid and resourceVersion. Never mutated once stored. */
export interface StoredObject extends KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta & { name: string; uid: string; resourceVersion: string; creationTimestamp: string };
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ScaleSpec {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

/** One served resource (a group, version and plural name), built in or from a CustomResourceDefinition. */
export interface ResourceType {
  group: string;
  version: string;
  /** plural, lower case: "pods" */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  verbs: readonly string[];
  shortNames: readonly string[];
  categories: readonly string[];
  /** the type has a status subresource: main-resource writes ignore .status */
  status: boolean;
  scale?: ScaleSpec;
  /** pods/log */
  log?: boolean;
  /** metadata.generation is kept (types with a spec) */
  generation: boolean;
  /** the kind accepts strategic merge patch (built-in kinds only) */
  strategic: boolean;
  /** top-level fields the kind knows; undefined = anything goes (validated by a CRD schema instead) */
  topLevelFields?: readonly string[];
  /** set for custom resources */
  crd?: CustomResourceInfo;
  /** a CRD version's additionalPrinterColumns (Table output); built-in kinds have their own printers */
  printerColumns?: readonly PrinterColumn[];
}

/** One additionalPrinterColumns entry of a CRD version. */
export interface PrinterColumn {
  name: string;
  /** integer, number, string, boolean or date */
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

export interface CustomResourceInfo {
  crdName: string;
  /** validate and prune an object of this version; returns field errors */
  validate(obj: KubeObject): FieldError[];
  prune(obj: KubeObject): string[];
}

export interface FieldError {
  field: string;
  reason:
    | 'FieldValueRequired'
    | 'FieldValueInvalid'
    | 'FieldValueNotSupported'
    | 'FieldValueForbidden'
    | 'FieldValueTypeInvalid';
  message: string;
}

/** Group + resource, the storage key of a type (all served versions share storage). */
export function groupResource(t: { group: string; resource: string }): string {
  return t.group === '' ? t.resource : `${t.resource}.${t.group}`;
}

export function apiVersionOf(t: { group: string; version: string }): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}
