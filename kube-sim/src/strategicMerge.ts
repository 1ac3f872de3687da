/**
 * Strategic merge patch (SMP): the apply half of k8s.io/apimachinery pkg/util/strategicpatch, driven by a
 * small table of merge keys instead of Go struct tags. Ordering, directives and error texts mirror
 * apimachinery's mergeMap/mergeSlice, including the list-order quirks kubectl apply relies on.
 */

export class PatchError extends Error {
  constructor(
    message: string,
    readonly reason: 'BadRequest' | 'Invalid',
  ) {
    super(message);
    this.name = 'PatchError';
  }
}

/** Dotted list path (array elements as `[]`) → merge key, or 'primitive-merge'; absent = replace list. */
export type MergeKeys = ReadonlyMap<string, string>;

const PRIMITIVE_MERGE = 'primitive-merge';
const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_PREFIX = '$deleteFromPrimitiveList';
const ORDER_PREFIX = '$setElementOrder';
const ERR_PRIMITIVE = 'invalid patch format of primitive list';
const ERR_RETAIN = 'invalid patch format of retainKeys';
const ERR_ORDER = 'invalid patch format of setElementOrder list';

// The table.

type Entries = ReadonlyArray<readonly [string, string]>;

/** Parses `path=key` pairs; `path=*` is a primitive merge list. */
const pairs = (text: string): Entries =>
  text
    .split(/\s+/)
    .filter(Boolean)
    .map((pair) => {
      const [path = '', key = ''] = pair.split('=');
      return [path, key === '*' ? PRIMITIVE_MERGE : key] as const;
    });
const at = (prefix: string, entries: Entries): Entries =>
  entries.map(([p, k]) => [`${prefix}.${p}`, k] as const);

const OBJECT_META = pairs('ownerReferences=uid finalizers=*');
const POD_SPEC = pairs(`containers=name initContainers=name ephemeralContainers=name volumes=name
  imagePullSecrets=name hostAliases=ip topologySpreadConstraints=topologyKey resourceClaims=name
  schedulingGates=name`);
const CONTAINER = pairs('env=name ports=containerPort volumeMounts=mountPath volumeDevices=devicePath');
const CONDITIONS = pairs('status.conditions=type');

/** ObjectMeta + PodSpec of a pod template rooted at `prefix` ('' for a Pod). */
function podTemplate(prefix: string): Entries {
  const p = (field: string): string => (prefix ? `${prefix}.${field}` : field);
  const containers = ['containers', 'initContainers', 'ephemeralContainers'];
  return [
    ...at(p('metadata'), OBJECT_META),
    ...at(p('spec'), POD_SPEC),
    ...containers.flatMap((c) => at(p(`spec.${c}[]`), CONTAINER)),
  ];
}

const WORKLOAD = [...podTemplate('spec.template'), ...CONDITIONS];

const TABLE: Readonly<Record<string, Entries>> = {
  '/Pod': [
    ...podTemplate(''),
    ...CONDITIONS,
    ...pairs('status.podIPs=ip status.hostIPs=ip status.resourceClaimStatuses=name'),
  ],
  '/PodTemplate': podTemplate('template'),
  '/ReplicationController': WORKLOAD,
  '/Service': [...pairs('spec.ports=port'), ...CONDITIONS],
  '/Node': [...pairs('spec.podCIDRs=* status.addresses=type'), ...CONDITIONS],
  '/Namespace': CONDITIONS,
  '/PersistentVolumeClaim': CONDITIONS,
  '/ServiceAccount': pairs('secrets=name'),
  'apps/Deployment': WORKLOAD,
  'apps/StatefulSet': WORKLOAD,
  'apps/DaemonSet': WORKLOAD,
  'apps/ReplicaSet': WORKLOAD,
  'batch/Job': WORKLOAD,
  'batch/CronJob': [
    ...at('spec.jobTemplate.metadata', OBJECT_META),
    ...podTemplate('spec.jobTemplate.spec.template'),
  ],
};

const cache = new Map<string, MergeKeys>();

export function mergeKeysFor(group: string, kind: string): MergeKeys {
  const id = `${group}/${kind}`;
  let keys = cache.get(id);
  if (!keys) {
    keys = new Map([...at('metadata', OBJECT_META), ...(TABLE[id] ?? [])]);
    cache.set(id, keys);
  }
  return keys;
}

// The merge.

type Obj = Record<string, unknown>;
type Arr = unknown[];
type List = readonly unknown[];
type Kind = 'map' | 'slice' | 'string' | 'int64' | 'float64' | 'bool' | 'nil';
interface ListMerge {
  merged: Arr;
  /** The original as apimachinery sees it after mergeSlice (Go aliasing: deletes shift it, adds fill it). */
  serverOrder: Arr;
}

const isMap = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: Obj, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);
const isDirectiveKey = (k: string): boolean =>
  k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(DELETE_PREFIX) || k.startsWith(ORDER_PREFIX);
const badRequest = (message: string): PatchError => new PatchError(message, 'BadRequest');
/** The list's merge key: undefined = replace the list, '' = merge scalars by value. */
const strategyOf = (keys: MergeKeys, path: string): string | undefined => {
  const strategy = keys.get(path);
  return strategy === PRIMITIVE_MERGE ? '' : strategy;
};

function setKey(o: Obj, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/**
 * Makes a patch value fit to store: drops null map values and directive keys; with dropMarked, a map that
 * carries `$patch` is dropped whole (apimachinery's removeDirectives, for values the original lacks).
 * Returns undefined for "drop".
 */
function clean(v: unknown, dropMarked: boolean): unknown {
  if (Array.isArray(v)) return v.map((x) => clean(x, dropMarked)).filter((x) => x !== undefined);
  if (!isMap(v)) return v;
  if (dropMarked && has(v, DIRECTIVE)) return undefined;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === null || isDirectiveKey(k)) continue;
    const c = clean(x, dropMarked);
    if (c !== undefined) setKey(out, k, c);
  }
  return out;
}

/** Applies `patch` to `original`; returns a new value and never mutates either input. */
export function strategicMergePatch(original: unknown, patch: unknown, keys: MergeKeys): unknown {
  if (patch === null || patch === undefined) return structuredClone(isMap(original) ? original : {});
  if (!isMap(patch)) {
    const what = Array.isArray(patch) ? 'array' : typeof patch === 'boolean' ? 'bool' : typeof patch;
    throw badRequest(`json: cannot unmarshal ${what} into Go value of type map[string]interface {}`);
  }
  return mergeMap(isMap(original) ? structuredClone(original) : {}, structuredClone(patch), '', keys);
}

/** mergeMap: both arguments are private copies and are mutated. */
function mergeMap(original: Obj, patch: Obj, path: string, keys: MergeKeys): Obj {
  if (has(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === 'replace') return clean(patch, false) as Obj;
    if (directive === 'delete') return {};
    throw badPatchType(directive, patch);
  }
  applyRetainKeys(original, patch);
  applyElementOrder(original, patch, path, keys);
  for (const [patchKey, patchV] of Object.entries(patch)) {
    let k = patchKey;
    const isDeleteList = patchKey.startsWith(DELETE_PREFIX);
    if (isDeleteList) k = extractKey(patchKey, DELETE_PREFIX, ERR_PRIMITIVE);
    if (patchV === null) {
      delete original[k];
      continue;
    }
    const origV = original[k];
    if (!has(original, k) || goType(origV) !== goType(patchV)) {
      if (isDeleteList) continue;
      const c = clean(patchV, true);
      if (c === undefined) delete original[k];
      else setKey(original, k, c);
    } else if (isMap(origV) && isMap(patchV)) {
      original[k] = mergeMap(origV, patchV, join(path, k), keys);
    } else if (Array.isArray(origV) && Array.isArray(patchV)) {
      original[k] = mergeList(origV, patchV, join(path, k), keys, isDeleteList).merged;
    } else {
      original[k] = patchV;
    }
  }
  return original;
}

function applyRetainKeys(original: Obj, patch: Obj): void {
  if (!has(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw badRequest(ERR_RETAIN);
  const retained = new Set<unknown>(list);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_PREFIX) || k.startsWith(ORDER_PREFIX)) continue;
    if (!retained.has(k)) throw badRequest(ERR_RETAIN);
  }
  for (const k of Object.keys(original)) if (!retained.has(k)) delete original[k];
}

/** `$setElementOrder/<list>`: merge that list now, then order it (apimachinery's mergePatchIntoOriginal). */
function applyElementOrder(original: Obj, patch: Obj, path: string, keys: MergeKeys): void {
  for (const directiveKey of Object.keys(patch)) {
    if (!directiveKey.startsWith(ORDER_PREFIX)) continue;
    const order = patch[directiveKey];
    delete patch[directiveKey];
    const orderList = asList(order);
    const field = extractKey(directiveKey, ORDER_PREFIX, ERR_ORDER);
    const foundOriginal = has(original, field);
    const foundPatch = has(patch, field);
    const originalList = foundOriginal ? asList(original[field]) : [];
    const patchList = foundPatch ? asList(patch[field]) : [];
    const listPath = join(path, field);
    const mergeKey = strategyOf(keys, listPath) ?? '';
    validateAgainstOrder(patchList, orderList, mergeKey);
    if (!foundOriginal && !foundPatch) continue;
    let merged: Arr;
    let serverOrder = originalList;
    if (!foundPatch) merged = originalList;
    else if (!foundOriginal) merged = clean(patchList, true) as Arr;
    else ({ merged, serverOrder } = mergeList(originalList, patchList, listPath, keys, false));
    delete patch[field];
    const kind = elementKind(originalList, patchList);
    if (kind === 'map' && mergeKey === '') {
      setKey(original, field, merged); // a replace list of maps has nothing to order by
      continue;
    }
    const [inOrder, serverOnly] = partition(merged, orderList, mergeKey);
    setKey(original, field, normalizeOrder(inOrder, serverOnly, orderList, serverOrder, mergeKey));
  }
}

/** apimachinery's mergeSliceHandler + mergeSlice. */
function mergeList(orig: Arr, patch: Arr, path: string, keys: MergeKeys, isDeleteList: boolean): ListMerge {
  const strategy = strategyOf(keys, path);
  if (strategy === undefined && !isDeleteList)
    return { merged: clean(patch, false) as Arr, serverOrder: orig };
  const mergeKey = strategy ?? '';
  if (orig.length === 0 && patch.length === 0) return { merged: orig, serverOrder: orig };
  if (elementKind(orig, patch) === 'map') {
    if (mergeKey === '') throw badRequest(`cannot merge lists without merge key for ${path}`);
    return mergeKeyedList(orig as Obj[], patch as Obj[], path, mergeKey, keys);
  }
  if (isDeleteList) {
    const gone = new Set(patch);
    return { merged: orig.filter((v) => !gone.has(v)), serverOrder: orig };
  }
  const [inPatch, serverOnly] = partition([...new Set([...orig, ...patch])], patch, mergeKey);
  return { merged: normalizeOrder(inPatch, serverOnly, patch, orig, mergeKey), serverOrder: orig };
}

/** mergeSlice for lists of maps: `$patch` elements first, then merge by key, then order. */
function mergeKeyedList(orig: Obj[], patch: Obj[], path: string, key: string, keys: MergeKeys): ListMerge {
  const n = orig.length;
  const alias: Arr = orig.slice(); // Go's backing array of `orig`, seen with length n
  let aliasLen = n;
  let work: Obj[] = orig.slice();
  const plain: Obj[] = [];
  let replace = false;
  for (const el of patch) {
    if (!has(el, DIRECTIVE)) {
      plain.push(el);
      continue;
    }
    const directive = el[DIRECTIVE];
    if (directive === 'delete') {
      const value = keyOf(el, key);
      let i: number;
      while ((i = findByKey(work, key, value)) >= 0) {
        work.splice(i, 1);
        alias.copyWithin(i, i + 1, aliasLen);
        aliasLen--;
      }
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw badRequest('merging lists cannot yet be specified in the patch');
    } else {
      throw badPatchType(directive, el);
    }
  }
  let patchItems: Obj[] = plain;
  if (replace) {
    for (const el of plain) keyOf(el, key);
    work = plain.map((el) => clean(el, false) as Obj);
    patchItems = [];
  }
  const afterDeletes = work.slice();
  for (const el of patchItems) {
    const i = findByKey(work, key, keyOf(el, key));
    const found = work[i];
    if (found) {
      work[i] = mergeMap(found, el, `${path}[]`, keys);
    } else {
      const added = clean(el, false) as Obj;
      work.push(added);
      if (aliasLen < n) alias[aliasLen++] = added;
    }
  }
  const [inPatch, serverOnly] = partition(work, patchItems, key);
  const merged = normalizeOrder(inPatch, serverOnly, patchItems, afterDeletes, key);
  return { merged, serverOrder: alias };
}

function findByKey(list: List, mergeKey: string, value: unknown): number {
  return list.findIndex((el, i) => {
    if (!isMap(el)) throw badRequest(`value for key ${i} is not a map`);
    return has(el, mergeKey) && el[mergeKey] === value;
  });
}

/** Splits `list` into the items present in `by` (by merge key; by value when mergeKey is '') and the rest. */
function partition(list: List, by: List, mergeKey: string): [Arr, Arr] {
  const present: Arr = [];
  const rest: Arr = [];
  const values = new Set(by);
  for (const el of list) {
    const found = mergeKey === '' ? values.has(el) : findByKey(by, mergeKey, keyOf(el, mergeKey)) >= 0;
    (found ? present : rest).push(el);
  }
  return [present, rest];
}

function indexIn(list: List, item: unknown, mergeKey: string): number {
  const val = (x: unknown): unknown => (mergeKey === '' ? x : isMap(x) ? x[mergeKey] : undefined);
  const want = val(item);
  return list.findIndex((x) => val(x) === want);
}

/**
 * apimachinery's normalizeElementOrder: patch items in patch order, server-only items in live order, then
 * interleaved by live order; an item the live list lacks goes first (mergeSortedSlice).
 */
function normalizeOrder(items: Arr, serverOnly: Arr, order: List, serverOrder: List, mergeKey: string): Arr {
  const right = sortByOrder(items, order, mergeKey);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey);
  const out: Arr = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    const li = indexIn(serverOrder, left[i], mergeKey);
    const ri = indexIn(serverOrder, right[j], mergeKey);
    out.push(li >= 0 && ri >= 0 && li < ri ? left[i++] : right[j++]);
  }
  return [...out, ...left.slice(i), ...right.slice(j)];
}

function sortByOrder(toSort: Arr, order: List, mergeKey: string): Arr {
  let deletes: Arr = [];
  if (mergeKey !== '') {
    for (const el of [...toSort, ...order]) keyOf(el, mergeKey);
    deletes = toSort.filter((el) => isMap(el) && el[DIRECTIVE] === 'delete');
    toSort = toSort.filter((el) => !deletes.includes(el));
  }
  const ranked = toSort.map((el) => ({ el, at: indexIn(order, el, mergeKey) }));
  ranked.sort((a, b) => (a.at >= 0 && b.at >= 0 ? a.at - b.at : 0));
  return [...ranked.map((r) => r.el), ...deletes];
}

/** Every plain patch item must appear in the `$setElementOrder` list, in the same relative order. */
function validateAgainstOrder(patchList: List, order: List, mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const items = mergeKey === '' ? patchList : patchList.filter((el) => asMap(el)[DIRECTIVE] !== 'delete');
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    const item = items[p];
    if (isMap(item) && has(item, DIRECTIVE)) {
      p++;
      continue;
    }
    if (mergeKey === '' ? item === order[o] : keyOf(item, mergeKey) === keyOf(order[o], mergeKey)) p++;
    o++;
  }
  if (p < items.length) {
    throw badRequest(
      `the order in patch list:\n${goFmt(patchList)}\n doesn't match ${ORDER_PREFIX} list:\n${goFmt(order)}`,
    );
  }
}

/** The merge key's value of a list element, which must be a map that has it. */
function keyOf(el: unknown, mergeKey: string): unknown {
  const m = asMap(el);
  if (!has(m, mergeKey)) throw noMergeKey(m, mergeKey);
  return m[mergeKey];
}

/** apimachinery's sliceElementType: one element type across the lists, never a list. */
function elementKind(...lists: ReadonlyArray<List>): Kind {
  let kind: Kind | undefined;
  for (const el of lists.flat()) {
    const t = goType(el);
    if (kind === undefined) {
      kind = t;
      if (t === 'slice') throw new PatchError('lists of lists are not supported', 'Invalid');
    } else if (kind !== t) {
      throw badRequest(`list element types are not identical: [${lists.map(goFmt).join(' ')}]`);
    }
  }
  if (kind === undefined) throw badRequest('no elements in any of the given slices');
  return kind;
}

function extractKey(key: string, prefix: string, error: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) throw badRequest(error);
  return key.slice(slash + 1);
}

function asList(v: unknown): Arr {
  if (Array.isArray(v)) return v;
  throw badRequest(`expected a []interface {}, but received a ${goTypeName(v)}`);
}

function asMap(v: unknown): Obj {
  if (isMap(v)) return v;
  throw badRequest(`expected a map[string]interface {}, but received a ${goTypeName(v)}`);
}

const noMergeKey = (m: Obj, key: string): PatchError =>
  badRequest(`map: ${goFmt(m)} does not contain declared merge key: ${key}`);

function badPatchType(directive: unknown, m: Obj): PatchError {
  let t = goFmt(directive); // fmt's %s: strings as they are, other scalars as %!s(type=value)
  if (directive === null) t = '%!s(<nil>)';
  else if (typeof directive === 'number' || typeof directive === 'boolean')
    t = `%!s(${goType(directive)}=${t})`;
  return badRequest(`unknown patch type: ${t} in map: ${goFmt(m)}`);
}

// Go's view of JSON values (k8s decodes integral numbers as int64), for type checks and error texts.

function goType(v: unknown): Kind {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return 'slice';
  if (typeof v === 'number') return Number.isSafeInteger(v) ? 'int64' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'string' ? 'string' : 'map';
}

const GO_TYPE_NAMES: Partial<Record<Kind, string>> = {
  nil: '%!s(<nil>)',
  slice: '[]interface {}',
  map: 'map[string]interface {}',
};
const goTypeName = (v: unknown): string => GO_TYPE_NAMES[goType(v)] ?? goType(v);

/** fmt's %v. */
function goFmt(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goFmt).join(' ')}]`;
  if (isMap(v)) {
    const entries = Object.keys(v)
      .sort()
      .map((k) => `${k}:${goFmt(v[k])}`);
    return `map[${entries.join(' ')}]`;
  }
  if (typeof v === 'number' && goType(v) === 'float64' && Number.isFinite(v) && v !== 0) {
    const [mantissa = '', exp = '0'] = v.toExponential().split('e');
    const e = Number(exp);
    if (e < -4 || e >= 6) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return String(v);
}
