import { buildSchema, parse } from 'graphql';
import { getComplexity } from 'graphql-query-complexity';
import { describe, expect, it } from 'vitest';

import { DEFAULT_PAGE_SIZE } from '@fleetgraph/lib/server';

import { costEstimator } from '../src/limits/cost.ts';

/** How the cost limit prices lists and connections (gateway/src/limits/cost.ts). */

const schema = buildSchema(`
  type PageInfo { hasNextPage: Boolean! }
  type Thing { id: ID! name: String! }
  type ThingConnection { nodes: [Thing!]! edges: [ThingEdge!]! pageInfo: PageInfo! totalCount: Int! }
  type ThingEdge { cursor: String! node: Thing! }
  type Query { things(first: Int, after: String): ThingConnection! list: [Thing!]! }
`);

const cost = (query: string): number =>
  getComplexity({ schema, query: parse(query), variables: {}, estimators: [costEstimator(50)] });

describe('the cost of connections', () => {
  it('prices a connection without `first` at the page the server returns, not at 1', () => {
    const withoutFirst = cost('{ things { nodes { id name } } }');
    const withDefault = cost(`{ things(first: ${DEFAULT_PAGE_SIZE}) { nodes { id name } } }`);
    expect(withoutFirst).toBe(withDefault);
    expect(withoutFirst).toBeGreaterThan(cost('{ things(first: 10) { nodes { id name } } }'));
  });

  it('still prices `first` as given, and plain lists at the default list size', () => {
    expect(cost('{ things(first: 5) { nodes { id } } }')).toBe(5);
    expect(cost('{ list { id } }')).toBe(50);
  });
});
