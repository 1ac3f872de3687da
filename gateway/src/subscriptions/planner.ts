import { operationFromDocument, type Schema, Supergraph } from '@apollo/federation-internals';
import { type QueryPlan, QueryPlanner } from '@apollo/query-planner';
import { type DocumentNode, GraphQLSchema, Kind, print } from 'graphql';

/**
 * One supergraph's planning state for subscriptions: the API schema clients validate against, the supergraph
 * schema the executor needs, Apollo's query planner (the same planner @apollo/gateway uses for queries), a cache
 * of plans, and the @key fields of each entity type.
 */
export class SupergraphPlanner {
  readonly apiSchema: Schema;
  readonly schema: GraphQLSchema;
  readonly supergraphSchema: GraphQLSchema;
  private readonly planner: QueryPlanner;
  private readonly plans = new Map<string, QueryPlan>();
  private readonly keys = new Map<string, string[][]>();

  constructor(readonly sdl: string) {
    const supergraph = Supergraph.build(sdl);
    this.apiSchema = supergraph.apiSchema();
    this.schema = this.apiSchema.toGraphQLJSSchema();
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.planner = new QueryPlanner(supergraph);
  }

  /** plans `document`, cached by its text and operation name (at most 1000 plans are kept) */
  plan(document: DocumentNode, operationName: string | undefined): QueryPlan {
    const cacheKey = `${operationName ?? ''}\n${print(document)}`;
    const cached = this.plans.get(cacheKey);
    if (cached) return cached;
    const operation = operationFromDocument(this.apiSchema, document, {
      ...(operationName ? { operationName } : {}),
    });
    const plan = this.planner.buildQueryPlan(operation);
    if (this.plans.size >= 1000) this.plans.delete(this.plans.keys().next().value as string);
    this.plans.set(cacheKey, plan);
    return plan;
  }

  /** the simple (top-level field) @key field sets of an entity type, from its join__type directives */
  keyFields(typeName: string): string[][] {
    const cached = this.keys.get(typeName);
    if (cached) return cached;
    const type = this.supergraphSchema.getType(typeName);
    const sets: string[][] = [];
    for (const d of type?.astNode?.directives ?? []) {
      if (d.name.value !== 'join__type') continue;
      const key = d.arguments?.find((a) => a.name.value === 'key');
      if (key?.value.kind !== Kind.STRING || /[{}]/.test(key.value.value)) continue;
      const fields = key.value.value.split(/\s+/).filter(Boolean);
      if (!sets.some((s) => s.join(' ') === fields.join(' '))) sets.push(fields);
    }
    this.keys.set(typeName, sets);
    return sets;
  }
}
