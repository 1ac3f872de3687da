import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

import type { FieldError, KubeObject, PrinterColumn, ResourceType, ScaleSpec } from './types.ts';

/** CustomResourceDefinition handling: validation of the CRD itself, the types it serves, schema validation and pruning. */

type Schema = Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: Schema;
  subresources?: { status?: unknown; scale?: ScaleSpec };
  printerColumns?: PrinterColumn[];
}

interface CrdNames {
  plural: string;
  singular?: string;
  kind: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
}

function readSpec(
  crd: KubeObject,
): { group: string; names: CrdNames; scope: string; versions: CrdVersion[] } | FieldError[] {
  const errors: FieldError[] = [];
  const spec = isObject(crd['spec']) ? crd['spec'] : {};
  const group = typeof spec['group'] === 'string' ? spec['group'] : '';
  const names = isObject(spec['names']) ? spec['names'] : {};
  const scope = typeof spec['scope'] === 'string' ? spec['scope'] : '';
  const req = (field: string): void => {
    errors.push({ field, reason: 'FieldValueRequired', message: 'Required value' });
  };
  if (!group) req('spec.group');
  else if (!group.includes('.')) {
    errors.push({
      field: 'spec.group',
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${group}": should be a domain with at least one dot`,
    });
  }
  const plural = names['plural'];
  const kind = names['kind'];
  if (typeof plural !== 'string' || !plural) req('spec.names.plural');
  else if (!DNS_LABEL.test(plural)) {
    errors.push({
      field: 'spec.names.plural',
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${plural}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`,
    });
  }
  if (typeof kind !== 'string' || !kind) req('spec.names.kind');
  if (scope !== 'Namespaced' && scope !== 'Cluster') {
    errors.push({
      field: 'spec.scope',
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: "${scope}": supported values: "Cluster", "Namespaced"`,
    });
  }
  const rawVersions = Array.isArray(spec['versions']) ? spec['versions'] : [];
  if (rawVersions.length === 0) req('spec.versions');
  const versions: CrdVersion[] = [];
  rawVersions.forEach((v: unknown, i: number) => {
    if (!isObject(v) || typeof v['name'] !== 'string') {
      req(`spec.versions[${i}].name`);
      return;
    }
    const schema =
      isObject(v['schema']) && isObject(v['schema']['openAPIV3Schema'])
        ? v['schema']['openAPIV3Schema']
        : undefined;
    const version: CrdVersion = {
      name: v['name'],
      served: v['served'] === true,
      storage: v['storage'] === true,
    };
    if (schema) version.schema = schema;
    if (isObject(v['subresources']))
      version.subresources = v['subresources'] as NonNullable<CrdVersion['subresources']>;
    if (Array.isArray(v['additionalPrinterColumns']))
      version.printerColumns = v['additionalPrinterColumns'].filter(isObject).map(printerColumn);
    versions.push(version);
  });
  if (rawVersions.length > 0 && versions.filter((v) => v.storage).length !== 1) {
    errors.push({
      field: 'spec.versions',
      reason: 'FieldValueInvalid',
      message: 'Invalid value: must have exactly one version marked as storage version',
    });
  }
  const expected = `${String(plural)}.${group}`;
  if (typeof plural === 'string' && group && crd.metadata.name !== expected) {
    errors.push({
      field: 'metadata.name',
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${crd.metadata.name ?? ''}": must be spec.names.plural+"."+spec.group`,
    });
  }
  if (errors.length) return errors;
  const n: CrdNames = { plural: String(plural), kind: String(kind) };
  if (typeof names['singular'] === 'string') n.singular = names['singular'];
  if (typeof names['listKind'] === 'string') n.listKind = names['listKind'];
  if (Array.isArray(names['shortNames'])) n.shortNames = names['shortNames'].map(String);
  if (Array.isArray(names['categories'])) n.categories = names['categories'].map(String);
  return { group, names: n, scope, versions };
}

function printerColumn(c: Record<string, unknown>): PrinterColumn {
  const col: PrinterColumn = {
    name: String(c['name'] ?? ''),
    type: String(c['type'] ?? 'string'),
    jsonPath: String(c['jsonPath'] ?? ''),
  };
  if (typeof c['format'] === 'string') col.format = c['format'];
  if (typeof c['description'] === 'string') col.description = c['description'];
  if (typeof c['priority'] === 'number') col.priority = c['priority'];
  return col;
}

/** Field errors of a CRD object (422 Invalid on create or update), empty when it is valid. */
export function validateCrd(crd: KubeObject): FieldError[] {
  const r = readSpec(crd);
  return Array.isArray(r) ? r : [];
}

/** The types a valid CRD serves, one per served version. */
export function typesForCrd(crd: KubeObject): ResourceType[] {
  const r = readSpec(crd);
  if (Array.isArray(r)) return [];
  return r.versions
    .filter((v) => v.served)
    .map((v) => {
      const validate = v.schema ? compileSchema(v.schema) : undefined;
      const t: ResourceType = {
        group: r.group,
        version: v.name,
        resource: r.names.plural,
        singular: r.names.singular ?? r.names.kind.toLowerCase(),
        kind: r.names.kind,
        listKind: r.names.listKind ?? `${r.names.kind}List`,
        namespaced: r.scope === 'Namespaced',
        verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
        shortNames: r.names.shortNames ?? [],
        categories: r.names.categories ?? [],
        status: v.subresources?.status !== undefined,
        generation: true,
        strategic: false,
        crd: {
          crdName: crd.metadata.name ?? '',
          validate: (obj) => (validate ? schemaErrors(validate, obj) : []),
          prune: (obj) => (v.schema ? prune(obj, v.schema) : []),
        },
      };
      if (isObject(v.subresources?.scale)) t.scale = v.subresources.scale;
      if (v.printerColumns) t.printerColumns = v.printerColumns;
      return t;
    });
}

/** The status a real apiserver gives an accepted CRD (NamesAccepted and Established, synchronously here). */
export function crdStatus(crd: KubeObject, now: string): Record<string, unknown> {
  const r = readSpec(crd);
  if (Array.isArray(r)) return {};
  const accepted: Record<string, unknown> = {
    plural: r.names.plural,
    singular: r.names.singular ?? r.names.kind.toLowerCase(),
    kind: r.names.kind,
    listKind: r.names.listKind ?? `${r.names.kind}List`,
  };
  if (r.names.shortNames) accepted['shortNames'] = r.names.shortNames;
  if (r.names.categories) accepted['categories'] = r.names.categories;
  const previous =
    isObject(crd['status']) && Array.isArray(crd['status']['storedVersions'])
      ? crd['status']['storedVersions'].map(String)
      : [];
  const storage = r.versions.find((v) => v.storage)?.name;
  const stored = storage && !previous.includes(storage) ? [...previous, storage] : previous;
  const cond = (type: string, reason: string, message: string): Record<string, string> => ({
    type,
    status: 'True',
    lastTransitionTime: now,
    reason,
    message,
  });
  return {
    conditions: [
      cond('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      cond('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    acceptedNames: accepted,
    storedVersions: stored,
  };
}

function compileSchema(schema: Schema): ValidateFunction | undefined {
  // metadata is validated by the server itself; a schema for it would only describe name/generateName.
  const properties = isObject(schema['properties']) ? { ...schema['properties'] } : undefined;
  if (properties) delete properties['metadata'];
  try {
    return ajv.compile(properties ? { ...schema, properties } : schema);
  } catch {
    return undefined;
  }
}

function toField(path: string): string {
  return path
    .replace(/^\//, '')
    .split('/')
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : p))
    .join('.')
    .replace(/\.\[/g, '[');
}

function schemaErrors(validate: ValidateFunction, obj: KubeObject): FieldError[] {
  if (validate(obj)) return [];
  return (validate.errors ?? []).map((e: ErrorObject): FieldError => {
    const at = toField(e.instancePath);
    if (e.keyword === 'required') {
      const missing = String(e.params['missingProperty']);
      return {
        field: at ? `${at}.${missing}` : missing,
        reason: 'FieldValueRequired',
        message: 'Required value',
      };
    }
    if (e.keyword === 'type') {
      // kube-openapi reports the JSON type of the value, not the value: `Invalid value: "string": … "string"`
      const got = JSON.stringify(jsonType(valueAt(obj, e.instancePath)));
      return {
        field: at,
        reason: 'FieldValueTypeInvalid',
        message: `Invalid value: ${got}: ${at} in body must be of type ${String(e.params['type'])}: ${got}`,
      };
    }
    if (e.keyword === 'enum') {
      const allowed = (e.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return {
        field: at,
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${JSON.stringify(valueAt(obj, e.instancePath))}: supported values: ${allowed}`,
      };
    }
    return {
      field: at,
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(valueAt(obj, e.instancePath))}: ${at} in body ${e.message ?? 'is invalid'}`,
    };
  });
}

/** the OpenAPI type name of a JSON value, as kube-openapi's type validator names it */
function jsonType(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function valueAt(obj: unknown, pointer: string): unknown {
  let cur: unknown = obj;
  for (const part of pointer.split('/').slice(1)) {
    if (Array.isArray(cur)) cur = cur[Number(part)];
    else if (isObject(cur)) cur = cur[part];
    else return undefined;
  }
  return cur;
}

/** Drop fields the schema does not know (structural pruning); returns the dotted paths that were dropped. */
export function prune(obj: KubeObject, schema: Schema): string[] {
  const dropped: string[] = [];
  const root = isObject(schema['properties']) ? schema['properties'] : {};
  if (schema['x-kubernetes-preserve-unknown-fields'] === true) return dropped;
  for (const key of Object.keys(obj)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata') continue;
    const sub = root[key];
    if (!isObject(sub)) {
      delete obj[key];
      dropped.push(key);
    } else {
      walk(obj[key], sub, key, dropped);
    }
  }
  return dropped;
}

function walk(value: unknown, schema: Schema, path: string, dropped: string[]): void {
  if (Array.isArray(value)) {
    const items = schema['items'];
    if (isObject(items)) value.forEach((v, i) => walk(v, items, `${path}[${i}]`, dropped));
    return;
  }
  if (!isObject(value)) return;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const props = isObject(schema['properties']) ? schema['properties'] : undefined;
  const additional = schema['additionalProperties'];
  for (const key of Object.keys(value)) {
    const sub = props?.[key];
    if (isObject(sub)) walk(value[key], sub, `${path}.${key}`, dropped);
    else if (isObject(additional)) walk(value[key], additional, `${path}.${key}`, dropped);
    else if (!preserve && additional !== true) {
      delete value[key];
      dropped.push(`${path}.${key}`);
    }
  }
}
