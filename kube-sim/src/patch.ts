import fastJsonPatch from 'fast-json-patch';
import jsonMergePatch from 'json-merge-patch';

import type { KubeApi, Target, WriteOptions, WriteResult } from './api.ts';
import { clone, isObject } from './objects.ts';
import { badRequest, invalid, notFound, StatusError, unsupportedMediaType } from './status.ts';
import { mergeKeysFor, PatchError, strategicMergePatch } from './strategicMerge.ts';
import { groupResource, type KubeObject, type ResourceType, type StoredObject } from './types.ts';

/** PATCH: the four patch types kube-apiserver accepts, and server-side apply that creates when absent. */

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

export type PatchType = (typeof PATCH_TYPES)[keyof typeof PATCH_TYPES];

export function acceptedPatchTypes(type: ResourceType): PatchType[] {
  const all: PatchType[] = [PATCH_TYPES.json, PATCH_TYPES.merge];
  if (type.strategic) all.push(PATCH_TYPES.strategic);
  all.push(PATCH_TYPES.apply);
  return all;
}

/** Normalise a Content-Type header to a patch type, or throw 415. */
export function toPatchType(contentType: string | undefined, type: ResourceType): PatchType {
  const mime = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const accepted = acceptedPatchTypes(type);
  const match = accepted.find((t) => t === mime);
  if (!match) throw unsupportedMediaType(accepted);
  return match;
}

/** Apply one patch document to a JSON value. */
export function applyPatchDocument(
  current: unknown,
  patchType: Exclude<PatchType, 'application/apply-patch+yaml'>,
  patch: unknown,
  type: ResourceType,
): unknown {
  switch (patchType) {
    case PATCH_TYPES.json: {
      if (!Array.isArray(patch))
        throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
      const err = fastJsonPatch.validate(patch as fastJsonPatch.Operation[], current);
      if (err) throw jsonPatchError(err, type);
      try {
        return fastJsonPatch.applyPatch(clone(current), patch as fastJsonPatch.Operation[], true, false)
          .newDocument;
      } catch (e) {
        throw jsonPatchError(e, type);
      }
    }
    case PATCH_TYPES.merge:
      if (!isObject(patch))
        throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
      return jsonMergePatch.apply(clone(current), patch);
    case PATCH_TYPES.strategic:
      if (!isObject(patch))
        throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
      try {
        return strategicMergePatch(current, patch, mergeKeysFor(type.group, type.kind));
      } catch (e) {
        if (e instanceof PatchError) {
          const err: PatchError = e;
          if (err.reason === 'BadRequest') throw badRequest(err.message);
          throw invalid(type.kind, type.group, '', [
            { field: '', reason: 'FieldValueInvalid', message: err.message },
          ]);
        }
        throw e;
      }
    default: {
      const never: never = patchType;
      throw badRequest(`unknown patch type ${String(never)}`);
    }
  }
}

function jsonPatchError(e: unknown, type: ResourceType): StatusError {
  const message = e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e);
  const name = (e as { name?: string }).name ?? '';
  if (name === 'TEST_OPERATION_FAILED') {
    return invalid(type.kind, type.group, '', [
      {
        field: '',
        reason: 'FieldValueInvalid',
        message: `the server rejected our request due to an error in our request: testing value failed`,
      },
    ]);
  }
  if (
    name === 'OPERATION_OP_INVALID' ||
    name === 'SEQUENCE_NOT_AN_ARRAY' ||
    name === 'OPERATION_NOT_AN_OBJECT' ||
    name === 'OPERATION_PATH_INVALID'
  ) {
    return badRequest(`the server rejected our request due to an error in our request: ${message}`);
  }
  return invalid(type.kind, type.group, '', [
    {
      field: '',
      reason: 'FieldValueInvalid',
      message: `the server rejected our request due to an error in our request: ${message}`,
    },
  ]);
}

export interface PatchOptions extends WriteOptions {
  force?: boolean;
}

/**
 * PATCH an object (or its status subresource). Server-side apply creates the object when it is absent.
 * A patch that sets metadata.resourceVersion is a precondition (409 when stale).
 */
export function patchObject(
  api: KubeApi,
  t: Target,
  patchType: PatchType,
  patch: unknown,
  opts: PatchOptions,
  subresource?: 'status',
): WriteResult {
  const type = t.type;
  const current = api.store.get(groupResource(type), t.namespace, t.name ?? '');
  if (patchType === PATCH_TYPES.apply) {
    if (!opts.fieldManager)
      throw badRequest(
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      );
    if (!isObject(patch)) throw badRequest('error decoding YAML: the apply configuration must be an object');
    const applied = clone(patch) as KubeObject;
    if (!isObject(applied.metadata)) applied.metadata = {};
    if (applied.metadata.name === undefined && t.name !== undefined) applied.metadata.name = t.name;
    if (!current) {
      if (subresource) throw notFound({ group: type.group, resource: type.resource, name: t.name });
      api.recordApply(applied, opts.fieldManager);
      return api.create(t, applied, { ...opts, fieldManager: undefined });
    }
    const base = presentForPatch(api, type, current);
    const merged = type.strategic
      ? applyPatchDocument(base, PATCH_TYPES.strategic, applied, type)
      : mergeApply(base, applied);
    const next = merged as KubeObject;
    api.recordApply(next, opts.fieldManager);
    return api.replace(t, current, next, { ...opts, fieldManager: undefined }, subresource);
  }
  if (!current) throw notFound({ group: type.group, resource: type.resource, name: t.name });
  const patched = applyPatchDocument(presentForPatch(api, type, current), patchType, patch, type);
  if (!isObject(patched) || !isObject(patched['metadata'])) {
    throw invalid(type.kind, type.group, t.name ?? '', [
      { field: 'metadata', reason: 'FieldValueRequired', message: 'Required value' },
    ]);
  }
  return api.replace(t, current, patched as KubeObject, opts, subresource);
}

function presentForPatch(api: KubeApi, type: ResourceType, obj: StoredObject): KubeObject {
  return clone(api.present(type, obj));
}

/** Apply for custom resources: maps merge, lists and scalars replace (no null deletion: apply never deletes by null). */
function mergeApply(base: unknown, applied: unknown): unknown {
  if (!isObject(base) || !isObject(applied)) return clone(applied);
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(applied)) out[k] = mergeApply(base[k], v);
  return out;
}
