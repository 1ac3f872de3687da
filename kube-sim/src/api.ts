import { admit, checkImmutable, decodeBody } from './admission.ts';
import { crdStatus, typesForCrd, validateCrd } from './crd.ts';
import { type ListOptions, type ListResult, listObjects, makeFilter } from './listing.ts';
import {
  clone,
  generateSuffix,
  isObject,
  nowTimestamp,
  sameObject,
  specChanged,
  stampCreate,
  validateName,
} from './objects.ts';
import { GarbageCollector } from './gc.ts';
import type { Registry } from './registry.ts';
import { alreadyExists, badRequest, conflict, forbidden, invalid, notFound } from './status.ts';
import type { ObjectStore } from './store.ts';
import {
  apiVersionOf,
  groupResource,
  type KubeObject,
  type ResourceType,
  type StoredObject,
} from './types.ts';

/** What a request addresses: a type, a namespace ('' for cluster scope) and maybe a name. */
export interface Target {
  type: ResourceType;
  namespace: string;
  name?: string | undefined;
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string | undefined;
  fieldValidation?: FieldValidation;
  /** programmatic seeding: keep .status on create and skip the namespace-exists check order */
  trusted?: boolean;
}

export interface WriteResult {
  object: StoredObject;
  warnings: string[];
  /** 201 for a create, 200 otherwise */
  created: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' | undefined;
  preconditions?: { uid?: string; resourceVersion?: string } | undefined;
  dryRun?: boolean;
}

/** The Kubernetes REST semantics of one cluster, independent of HTTP. */
export class KubeApi {
  private readonly gc = new GarbageCollector(this);

  constructor(
    readonly store: ObjectStore,
    readonly registry: Registry,
    private readonly now: () => number = Date.now,
  ) {}

  /** present a stored object at the requested version (CRDs share storage across versions: no conversion) */
  present(type: ResourceType, obj: StoredObject): StoredObject {
    const apiVersion = apiVersionOf(type);
    return obj.apiVersion === apiVersion ? obj : { ...obj, apiVersion };
  }

  get(t: Target): StoredObject {
    const obj = this.store.get(groupResource(t.type), t.namespace, t.name ?? '');
    if (!obj) throw notFound({ group: t.type.group, resource: t.type.resource, name: t.name });
    return this.present(t.type, obj);
  }

  list(type: ResourceType, namespace: string | undefined, opts: ListOptions): ListResult {
    return listObjects(this.store, type, namespace, opts);
  }

  private ensureNamespace(t: Target, trusted: boolean): void {
    if (!t.type.namespaced) return;
    const ns = this.store.get('namespaces', '', t.namespace);
    if (!ns) {
      if (trusted) return;
      throw notFound({ group: '', resource: 'namespaces', name: t.namespace });
    }
    if (ns.metadata.deletionTimestamp) {
      throw forbidden(
        `${t.type.resource}${t.type.group ? `.${t.type.group}` : ''} "${t.name ?? ''}" is forbidden: unable to create new content in namespace ${t.namespace} because it is being terminated`,
        { group: t.type.group, resource: t.type.resource, name: t.name },
      );
    }
  }

  create(t: Target, body: unknown, opts: WriteOptions = {}): WriteResult {
    const obj = decodeBody(t.type, body);
    const type = t.type;
    const meta = obj.metadata;
    if (type.namespaced) {
      if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== t.namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      meta.namespace = t.namespace;
    } else {
      delete meta.namespace;
    }
    if (!meta.name) {
      if (!meta.generateName) {
        throw invalid(type.kind, type.group, '', [
          {
            field: 'metadata.name',
            reason: 'FieldValueRequired',
            message: 'Required value: name or generateName is required',
          },
        ]);
      }
      meta.name = `${meta.generateName}${generateSuffix()}`;
    }
    const name = meta.name;
    const target = { ...t, name };
    const nameError = validateName(type, name);
    if (nameError) {
      throw invalid(type.kind, type.group, name, [
        {
          field: 'metadata.name',
          reason: 'FieldValueInvalid',
          message: `Invalid value: "${name}": ${nameError}`,
        },
      ]);
    }
    this.ensureNamespace(target, opts.trusted === true);
    const warnings = admit(type, obj, name, opts.fieldValidation);
    const gr = groupResource(type);
    if (this.store.get(gr, t.namespace, name))
      throw alreadyExists({ group: type.group, resource: type.resource, name });
    if (type.status && !opts.trusted) {
      delete obj['status'];
      const initial = initialStatus(type);
      if (initial) obj['status'] = initial;
    }
    if (type.group === '' && type.resource === 'namespaces') {
      obj['spec'] = { ...(isObject(obj['spec']) ? obj['spec'] : {}), finalizers: ['kubernetes'] };
      if (!opts.trusted || !isObject(obj['status'])) obj['status'] = { phase: 'Active' };
    }
    const stored = stampCreate(obj, type, this.now(), opts.trusted === true);
    this.recordManager(stored, opts, 'Update');
    if (isCrd(type)) this.prepareCrd(stored);
    if (opts.dryRun) {
      stored.metadata.resourceVersion = '';
      return { object: stored, warnings, created: true };
    }
    const committed = this.store.commit('ADDED', gr, stored);
    if (isCrd(type)) this.registry.setCrd(name, typesForCrd(committed));
    return { object: this.present(type, committed), warnings, created: true };
  }

  /** PUT; `subresource` 'status' writes only .status */
  update(t: Target, body: unknown, opts: WriteOptions = {}, subresource?: 'status'): WriteResult {
    const next = decodeBody(t.type, body);
    const current = this.store.get(groupResource(t.type), t.namespace, t.name ?? '');
    if (!current) throw notFound({ group: t.type.group, resource: t.type.resource, name: t.name });
    if (next.metadata.resourceVersion === undefined || next.metadata.resourceVersion === '') {
      next.metadata.resourceVersion = current.metadata.resourceVersion;
    }
    return this.replace(t, current, next, opts, subresource);
  }

  /** Write a new state of an existing object: the shared tail of update, patch and scale. */
  replace(
    t: Target,
    current: StoredObject,
    next: KubeObject,
    opts: WriteOptions,
    subresource?: 'status',
  ): WriteResult {
    const type = t.type;
    const name = t.name ?? '';
    if (next.metadata.name !== undefined && next.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${String(next.metadata.name)}) does not match the name on the URL (${name})`,
      );
    }
    if (
      type.namespaced &&
      next.metadata.namespace !== undefined &&
      next.metadata.namespace !== '' &&
      next.metadata.namespace !== t.namespace
    ) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    if (next.metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict({ group: type.group, resource: type.resource, name });
    }
    let result: KubeObject;
    if (subresource === 'status') {
      result = clone(current);
      if (next['status'] === undefined) delete result['status'];
      else result['status'] = next['status'];
    } else {
      result = next;
      if (type.status) {
        if (current['status'] === undefined) delete result['status'];
        else result['status'] = clone(current['status']);
      }
    }
    const meta = result.metadata;
    const old = current.metadata;
    meta.name = name;
    if (type.namespaced) meta.namespace = t.namespace;
    else delete meta.namespace;
    meta.uid = old.uid;
    meta.creationTimestamp = old.creationTimestamp;
    meta.resourceVersion = old.resourceVersion;
    delete meta.generateName;
    if (old.generateName !== undefined) meta.generateName = old.generateName;
    for (const k of ['deletionTimestamp', 'deletionGracePeriodSeconds'] as const) {
      if (old[k] === undefined) delete meta[k];
      else meta[k] = old[k] as never;
    }
    if (old.deletionTimestamp && (meta.finalizers ?? []).some((f) => !(old.finalizers ?? []).includes(f))) {
      throw invalid(type.kind, type.group, name, [
        {
          field: 'metadata.finalizers',
          reason: 'FieldValueForbidden',
          message: 'Forbidden: no new finalizers can be added if the object is being deleted',
        },
      ]);
    }
    if (subresource !== 'status') checkImmutable(type, current, result, name);
    const warnings = subresource === 'status' ? [] : admit(type, result, name, opts.fieldValidation);
    if (type.group === '' && type.resource === 'namespaces' && subresource !== 'status')
      result['spec'] = clone(current['spec']);
    if (type.generation) meta.generation = (old.generation ?? 1) + (specChanged(current, result) ? 1 : 0);
    else delete meta.generation;
    result.apiVersion = current.apiVersion;
    result.kind = current.kind;
    if (meta.managedFields === undefined && old.managedFields !== undefined)
      meta.managedFields = old.managedFields;
    if (isCrd(type)) this.prepareCrd(result);
    if (sameObject(current, result)) return { object: this.present(type, current), warnings, created: false };
    this.recordManager(result, opts, 'Update');
    const stored = result as StoredObject;
    if (opts.dryRun) return { object: this.present(type, stored), warnings, created: false };
    if (meta.deletionTimestamp && (meta.finalizers ?? []).length === 0) {
      return { object: this.present(type, this.finalize(type, stored)), warnings, created: false };
    }
    const committed = this.store.commit('MODIFIED', groupResource(type), stored);
    if (isCrd(type)) this.registry.setCrd(name, typesForCrd(committed));
    return { object: this.present(type, committed), warnings, created: false };
  }

  delete(t: Target, opts: DeleteOptions = {}): StoredObject {
    const type = t.type;
    const gr = groupResource(type);
    const current = this.store.get(gr, t.namespace, t.name ?? '');
    if (!current) throw notFound({ group: type.group, resource: type.resource, name: t.name });
    const pre = opts.preconditions;
    if (pre?.uid !== undefined && pre.uid !== current.metadata.uid) {
      throw conflict(
        { group: type.group, resource: type.resource, name: t.name },
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(
        { group: type.group, resource: type.resource, name: t.name },
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
      );
    }
    if (opts.dryRun) return this.present(type, current);
    const isNamespace = type.group === '' && type.resource === 'namespaces';
    if (current.metadata.deletionTimestamp) return this.present(type, current);
    if (opts.propagationPolicy === 'Orphan') this.gc.orphanDependents(current);
    if (opts.propagationPolicy === 'Foreground') this.gc.deleteDependents(current, 'Foreground');
    if (isNamespace || (current.metadata.finalizers ?? []).length > 0) {
      const next = clone(current) as StoredObject;
      next.metadata.deletionTimestamp = nowTimestamp(this.now());
      next.metadata.deletionGracePeriodSeconds = 0;
      if (isNamespace)
        next['status'] = { ...(isObject(next['status']) ? next['status'] : {}), phase: 'Terminating' };
      const committed = this.store.commit('MODIFIED', gr, next);
      if (isNamespace) this.gc.sweepNamespace(t.name ?? '');
      return this.present(type, committed);
    }
    return this.present(type, this.finalize(type, clone(current) as StoredObject));
  }

  deleteCollection(
    type: ResourceType,
    namespace: string | undefined,
    opts: ListOptions & DeleteOptions,
  ): StoredObject[] {
    const filter = makeFilter(type, opts.labelSelector, opts.fieldSelector);
    const victims = this.store.list(groupResource(type), namespace).filter(filter.matches);
    const deleted: StoredObject[] = [];
    for (const v of victims) {
      const del: DeleteOptions = { propagationPolicy: opts.propagationPolicy };
      if (opts.dryRun !== undefined) del.dryRun = opts.dryRun;
      deleted.push(this.delete({ type, namespace: v.metadata.namespace ?? '', name: v.metadata.name }, del));
    }
    return deleted;
  }

  /** remove an object for good (DELETED event), then collect its dependents in the background */
  finalize(type: ResourceType, obj: StoredObject): StoredObject {
    const gr = groupResource(type);
    const committed = this.store.commit('DELETED', gr, obj);
    if (isCrd(type)) this.dropCrd(committed);
    setImmediate(() => this.gc.deleteDependents(committed, 'Background'));
    const ns = committed.metadata.namespace;
    if (ns && this.store.get('namespaces', '', ns)?.metadata.deletionTimestamp) this.gc.sweepNamespace(ns);
    return committed;
  }

  private prepareCrd(obj: KubeObject): void {
    const errors = validateCrd(obj);
    if (errors.length)
      throw invalid('CustomResourceDefinition', 'apiextensions.k8s.io', obj.metadata.name ?? '', errors);
    obj['status'] = crdStatus(obj, nowTimestamp(this.now()));
  }

  private dropCrd(crd: StoredObject): void {
    const types = this.registry.crdTypes(crd.metadata.name);
    const first = types[0];
    this.registry.setCrd(crd.metadata.name, []);
    if (!first) return;
    const gr = groupResource(first);
    for (const obj of [...this.store.list(gr)]) this.store.commit('DELETED', gr, clone(obj));
  }

  private recordManager(obj: KubeObject, opts: WriteOptions, operation: 'Update' | 'Apply'): void {
    if (!opts.fieldManager) return;
    const entries = (Array.isArray(obj.metadata.managedFields) ? obj.metadata.managedFields : []).filter(
      (e) => !(isObject(e) && e['manager'] === opts.fieldManager && e['operation'] === operation),
    );
    entries.push({
      manager: opts.fieldManager,
      operation,
      apiVersion: obj.apiVersion,
      time: nowTimestamp(this.now()),
      fieldsType: 'FieldsV1',
      fieldsV1: {},
    });
    obj.metadata.managedFields = entries;
  }

  recordApply(obj: KubeObject, manager: string): void {
    this.recordManager(obj, { fieldManager: manager }, 'Apply');
  }
}

function isCrd(type: ResourceType): boolean {
  return type.group === 'apiextensions.k8s.io' && type.resource === 'customresourcedefinitions';
}

function initialStatus(type: ResourceType): Record<string, unknown> | undefined {
  if (type.group === '' && type.resource === 'pods') return { phase: 'Pending', qosClass: 'BestEffort' };
  return undefined;
}
