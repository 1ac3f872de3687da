import { type BindingLike, subjectKey } from './rbac.ts';
import type { ResourceAttributes } from './types.ts';

/**
 * The authorizer's per-subject binding indexes (built once per change of a binding collection, so a decision looks
 * up the user's own bindings instead of scanning all of them), and the text of its decisions.
 */

export interface SubjectIndex {
  /** `<scope>\0<subjectKey>` (scope: namespace or workspace, '' for none) → bindings */
  bindings: Map<string, BindingLike[]>;
  /** subjectKey → the scopes it is bound in */
  scopes: Map<string, Set<string>>;
}

export function indexBindings(
  list: readonly BindingLike[],
  scopeOf: (b: BindingLike) => string | undefined,
): SubjectIndex {
  const index: SubjectIndex = { bindings: new Map(), scopes: new Map() };
  for (const b of list) {
    const scope = scopeOf(b);
    if (scope === undefined) continue;
    for (const s of b.subjects ?? []) {
      const key = subjectKey(s, b.metadata?.namespace);
      if (!key) continue;
      const k = `${scope}\0${key}`;
      const at = index.bindings.get(k);
      if (!at) index.bindings.set(k, [b]);
      else if (!at.includes(b)) at.push(b);
      let scopes = index.scopes.get(key);
      if (!scopes) index.scopes.set(key, (scopes = new Set()));
      scopes.add(scope);
    }
  }
  return index;
}

export function lookup(index: SubjectIndex, scope: string, keys: readonly string[]): BindingLike[] {
  const out: BindingLike[] = [];
  for (const key of keys) for (const b of index.bindings.get(`${scope}\0${key}`) ?? []) out.push(b);
  return [...new Set(out)];
}

export function describe(kind: string, b: BindingLike, cluster?: string): string {
  const ns = b.metadata?.namespace;
  const name = ns ? `${ns}/${b.metadata?.name ?? ''}` : (b.metadata?.name ?? '');
  const where = cluster ? ` on ${cluster}` : '';
  return `${kind} "${name}" of ${b.roleRef?.kind ?? '?'} "${b.roleRef?.name ?? ''}"${where}`;
}

export function requestText(a: ResourceAttributes): string {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const group = a.apiGroup ? `.${a.apiGroup}` : '';
  return `${a.verb} ${resource}${group}${a.name ? ` "${a.name}"` : ''}`;
}
