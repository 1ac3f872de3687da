import { randomUUID } from 'node:crypto';

import type { FieldError, KubeObject, ResourceType, StoredObject } from './types.ts';

/** Object metadata rules shared by every write path. */

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** kinds whose names must be DNS-1123 labels rather than subdomains */
const LABEL_NAMED = new Set(['namespaces', 'services']);
/** RBAC names are path segments: anything but '/', '%', '.' and '..' */
const PATH_SEGMENT_NAMED = new Set(['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings']);
const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const clone = <T>(v: T): T => structuredClone(v);

export function nowTimestamp(now: number): string {
  return new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function generateSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  return s;
}

/** Name validation the way kube-apiserver words it; returns the error message or undefined. */
export function validateName(type: ResourceType, name: string): string | undefined {
  if (PATH_SEGMENT_NAMED.has(type.resource) && type.group === 'rbac.authorization.k8s.io') {
    if (name === '.' || name === '..') return `may not be '${name}'`;
    if (/[/%]/.test(name)) return `may not contain '/' or '%'`;
    return undefined;
  }
  if (LABEL_NAMED.has(type.resource) && type.group === '') {
    if (name.length > 63) return 'must be no more than 63 characters';
    if (!DNS1123_LABEL.test(name)) {
      return `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`;
    }
    return undefined;
  }
  if (name.length > 253) return 'must be no more than 253 characters';
  if (!DNS1123_SUBDOMAIN.test(name)) {
    return `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`;
  }
  return undefined;
}

/** Validation of metadata that every kind shares (labels, annotations, finalizers). */
export function validateMeta(obj: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const m = obj.metadata;
  const checkMap = (field: string, v: unknown): void => {
    if (v === undefined || v === null) return;
    if (!isObject(v)) {
      errors.push({
        field: `metadata.${field}`,
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: must be a map of strings',
      });
      return;
    }
    for (const [k, val] of Object.entries(v)) {
      if (typeof val !== 'string') {
        errors.push({
          field: `metadata.${field}`,
          reason: 'FieldValueTypeInvalid',
          message: `Invalid value: ${JSON.stringify(val)}: value of "${k}" must be a string`,
        });
      }
    }
  };
  checkMap('labels', m.labels);
  checkMap('annotations', m.annotations);
  if (isObject(m.labels)) {
    for (const [k, v] of Object.entries(m.labels)) {
      if (
        typeof v === 'string' &&
        (v.length > 63 || !/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(v))
      ) {
        errors.push({
          field: 'metadata.labels',
          reason: 'FieldValueInvalid',
          message: `Invalid value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
        });
      }
      const namePart = k.includes('/') ? k.slice(k.indexOf('/') + 1) : k;
      if (namePartInvalid(namePart)) {
        errors.push({
          field: 'metadata.labels',
          reason: 'FieldValueInvalid',
          message: `Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
        });
      }
    }
  }
  if (
    m.finalizers !== undefined &&
    !(Array.isArray(m.finalizers) && m.finalizers.every((f) => typeof f === 'string'))
  ) {
    errors.push({
      field: 'metadata.finalizers',
      reason: 'FieldValueTypeInvalid',
      message: 'Invalid value: must be a list of strings',
    });
  }
  if (m.ownerReferences !== undefined && !Array.isArray(m.ownerReferences)) {
    errors.push({
      field: 'metadata.ownerReferences',
      reason: 'FieldValueTypeInvalid',
      message: 'Invalid value: must be a list',
    });
  }
  return errors;
}

function namePartInvalid(s: string): boolean {
  return s.length === 0 || s.length > 63 || !/^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(s);
}

/** Fill in what the server sets on create. The object must already carry its final name and namespace. */
export function stampCreate(obj: KubeObject, type: ResourceType, now: number, trusted = false): StoredObject {
  const meta = obj.metadata;
  // Seeds may carry fixed uids so that their owner references hold; clients never choose a uid.
  if (!trusted || typeof meta.uid !== 'string' || meta.uid === '') meta.uid = randomUUID();
  meta.creationTimestamp = nowTimestamp(now);
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  if (type.generation) meta.generation = 1;
  else delete meta.generation;
  obj.apiVersion = type.group === '' ? type.version : `${type.group}/${type.version}`;
  obj.kind = type.kind;
  return obj as StoredObject;
}

/** The parts of an object that make up its "spec" for generation purposes: all but metadata and status. */
function specOf(obj: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return stableStringify(rest);
}

export function specChanged(a: KubeObject, b: KubeObject): boolean {
  return specOf(a) !== specOf(b);
}

/** JSON with sorted keys, for semantic equality of unstructured objects. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Equal apart from resourceVersion and managedFields: such a write is a no-op and must not bump the resourceVersion. */
export function sameObject(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): unknown => ({
    ...o,
    metadata: { ...o.metadata, resourceVersion: undefined, managedFields: undefined },
  });
  return stableStringify(strip(a)) === stableStringify(strip(b));
}
