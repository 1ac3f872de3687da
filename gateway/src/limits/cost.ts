import {
  type DocumentNode,
  type GraphQLError,
  getNamedType,
  getNullableType,
  type GraphQLSchema,
  isListType,
} from 'graphql';
import { DEFAULT_PAGE_SIZE } from '@fleetgraph/lib/server';
import { type ComplexityEstimator, getComplexity } from 'graphql-query-complexity';

import { MAX_COST_EXCEEDED } from '../errors.ts';

/**
 * The cost of an operation, with graphql-query-complexity and one estimator:
 * - a field with a page-size argument (`first`, `last` or `limit`) costs that size times its children, whether it
 *   returns a list or a connection;
 * - a field that returns a `...Connection` without one costs DEFAULT_PAGE_SIZE (the page every subgraph returns
 *   when `first` is left out) times its children;
 * - `edges` and `nodes` of a `...Connection` type cost their children once (the connection field already counted
 *   the page size);
 * - any other list field costs DEFAULT_LIST_SIZE (10) times its children: plain lists are the small, bounded ones
 *   (conditions, containers, a gateway's pods), since every list that grows with the fleet is a connection;
 * - an object field costs 1 plus its children, a scalar or enum 1;
 * - `__schema` and `__type` cost nothing (INTROSPECTION decides about them).
 * So `a(first: 500) { b(first: 500) { id } }` costs 250 000 and `a(first: 5) { b(first: 5) { id } }` 25.
 */

const PAGE_ARGS = ['first', 'last', 'limit'] as const;

export function costEstimator(defaultListSize: number): ComplexityEstimator {
  return ({ type, field, args, childComplexity }) => {
    // introspection is governed by INTROSPECTION (and bounded by MAX_TOKENS), not priced: the explorer's schema
    // query would cost far more than any operation
    if (field.name === '__schema' || field.name === '__type') return 0;
    const children = Math.max(1, childComplexity);
    for (const name of PAGE_ARGS) {
      const v: unknown = args[name];
      if (typeof v === 'number' && Number.isFinite(v)) return Math.max(1, v) * children;
    }
    if (getNamedType(field.type).name.endsWith('Connection') && !isListType(getNullableType(field.type)))
      return DEFAULT_PAGE_SIZE * children;
    if (isListType(getNullableType(field.type))) {
      if (type.name.endsWith('Connection') && (field.name === 'edges' || field.name === 'nodes'))
        return children;
      return defaultListSize * children;
    }
    return 1 + childComplexity;
  };
}

export interface CostInput {
  schema: GraphQLSchema;
  document: DocumentNode;
  variables?: Record<string, unknown> | undefined;
  operationName?: string | undefined;
  maxCost: number;
  defaultListSize: number;
}

/** undefined when within `maxCost` (or when the variables do not coerce), else the MAX_COST_EXCEEDED refusal */
export function checkCost(input: CostInput): GraphQLError | undefined {
  let cost: number;
  try {
    cost = getComplexity({
      schema: input.schema,
      query: input.document,
      variables: input.variables ?? {},
      ...(input.operationName ? { operationName: input.operationName } : {}),
      estimators: [costEstimator(input.defaultListSize)],
    });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // graphql-query-complexity stops at 10 000 evaluated nodes (fragments spread many times)
    if (/maximum allowed number of nodes/i.test(message))
      return MAX_COST_EXCEEDED.err(
        `the operation expands to too many fields to estimate; the limit (MAX_COST) is ${input.maxCost}`,
      );
    // anything else is a variable that does not coerce: execution refuses it with its own BAD_USER_INPUT before
    // anything runs (Apollo Gateway's validateIncomingRequest, the subscription executor), so it is left to them
    return undefined;
  }
  if (cost <= input.maxCost) return undefined;
  return MAX_COST_EXCEEDED.err(
    `the operation's estimated cost is ${cost}; the limit (MAX_COST) is ${input.maxCost} (a list field costs its page size, first/last/limit or ${input.defaultListSize}, times its children)`,
  );
}
