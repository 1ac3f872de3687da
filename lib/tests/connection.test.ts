import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';

import {
  connectionFrom,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  ordering,
  paginate,
  orderOf,
} from '../src/subgraph/index.ts';

const names = Array.from({ length: 250 }, (_, i) => `n${String(i).padStart(3, '0')}`);
const key = (s: string): string => s;

function codeOf(f: () => unknown): { code: unknown; field: unknown } {
  try {
    f();
  } catch (e) {
    if (e instanceof GraphQLError) return { code: e.extensions['code'], field: e.extensions['field'] };
    throw e;
  }
  throw new Error('no error');
}

describe('connections', () => {
  it('without `first`, a page is the default size, never the whole list', () => {
    const page = paginate(names, { key });
    expect(DEFAULT_PAGE_SIZE).toBe(100);
    expect(page.nodes).toEqual(names.slice(0, DEFAULT_PAGE_SIZE));
    expect(page.totalCount).toBe(250);
    expect(page.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor);
    expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor);
  });

  it('pages through with `after`, and says there is a previous page', () => {
    const first = paginate(names, { key, first: 100 });
    const second = paginate(names, { key, first: 100, after: first.pageInfo.endCursor });
    const third = paginate(names, { key, first: 100, after: second.pageInfo.endCursor });
    expect([...first.nodes, ...second.nodes, ...third.nodes]).toEqual(names);
    expect(second.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    expect(third.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect(third.nodes).toHaveLength(50);
  });

  it('continues where an item that has gone since would have been', () => {
    const first = paginate(names, { key, first: 10 });
    const without = names.filter((n) => n !== 'n009');
    expect(paginate(without, { key, first: 2, after: first.pageInfo.endCursor }).nodes).toEqual([
      'n010',
      'n011',
    ]);
  });

  it('`first` over the maximum is a clear BAD_USER_INPUT on `first`; so are a negative one and a foreign cursor', () => {
    expect(MAX_PAGE_SIZE).toBe(1000);
    expect(paginate(names, { key, first: MAX_PAGE_SIZE }).nodes).toHaveLength(250);
    expect(codeOf(() => paginate(names, { key, first: MAX_PAGE_SIZE + 1 }))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'first',
    });
    expect(codeOf(() => paginate(names, { key, first: -1 }))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'first',
    });
    expect(codeOf(() => paginate(names, { key, after: 'not-a-cursor' }))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'after',
    });
  });

  it('connectionFrom sorts, in either direction', () => {
    const shuffled = [...names].reverse();
    expect(connectionFrom(shuffled, { key, first: 3 }).nodes).toEqual(['n000', 'n001', 'n002']);
    const desc = connectionFrom(names, { key, first: 2, compare: orderOf('DESC') });
    expect(desc.nodes).toEqual(['n249', 'n248']);
    expect(
      connectionFrom(names, { key, first: 2, compare: orderOf('DESC'), after: desc.pageInfo.endCursor })
        .nodes,
    ).toEqual(['n247', 'n246']);
  });

  it('ordering: by a field, ties in the default order, either direction; the default order without orderBy', () => {
    const items = [
      { id: 'c', age: '2' },
      { id: 'a', age: '2' },
      { id: 'b', age: '1' },
    ];
    type Item = (typeof items)[number];
    const fields = { AGE: (x: Item) => x.age };
    const unique = (x: Item) => x.id;
    const ids = (o: ReturnType<typeof ordering<Item, 'AGE'>>) =>
      connectionFrom(items, { ...o }).nodes.map((x) => x.id);
    expect(ids(ordering(null, fields, unique))).toEqual(['a', 'b', 'c']);
    expect(ids(ordering({ field: 'AGE' }, fields, unique))).toEqual(['b', 'a', 'c']);
    expect(ids(ordering({ field: 'AGE', direction: 'DESC' }, fields, unique))).toEqual(['c', 'a', 'b']);
    const o = ordering({ field: 'AGE' as const }, fields, unique);
    const first = connectionFrom(items, { ...o, first: 2 });
    expect(connectionFrom(items, { ...o, after: first.pageInfo.endCursor }).nodes.map((x) => x.id)).toEqual([
      'c',
    ]);
  });
});
