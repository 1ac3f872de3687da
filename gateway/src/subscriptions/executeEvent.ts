import { executeQueryPlan, type ServiceMap } from '@apollo/gateway';
import type { OperationContext } from '@apollo/gateway/dist/operationContext.js';
import type { FetchNode, PlanNode, QueryPlan } from '@apollo/query-planner';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { type ExecutionResult, GraphQLError } from 'graphql';

import { SUBGRAPH_UNAVAILABLE } from '../errors.ts';
import type { SupergraphPlanner } from './planner.ts';

/** the made-up service that "fetches" the upstream event into the result (see executeEvent) */
const EVENT_SERVICE = '__fleetgraph_subscription_event__';

/** any thrown value as GraphQLErrors carrying a code (graphql-ws calls toJSON on every error it sends) */
export function toGraphQLErrors(e: unknown, code: string): GraphQLError[] {
  if (e instanceof GraphQLError) return [e];
  const message = e instanceof Error ? e.message : String(e);
  return [
    new GraphQLError(message, { extensions: { code }, ...(e instanceof Error ? { originalError: e } : {}) }),
  ];
}

/**
 * Runs one event through @apollo/gateway's executor: a plan `Sequence[primary re-targeted at a service that
 * returns the event, rest]`. The primary fetch has no `requires`, so its result is deep-merged at the root exactly
 * as if the subgraph had been queried; `rest` then runs unchanged (entity fetches to other subgraphs), and the
 * gateway shapes the response to the client's selection (aliases, fragments, @include/@skip, null bubbling).
 */
export async function executeEvent(o: {
  event: ExecutionResult;
  primary: FetchNode;
  rest: PlanNode | undefined;
  services: ServiceMap;
  requestContext: GatewayGraphQLRequestContext;
  operationContext: OperationContext;
  planner: SupergraphPlanner;
}): Promise<ExecutionResult> {
  const eventService = {
    process: () =>
      Promise.resolve({
        data: o.event.data ? structuredClone(o.event.data) : null,
        ...(o.event.errors ? { errors: o.event.errors } : {}),
      }),
  };
  const retargeted: FetchNode = { ...o.primary, serviceName: EVENT_SERVICE };
  const plan: QueryPlan = {
    kind: 'QueryPlan',
    node: o.rest ? { kind: 'Sequence', nodes: [retargeted, o.rest] } : retargeted,
  };
  try {
    const result = await executeQueryPlan(
      plan,
      { ...o.services, [EVENT_SERVICE]: eventService as unknown as ServiceMap[string] },
      { ...o.requestContext, metrics: {} } as GatewayGraphQLRequestContext,
      o.operationContext,
      o.planner.supergraphSchema,
      o.planner.apiSchema,
    );
    const errors = result.errors?.map((e) => withServiceName(normalizeError(e), o.primary.serviceName));
    return { data: result.data ?? null, ...(errors?.length ? { errors } : {}) };
  } catch (e) {
    return { data: null, errors: toGraphQLErrors(e, 'INTERNAL_SERVER_ERROR') };
  }
}

/**
 * errors of the event itself (the subgraph sent an event with errors) name the made-up event service: name the
 * subgraph that sent it instead, as a query's errors would
 */
function withServiceName(e: GraphQLError, service: string): GraphQLError {
  if (e.extensions['serviceName'] !== EVENT_SERVICE) return e;
  return new GraphQLError(e.message, {
    nodes: e.nodes ?? null,
    source: e.source ?? null,
    positions: e.positions ?? null,
    path: e.path ?? null,
    originalError: e.originalError ?? null,
    extensions: { ...e.extensions, serviceName: service },
  });
}

/** errors from executeQueryPlan may be plain Errors (a refused connection): give each a code and the service */
function normalizeError(e: Error | GraphQLError): GraphQLError {
  if (e instanceof GraphQLError && typeof e.extensions['code'] === 'string') {
    if (
      e.extensions['code'] === 'INTERNAL_SERVER_ERROR' &&
      /ECONNREFUSED|ECONNRESET|fetch failed|socket hang up/i.test(e.message)
    )
      return SUBGRAPH_UNAVAILABLE.err(e.message, {
        extensions: { ...e.extensions, code: 'SUBGRAPH_UNAVAILABLE' },
      });
    return e;
  }
  const serviceName = e instanceof GraphQLError ? e.extensions['serviceName'] : undefined;
  return SUBGRAPH_UNAVAILABLE.err(e.message, {
    cause: e,
    extensions: {
      ...(e instanceof GraphQLError ? e.extensions : {}),
      ...(serviceName ? { serviceName } : {}),
    },
    ...(e instanceof GraphQLError && e.path ? {} : {}),
  });
}
