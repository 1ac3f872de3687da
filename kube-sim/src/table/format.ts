/** Value access and formatting shared by the Table printers (ports of the apiserver's printer helpers). */

export type Json = Record<string, unknown>;

export const rec = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const int = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0);
/** the value at a path of object keys, undefined when any step is missing */
export function at(obj: unknown, ...path: string[]): unknown {
  let cur: unknown = obj;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Json)[key];
  }
  return cur;
}

/** a condition of this type is listed with status True */
export const hasCondition = (conditions: unknown, type: string): boolean =>
  arr(conditions).some((c) => str(rec(c)['type']) === type && str(rec(c)['status']) === 'True');

/** duration.HumanDuration: a succinct duration with ~2-3 significant figures ("5s", "3m2s", "2d4h", "3y") */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const y = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** the time of an RFC 3339 timestamp in ms, undefined when absent or unparseable */
export function timeOf(ts: unknown): number | undefined {
  if (typeof ts !== 'string' || ts === '') return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? undefined : t;
}

/** translateTimestampSince: the age of a timestamp, "<unknown>" for a zero one */
export function since(ts: unknown, now: number): string {
  const t = timeOf(ts);
  return t === undefined ? '<unknown>' : humanDuration(now - t);
}

/** labels.FormatLabels: "k=v,k2=v2" sorted by key, "<none>" when empty */
export function formatLabels(m: unknown): string {
  const entries = Object.entries(rec(m))
    .map(([k, v]) => `${k}=${str(v)}`)
    .sort();
  return entries.length ? entries.join(',') : '<none>';
}

/** LabelSelectorAsSelector(...).String(): "" for nil and for an empty selector */
export function selectorString(sel: unknown): string {
  if (typeof sel !== 'object' || sel === null) return '';
  const s = rec(sel);
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(rec(s['matchLabels']))) reqs.push({ key: k, text: `${k}=${str(v)}` });
  for (const e of arr(s['matchExpressions'])) {
    const key = str(rec(e)['key']);
    const values = arr(rec(e)['values']).map(str).sort().join(',');
    const op = str(rec(e)['operator']);
    const text =
      op === 'In'
        ? `${key} in (${values})`
        : op === 'NotIn'
          ? `${key} notin (${values})`
          : op === 'Exists'
            ? key
            : op === 'DoesNotExist'
              ? `!${key}`
              : undefined;
    if (text === undefined) return '<error>';
    reqs.push({ key, text });
  }
  return reqs
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => r.text)
    .join(',');
}

/** metav1.FormatLabelSelector: like selectorString, "<none>" when that is empty */
export function formatSelector(sel: unknown): string {
  return selectorString(sel) || '<none>';
}

/** layoutContainerCells: container names and images, comma separated */
export function containerCells(podSpec: unknown): [string, string] {
  const cs = arr(rec(podSpec)['containers']).map(rec);
  return [cs.map((c) => str(c['name'])).join(','), cs.map((c) => str(c['image'])).join(',')];
}

/** printBoolPtr; the apiserver defaults the booleans it prints, so an absent one reads as False */
export const boolCell = (v: unknown): string => (v === true ? 'True' : 'False');

/** a meta.k8s.io/v1 TableColumnDefinition */
export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface RowCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

/** How one type turns into table rows: its columns, and the cells of one object (at `now`, ms). */
export interface Printer {
  readonly columns: readonly ColumnDefinition[];
  row(obj: Json, now: number): { cells: unknown[]; conditions?: RowCondition[] };
}

export const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
export const CREATED_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

export const column = (
  name: string,
  type: string,
  description: string,
  priority = 0,
  format = '',
): ColumnDefinition => ({ name, type, format, description, priority });

export const NAME_COLUMN = column('Name', 'string', NAME_DESCRIPTION, 0, 'name');
export const AGE_COLUMN = column('Age', 'string', CREATED_DESCRIPTION);
