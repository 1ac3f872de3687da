import { BAD_USER_INPUT } from '@fleetgraph/lib/errors';

/** Cursor connections (schema conventions: edges { cursor node }, nodes, pageInfo, totalCount) over sorted lists. */

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

export const MAX_PAGE = 1000;

const encode = (key: string): string => Buffer.from(`k:${key}`, 'utf8').toString('base64url');

function decode(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('k:') || encode(text.slice(2)) !== cursor)
    throw BAD_USER_INPUT.err('`after` is not a cursor of this connection', { field: 'after' });
  return text.slice(2);
}

/**
 * One page of `items`, which must be sorted by `keyOf` (a unique, ordered key). `after` continues after the item
 * with that key, or after where it would be if it has gone since, so pages stay stable while the list changes.
 */
export function paginate<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  args: { first?: number | null | undefined; after?: string | null | undefined },
): Connection<T> {
  const { first, after } = args;
  if (first != null && (!Number.isInteger(first) || first < 0 || first > MAX_PAGE))
    throw BAD_USER_INPUT.err(`\`first\` must be between 0 and ${MAX_PAGE}`, { field: 'first' });
  let start = 0;
  if (after != null) {
    const key = decode(after);
    start = items.findIndex((i) => keyOf(i) > key);
    if (start < 0) start = items.length;
  }
  const end = first == null ? items.length : Math.min(items.length, start + first);
  const page = items.slice(start, end);
  const edges = page.map((node) => ({ cursor: encode(keyOf(node)), node }));
  return {
    edges,
    nodes: page,
    pageInfo: { hasNextPage: end < items.length, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount: items.length,
  };
}
