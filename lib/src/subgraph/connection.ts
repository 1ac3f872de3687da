import { BAD_USER_INPUT } from '../errors/index.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../server/pages.ts';

/**
 * Relay cursor connections over a list read from a cache (schema conventions: edges { cursor node }, nodes,
 * pageInfo { hasNextPage hasPreviousPage startCursor endCursor }, totalCount). No list is ever unbounded: without
 * `first` a page holds DEFAULT_PAGE_SIZE items, and `first` over MAX_PAGE_SIZE is refused with BAD_USER_INPUT.
 */

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  nodes: T[];
  pageInfo: PageInfo;
  totalCount: number;
}

export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE };

export interface PageArgs {
  first?: number | null | undefined;
  after?: string | null | undefined;
}

export interface PaginateOptions<T> extends PageArgs {
  /** a unique key per item, in the list's order under `compare` (e.g. `cluster\0name`) */
  key: (item: T) => string;
  /**
   * the order of keys (the list must be sorted by it)
   * @default ascending string order
   */
  compare?: (a: string, b: string) => number;
}

const ascending = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const encode = (key: string): string => Buffer.from(`k:${key}`, 'utf8').toString('base64url');

function decode(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('k:') || encode(text.slice(2)) !== cursor)
    throw BAD_USER_INPUT.err('`after` is not a cursor of this connection', { field: 'after' });
  return text.slice(2);
}

/** the page size `first` asks for: DEFAULT_PAGE_SIZE when absent; BAD_USER_INPUT outside 0..MAX_PAGE_SIZE */
export function pageSize(first: number | null | undefined): number {
  if (first == null) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE)
    throw BAD_USER_INPUT.err(`\`first\` must be between 0 and ${MAX_PAGE_SIZE}, got ${first}`, {
      field: 'first',
    });
  return first;
}

/**
 * One page of `items` (sorted by `key` under `compare`). `after` continues after the item with that key, or after
 * where it would be if it has gone since, so pages stay stable while the list changes.
 */
export function paginate<T>(items: readonly T[], options: PaginateOptions<T>): Connection<T> {
  const compare = options.compare ?? ascending;
  const size = pageSize(options.first);
  let start = 0;
  if (options.after != null) {
    const after = decode(options.after);
    start = items.findIndex((i) => compare(options.key(i), after) > 0);
    if (start < 0) start = items.length;
  }
  const end = Math.min(items.length, start + size);
  const page = items.slice(start, end);
  const edges = page.map((node) => ({ cursor: encode(options.key(node)), node }));
  return {
    edges,
    nodes: page,
    pageInfo: {
      hasNextPage: end < items.length,
      hasPreviousPage: start > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: items.length,
  };
}

/** sorts a copy of `items` by `key` under `compare` and returns one page of it */
export function connectionFrom<T>(items: Iterable<T>, options: PaginateOptions<T>): Connection<T> {
  const compare = options.compare ?? ascending;
  const sorted = [...items].sort((a, b) => compare(options.key(a), options.key(b)));
  return paginate(sorted, options);
}

/** a key compare for a sort direction (`DESC` reverses ascending string order) */
export function orderOf(direction: 'ASC' | 'DESC' | null | undefined): (a: string, b: string) => number {
  return direction === 'DESC' ? (a, b) => ascending(b, a) : ascending;
}

/** a connection's `orderBy` argument: a field of the type's XOrderField enum and a direction */
export interface OrderByArg<F extends string> {
  field: F;
  direction?: 'ASC' | 'DESC' | null | undefined;
}

/**
 * The `key` and `compare` of a connection with `orderBy`: the chosen field's sort key, then `unique` (the list's
 * default key) so that ties keep a stable, cursor-safe order; the default order (`unique`, ascending) without
 * `orderBy`. Sort keys must sort as strings: timestamps as RFC 3339, names as they are.
 */
export function ordering<T, F extends string>(
  orderBy: OrderByArg<F> | null | undefined,
  fields: Record<F, (item: T) => string>,
  unique: (item: T) => string,
): { key: (item: T) => string; compare: (a: string, b: string) => number } {
  if (!orderBy) return { key: unique, compare: ascending };
  const by = fields[orderBy.field];
  return { key: (item) => `${by(item)}\u0000${unique(item)}`, compare: orderOf(orderBy.direction) };
}
