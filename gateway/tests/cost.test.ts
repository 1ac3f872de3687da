import { readFileSync } from 'node:fs';

import { Supergraph } from '@apollo/federation-internals';
import { buildSchema, parse } from 'graphql';
import { getComplexity } from 'graphql-query-complexity';
import { describe, expect, it } from 'vitest';

import { DEFAULT_PAGE_SIZE } from '@fleetgraph/lib/server';

import { DEFAULT_LIMITS } from '../src/limits/config.ts';
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

describe('the default limits on the real graph', () => {
  const api = Supergraph.build(
    readFileSync(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8'),
  )
    .apiSchema()
    .toGraphQLJSSchema();
  const priced = (query: string): number =>
    getComplexity({
      schema: api,
      query: parse(query),
      variables: {},
      estimators: [costEstimator(DEFAULT_LIMITS.defaultListSize)],
    });

  it('let ordinary console queries through', () => {
    for (const q of [
      // every gateway of every cluster with four fields
      '{ clusters { nodes { name gateways { name scope state version } } } }',
      '{ gateways { nodes { cluster name state pods { name pod { phase } } } } }',
      '{ clusters { nodes { name status { phase } podCount nodeCount conditions { type status } upgrades { id phase } } } }',
      '{ nodes(first: 500) { totalCount nodes { cluster name ready roles capacity { cpu memory } } } }',
    ])
      expect(priced(q), q).toBeLessThanOrEqual(DEFAULT_LIMITS.maxCost);
  });

  it('refuse hostile ones', () => {
    for (const q of [
      '{ clusters(first: 1000) { nodes { nodes(first: 1000) { nodes { name } } } } }',
      '{ clusters { nodes { projects(first: 1000) { nodes { name workspace { projects(first: 1000) { nodes { name } } } } } } } }',
    ])
      expect(priced(q), q).toBeGreaterThan(DEFAULT_LIMITS.maxCost);
  });
});
