import type { KubeApi } from './api.ts';
import { clone } from './objects.ts';
import { StatusError } from './status.ts';
import { groupResource, type ResourceType, type StoredObject } from './types.ts';

/**
 * What kube-controller-manager's garbage collector and namespace controller do, in small: delete dependents whose
 * owners are gone, orphan them on request, and empty a terminating namespace before removing it.
 */
export class GarbageCollector {
  private readonly sweeping = new Set<string>();

  constructor(private readonly api: KubeApi) {}

  private dependentsOf(owner: StoredObject): { type: ResourceType; obj: StoredObject }[] {
    const out: { type: ResourceType; obj: StoredObject }[] = [];
    for (const { gr, object } of this.api.store.dependentsOf(owner.metadata.uid)) {
      const type = this.api.registry.preferred(gr);
      if (type) out.push({ type, obj: object });
    }
    return out;
  }

  /** delete the dependents of a deleted owner that no other live owner holds */
  deleteDependents(owner: StoredObject, policy: 'Background' | 'Foreground'): void {
    const { store } = this.api;
    for (const { type, obj } of this.dependentsOf(owner)) {
      const current = store.get(groupResource(type), obj.metadata.namespace ?? '', obj.metadata.name);
      const others = (current?.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
      if (!current || others.some((r) => store.getByUid(r.uid) !== undefined)) continue;
      try {
        this.api.delete(
          { type, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name },
          { propagationPolicy: policy },
        );
      } catch (err) {
        if (!(err instanceof StatusError && err.code === 404)) throw err;
      }
    }
  }

  /** propagationPolicy=Orphan: the dependents lose their reference to the owner and stay */
  orphanDependents(owner: StoredObject): void {
    for (const { type, obj } of this.dependentsOf(owner)) {
      const next = clone(obj);
      next.metadata.ownerReferences = (next.metadata.ownerReferences ?? []).filter(
        (r) => r.uid !== owner.metadata.uid,
      );
      if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
      const target = { type, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name };
      this.api.replace(target, obj, next, { trusted: true });
    }
  }

  /** namespace termination: delete everything in it, then the namespace itself once it is empty */
  sweepNamespace(namespace: string): void {
    if (this.sweeping.has(namespace)) return;
    this.sweeping.add(namespace);
    setImmediate(() => {
      this.sweeping.delete(namespace);
      const { store, registry } = this.api;
      const ns = store.get('namespaces', '', namespace);
      if (!ns?.metadata.deletionTimestamp) return;
      let remaining = 0;
      for (const gr of store.groupResources()) {
        const type = registry.preferred(gr);
        if (!type?.namespaced) continue;
        for (const obj of store.list(gr, namespace)) {
          remaining++;
          if (!obj.metadata.deletionTimestamp) {
            this.api.delete(
              { type, namespace, name: obj.metadata.name },
              { propagationPolicy: 'Background' },
            );
          }
        }
      }
      const nsType = registry.get('', 'v1', 'namespaces');
      if (remaining === 0 && nsType) this.api.finalize(nsType, clone(ns) as StoredObject);
    });
  }
}
