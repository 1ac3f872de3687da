import { buildOperationContext, type ServiceMap } from '@apollo/gateway';
import type { FetchNode, PlanNode, QueryPlan } from '@apollo/query-planner';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  getNamedType,
  getOperationAST,
  GraphQLError,
  type GraphQLSchema,
  isObjectType,
  Kind,
  parse,
  print,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';

import type { Logger } from '@fleetgraph/lib/telemetry';

import { SUBSCRIPTION_NOT_SUPPORTED, UPSTREAM_SUBSCRIPTION_FAILED } from '../errors.ts';
import { executeEvent, toGraphQLErrors } from './executeEvent.ts';
import { SupergraphPlanner } from './planner.ts';
import { SharedStream } from './stream.ts';
import type { UpstreamClients } from './upstreamClients.ts';

export interface SubscriptionExecutorOptions {
  /** the gateway's data sources, by subgraph name (the same ones queries use) */
  services: () => ServiceMap;
  /** a subgraph's HTTP URL, by name */
  urlOf: (service: string) => string | undefined;
  clients: UpstreamClients;
  log: Logger;
  /** per-subscriber buffer before SUBSCRIPTION_OVERFLOW @default 1000 */
  bufferSize?: number;
  /** observes stream and subscriber counts (metrics) */
  onChange?: (counts: { upstream: number; downstream: number }) => void;
  /** headers of each upstream WebSocket handshake (the gateway's own signed identity) @default none */
  upstreamHeaders?: () => Record<string, string>;
  /**
   * the subscriber's signed identity, sent upstream as the subscribe payload's `extensions.identity`
   * @default none
   */
  identityOf?: (contextValue: unknown) => Record<string, string> | undefined;
}

/** the sharing key's authorization part: streams are shared only between subscribers with the same scope */
export type ScopeOf = (contextValue: unknown) => string;

function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/**
 * fleetgraph's executor of federated subscriptions (see docs/subscriptions.md and toolchain.md §2): the query
 * planner splits a subscription into a `primary` fetch on the owning subgraph, opened over graphql-ws, and a `rest`
 * run for every event through @apollo/gateway's own executeQueryPlan, so a subscription may select fields of any
 * subgraph. Identical upstream subscriptions share one stream (SharedStream).
 */
export class SubscriptionExecutor {
  private planner: SupergraphPlanner | undefined;
  private readonly streams = new Map<string, SharedStream>();
  private readonly all = new Set<SharedStream>();
  private downstream = 0;

  constructor(private readonly options: SubscriptionExecutorOptions) {}

  /** a new supergraph: new subscriptions plan against it; open ones keep the plan they started with */
  update(sdl: string): void {
    this.planner = new SupergraphPlanner(sdl);
    this.streams.clear();
  }

  get schema(): GraphQLSchema | undefined {
    return this.planner?.schema;
  }

  get counts(): { upstream: number; downstream: number } {
    return { upstream: this.all.size, downstream: this.downstream };
  }

  async subscribe(
    args: ExecutionArgs,
    scope: string,
  ): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    const planner = this.planner;
    if (!planner)
      return {
        errors: [
          new GraphQLError('the supergraph is not loaded yet', {
            extensions: { code: 'SERVICE_UNAVAILABLE' },
          }),
        ],
      };
    const operation = getOperationAST(args.document, args.operationName);
    if (!operation)
      return {
        errors: [
          new GraphQLError('Unable to identify operation', {
            extensions: { code: 'OPERATION_RESOLUTION_FAILURE' },
          }),
        ],
      };
    const coerced = getVariableValues(
      planner.schema,
      operation.variableDefinitions ?? [],
      (args.variableValues ?? {}) as Record<string, unknown>,
    );
    if (coerced.errors)
      return {
        errors: coerced.errors.map(
          (e) =>
            new GraphQLError(e.message, { nodes: e.nodes ?? null, extensions: { code: 'BAD_USER_INPUT' } }),
        ),
      };
    const variables = coerced.coerced;

    let plan: QueryPlan;
    try {
      plan = planner.plan(args.document, args.operationName ?? undefined);
    } catch (e) {
      return { errors: toGraphQLErrors(e, 'GRAPHQL_VALIDATION_FAILED') };
    }
    const node = plan.node;
    if (node?.kind !== 'Subscription') {
      return { errors: [SUBSCRIPTION_NOT_SUPPORTED.err('the operation did not plan as a subscription')] };
    }
    const primary: FetchNode = node.primary;
    const rest: PlanNode | undefined = node.rest;
    const url = this.options.urlOf(primary.serviceName);
    if (!url)
      return { errors: [SUBSCRIPTION_NOT_SUPPORTED.err(`no URL for subgraph "${primary.serviceName}"`)] };
    const upstreamVariables = Object.fromEntries(
      (primary.variableUsages ?? []).filter((n) => n in variables).map((n) => [n, variables[n]]),
    );
    const operationContext = buildOperationContext({
      schema: planner.schema,
      operationDocument: args.document,
      ...(args.operationName ? { operationName: args.operationName } : {}),
    });
    const requestContext = this.requestContext(
      args.document,
      args.operationName ?? undefined,
      variables,
      args.contextValue,
    );
    const run = (event: ExecutionResult): Promise<ExecutionResult> =>
      executeEvent({
        event,
        primary,
        rest,
        services: this.options.services(),
        requestContext,
        operationContext,
        planner,
      });

    const streamKey = `${primary.serviceName}\n${scope}\n${primary.operation}\n${stableStringify(upstreamVariables)}`;
    const groupKey = `${args.operationName ?? ''}\n${print(args.document)}\n${stableStringify(variables)}`;
    let stream = this.streams.get(streamKey);
    if (!stream?.joinable()) {
      const identity = this.options.identityOf?.(args.contextValue);
      stream = this.openStream(streamKey, primary, url, upstreamVariables, planner, identity);
    }
    const queue = stream.join(groupKey, run);
    this.downstream++;
    this.notify();
    const end = queue.return.bind(queue);
    let counted = true;
    const uncount = (): void => {
      if (!counted) return;
      counted = false;
      this.downstream--;
      this.notify();
    };
    // graphql-ws ends a subscription with return(): forward it to the stream at once (no queued next first)
    queue.return = () => {
      uncount();
      return end();
    };
    const next = queue.next.bind(queue);
    queue.next = async () => {
      try {
        const r = await next();
        if (r.done) uncount();
        return r;
      } catch (e) {
        uncount();
        throw e;
      }
    };
    return queue;
  }

  private openStream(
    key: string,
    primary: FetchNode,
    url: string,
    variables: Record<string, unknown>,
    planner: SupergraphPlanner,
    identity: Record<string, string> | undefined,
  ): SharedStream {
    const service = primary.serviceName;
    const rootType = rootTypeName(primary.operation, planner.schema);
    const log = this.options.log.child({ subgraph: service });
    const stream: SharedStream = new SharedStream(
      {
        identity: (event) => entityIdentity(event, planner, rootType),
        open: (sink) => {
          log.debug('upstream subscription opened');
          const client = this.options.clients.get(url, this.options.upstreamHeaders ?? (() => ({})));
          return client.subscribe<Record<string, unknown>>(
            { query: primary.operation, variables, ...(identity ? { extensions: { identity } } : {}) },
            {
              next: (e) => sink.next(e as ExecutionResult),
              error: (e) => sink.error(e),
              complete: () => sink.complete(),
            },
          );
        },
        failure: (e) => ({
          data: null,
          errors: [
            UPSTREAM_SUBSCRIPTION_FAILED.err(
              `subgraph "${service}" ended the subscription: ${describeUpstreamError(e)}`,
              {
                extensions: { serviceName: service },
              },
            ),
          ],
        }),
        onEnd: () => {
          log.debug('upstream subscription closed');
          if (this.streams.get(key) === stream) this.streams.delete(key);
          this.all.delete(stream);
          this.notify();
        },
      },
      this.options.bufferSize ?? 1000,
    );
    this.streams.set(key, stream);
    this.all.add(stream);
    return stream;
  }

  private requestContext(
    document: DocumentNode,
    operationName: string | undefined,
    variables: Record<string, unknown>,
    contextValue: unknown,
  ): GatewayGraphQLRequestContext {
    // executeQueryPlan reads request.variables, context, logger and writes into metrics (it must be an object)
    const ctx = {
      request: { query: print(document), variables, ...(operationName ? { operationName } : {}) },
      context: contextValue ?? {},
      logger: {
        debug: (m: unknown) => this.options.log.debug(String(m)),
        info: (m: unknown) => this.options.log.info(String(m)),
        warn: (m: unknown) => this.options.log.warn(String(m)),
        error: (m: unknown) => this.options.log.error(String(m)),
      },
      metrics: {},
      document,
      operationName: operationName ?? null,
    };
    return ctx as unknown as GatewayGraphQLRequestContext;
  }

  private notify(): void {
    this.options.onChange?.(this.counts);
  }

  async dispose(): Promise<void> {
    await this.options.clients.dispose();
  }
}

/** `Type:key=value` for an event whose single root value is an entity carrying one of its key field sets */
function entityIdentity(
  event: ExecutionResult,
  planner: SupergraphPlanner,
  rootType: string | undefined,
): string | undefined {
  const data = event.data;
  if (!data || event.errors?.length) return undefined;
  const roots = Object.values(data);
  if (roots.length !== 1) return undefined;
  const value = roots[0];
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const obj = value as Record<string, unknown>;
  const typename = typeof obj['__typename'] === 'string' ? obj['__typename'] : rootType;
  if (typename === undefined) return undefined;
  for (const fields of planner.keyFields(typename)) {
    if (fields.every((f) => f in obj)) return `${typename}:${stableStringify(fields.map((f) => obj[f]))}`;
  }
  return undefined;
}

/** the object type the single root field of a subscription document returns, if it is one */
function rootTypeName(operation: string, schema: GraphQLSchema): string | undefined {
  const op = getOperationAST(parse(operation));
  const fields = op?.selectionSet.selections ?? [];
  const field = fields.length === 1 && fields[0]?.kind === Kind.FIELD ? fields[0] : undefined;
  if (!field) return undefined;
  const def = schema.getSubscriptionType()?.getFields()[field.name.value];
  const type = def ? getNamedType(def.type) : undefined;
  return type && isObjectType(type) ? type.name : undefined;
}

function describeUpstreamError(e: unknown): string {
  if (Array.isArray(e)) return e.map((x: { message?: string }) => x.message ?? String(x)).join('; ');
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object' && 'code' in e) {
    const ce = e as { code: number; reason?: string };
    return `connection closed (${ce.code}${ce.reason ? ` ${ce.reason}` : ''})`;
  }
  return String(e);
}
