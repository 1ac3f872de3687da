import { parseFieldSelector, parseLabelSelector, SelectorError, fieldSetFor } from './selectors.ts';
import { badRequest, expired, tooLargeResourceVersion } from './status.ts';
import type { ObjectStore } from './store.ts';
import { groupResource, type ResourceType, type StoredObject } from './types.ts';

/** List and selector semantics shared by list, watch and deletecollection. */

export interface ListOptions {
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  limit?: number | undefined;
  continue?: string | undefined;
  resourceVersion?: string | undefined;
  resourceVersionMatch?: string | undefined;
}

export interface ListResult {
  items: readonly StoredObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface Filter {
  matches(obj: StoredObject): boolean;
  empty: boolean;
  /** metadata.name pinned by the field selector */
  name: string | undefined;
}

export function makeFilter(type: ResourceType, labelSelector?: string, fieldSelector?: string): Filter {
  try {
    const labels = parseLabelSelector(labelSelector);
    const fields = parseFieldSelector(
      fieldSelector,
      fieldSetFor(type.group, type.resource, { clusterScoped: !type.namespaced }),
    );
    return {
      matches: (obj) => labels.matches(obj.metadata.labels) && fields.matches(obj),
      empty: labels.empty && fields.empty,
      name: fields.pinnedName(),
    };
  } catch (err) {
    if (err instanceof SelectorError) throw badRequest(err.message);
    throw err;
  }
}

interface ContinueToken {
  rv: number;
  id: string;
  start: number;
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.rv, id: t.id, start: t.start })).toString(
    'base64url',
  );
}

function decodeContinue(token: string): ContinueToken {
  try {
    const raw: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof raw === 'object' && raw !== null) {
      const r = raw as Record<string, unknown>;
      if (typeof r['rv'] === 'number' && typeof r['id'] === 'string' && typeof r['start'] === 'number') {
        return { rv: r['rv'], id: r['id'], start: r['start'] };
      }
    }
  } catch {
    // fall through
  }
  throw badRequest(
    'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
  );
}

const CONTINUE_EXPIRED =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/** Check a resourceVersion parameter of a get or list; throws the Status a real apiserver gives. */
export function checkReadResourceVersion(
  store: ObjectStore,
  rv: string | undefined,
  match: string | undefined,
): void {
  if (match !== undefined && match !== '' && (rv === undefined || rv === '')) {
    throw badRequest(
      `resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided`,
    );
  }
  if (match !== undefined && match !== '' && match !== 'NotOlderThan' && match !== 'Exact') {
    throw badRequest(
      `resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`,
    );
  }
  if (rv === undefined || rv === '' || rv === '0') return;
  const n = Number(rv);
  if (!Number.isSafeInteger(n) || n < 0) throw badRequest(`invalid resource version: ${rv}`);
  if (n > store.resourceVersion) throw tooLargeResourceVersion(rv, store.resourceVersion);
  if (match === 'Exact' && n !== store.resourceVersion && n < store.oldestResumableRv) {
    throw expired(`too old resource version: ${rv} (${store.oldestResumableRv})`);
  }
}

export function listObjects(
  store: ObjectStore,
  type: ResourceType,
  namespace: string | undefined,
  opts: ListOptions,
): ListResult {
  const gr = groupResource(type);
  const filter = makeFilter(type, opts.labelSelector, opts.fieldSelector);
  const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : undefined;
  if (opts.continue) {
    if (opts.resourceVersion !== undefined && opts.resourceVersion !== '') {
      throw badRequest('specifying resource version is not allowed when using continue');
    }
    const token = decodeContinue(opts.continue);
    const snap = store.getSnapshot(token.id);
    if (!snap || snap.rv !== token.rv) throw expired(CONTINUE_EXPIRED);
    return page(snap.items, token.start, limit, filter, snap.rv, snap.id);
  }
  checkReadResourceVersion(store, opts.resourceVersion, opts.resourceVersionMatch);
  const all = store.list(gr, namespace);
  const rv = store.resourceVersion;
  if (limit === undefined) {
    return { items: filter.empty ? all : all.filter(filter.matches), resourceVersion: String(rv) };
  }
  // A list that needs more pages keeps its state, so that every page shows the same snapshot.
  const snap = all.length > limit ? store.saveSnapshot(all.slice(), rv) : undefined;
  return page(snap?.items ?? all, 0, limit, filter, rv, snap?.id);
}

function page(
  items: readonly StoredObject[],
  start: number,
  limit: number | undefined,
  filter: Filter,
  rv: number,
  snapshotId: string | undefined,
): ListResult {
  const out: StoredObject[] = [];
  let i = start;
  for (; i < items.length && (limit === undefined || out.length < limit); i++) {
    const obj = items[i];
    if (obj && filter.matches(obj)) out.push(obj);
  }
  // Skip ahead to the next match so that the last page never comes back empty.
  while (i < items.length) {
    const obj = items[i];
    if (obj && filter.matches(obj)) break;
    i++;
  }
  const result: ListResult = { items: out, resourceVersion: String(rv) };
  if (i < items.length) {
    result.continue = encodeContinue({ rv, id: snapshotId ?? '', start: i });
    if (filter.empty) result.remainingItemCount = items.length - i;
  }
  return result;
}
