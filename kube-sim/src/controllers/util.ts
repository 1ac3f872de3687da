import { isObject, nowTimestamp, stableStringify } from '../objects.ts';
import { labelSelectorFromObject, type MetaLabelSelector } from '../selectors.ts';
import type { KubeObject, OwnerReference, StoredObject } from '../types.ts';
import { mulberry32 } from '../random.ts';

/** Small pieces the simulated controllers share: typed reads of unstructured objects, hashes, conditions, quantities. */

export type Obj = Record<string, unknown>;

export const obj = (v: unknown): Obj => (isObject(v) ? v : {});
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const num = (v: unknown, d = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);
export const str = (v: unknown, d = ''): string => (typeof v === 'string' ? v : d);

export const specOf = (o: KubeObject): Obj => obj(o['spec']);
export const statusOf = (o: KubeObject): Obj => obj(o['status']);
export const ts = nowTimestamp;

/** the ns/name key of an object */
export const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

export function controllerOf(o: KubeObject): OwnerReference | undefined {
  return (o.metadata.ownerReferences ?? []).find((r) => r.controller === true);
}

export function controllerRef(owner: StoredObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** A workload's selector; a missing one selects nothing (as Kubernetes treats a nil selector). */
export function selectorMatcher(sel: unknown): (labels: Record<string, string> | undefined) => boolean {
  if (!isObject(sel)) return () => false;
  try {
    const s = labelSelectorFromObject(sel as MetaLabelSelector);
    if (s.empty) return () => false;
    return (labels) => s.matches(labels);
  } catch {
    return () => false;
  }
}

/** FNV-1a, 32 bits */
export function fnv32a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/** k8s.io/apimachinery rand.SafeEncodeString: no vowels, no 0/1/3, so a hash never spells a word */
export function safeEncode(s: string): string {
  let out = '';
  for (const ch of s) out += SAFE[ch.charCodeAt(0) % SAFE.length] ?? 'x';
  return out;
}

/** controller.ComputeHash: the pod-template-hash of a template (FNV-32a of the template, plus the collision count) */
export function templateHash(template: unknown, collisionCount?: number): string {
  const text = stableStringify(template) + (collisionCount !== undefined ? `:${collisionCount}` : '');
  return safeEncode(String(fnv32a(text)));
}

/** a template without the pod-template-hash label (EqualIgnoreHash) */
export function templateIgnoringHash(template: unknown): string {
  const t = structuredClone(obj(template));
  const meta = obj(t['metadata']);
  const labels = obj(meta['labels']);
  delete labels['pod-template-hash'];
  if (Object.keys(labels).length === 0) delete meta['labels'];
  if (Object.keys(meta).length === 0) delete t['metadata'];
  return stableStringify(t);
}

/** mulberry32 seeded from a string: the same seed always gives the same numbers in [0, 1) */
export function seeded(seed: string): () => number {
  return mulberry32(fnv32a(seed));
}

/** five characters from the generateName alphabet, deterministic from a seed */
export function nameSuffix(seed: string): string {
  const r = seeded(seed);
  let s = '';
  for (let i = 0; i < 5; i++) s += SAFE[Math.floor(r() * SAFE.length)] ?? 'x';
  return s;
}

/** "5s", "1m30s", "250ms", "2h" or a number of seconds; undefined when it does not parse */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v * 1000 : undefined;
  if (typeof v !== 'string') return undefined;
  const text = v.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = text;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * (unit[m[2] ?? 's'] ?? 1000);
    rest = rest.slice(m[0].length);
  }
  return text.length > 0 ? total : undefined;
}

/** intstr.GetScaledValueFromIntOrPercent: an int, or a percentage of total rounded up or down */
export function scaledValue(v: unknown, total: number, roundUp: boolean, dflt: string): number {
  const raw = v === undefined || v === null ? dflt : v;
  if (typeof raw === 'number') return raw;
  const m = /^(\d+)%$/.exec(String(raw));
  if (!m) return Number.isInteger(Number(raw)) ? Number(raw) : 0;
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  lastProbeTime?: string | null;
  lastHeartbeatTime?: string;
}

export const conditionsOf = (status: Obj): Condition[] => arr(status['conditions']) as Condition[];
export const findCondition = (status: Obj, type: string): Condition | undefined =>
  conditionsOf(status).find((c) => c.type === type);

/** the pod's Ready condition is True */
export function podReady(pod: KubeObject): boolean {
  return findCondition(statusOf(pod), 'Ready')?.status === 'True';
}

/** ready for at least minReadySeconds (podutil.IsPodAvailable) */
export function podAvailable(pod: KubeObject, minReadySeconds: number, now: number): boolean {
  const ready = findCondition(statusOf(pod), 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = Date.parse(ready.lastTransitionTime ?? '');
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now;
}

/** neither terminated (Succeeded, Failed) nor being deleted (controller.IsPodActive) */
export function podActive(pod: KubeObject): boolean {
  const phase = statusOf(pod)['phase'];
  return phase !== 'Succeeded' && phase !== 'Failed' && pod.metadata.deletionTimestamp === undefined;
}

/** remove the fields listed when they are 0: the Go types mark them omitempty */
export function omitZero(status: Obj, fields: readonly string[]): Obj {
  for (const f of fields) if (status[f] === 0) delete status[f];
  return status;
}

/** the value of a quantity ("250m", "1.5", "512Mi", "2G") in base units (cores, bytes) */
export function parseQuantity(q: unknown): number {
  if (typeof q === 'number') return q;
  if (typeof q !== 'string') return 0;
  const m = /^([+-]?\d+(?:\.\d+)?)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q.trim());
  if (!m) return 0;
  const scale: Record<string, number> = {
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
  };
  return Number(m[1]) * (m[2] ? (scale[m[2]] ?? 1) : 1);
}

/** the containers of a pod spec */
export function containersOf(spec: Obj): Obj[] {
  return arr(spec['containers']).map(obj);
}
