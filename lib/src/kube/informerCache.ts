import type { KubernetesObject } from '@kubernetes/client-node';

/** `namespace/name`, or `name` for cluster-scoped objects (client-go's MetaNamespaceKeyFunc) */
export function keyOf(name: string, namespace?: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function objectKey(obj: KubernetesObject): string {
  return keyOf(obj.metadata?.name ?? '', obj.metadata?.namespace);
}

/** the (index, value) pairs an object is filed under: 'namespace', 'label:<key>', 'owner' */
function indexEntries(obj: KubernetesObject): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const md = obj.metadata;
  if (!md) return out;
  if (md.namespace) out.push(['namespace', md.namespace]);
  for (const [k, v] of Object.entries(md.labels ?? {})) out.push([`label:${k}`, v]);
  for (const ref of md.ownerReferences ?? []) if (ref.uid) out.push(['owner', ref.uid]);
  return out;
}

/** The informer's store: objects by key plus the built-in indexes. Not exported from the package. */
export class IndexedCache<T extends KubernetesObject> {
  private readonly objects = new Map<string, T>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();

  get size(): number {
    return this.objects.size;
  }

  get(key: string): T | undefined {
    return this.objects.get(key);
  }

  keys(): IterableIterator<string> {
    return this.objects.keys();
  }

  values(): IterableIterator<T> {
    return this.objects.values();
  }

  /** store `obj`, returning what it replaced */
  set(obj: T): T | undefined {
    const key = objectKey(obj);
    const previous = this.objects.get(key);
    if (previous) this.unindex(key, previous);
    this.objects.set(key, obj);
    for (const [index, value] of indexEntries(obj)) {
      let byValue = this.indexes.get(index);
      if (!byValue) this.indexes.set(index, (byValue = new Map()));
      let keys = byValue.get(value);
      if (!keys) byValue.set(value, (keys = new Set()));
      keys.add(key);
    }
    return previous;
  }

  /** remove the object under `key`, returning it */
  delete(key: string): T | undefined {
    const previous = this.objects.get(key);
    if (!previous) return undefined;
    this.unindex(key, previous);
    this.objects.delete(key);
    return previous;
  }

  byIndex(index: string, value: string): T[] {
    const keys = this.indexes.get(index)?.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) {
      const o = this.objects.get(k);
      if (o) out.push(o);
    }
    return out;
  }

  private unindex(key: string, obj: T): void {
    for (const [index, value] of indexEntries(obj)) {
      const byValue = this.indexes.get(index);
      const keys = byValue?.get(value);
      if (!byValue || !keys) continue;
      keys.delete(key);
      if (keys.size === 0) byValue.delete(value);
      if (byValue.size === 0) this.indexes.delete(index);
    }
  }
}
