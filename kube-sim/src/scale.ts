import type { KubeApi, Target, WriteOptions } from './api.ts';
import { clone, isObject } from './objects.ts';
import { applyPatchDocument, PATCH_TYPES, type PatchType } from './patch.ts';
import { formatLabelSelector } from './selectors.ts';
import { badRequest, conflict, invalid, notFound } from './status.ts';
import { groupResource, type KubeObject, type ResourceType, type StoredObject } from './types.ts';

/** The scale subresource (autoscaling/v1 Scale), for built-in workloads and CRDs that declare it. */

function pathParts(path: string): string[] {
  return path.replace(/^\./, '').split('.');
}

export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const p of pathParts(path)) {
    if (!isObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = pathParts(path);
  let cur: Record<string, unknown> = obj;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    if (!isObject(next)) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1];
  if (last !== undefined) cur[last] = value;
}

function current(api: KubeApi, t: Target): StoredObject {
  const obj = api.store.get(groupResource(t.type), t.namespace, t.name ?? '');
  if (!obj) throw notFound({ group: t.type.group, resource: t.type.resource, name: t.name });
  return obj;
}

export function toScale(type: ResourceType, obj: StoredObject): KubeObject {
  const spec = type.scale;
  if (!spec)
    throw notFound({ group: type.group, resource: `${type.resource}/scale`, name: obj.metadata.name });
  const specReplicas = getPath(obj, spec.specReplicasPath);
  const statusReplicas = getPath(obj, spec.statusReplicasPath);
  const rawSelector = spec.labelSelectorPath ? getPath(obj, spec.labelSelectorPath) : undefined;
  const status: Record<string, unknown> = {
    replicas: typeof statusReplicas === 'number' ? statusReplicas : 0,
  };
  if (typeof rawSelector === 'string') status['selector'] = rawSelector;
  else if (isObject(rawSelector)) status['selector'] = formatLabelSelector(rawSelector);
  const meta: Record<string, unknown> = {
    name: obj.metadata.name,
    uid: obj.metadata.uid,
    resourceVersion: obj.metadata.resourceVersion,
    creationTimestamp: obj.metadata.creationTimestamp,
  };
  if (obj.metadata.namespace) meta['namespace'] = obj.metadata.namespace;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: meta,
    spec: { replicas: typeof specReplicas === 'number' ? specReplicas : 1 },
    status,
  };
}

export function getScale(api: KubeApi, t: Target): KubeObject {
  return toScale(t.type, current(api, t));
}

/** PUT or PATCH of a Scale: writes spec.replicas back to the object. */
export function writeScale(
  api: KubeApi,
  t: Target,
  body: unknown,
  opts: WriteOptions,
  patchType?: PatchType,
): KubeObject {
  const type = t.type;
  const spec = type.scale;
  const obj = current(api, t);
  if (!spec) throw notFound({ group: type.group, resource: `${type.resource}/scale`, name: t.name });
  const before = toScale(type, obj);
  let scale: unknown;
  if (patchType === undefined) scale = body;
  else if (patchType === PATCH_TYPES.apply)
    throw badRequest('apply patches are not supported on the scale subresource by kube-sim');
  else scale = applyPatchDocument(before, patchType, body, { ...type, kind: 'Scale', strategic: true });
  if (!isObject(scale)) throw badRequest('the object provided is unrecognized (must be of type Scale)');
  const replicas = isObject(scale['spec']) ? scale['spec']['replicas'] : undefined;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid('Scale', 'autoscaling', t.name ?? '', [
      {
        field: 'spec.replicas',
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
      },
    ]);
  }
  const rv = isObject(scale['metadata']) ? scale['metadata']['resourceVersion'] : undefined;
  if (typeof rv === 'string' && rv !== '' && rv !== obj.metadata.resourceVersion) {
    throw conflict({ group: type.group, resource: type.resource, name: t.name });
  }
  const next = clone(obj) as KubeObject;
  setPath(next as Record<string, unknown>, spec.specReplicasPath, replicas);
  const { object } = api.replace(t, obj, next, opts);
  return toScale(type, object);
}
