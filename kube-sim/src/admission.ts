import type { FieldValidation } from './api.ts';
import { clone, isObject, validateMeta } from './objects.ts';
import { badRequest, invalid } from './status.ts';
import { apiVersionOf, type FieldError, type KubeObject, type ResourceType } from './types.ts';

/** What every write goes through before storage: decoding, unknown-field handling, metadata and schema validation. */

const KNOWN_META = new Set([
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'finalizers',
  'ownerReferences',
  'managedFields',
  'selfLink',
]);

/** body → object; checks kind and apiVersion against the URL */
export function decodeBody(type: ResourceType, body: unknown): KubeObject {
  if (!isObject(body)) throw badRequest(`the object provided is unrecognized (must be of type ${type.kind})`);
  const obj = clone(body) as KubeObject;
  if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
  if (!isObject(obj.metadata)) throw badRequest('metadata must be an object');
  if (obj.kind !== undefined && obj.kind !== type.kind) {
    throw badRequest(
      `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersionOf(type)})`,
    );
  }
  if (obj.apiVersion !== undefined && typeof obj.apiVersion === 'string') {
    const group = obj.apiVersion.includes('/') ? obj.apiVersion.slice(0, obj.apiVersion.indexOf('/')) : '';
    if (group !== type.group) {
      throw badRequest(
        `the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersionOf(type)})`,
      );
    }
  }
  return obj;
}

/** unknown fields (by fieldValidation), metadata rules, CRD schema; returns warnings */
export function admit(
  type: ResourceType,
  obj: KubeObject,
  name: string,
  fieldValidation: FieldValidation | undefined,
): string[] {
  const unknown: string[] = [];
  for (const k of Object.keys(obj.metadata)) {
    if (!KNOWN_META.has(k)) {
      unknown.push(`metadata.${k}`);
      delete obj.metadata[k];
    }
  }
  if (type.topLevelFields) {
    for (const k of Object.keys(obj)) {
      if (!type.topLevelFields.includes(k)) {
        unknown.push(k);
        delete obj[k];
      }
    }
  }
  if (type.crd) unknown.push(...type.crd.prune(obj));
  const mode = fieldValidation ?? 'Warn';
  if (unknown.length && mode === 'Strict') {
    throw badRequest(`strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
  }
  const errors: FieldError[] = validateMeta(obj);
  if (type.crd) errors.push(...type.crd.validate(obj));
  if (errors.length) throw invalid(type.kind, type.group, name, errors);
  return mode === 'Warn' ? unknown.map((f) => `unknown field "${f}"`) : [];
}

/** Fields a kind never lets an update change (apiserver validation): RBAC bindings' roleRef. */
export function checkImmutable(
  type: ResourceType,
  current: KubeObject,
  next: KubeObject,
  name: string,
): void {
  const binding = type.group === 'rbac.authorization.k8s.io' && type.resource.endsWith('rolebindings');
  if (!binding || JSON.stringify(roleRefOf(current)) === JSON.stringify(roleRefOf(next))) return;
  const r = roleRefOf(next);
  const shown = `rbac.RoleRef{APIGroup:${JSON.stringify(r.apiGroup)}, Kind:${JSON.stringify(r.kind)}, Name:${JSON.stringify(r.name)}}`;
  throw invalid(type.kind, type.group, name, [
    {
      field: 'roleRef',
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${shown}: cannot change roleRef`,
    },
  ]);
}

function roleRefOf(obj: KubeObject): { apiGroup: string; kind: string; name: string } {
  const ref = isObject(obj['roleRef']) ? obj['roleRef'] : {};
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  return { apiGroup: str(ref['apiGroup']), kind: str(ref['kind']), name: str(ref['name']) };
}
