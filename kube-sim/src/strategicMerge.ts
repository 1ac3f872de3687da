/**
 * Strategic merge patch (SMP), the apply half of k8s.io/apimachinery pkg/util/strategicpatch, driven by a small
 * table of merge keys instead of Go struct tags. Behaviour (ordering, directive handling, error texts) mirrors
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

/** Merge-key table: dotted list path (array elements as `[]`) → merge key, or PRIMITIVE_MERGE; absent = replace. */
export type MergeKeys = ReadonlyMap<string, string>;

const PRIMITIVE_MERGE = 'primitive-merge';
const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_PREFIX = '$deleteFromPrimitiveList';
const ORDER_PREFIX = '$setElementOrder';
const ERR_PRIMITIVE = 'invalid patch format of primitive list';
const ERR_RETAIN = 'invalid patch format of retainKeys';
const ERR_ORDER = 'invalid patch format of setElementOrder list';

// ---------------------------------------------------------------------------------------------------------------
// The table

type Entries = ReadonlyArray<readonly [string, string]>;

const OBJECT_META: Entries = [
  ['ownerReferences', 'uid'],
  ['finalizers', PRIMITIVE_MERGE],
];
const POD_SPEC: Entries = [
  ['containers', 'name'],
  ['initContainers', 'name'],
  ['ephemeralContainers', 'name'],
  ['volumes', 'name'],
  ['imagePullSecrets', 'name'],
  ['hostAliases', 'ip'],
  ['topologySpreadConstraints', 'topologyKey'],
  ['resourceClaims', 'name'],
  ['schedulingGates', 'name'],
];
const CONTAINER: Entries = [
  ['env', 'name'],
  ['ports', 'containerPort'],
  ['volumeMounts', 'mountPath'],
  ['volumeDevices', 'devicePath'],
];
const CONDITIONS: Entries = [['status.conditions', 'type']];

const at = (prefix: string, entries: Entries): Entries => entries.map(([p, k]) => [`${prefix}.${p}`, k] as const);

/** ObjectMeta + PodSpec of a pod template rooted at `prefix` (e.g. 'spec.template'). */
function podTemplate(prefix: string): Entries {
  const spec = `${prefix}.spec`;
  const containers = ['containers', 'initContainers', 'ephemeralContainers'].flatMap((c) =>
    at(`${spec}.${c}[]`, CONTAINER),
  );
  return [...at(`${prefix}.metadata`, OBJECT_META), ...at(spec, POD_SPEC), ...containers];
}

const WORKLOAD = [...podTemplate('spec.template'), ...CONDITIONS];

const TABLE: Readonly<Record<string, Entries>> = {
  '/Pod': [
    ...podTemplate('').map(([p, k]) => [p.slice(1), k] as const),
    ...CONDITIONS,
    ['status.podIPs', 'ip'],
    ['status.hostIPs', 'ip'],
    ['status.resourceClaimStatuses', 'name'],
  ],
  '/PodTemplate': podTemplate('template'),
  '/ReplicationController': WORKLOAD,
  '/Service': [['spec.ports', 'port'], ...CONDITIONS],
  '/Node': [['spec.podCIDRs', PRIMITIVE_MERGE], ['status.addresses', 'type'], ...CONDITIONS],
  '/Namespace': CONDITIONS,
  '/PersistentVolumeClaim': CONDITIONS,
  '/ServiceAccount': [['secrets', 'name']],
  'apps/Deployment': WORKLOAD,
  'apps/StatefulSet': WORKLOAD,
  'apps/DaemonSet': WORKLOAD,
  'apps/ReplicaSet': WORKLOAD,
  'batch/Job': WORKLOAD,
  'batch/CronJob': [...at('spec.jobTemplate.metadata', OBJECT_META), ...podTemplate('spec.jobTemplate.spec.template')],
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

// ---------------------------------------------------------------------------------------------------------------
// The merge

type Obj = Record<string, unknown>;
type Kind = 'map' | 'slice' | 'string' | 'int64' | 'float64' | 'bool' | 'nil';
interface ListMerge {
  merged: unknown[];
  /** apimachinery's view of the original slice after mergeSlice ran (Go aliasing: deletes shift it, appends fill it). */
  serverOrder: unknown[];
}

const isMap = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: Obj, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);
const isDirectiveKey = (k: string): boolean =>
  k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(DELETE_PREFIX) || k.startsWith(ORDER_PREFIX);
const badRequest = (message: string): PatchError => new PatchError(message, 'BadRequest');

function setKey(o: Obj, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function cloneJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cloneJson);
  if (!isMap(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) setKey(out, k, cloneJson(x));
  return out;
}

/**
 * Makes a patch value fit to store: drops null map values and directive keys; with dropMarked, a map carrying
 * `$patch` is dropped whole (apimachinery's removeDirectives for values the original lacks). Returns undefined = drop.
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
  if (patch === null || patch === undefined) return cloneJson(isMap(original) ? original : {});
  if (!isMap(patch)) {
    const what = Array.isArray(patch) ? 'array' : typeof patch === 'boolean' ? 'bool' : typeof patch;
    throw badRequest(`json: cannot unmarshal ${what} into Go value of type map[string]interface {}`);
  }
  const base = isMap(original) ? (cloneJson(original) as Obj) : {};
  return mergeMap(base, cloneJson(patch) as Obj, '', keys);
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
      original[k] = mergeListHandler(origV, patchV, join(path, k), keys, isDeleteList).merged;
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

/** `$setElementOrder/<list>`: merges that list now, then orders it (apimachinery's mergePatchIntoOriginal). */
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
    const strategy = keys.get(listPath);
    const mergeKey = strategy === undefined || strategy === PRIMITIVE_MERGE ? '' : strategy;
    validateAgainstOrder(patchList, orderList, mergeKey);
    if (!foundOriginal && !foundPatch) continue;
    let merged: unknown[];
    let serverOrder = originalList;
    if (!foundPatch) merged = originalList;
    else if (!foundOriginal) merged = clean(patchList, true) as unknown[];
    else ({ merged, serverOrder } = mergeListHandler(originalList, patchList, listPath, keys, false));
    delete patch[field];
    const kind = elementKind(originalList, patchList);
    if (kind === 'map' && mergeKey === '') {
      setKey(original, field, merged); // a replace list of maps has nothing to order by
      continue;
    }
    const [inOrder, serverOnly] = partition(merged, orderList, mergeKey);
    setKey(original, field, normalizeElementOrder(inOrder, serverOnly, orderList, serverOrder, mergeKey, kind));
  }
}

function mergeListHandler(
  original: unknown[],
  patch: unknown[],
  path: string,
  keys: MergeKeys,
  isDeleteList: boolean,
): ListMerge {
  const strategy = keys.get(path);
  if (strategy === undefined && !isDeleteList) return { merged: clean(patch, false) as unknown[], serverOrder: original };
  const mergeKey = strategy === undefined || strategy === PRIMITIVE_MERGE ? '' : strategy;
  if (original.length === 0 && patch.length === 0) return { merged: original, serverOrder: original };
  const kind = elementKind(original, patch);
  if (kind !== 'map') {
    if (isDeleteList) {
      const gone = new Set(patch);
      return { merged: original.filter((v) => !gone.has(v)), serverOrder: original };
    }
    const merged = [...new Set([...original, ...patch])];
    const [inPatch, serverOnly] = partition(merged, patch, '');
    return { merged: normalizeElementOrder(inPatch, serverOnly, patch, original, '', kind), serverOrder: original };
  }
  if (mergeKey === '') throw badRequest(`cannot merge lists without merge key for ${path}`);
  return mergeKeyedList(original as Obj[], patch as Obj[], path, mergeKey, keys);
}

/** mergeSlice for lists of maps: `$patch` elements first, then merge by key, then order. */
function mergeKeyedList(original: Obj[], patch: Obj[], path: string, mergeKey: string, keys: MergeKeys): ListMerge {
  const n = original.length;
  const alias: unknown[] = original.slice(); // Go's backing array of `original`, seen with length n
  let aliasLen = n;
  let work: Obj[] = original.slice();
  const plain: Obj[] = [];
  let replace = false;
  for (const el of patch) {
    if (!has(el, DIRECTIVE)) {
      plain.push(el);
      continue;
    }
    const directive = el[DIRECTIVE];
    if (directive === 'delete') {
      if (!has(el, mergeKey)) throw noMergeKey(el, mergeKey);
      for (let i = findByKey(work, mergeKey, el[mergeKey]); i >= 0; i = findByKey(work, mergeKey, el[mergeKey])) {
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
    for (const el of plain) if (!has(el, mergeKey)) throw noMergeKey(el, mergeKey);
    work = plain.map((el) => clean(el, false) as Obj);
    patchItems = [];
  }
  const afterDeletes = work.slice();
  for (const el of patchItems) {
    if (!has(el, mergeKey)) throw noMergeKey(el, mergeKey);
    const i = findByKey(work, mergeKey, el[mergeKey]);
    const found = work[i];
    if (found) {
      work[i] = mergeMap(found, el, `${path}[]`, keys);
    } else {
      const added = clean(el, false) as Obj;
      work.push(added);
      if (aliasLen < n) alias[aliasLen++] = added;
    }
  }
  const [inPatch, serverOnly] = partition(work, patchItems, mergeKey);
  const merged = normalizeElementOrder(inPatch, serverOnly, patchItems, afterDeletes, mergeKey, 'map');
  return { merged, serverOrder: alias };
}

function findByKey(list: readonly unknown[], mergeKey: string, value: unknown): number {
  return list.findIndex((el, i) => {
    if (!isMap(el)) throw badRequest(`value for key ${i} is not a map`);
    return has(el, mergeKey) && el[mergeKey] === value;
  });
}

/** Splits `list` into the items present in `by` (by merge key, or by value when mergeKey is '') and the rest. */
function partition(list: readonly unknown[], by: readonly unknown[], mergeKey: string): [unknown[], unknown[]] {
  const present: unknown[] = [];
  const rest: unknown[] = [];
  const values = new Set(by);
  for (const el of list) {
    let found: boolean;
    if (mergeKey === '') found = values.has(el);
    else {
      const m = asMap(el);
      if (!has(m, mergeKey)) throw noMergeKey(m, mergeKey);
      found = findByKey(by, mergeKey, m[mergeKey]) >= 0;
    }
    (found ? present : rest).push(el);
  }
  return [present, rest];
}

function indexIn(list: readonly unknown[], item: unknown, mergeKey: string, kind: Kind): number {
  const val = (x: unknown): unknown => (kind !== 'map' ? x : isMap(x) ? x[mergeKey] : undefined);
  const want = val(item);
  return list.findIndex((x) => val(x) === want);
}

/** Patch items in patch order, server-only items in live order, then interleaved by live order. */
function normalizeElementOrder(
  patchItems: unknown[],
  serverOnly: unknown[],
  patchOrder: readonly unknown[],
  serverOrder: readonly unknown[],
  mergeKey: string,
  kind: Kind,
): unknown[] {
  const right = sortByOrder(patchItems, patchOrder, mergeKey, kind);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey, kind);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    const li = indexIn(serverOrder, left[i], mergeKey, kind);
    const ri = indexIn(serverOrder, right[j], mergeKey, kind);
    out.push(li >= 0 && ri >= 0 && li < ri ? left[i++] : right[j++]);
  }
  return [...out, ...left.slice(i), ...right.slice(j)];
}

function sortByOrder(toSort: unknown[], order: readonly unknown[], mergeKey: string, kind: Kind): unknown[] {
  let deletes: unknown[] = [];
  if (kind === 'map') {
    for (const el of [...toSort, ...order]) {
      const m = asMap(el);
      if (!has(m, mergeKey)) throw noMergeKey(m, mergeKey);
    }
    deletes = toSort.filter((el) => isMap(el) && el[DIRECTIVE] === 'delete');
    toSort = toSort.filter((el) => !deletes.includes(el));
  }
  const ranked = toSort.map((el) => ({ el, at: indexIn(order, el, mergeKey, kind) }));
  ranked.sort((a, b) => (a.at >= 0 && b.at >= 0 ? a.at - b.at : 0));
  return [...ranked.map((r) => r.el), ...deletes];
}

/** Every plain patch item must appear in the `$setElementOrder` list, in the same relative order. */
function validateAgainstOrder(patchList: readonly unknown[], order: readonly unknown[], mergeKey: string): void {
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
    if (mergeKeyValueEqual(item, order[o], mergeKey)) p++;
    o++;
  }
  if (p < items.length) {
    throw badRequest(
      `the order in patch list:\n${goFmt(patchList)}\n doesn't match ${ORDER_PREFIX} list:\n${goFmt(order)}`,
    );
  }
}

function mergeKeyValueEqual(left: unknown, right: unknown, mergeKey: string): boolean {
  if (mergeKey === '') return left === right;
  const l = asMap(left);
  const r = asMap(right);
  if (!has(l, mergeKey)) throw noMergeKey(l, mergeKey);
  if (!has(r, mergeKey)) throw noMergeKey(r, mergeKey);
  return l[mergeKey] === r[mergeKey];
}

/** apimachinery's sliceElementType: one element type across the lists, never a list. */
function elementKind(...lists: ReadonlyArray<readonly unknown[]>): Kind {
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

function asList(v: unknown): unknown[] {
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
  const scalar = typeof directive === 'number' || typeof directive === 'boolean';
  const t =
    typeof directive === 'string'
      ? directive
      : directive === null
        ? '%!s(<nil>)'
        : scalar
          ? `%!s(${goTypeName(directive)}=${goFmt(directive)})`
          : goFmt(directive);
  return badRequest(`unknown patch type: ${t} in map: ${goFmt(m)}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Go's view of JSON values (k8s decodes integral numbers as int64), for type checks and error texts.

function goType(v: unknown): Kind {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return 'slice';
  if (typeof v === 'number') return Number.isSafeInteger(v) ? 'int64' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'string' ? 'string' : 'map';
}

function goTypeName(v: unknown): string {
  const t = goType(v);
  return t === 'nil' ? '%!s(<nil>)' : t === 'slice' ? '[]interface {}' : t === 'map' ? 'map[string]interface {}' : t;
}

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
