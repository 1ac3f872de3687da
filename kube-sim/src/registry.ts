import { BUILTIN_TYPES } from './resources.ts';
import { apiVersionOf, groupResource, type ResourceType } from './types.ts';

/** Kubernetes version priority: v1 > v1beta2 > v1beta1 > v1alpha1 > anything else (k8s.io/apimachinery version.CompareKubeAwareVersionStrings). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] | undefined => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    const level = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [level, Number(m[1]), Number(m[3] ?? 0)];
  };
  const pa = parse(a);
  const pb = parse(b);
  if (pa && !pb) return -1;
  if (!pa && pb) return 1;
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  if (pa[0] !== pb[0]) return pb[0] - pa[0];
  if (pa[1] !== pb[1]) return pb[1] - pa[1];
  return pb[2] - pa[2];
}

export interface ApiResourceEntry {
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  group?: string;
  version?: string;
}

/** The types a cluster serves: the built-ins, plus those of its established CustomResourceDefinitions. */
export class Registry {
  private readonly types = new Map<string, ResourceType>();
  private readonly byCrd = new Map<string, ResourceType[]>();

  constructor() {
    for (const t of BUILTIN_TYPES) this.add(t);
  }

  private add(t: ResourceType): void {
    this.types.set(`${t.group}/${t.version}/${t.resource}`, t);
  }

  get(group: string, version: string, resource: string): ResourceType | undefined {
    return this.types.get(`${group}/${version}/${resource}`);
  }

  /** the preferred version's type for a group-resource, or undefined */
  preferred(gr: string): ResourceType | undefined {
    const candidates = this.all().filter((t) => groupResource(t) === gr);
    return candidates.sort((a, b) => compareVersions(a.version, b.version))[0];
  }

  forKind(apiVersion: string, kind: string): ResourceType | undefined {
    for (const t of this.types.values()) if (t.kind === kind && apiVersionOf(t) === apiVersion) return t;
    return undefined;
  }

  all(): ResourceType[] {
    return [...this.types.values()];
  }

  /** replace the types served for one CRD (an empty list removes them) */
  setCrd(crdName: string, types: ResourceType[]): void {
    for (const t of this.byCrd.get(crdName) ?? []) this.types.delete(`${t.group}/${t.version}/${t.resource}`);
    this.byCrd.delete(crdName);
    if (types.length === 0) return;
    this.byCrd.set(crdName, types);
    for (const t of types) this.add(t);
  }

  crdTypes(crdName: string): readonly ResourceType[] {
    return this.byCrd.get(crdName) ?? [];
  }

  /** GET /apis */
  groupList(): unknown {
    const groups = new Map<string, string[]>();
    for (const t of this.types.values()) {
      if (t.group === '') continue;
      const versions = groups.get(t.group) ?? [];
      if (!versions.includes(t.version)) versions.push(t.version);
      groups.set(t.group, versions);
    }
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups.entries()].map(([name, versions]) => {
        const sorted = versions.sort(compareVersions);
        const gv = (v: string): { groupVersion: string; version: string } => ({
          groupVersion: `${name}/${v}`,
          version: v,
        });
        return { name, versions: sorted.map(gv), preferredVersion: gv(sorted[0] ?? 'v1') };
      }),
    };
  }

  hasGroupVersion(group: string, version: string): boolean {
    for (const t of this.types.values()) if (t.group === group && t.version === version) return true;
    return false;
  }

  /** GET /api/v1 or /apis/<group>/<version> */
  resourceList(group: string, version: string): unknown {
    const resources: ApiResourceEntry[] = [];
    for (const t of this.types.values()) {
      if (t.group !== group || t.version !== version) continue;
      const entry: ApiResourceEntry = {
        name: t.resource,
        singularName: t.singular,
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: [...t.verbs],
      };
      if (t.shortNames.length) entry.shortNames = [...t.shortNames];
      if (t.categories.length) entry.categories = [...t.categories];
      resources.push(entry);
      const sub = (
        name: string,
        kind: string,
        verbs: string[],
        extra: Partial<ApiResourceEntry> = {},
      ): void => {
        resources.push({
          name: `${t.resource}/${name}`,
          singularName: '',
          namespaced: t.namespaced,
          kind,
          verbs,
          ...extra,
        });
      };
      if (t.status) sub('status', t.kind, ['get', 'patch', 'update']);
      if (t.scale) sub('scale', 'Scale', ['get', 'patch', 'update'], { group: 'autoscaling', version: 'v1' });
      if (t.log) sub('log', 'Pod', ['get']);
    }
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: apiVersionOf({ group, version }),
      resources,
    };
  }
}
