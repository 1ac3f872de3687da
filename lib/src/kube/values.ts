import { parseQuantity } from './quantity.ts';

/**
 * The shared schema's value types (schema/shared.graphql: Label, Condition, Taint, ResourceList) built from the
 * Kubernetes shapes they come from, so every subgraph answers them alike.
 */

export interface LabelModel {
  key: string;
  value: string;
}

/** status as Kubernetes writes it: `True`, `False` or `Unknown` */
export interface ConditionModel {
  type: string;
  status: string;
  reason: string | null;
  message: string | null;
  lastTransitionTime: string | null;
}

export interface TaintModel {
  key: string;
  value: string | null;
  effect: string;
}

export interface ResourceQuantityModel {
  name: string;
  quantity: string;
  value: number | null;
}

export interface ResourceListModel {
  cpu: string | null;
  memory: string | null;
  pods: number | null;
  cpuCores: number | null;
  memoryBytes: number | null;
  /** every other resource, by name */
  extended: ResourceQuantityModel[];
}

/** a condition as objects' `status.conditions` hold it */
export interface KubeCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface KubeTaint {
  key?: string;
  value?: string;
  effect?: string;
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** `metadata.labels` sorted by key */
export function toLabels(labels: Record<string, string> | undefined): LabelModel[] {
  return Object.entries(labels ?? {})
    .sort(([a], [b]) => byName(a, b))
    .map(([key, value]) => ({ key, value }));
}

/** `status.conditions` in their order; an empty reason, message or time is none */
export function toConditions(conditions: readonly KubeCondition[] | undefined): ConditionModel[] {
  return (conditions ?? []).map((c) => ({
    type: c.type ?? '',
    status: c.status ?? 'Unknown',
    reason: c.reason || null,
    message: c.message || null,
    lastTransitionTime: c.lastTransitionTime || null,
  }));
}

/** a node's `spec.taints` in their order */
export function toTaints(taints: readonly KubeTaint[] | undefined): TaintModel[] {
  return (taints ?? []).map((t) => ({ key: t.key ?? '', value: t.value ?? null, effect: t.effect ?? '' }));
}

const NAMED = new Set(['cpu', 'memory', 'pods']);

/**
 * A resource list (`status.capacity`, `status.allocatable`, a container's `requests` or `limits`): cpu, memory and
 * pods as fields, as written and as numbers; every other resource (ephemeral-storage, hugepages-2Mi,
 * nvidia.com/gpu, ...) in `extended`, sorted by name.
 */
export function toResourceList(list: Readonly<Record<string, string>> | undefined): ResourceListModel {
  const pods = parseQuantity(list?.['pods']);
  return {
    cpu: list?.['cpu'] ?? null,
    memory: list?.['memory'] ?? null,
    pods: pods === null ? null : Math.floor(pods),
    cpuCores: parseQuantity(list?.['cpu']),
    memoryBytes: parseQuantity(list?.['memory']),
    extended: Object.keys(list ?? {})
      .filter((name) => !NAMED.has(name))
      .sort(byName)
      .map((name) => {
        const quantity = list?.[name] ?? '';
        return { name, quantity, value: parseQuantity(quantity) };
      }),
  };
}
